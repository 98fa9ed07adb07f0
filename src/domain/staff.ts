/**
 * Staff accounts and their credentials: passwords (scrypt), API tokens for the HTTP API, and
 * one-time codes that link a chat account (Telegram, WhatsApp) to a staff member.
 *
 * Secrets are never stored as given: passwords as a salted scrypt hash, tokens and link codes
 * as their SHA-256. A token or code is returned once, to be shown once; nothing here writes
 * one to the audit log or to a log line.
 */
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
 * SHA-256, so show it once and let the caller copy it.
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
 * Who a bearer token belongs to, or null when it is unknown, revoked, expired, or its staff
 * member is deactivated.
 */
export async function verifyApiToken(
  prisma: Db,
  token: string,
  now: Date = new Date(),
): Promise<{ staff: StaffSummary } | null> {
  // Anything not shaped like our tokens cannot match: no need to ask the database.
  if (!tokenPattern.test(token)) return null;
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: sha256(token) }, include: { staff: true } });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now) || !row.staff.active) return null;
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
  return { staff: summary(row.staff) };
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

/** "1234 5678", "1234-5678" and "12345678" are the same code; anything else is none. */
function normalizeLinkCode(code: string): string | null {
  const digits = code.replace(/[\s\u2010-\u2015\u2212-]/g, "");
  return new RegExp(`^\\d{${linkCodeDigits}}$`).test(digits) ? digits : null;
}

/**
 * A one-time code, valid for 15 minutes, that the staff member sends to the bot from the chat
 * account to link. Returned once; the database keeps its SHA-256.
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
  await prisma.staffLinkCode.deleteMany({ where: { OR: [{ usedAt: { not: null } }, { expiresAt: { lte: now } }] } });
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
 * Links the chat account that sent `code` to the code's staff member, once: the code is marked
 * used, and a chat account linked before to someone else now belongs to this staff member.
 * Null when the code is malformed, unknown, used, expired, or its staff member is deactivated.
 */
export async function consumeLinkCode(
  prisma: Db,
  code: string,
  account: { channel: string; platformUserId: string },
  now: Date = new Date(),
): Promise<StaffSummary | null> {
  const digits = normalizeLinkCode(code);
  if (!digits) return null;
  const codeHash = sha256(digits);
  return prisma.$transaction(async (tx) => {
    const row = await tx.staffLinkCode.findUnique({ where: { codeHash }, include: { staff: true } });
    if (!row || row.usedAt || row.expiresAt <= now || !row.staff.active) return null;
    // Conditional on still being unused, so two chats racing with one code cannot both win.
    const { count } = await tx.staffLinkCode.updateMany({
      where: { id: row.id, usedAt: null },
      data: { usedAt: now },
    });
    if (count === 0) return null;
    const { channel, platformUserId } = account;
    const identity = await tx.staffIdentity.upsert({
      where: { channel_platformUserId: { channel, platformUserId } },
      create: { staffId: row.staffId, channel, platformUserId },
      update: { staffId: row.staffId },
    });
    await audit(tx, row.staffId, "staff.chat_linked", `staffIdentity:${identity.id}`, { channel });
    return summary(row.staff);
  });
}

// ---------------------------------------------------------------- audit log

/** Keys whose values must never reach the audit log, in case a caller passes one by mistake. */
const secretKey = /passw(or)?d|token|secret|linkcode/i;

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
  const cleaned = detail
    ? Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, secretKey.test(k) ? "[hidden]" : v]))
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
