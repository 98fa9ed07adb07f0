/**
 * Who may open what. Signed-out visitors never reach a page (index.ts sends them to /masuk);
 * `requireRole("admin")` keeps staff out of admin pages with a 403 page.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { StaffRole } from "../../domain/staff.js";
import { forbiddenPage, renderError } from "./errors.js";
import { requestState } from "./request-state.js";

/** True when a staff member of `have` may open a page for `need`: admins may open everything. */
export const roleAllows = (have: StaffRole, need: StaffRole) => need === "staff" || have === "admin";

/**
 * A preHandler for routes that need a role; definePage's `role` uses it, and a route made by
 * hand can too: `{ preHandler: requireRole("admin") }`.
 */
export function requireRole(role: StaffRole) {
  return async function checkRole(request: FastifyRequest, reply: FastifyReply) {
    const { staff } = requestState(request);
    if (staff && roleAllows(staff.role, role)) return;
    return renderError(reply, 403, forbiddenPage(role));
  };
}
