/**
 * Every page of the dashboard, in one list: registerDashboard mounts these, and the navigation
 * is built from their `nav` labels (ordered by `order`, filtered by role). To add a page, write
 * it with definePage in a file of this folder and list it here; to build a page that is still
 * `comingSoon`, replace that line with yours (keep the path, so links keep working).
 */
import type { DashboardPage } from "../page.js";
import { comingSoon } from "./coming-soon.js";
import { overviewPage } from "./overview.js";
import { tryBotPage } from "./try-bot.js";

export const dashboardPages: DashboardPage[] = [
  overviewPage,
  comingSoon("/dashboard/program", { id: "Program & Jadwal", en: "Programmes & schedule", order: 20 }),
  comingSoon("/dashboard/peserta", { id: "Peserta", en: "Participants", order: 30 }),
  comingSoon("/dashboard/siaran", { id: "Siaran", en: "Broadcasts", order: 40 }),
  comingSoon("/dashboard/motivasi", { id: "Motivasi", en: "Motivation", order: 50 }),
  comingSoon("/dashboard/kanal", { id: "Kanal", en: "Channels", order: 60 }),
  comingSoon("/dashboard/antrean", { id: "Antrean", en: "Queues", order: 70 }),
  comingSoon("/dashboard/staf", { id: "Staf", en: "Staff", order: 80 }, "admin"),
  comingSoon("/dashboard/audit", { id: "Log audit", en: "Audit log", order: 90 }, "admin"),
  tryBotPage,
];
