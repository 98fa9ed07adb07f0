/**
 * Staff accounts and their credentials: passwords (scrypt), API tokens for the HTTP API, and
 * one-time codes that link a chat account (Telegram, WhatsApp) to a staff member.
 *
 * Secrets are never stored as given: passwords as a salted scrypt hash, tokens and link codes
 * as their SHA-256. A token or code is returned once, to be shown once; nothing here writes
 * one to the audit log or to a log line.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "node:crypto";
import { promisify } from "node:util";
import type { Db, Tx } from "../db/database.js";
import type { Prisma } from "../db/generated/sqlite/client.js";

export type StaffRole = "admin" | "staff";

/** What callers learn about a staff member: never the password hash. */
export type StaffSummary = { id: number; name: string; email: string; role: StaffRole };

/** A refused staff operation; `message` is one line an operator can act on. */
export class StaffError extends Error {
  override name = "StaffError";
}

export const passwordMinLength = 10;
/** Long passphrases are welcome; a megabyte of "password" is not. */
export const passwordMaxLength = 1024;

// ---------------------------------------------------------------- passwords

// OWASP's scrypt setting of N=2^14, r=8, p=5 costs as much CPU as N=2^17, p=1 but needs 16 MB
// per hash instead of 128 MB, within Node's default memory cap. The parameters are stored with
// each hash, so raising them later leaves existing hashes verifiable.
const scryptParams = { N: 2 ** 14, r: 8, p: 5 };
const keyLength = 32;
const scrypt = promisify(crypto.scrypt) as (
  password: crypto.BinaryLike,
  salt: crypto.BinaryLike,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** Memory scrypt needs for N and r, with room to spare (Node refuses to go above `maxmem`). */
const maxmem = (N: number, r: number) => 256 * N * r;

/** `scrypt$N$r$p$<salt base64>$<hash base64>`. Throws StaffError for a too short or too long password. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < passwordMinLength)
    throw new StaffError(`The password is too short: use at least ${passwordMinLength} characters.`);
  if (password.length > passwordMaxLength)
    throw new StaffError(`The password is too long: use at most ${passwordMaxLength} characters.`);
  const { N, r, p } = scryptParams;
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize("NFC"), salt, keyLength, { N, r, p, maxmem: maxmem(N, r) });
  return ["scrypt", N, r, p, salt.toString("base64"), hash.toString("base64")].join("$");
}

/** True when `password` is the one `stored` was made from; false for anything else, malformed `stored` included. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a corrupted row from asking for gigabytes of memory.
  const valid =
    Number.isInteger(N) && N > 1 && N <= 2 ** 20 && (N & (N - 1)) === 0 && [r, p].every((v) => Number.isInteger(v));
  if (!valid || r < 1 || r > 32 || p < 1 || p > 64) return false;
  const salt = Buffer.from(parts[4]!, "base64");
  const expected = Buffer.from(parts[5]!, "base64");
  if (salt.length === 0 || expected.length === 0 || password.length > passwordMaxLength) return false;
  const actual = await scrypt(password.normalize("NFC"), salt, expected.length, { N, r, p, maxmem: maxmem(N, r) });
  return crypto.timingSafeEqual(actual, expected);
}

// ---------------------------------------------------------------- staff accounts

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const summary = (s: { id: number; name: string; email: string; role: string }): StaffSummary => ({
  id: s.id,
  name: s.name,
  email: s.email,
  role: s.role as StaffRole,
});

// By its code: the SQLite and PostgreSQL clients each have their own error classes.
const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === "P2002";

/**
 * Adds a staff member. Throws StaffError for a bad email, name, role or password, or an email
 * already in use. `temporary`: the password was made for them (an admin's invitation), so the
 * dashboard has them choose their own at first sign-in.
 */
export async function createStaff(
  prisma: Db,
  input: { email: string; name: string; role: StaffRole; password: string; temporary?: boolean },
): Promise<StaffSummary> {
  const email = normalizeEmail(input.email);
  const name = input.name.trim();
  if (!emailPattern.test(email) || email.length > 254)
    throw new StaffError(`"${input.email}" is not an email address.`);
  if (name.length === 0 || name.length > 200) throw new StaffError("The name must have 1 to 200 characters.");
  if (input.role !== "admin" && input.role !== "staff")
    throw new StaffError(`The role must be admin or staff, not "${String(input.role)}".`);
  const exists = `A staff member with the email ${email} already exists.`;
  if (await prisma.staff.findUnique({ where: { email }, select: { id: true } })) throw new StaffError(exists);
  const passwordHash = await hashPassword(input.password);
  try {
    return summary(
      await prisma.staff.create({
        data: { email, name, role: input.role, passwordHash, mustChangePassword: input.temporary ?? false },
      }),
    );
  } catch (err) {
    // Someone added the same email between the check and the insert.
    if (isUniqueViolation(err)) throw new StaffError(exists);
    throw err;
  }
}

/** The staff member with this email (any case), or null. */
export async function findStaffByEmail(
  prisma: Db,
  email: string,
): Promise<(StaffSummary & { active: boolean }) | null> {
  const staff = await prisma.staff.findUnique({ where: { email: normalizeEmail(email) } });
  return staff ? { ...summary(staff), active: staff.active } : null;
}

// ---------------------------------------------------------------- API tokens

const sha256 = (value: string) => crypto.createHash("sha256").update(value).digest("hex");

const tokenPrefix = "sapa_";
/** `sapa_` and 32 random bytes in base64url (43 characters). */
const tokenPattern = /^sapa_[A-Za-z0-9_-]{43}$/;
/** lastUsedAt is written at most this often per token, so every request is not also a write. */
const lastUsedResolutionMs = 60_000;

/**
 * A new API token for a staff member. The token is in the result only: the database keeps its
 * SHA-256, so show it once and let the caller copy it. A token acts as its staff member, so only
 * they make one (the dashboard's "Akses saya"), or the operator at the server (CLI): an admin who
 * could mint a colleague's token could draft as them and approve as themselves.
 */
export async function createApiToken(
  prisma: Db,
  staffId: number,
  name: string,
  expiresAt?: Date | null,
): Promise<{ id: number; token: string; expiresAt: Date | null }> {
  const label = name.trim();
  if (label.length === 0 || label.length > 100) throw new StaffError("The token name must have 1 to 100 characters.");
  if (expiresAt && expiresAt.getTime() <= Date.now()) throw new StaffError("The expiry time has already passed.");
  const staff = await prisma.staff.findUnique({ where: { id: staffId }, select: { active: true } });
  if (!staff) throw new StaffError(`No staff member with id ${staffId}.`);
  if (!staff.active) throw new StaffError("This staff member is deactivated; an API token would not work.");
  const token = tokenPrefix + crypto.randomBytes(32).toString("base64url");
  const row = await prisma.apiToken.create({
    data: { staffId, name: label, tokenHash: sha256(token), expiresAt: expiresAt ?? null },
  });
  return { id: row.id, token, expiresAt: row.expiresAt };
}

/**
 * Who a bearer token belongs to, and which token it is (for the audit log), or null when it is
 * unknown, revoked, expired, or its staff member is deactivated. A token of a deactivated account
 * found here is revoked on the spot, so reactivating the account never brings it back.
 */
export async function verifyApiToken(
  prisma: Db,
  token: string,
  now: Date = new Date(),
): Promise<{ staff: StaffSummary; token: { id: number; name: string } } | null> {
  // Anything not shaped like our tokens cannot match: no need to ask the database.
  if (!tokenPattern.test(token)) return null;
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: sha256(token) }, include: { staff: true } });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  if (!row.staff.active) {
    await prisma.apiToken.updateMany({ where: { id: row.id, revokedAt: null }, data: { revokedAt: now } });
    return null;
  }
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= lastUsedResolutionMs) {
    // Conditional, so concurrent requests with one token write it once.
    await prisma.apiToken.updateMany({
      where: {
        id: row.id,
        OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - lastUsedResolutionMs) } }],
      },
      data: { lastUsedAt: now },
    });
  }
  return { staff: summary(row.staff), token: { id: row.id, name: row.name } };
}

