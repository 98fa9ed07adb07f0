/** Programmes and training sessions, and each session's roster (being built). */
import type { DashboardPage } from "../page.js";
import { comingSoon } from "./coming-soon.js";

export const programmePages: DashboardPage[] = [
  comingSoon("/dashboard/program", { id: "Program & Jadwal", en: "Programmes & schedule", order: 20 }),
];
