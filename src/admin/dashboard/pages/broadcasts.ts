/** Broadcasts and the motivation library (being built). */
import type { DashboardPage } from "../page.js";
import { comingSoon } from "./coming-soon.js";

export const broadcastPages: DashboardPage[] = [
  comingSoon("/dashboard/siaran", { id: "Siaran", en: "Broadcasts", order: 40 }),
  comingSoon("/dashboard/motivasi", { id: "Motivasi", en: "Motivation", order: 50 }),
];
