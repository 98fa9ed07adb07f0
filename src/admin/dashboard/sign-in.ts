/**
 * Checking a staff member's email and password, with a lockout: five wrong passwords in a row
 * lock the account for 15 minutes (Staff.failedLogins, Staff.lockedUntil); while locked even
 * the right password is refused. A success clears the count. Every attempt goes in the audit
 * log, never the password.
 */
import crypto from "node:crypto";
import type { Db } from "../../db/database.js";
import { audit, hashPassword, normalizeEmail, verifyPassword } from "../../domain/staff.js";
import type { SignedInStaff } from "./page.js";

export const maxFailedLogins = 5;
export const lockoutMinutes = 15;

export type SignInOutcome =
  { kind: "signed_in"; staff: SignedInStaff } | { kind: "refused" } | { kind: "locked"; until: Date };

// A hash to check unknown emails against, so they take as long as known ones: how fast the
// answer comes does not tell whether an account exists.
let decoyHash: Promise<string> | undefined;
const decoy = () => (decoyHash ??= hashPassword(crypto.randomBytes(24).toString("base64")));

/** Where the attempt came from, for the audit log. */
export type AttemptSource = { ip: string };

export async function signIn(
  prisma: Db,
  input: { email: string; password: string },
  source: AttemptSource,
  now: Date = new Date(),
): Promise<SignInOutcome> {
  const email = normalizeEmail(input.email);
  const staff = await prisma.staff.findUnique({ where: { email } });
  if (!staff || !staff.active) {
    await verifyPassword(input.password, await decoy());
    await audit(prisma, staff?.id ?? null, "staff.login_failed", staff ? `staff:${staff.id}` : null, {
      reason: staff ? "deactivated" : "unknown_email",
      ip: source.ip,
    });
    return { kind: "refused" };
  }
  const target = `staff:${staff.id}`;
  if (staff.lockedUntil && staff.lockedUntil > now) {
    await audit(prisma, staff.id, "staff.login_refused_locked", target, {
      lockedUntil: staff.lockedUntil.toISOString(),
      ip: source.ip,
    });
    return { kind: "locked", until: staff.lockedUntil };
  }
  if (await verifyPassword(input.password, staff.passwordHash)) {
    await prisma.staff.update({
      where: { id: staff.id },
      data: { failedLogins: 0, lockedUntil: null, lastLoginAt: now },
    });
    await audit(prisma, staff.id, "staff.login_succeeded", target, { ip: source.ip });
    return {
      kind: "signed_in",
      staff: { id: staff.id, name: staff.name, email: staff.email, role: staff.role as SignedInStaff["role"] },
    };
  }
  // An increment in the database, so failures arriving at the same time all count.
  const { failedLogins } = await prisma.staff.update({
    where: { id: staff.id },
    data: { failedLogins: { increment: 1 } },
    select: { failedLogins: true },
  });
  await audit(prisma, staff.id, "staff.login_failed", target, {
    reason: "wrong_password",
    failedLogins,
    ip: source.ip,
  });
  if (failedLogins < maxFailedLogins) return { kind: "refused" };
  const until = new Date(now.getTime() + lockoutMinutes * 60_000);
  // The count starts again, so after the lock another five tries are allowed. Conditional, so
  // two failures racing past the limit lock (and log) once.
  const { count } = await prisma.staff.updateMany({
    where: { id: staff.id, failedLogins: { gte: maxFailedLogins } },
    data: { failedLogins: 0, lockedUntil: until },
  });
  if (count > 0)
    await audit(prisma, staff.id, "staff.login_locked", target, {
      lockedUntil: until.toISOString(),
      minutes: lockoutMinutes,
      ip: source.ip,
    });
  return { kind: "locked", until };
}

/** The staff member of a session, if still there and active; null otherwise. */
export async function findActiveStaff(prisma: Db, staffId: number): Promise<SignedInStaff | null> {
  const staff = await prisma.staff.findUnique({
    where: { id: staffId },
    select: { id: true, name: true, email: true, role: true, active: true },
  });
  if (!staff?.active) return null;
  return { id: staff.id, name: staff.name, email: staff.email, role: staff.role as SignedInStaff["role"] };
}
