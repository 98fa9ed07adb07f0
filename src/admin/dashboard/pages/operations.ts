/** Channels, queues, staff and the audit log (being built). */
import type { DashboardPage } from "../page.js";
import { comingSoon } from "./coming-soon.js";

export const operationsPages: DashboardPage[] = [
  comingSoon("/dashboard/kanal", { id: "Kanal", en: "Channels", order: 60 }),
  comingSoon("/dashboard/antrean", { id: "Antrean", en: "Queues", order: 70 }),
  comingSoon("/dashboard/staf", { id: "Staf", en: "Staff", order: 80 }, "admin"),
  comingSoon("/dashboard/audit", { id: "Log audit", en: "Audit log", order: 90 }, "admin"),
];
