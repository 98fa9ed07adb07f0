/**
 * The list of erased participants, so that a restored backup does not bring an erased person back.
 *
 * It holds hashed identifiers only: HMAC-SHA256, keyed with this installation's secret
 * (Installation.secret), of each chat identity (`channel:platformUserId`) and of the phone number
 * (E.164). Without the secret, a leaked list cannot be turned back into phone numbers by trying
 * every number. Each entry carries the time of the erasure: on a restore, data about that
 * identifier created up to then is erased again; anything newer (the person wrote to the bot
 * again and registered anew) is theirs and is kept.
 *
 * The list lives twice: in the database (ErasedIdentifier, written in the erasure's own
 * transaction) and in an append-only file outside it (ERASURE_LIST_FILE), appended after the
 * commit. A backup older than an erasure lacks the row; the file still has it. reapplyErasures
 * (reapply-erasures.ts) merges the two both ways and erases again whatever the restored database
 * still holds.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { checkpointAfterErasure, type Database, type DatabaseProvider, type Tx } from "../db/database.js";

export type ErasureKind = "identity" | "phone";

/** One line of the list: `key` names the secret the hash was made with (see keyIdOf). */
export type ErasureEntry = { key: string; kind: ErasureKind; hash: string; erasedAt: Date };

/** The keyed hash of one identifier, in hex. */
export function hashIdentifier(secret: string, value: string): string {
  return crypto.createHmac("sha256", secret).update(value, "utf8").digest("hex");
}

/** What a chat identity's hash is made of. */
export const identityValue = (channel: string, platformUserId: string) => `${channel}:${platformUserId}`;

/** A stored phone (digits with the country code, 6281234567890) in E.164: +6281234567890. */
export function phoneValue(phone: string): string | null {
  const digits = phone.replace(/\D/g, "");
  return digits ? `+${digits}` : null;
}

/**
 * A short name of the secret, stored with each line of the file: a line made with another
 * secret (a database restored from before its Installation row existed) cannot be matched, and
 * is reported instead of silently ignored. It reveals nothing about the secret.
 */
export function keyIdOf(secret: string): string {
  return hashIdentifier(secret, "sapa-ikm erasure list key").slice(0, 16);
}

/**
 * The installation secret, read (or, on a database that lacks the row, made) inside a
 * transaction: a query beside the transaction would wait for it on SQLite's one connection.
 * ON CONFLICT instead of a caught error, which would abort a PostgreSQL transaction.
 */
async function secretIn(tx: Tx, provider: DatabaseProvider): Promise<string> {
  const found = await tx.installation.findUnique({ where: { id: 1 } });
  if (found) return found.secret;
  const values = [crypto.randomBytes(6).toString("base64url"), crypto.randomBytes(32).toString("base64url")];
  const params = provider === "postgresql" ? "$1, $2" : "?, ?";
  await tx.$executeRawUnsafe(
    `INSERT INTO "Installation" (id, "installationId", secret) VALUES (1, ${params}) ON CONFLICT (id) DO NOTHING`,
    ...values,
  );
  return (await tx.installation.findUniqueOrThrow({ where: { id: 1 } })).secret;
}

/**
 * Lists a participant as erased, in the erasure's transaction, before their rows go: each chat
 * identity, and their phone number unless another participant gave the same number (typed numbers
 * are not verified, and a restore must not erase the other person). Returns the lines for the file.
 */
export async function listErasure(
  tx: Tx,
  provider: DatabaseProvider,
  participantId: number,
  now: Date,
): Promise<ErasureEntry[]> {
  const participant = await tx.participant.findUnique({
    where: { id: participantId },
    select: { phone: true, identities: { select: { channel: true, platformUserId: true } } },
  });
  if (!participant) return [];
  const secret = await secretIn(tx, provider);
  const key = keyIdOf(secret);
  const values: { kind: ErasureKind; value: string }[] = participant.identities.map((i) => ({
    kind: "identity",
    value: identityValue(i.channel, i.platformUserId),
  }));
  const phone = participant.phone ? phoneValue(participant.phone) : null;
  if (phone) {
    const shared = await tx.participant.count({ where: { phone: participant.phone, id: { not: participantId } } });
    if (shared === 0) values.push({ kind: "phone", value: phone });
  }
  const entries: ErasureEntry[] = [];
  for (const { kind, value } of values) {
    const hash = hashIdentifier(secret, value);
    await tx.erasedIdentifier.upsert({
      where: { hash },
      create: { hash, kind, erasedAt: now },
      update: { kind, erasedAt: now },
    });
    entries.push({ key, kind, hash, erasedAt: now });
  }
  return entries;
}

const lineSchema = z.object({
  key: z.string().regex(/^[0-9a-f]{16}$/),
  kind: z.enum(["identity", "phone"]),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  erasedAt: z.iso.datetime().transform((v) => new Date(v)),
});

/**
 * The copy of the list outside the database: JSON lines, only ever appended (mode 600). A torn
 * last line (a crash while writing) is skipped when read and does not spoil the next append.
 */
export class ErasureFile {
  constructor(readonly path: string) {}

  read(): { entries: ErasureEntry[]; unreadable: number } {
    let text: string;
    try {
      text = fs.readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { entries: [], unreadable: 0 };
      throw err;
    }
    const entries: ErasureEntry[] = [];
    let unreadable = 0;
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        unreadable++;
        continue;
      }
      const entry = lineSchema.safeParse(parsed);
      if (entry.success) entries.push(entry.data);
      else unreadable++;
    }
    return { entries, unreadable };
  }

  /** Appends and flushes to disk before returning. */
  append(entries: ErasureEntry[]): void {
    if (!entries.length) return;
    fs.mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.path, "a+", 0o600);
    try {
      const size = fs.fstatSync(fd).size;
      let torn = false;
      if (size > 0) {
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, size - 1);
        torn = last[0] !== 0x0a;
      }
      const lines = entries.map((e) =>
        JSON.stringify({ key: e.key, kind: e.kind, hash: e.hash, erasedAt: e.erasedAt.toISOString() }),
      );
      fs.writeSync(fd, `${torn ? "\n" : ""}${lines.join("\n")}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

type Logger = { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

/**
 * After an erasure has committed: the lines go to the file, and on SQLite the WAL is emptied
 * (database.ts). Failures are logged, not thrown: the erasure itself is done, and the next
 * reapplyErasures copies any line the file lacks from the table.
 */
export async function finishErasure(
  database: Database,
  file: ErasureFile | null,
  entries: ErasureEntry[],
  logger: Logger,
): Promise<void> {
  if (file) {
    try {
      file.append(entries);
    } catch (err) {
      logger.error(
        { err: { message: (err as Error).message }, file: file.path },
        "the erasure could not be added to ERASURE_LIST_FILE; the database has it, the next start copies it",
      );
    }
  }
  const emptied = await checkpointAfterErasure(database).catch(() => false);
  if (!emptied)
    logger.warn(
      {},
      "the SQLite WAL could not be emptied after an erasure (a reader was busy); normal use overwrites it",
    );
}
