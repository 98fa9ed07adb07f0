/**
 * A page that is in the navigation but not built yet. Replace its line in pages/index.ts with
 * the real page (same path) when it is.
 */
import type { StaffRole } from "../../../domain/staff.js";
import { definePage, type DashboardPage, type NavLabel } from "../page.js";
import { render } from "../render.js";

export function comingSoon(path: string, nav: NavLabel, role?: StaffRole): DashboardPage {
  return definePage({
    path,
    nav,
    ...(role ? { role } : {}),
    handler: ({ reply, t }) => render(reply, "coming-soon", { title: t(nav.id, nav.en) }),
  });
}
