/**
 * Programmes and training sessions (Program & Jadwal): the list, programme and session forms,
 * moving and cancelling a session, and each session's roster with attendance and CSV export.
 * Every signed-in staff member may use them; every change goes to the audit log.
 */
import type { DashboardPage } from "../page.js";
import {
  createProgrammePage,
  editProgrammePage,
  newProgrammePage,
  programmeListPage,
  updateProgrammePage,
} from "./programmes-list.js";
import { impactCsvPage, impactPage, sessionFeedbackPage } from "./programmes-impact.js";
import { markAttendancePage, rosterCsvPage, rosterPage } from "./programmes-roster.js";
import { checkInPosterPage, decideWalkInPage } from "./programmes-checkin.js";
import { revokeCertificatePage } from "./programmes-certificates.js";
import {
  cancelSessionPage,
  confirmCancelPage,
  confirmMovePage,
  createSessionPage,
  editSessionPage,
  moveSessionPage,
  newSessionPage,
  previewMovePage,
  updateSessionPage,
} from "./programmes-sessions.js";

export const programmePages: DashboardPage[] = [
  programmeListPage,
  newProgrammePage,
  createProgrammePage,
  editProgrammePage,
  updateProgrammePage,
  newSessionPage,
  createSessionPage,
  rosterPage,
  rosterCsvPage,
  markAttendancePage,
  checkInPosterPage,
  decideWalkInPage,
  revokeCertificatePage,
  editSessionPage,
  updateSessionPage,
  moveSessionPage,
  previewMovePage,
  confirmMovePage,
  cancelSessionPage,
  confirmCancelPage,
  impactPage,
  impactCsvPage,
  sessionFeedbackPage,
];