/** Revokes a token by id; true if it was active. */
export async function revokeApiToken(prisma: Db, tokenId: number, now: Date = new Date()): Promise<boolean> {
  const { count } = await prisma.apiToken.updateMany({
    where: { id: tokenId, revokedAt: null },
    data: { revokedAt: now },
  });
  return count > 0;
}

// ---------------------------------------------------------------- chat link codes

export const linkCodeValidityMinutes = 15;
const linkCodeDigits = 8;
/**
 * Link attempts a live code outlives. A wrong code names no code, so every attempt made while a
 * code is live counts against it, whoever makes it and from whichever chat: at this many the code
 * is void, and a guesser gets at most this many tries at each code however many chats they use.
 */
export const linkCodeMaxFailures = 5;
/** Link attempts across every chat in one clock hour; past them linking pauses for everyone. */
export const linkAttemptsPerHour = 20;

/**
 * The channels a chat account links from. Never the web chat: its chat ids are anyone's to make
 * (a fresh one for every few guesses), and nothing there proves who is typing.
 */
export const staffChannels: readonly string[] = ["telegram", "whatsapp"];
export const isStaffChannel = (channel: string) => staffChannels.includes(channel);

/** "1234 5678", "1234-5678" and "12345678" are the same code; anything else is none. */
function normalizeLinkCode(code: string): string | null {
  const digits = code.replace(/[\s\u2010-\u2015\u2212-]/g, "");
  return new RegExp(`^\\d{${linkCodeDigits}}$`).test(digits) ? digits : null;
}

