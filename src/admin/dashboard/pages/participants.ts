/** Participants: search, profile, history, CSV export and import (being built). */
import type { DashboardPage } from "../page.js";
import { comingSoon } from "./coming-soon.js";

export const participantPages: DashboardPage[] = [
  comingSoon("/dashboard/peserta", { id: "Peserta", en: "Participants", order: 30 }),
];
