/**
 * Checking a staff member's email and password, with a backoff per email and client address:
 * five wrong passwords for one email from one address within 15 minutes stop tries for that
 * email from that address for 15 minutes; while stopped even the right password is refused.
 * Someone guessing elsewhere cannot lock the real user out, and an email that has no account
 * is counted and answered exactly like one that has: nothing here tells whether it exists.
 * The counts are in Redis (shared by every web process), keyed by a hash of the email, so no
 * email address lands in Redis. A success clears the count. Every attempt goes in the audit
 * log, never the password.
 */
import crypto from "node:crypto";
import type { Redis } from "ioredis";
import type { Db } from "../../db/database.js";
import { audit, hashPassword, normalizeEmail, verifyPassword } from "../../domain/staff.js";
import type { SignedInStaff } from "./page.js";

export const maxFailedLogins = 5;
export const lockoutMinutes = 15;

export type SignInOutcome =
  | { kind: "signed_in"; staff: SignedInStaff; mustChangePassword: boolean }
  | { kind: "refused" }
  | { kind: "locked"; until: Date };

/** Where sign-in failures are counted. */
export type SignInDeps = { prisma: Db; redis: Redis; redisPrefix: string };

// A hash to check unknown emails against, so they take as long as known ones: how fast the
// answer comes does not tell whether an account exists.
let decoyHash: Promise<string> | undefined;
const decoy = () => (decoyHash ??= hashPassword(crypto.randomBytes(24).toString("base64")));

/** Where the attempt came from, for the count and the audit log. */
export type AttemptSource = { ip: string };

const failureKey = (deps: SignInDeps, email: string, ip: string) =>
  `${deps.redisPrefix}:dashboard:sign-in-failures:${crypto.createHash("sha256").update(email).digest("hex")}:${ip}`;

// INCR and, on the first failure, the window; once the count reaches the limit the key lives
// for the lockout from then on. One script, so failures arriving at the same time all count
// and exactly one of them starts the lockout. Returns [count, milliseconds left].
const countFailure = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { n, redis.call('PTTL', KEYS[1]) }`;

export async function signIn(
  deps: SignInDeps,
  input: { email: string; password: string },
  source: AttemptSource,
  now: Date = new Date(),
): Promise<SignInOutcome> {
  const { prisma, redis } = deps;
  const email = normalizeEmail(input.email);
  const key = failureKey(deps, email, source.ip);
  const staff = await prisma.staff.findUnique({ where: { email } });
  const known = staff?.active ? staff : null;
  const target = known ? `staff:${known.id}` : null;

  const [failures, ttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
  if (Number(failures) >= maxFailedLogins) {
    const until = new Date(now.getTime() + Math.max(1000, ttl));
    await audit(prisma, staff?.id ?? null, "staff.login_refused_locked", staff ? `staff:${staff.id}` : null, {
      lockedUntil: until.toISOString(),
      ip: source.ip,
    });
    return { kind: "locked", until };
  }

  if (known && (await verifyPassword(input.password, known.passwordHash))) {
    await redis.del(key);
    await prisma.staff.update({ where: { id: known.id }, data: { lastLoginAt: now } });
    await audit(prisma, known.id, "staff.login_succeeded", target, { ip: source.ip });
    return {
      kind: "signed_in",
      staff: { id: known.id, name: known.name, email: known.email, role: known.role as SignedInStaff["role"] },
      mustChangePassword: known.mustChangePassword,
    };
  }
  if (!known) await verifyPassword(input.password, await decoy());

  const lockoutMs = lockoutMinutes * 60_000;
  const [count, left] = (await redis.eval(countFailure, 1, key, String(lockoutMs), String(maxFailedLogins))) as [
    number,
    number,
  ];
  await audit(prisma, staff?.id ?? null, "staff.login_failed", staff ? `staff:${staff.id}` : null, {
    reason: !staff ? "unknown_email" : staff.active ? "wrong_password" : "deactivated",
    failures: count,
    ip: source.ip,
  });
  if (count < maxFailedLogins) return { kind: "refused" };
  const until = new Date(now.getTime() + Math.max(1000, left));
  if (count === maxFailedLogins)
    await audit(prisma, staff?.id ?? null, "staff.login_locked", staff ? `staff:${staff.id}` : null, {
      lockedUntil: until.toISOString(),
      minutes: lockoutMinutes,
      ip: source.ip,
    });
  return { kind: "locked", until };
}

/** A staff member as a session sees them: who, and what their password asks of them. */
export type ActiveStaff = {
  staff: SignedInStaff;
  mustChangePassword: boolean;
  passwordChangedAt: Date | null;
};

/** The staff member of a session, if still there and active; null otherwise. */
export async function findActiveStaff(prisma: Db, staffId: number): Promise<ActiveStaff | null> {
  const staff = await prisma.staff.findUnique({
    where: { id: staffId },
    select: {
      id: true,
      name: true,
      email: true,
      role: true,
      active: true,
      mustChangePassword: true,
      passwordChangedAt: true,
    },
  });
  if (!staff?.active) return null;
  return {
    staff: { id: staff.id, name: staff.name, email: staff.email, role: staff.role as SignedInStaff["role"] },
    mustChangePassword: staff.mustChangePassword,
    passwordChangedAt: staff.passwordChangedAt,
  };
}