/**
 * A one-time code, valid for 15 minutes, that the staff member sends to the bot from the chat
 * account to link. Returned once; the database keeps its SHA-256. Only the staff member's own
 * account may ask for one (the dashboard's "Akses saya"), or the operator at the server (CLI).
 */
export async function createLinkCode(
  prisma: Db,
  staffId: number,
  now: Date = new Date(),
): Promise<{ code: string; expiresAt: Date }> {
  const staff = await prisma.staff.findUnique({ where: { id: staffId }, select: { active: true } });
  if (!staff) throw new StaffError(`No staff member with id ${staffId}.`);
  if (!staff.active) throw new StaffError("This staff member is deactivated; a link code would not work.");
  // Codes that can no longer be used only take up code space (codeHash is unique), so they go.
  await prisma.staffLinkCode.deleteMany({
    where: {
      OR: [{ usedAt: { not: null } }, { expiresAt: { lte: now } }, { failedAttempts: { gt: linkCodeMaxFailures } }],
    },
  });
  const expiresAt = new Date(now.getTime() + linkCodeValidityMinutes * 60_000);
  // Eight digits are few enough for two live codes to meet now and then: draw again.
  for (let attempt = 0; ; attempt++) {
    const code = String(crypto.randomInt(0, 10 ** linkCodeDigits)).padStart(linkCodeDigits, "0");
    try {
      await prisma.staffLinkCode.create({ data: { staffId, codeHash: sha256(code), expiresAt } });
      return { code, expiresAt };
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= 4) throw err;
    }
  }
}

/**
 * How a link attempt went. "refused" is the same for a wrong, used, expired or void code and a
 * deactivated staff member, so the sender learns nothing about which codes exist. "paused": the
 * hour's attempts are used up (`justPaused` on the first attempt refused so, to raise the alarm once).
 */
export type LinkOutcome =
  { kind: "linked"; staff: StaffSummary } | { kind: "refused" } | { kind: "paused"; until: Date; justPaused: boolean };

const hourOf = (now: Date) => now.toISOString().slice(0, 13);

/** Adds one to the hour's attempts and returns the new count; one statement, so concurrent attempts each get their own. */
async function countLinkAttempt(prisma: Db, hour: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const row = await prisma.staffLinkAttemptWindow.upsert({
        where: { hour },
        create: { hour, attempts: 1 },
        update: { attempts: { increment: 1 } },
      });
      if (row.attempts === 1) await prisma.staffLinkAttemptWindow.deleteMany({ where: { hour: { lt: hour } } });
      return row.attempts;
    } catch (err) {
      // The first two attempts of an hour both inserted: the second now finds the row.
      if (!isUniqueViolation(err) || attempt >= 2) throw err;
    }
  }
}

/**
 * Links the chat account that sent `code` to the code's staff member, once: the code is marked
 * used, and a chat account linked before to someone else now belongs to this staff member.
 *
 * Every attempt is counted before the code is looked at (the hour's attempts, and one against
 * every live code), each with an atomic increment, so a thousand guesses at once from a thousand
 * chats cannot all pass a check made before any of them was counted. A successful attempt gives
 * its counts back. Telegram and WhatsApp only: a web chat account is refused with a StaffError.
 */
export async function linkChatAccount(
  prisma: Db,
  code: string,
  account: { channel: string; platformUserId: string },
  now: Date = new Date(),
): Promise<LinkOutcome> {
  if (!isStaffChannel(account.channel))
    throw new StaffError(`A ${account.channel} chat account cannot be linked: only Telegram or WhatsApp.`);
  const hour = hourOf(now);
  const attempts = await countLinkAttempt(prisma, hour);
  if (attempts > linkAttemptsPerHour)
    return {
      kind: "paused",
      until: new Date(Date.parse(`${hour}:00:00.000Z`) + 3_600_000),
      justPaused: attempts === linkAttemptsPerHour + 1,
    };
  const live = await prisma.staffLinkCode.findMany({
    where: { usedAt: null, expiresAt: { gt: now } },
    select: { id: true },
  });
  const liveIds = live.map((c) => c.id);
  if (liveIds.length)
    await prisma.staffLinkCode.updateMany({
      where: { id: { in: liveIds } },
      data: { failedAttempts: { increment: 1 } },
    });
  const digits = normalizeLinkCode(code);
  const linked = digits
    ? await prisma.$transaction(async (tx) => {
        const row = await tx.staffLinkCode.findUnique({
          where: { codeHash: sha256(digits) },
          include: { staff: true },
        });
        if (!row || !row.staff.active) return null;
        // Conditional, so two chats racing with one code cannot both win, and a code that has
        // absorbed its attempts (this one included) stays void.
        const { count } = await tx.staffLinkCode.updateMany({
          where: { id: row.id, usedAt: null, expiresAt: { gt: now }, failedAttempts: { lte: linkCodeMaxFailures } },
          data: { usedAt: now },
        });
        if (count === 0) return null;
        const { channel, platformUserId } = account;
        const identity = await tx.staffIdentity.upsert({
          where: { channel_platformUserId: { channel, platformUserId } },
          create: { staffId: row.staffId, channel, platformUserId },
          update: { staffId: row.staffId, createdAt: now },
        });
        await audit(tx, row.staffId, "staff.chat_linked", `staffIdentity:${identity.id}`, { channel });
        return { id: row.id, staff: summary(row.staff) };
      })
    : null;
  if (!linked) return { kind: "refused" };
  // Not a wrong code: the other live codes and the hour get this attempt back.
  const others = liveIds.filter((id) => id !== linked.id);
  if (others.length)
    await prisma.staffLinkCode.updateMany({
      where: { id: { in: others } },
      data: { failedAttempts: { decrement: 1 } },
    });
  await prisma.staffLinkAttemptWindow.updateMany({ where: { hour }, data: { attempts: { decrement: 1 } } });
  return { kind: "linked", staff: linked.staff };
}

/**
 * What a deactivated account keeps that could work again if it were reactivated: its API tokens
 * are revoked, its chat accounts unlinked and its unused link codes deleted. Returns the counts.
 */
export async function revokeStaffAccess(
  prisma: Db,
  staffId: number,
  now: Date = new Date(),
): Promise<{ revokedTokens: number; unlinkedChats: number }> {
  return prisma.$transaction(async (tx) => {
    const tokens = await tx.apiToken.updateMany({ where: { staffId, revokedAt: null }, data: { revokedAt: now } });
    const chats = await tx.staffIdentity.deleteMany({ where: { staffId } });
    await tx.staffLinkCode.deleteMany({ where: { staffId, usedAt: null } });
    return { revokedTokens: tokens.count, unlinkedChats: chats.count };
  });
}

// ---------------------------------------------------------------- audit log

/**
 * Keys whose values must never reach the audit log, in case a caller passes one by mistake; a
 * token's id and name are not secrets (they say which token an action came through), nor a count.
 */
const secretKey = /passw(or)?d|token(hash)?$|secret|linkcode/i;

/** What every audit entry written within a scope adds to its detail, e.g. `{ via: "api_token", tokenId, tokenName }`. */
export type AuditScope = { detail: Record<string, unknown> | null };
const auditScopes = new AsyncLocalStorage<AuditScope>();

/**
 * Runs `fn` in an audit scope: every audit entry written within it, however deep (the broadcast
 * service, a transaction), gets `scope.detail`, read when the entry is written, so it may be
 * filled in after the scope starts (the API learns the token after its request has begun).
 */
export function withAuditScope<T>(scope: AuditScope, fn: () => T): T {
  return auditScopes.run(scope, fn);
}

/**
 * Records who (a staff member, or null for an operator at the command line) did what to what.
 * Works inside a transaction too.
 */
export async function audit(
  prisma: Tx,
  staffId: number | null,
  action: string,
  target?: string | null,
  detail?: Record<string, unknown> | null,
): Promise<void> {
  // The scope's keys last: a caller cannot hide which token it acted through.
  const scoped = auditScopes.getStore()?.detail;
  const merged = scoped ? { ...detail, ...scoped } : detail;
  const cleaned = merged
    ? Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, secretKey.test(k) ? "[hidden]" : v]))
    : undefined;
  await prisma.auditLog.create({
    data: {
      staffId,
      action,
      target: target ?? null,
      ...(cleaned ? { detail: JSON.parse(JSON.stringify(cleaned)) as Prisma.InputJsonValue } : {}),
    },
  });
}
