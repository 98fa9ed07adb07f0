/**
 * Re-applies the list of erased participants (erasures.ts) to a database: after a restore, at
 * start-up, and by `npm run db:reapply-erasures`.
 */
import { checkpointAfterErasure, lockParticipant, type Database } from "../db/database.js";
import { loadInstallation } from "../db/installation.js";
import { eraseParticipant } from "./erase-participant.js";
import {
  hashIdentifier,
  identityValue,
  keyIdOf,
  phoneValue,
  type ErasureEntry,
  type ErasureFile,
  type ErasureKind,
} from "./erasures.js";

export type ReapplyReport = {
  /** Identifiers on the list (database and file together, this installation's key). */
  listed: number;
  /** Lines copied from the file into the table, and from the table into the file. */
  addedToTable: number;
  addedToFile: number;
  /** Lines of the file made with another installation's secret: they cannot be matched. */
  otherKey: number;
  /** Lines of the file that could not be read. */
  unreadable: number;
  /** Participants and chat identities (without a participant) erased again. */
  erasedParticipants: number;
  erasedIdentities: number;
};

/**
 * Merges the table and the file both ways, then erases again every participant and chat identity
 * on the list that the database still holds from before its erasure. Idempotent: run at start-up
 * and by `npm run db:reapply-erasures` after a restore.
 */
export async function reapplyErasures(
  database: Database,
  file: ErasureFile | null,
  now: Date = new Date(),
): Promise<ReapplyReport> {
  const prisma = database.prisma;
  const { secret } = await loadInstallation(prisma);
  const key = keyIdOf(secret);
  const fromFile = file ? file.read() : { entries: [], unreadable: 0 };
  const own = fromFile.entries.filter((e) => e.key === key);

  const latest = new Map<string, ErasureEntry>();
  const keep = (e: ErasureEntry) => {
    const seen = latest.get(e.hash);
    if (!seen || seen.erasedAt < e.erasedAt) latest.set(e.hash, e);
  };
  const inTable = new Map<string, Date>();
  for (const row of await prisma.erasedIdentifier.findMany()) {
    inTable.set(row.hash, row.erasedAt);
    keep({ key, kind: row.kind === "phone" ? "phone" : "identity", hash: row.hash, erasedAt: row.erasedAt });
  }
  const inFile = new Map<string, Date>();
  for (const e of own) {
    if (!inFile.has(e.hash) || inFile.get(e.hash)! < e.erasedAt) inFile.set(e.hash, e.erasedAt);
    keep(e);
  }

  let addedToTable = 0;
  const toFile: ErasureEntry[] = [];
  for (const e of latest.values()) {
    const tableTime = inTable.get(e.hash);
    if (!tableTime || tableTime < e.erasedAt) {
      if (await saveEntry(database, e)) addedToTable++;
    }
    const fileTime = inFile.get(e.hash);
    if (file && (!fileTime || fileTime < e.erasedAt)) toFile.push(e);
  }
  file?.append(toFile);

  // Which rows are on the list, and older than their erasure.
  const participants = new Set<number>();
  const lonelyIdentities: number[] = [];
  const listed = (value: string, kind: ErasureKind) => {
    const e = latest.get(hashIdentifier(secret, value));
    return e && e.kind === kind ? e : undefined;
  };
  if (latest.size) {
    const identities = await prisma.channelIdentity.findMany({
      select: {
        id: true,
        channel: true,
        platformUserId: true,
        createdAt: true,
        participantId: true,
        participant: { select: { createdAt: true } },
      },
    });
    for (const i of identities) {
      const e = listed(identityValue(i.channel, i.platformUserId), "identity");
      if (!e || i.createdAt > e.erasedAt) continue;
      if (i.participantId !== null && i.participant && i.participant.createdAt <= e.erasedAt)
        participants.add(i.participantId);
      else lonelyIdentities.push(i.id);
    }
    const withPhone = await prisma.participant.findMany({
      where: { phone: { not: null } },
      select: { id: true, phone: true, createdAt: true },
    });
    for (const p of withPhone) {
      const value = phoneValue(p.phone!);
      const e = value ? listed(value, "phone") : undefined;
      if (e && p.createdAt <= e.erasedAt) participants.add(p.id);
    }
  }

  let erasedParticipants = 0;
  for (const id of participants) {
    // Every process re-applies as it starts, so two may try the same participant at once: the one
    // that waited finds them gone (or, on SQLite, is refused the write lock and tries again).
    for (let attempt = 1; ; attempt++) {
      try {
        const done = await prisma.$transaction(
          async (tx) => {
            await lockParticipant(tx, database.provider, id);
            if (!(await tx.participant.findUnique({ where: { id }, select: { id: true } }))) return false;
            // Already on the list: erasing again must not move the time of the first erasure later.
            // Whoever moves up from a waiting list gets reminder rows and a notice in the outbox;
            // the reconcile passes queue them once the bot runs.
            await eraseParticipant(tx, database, id, now, { list: false });
            return true;
          },
          { timeout: 20_000, maxWait: 20_000 },
        );
        if (done) erasedParticipants++;
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
        // Give the other transaction time to finish (on SQLite the wait for its lock blocks this
        // process's event loop, so a second client in one process must yield for it to commit).
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  }
  for (const id of lonelyIdentities) {
    await prisma.$transaction([
      prisma.message.deleteMany({ where: { identityId: id } }),
      prisma.channelIdentity.deleteMany({ where: { id } }),
    ]);
  }
  if (erasedParticipants || lonelyIdentities.length) await checkpointAfterErasure(database).catch(() => false);
  return {
    listed: latest.size,
    addedToTable,
    addedToFile: toFile.length,
    otherKey: fromFile.entries.length - own.length,
    unreadable: fromFile.unreadable,
    erasedParticipants,
    erasedIdentities: lonelyIdentities.length,
  };
}

/** Puts a line of the file into the table, unless the table has it already with the same or a later time. */
async function saveEntry(database: Database, e: ErasureEntry): Promise<boolean> {
  const prisma = database.prisma;
  const data = { kind: e.kind, erasedAt: e.erasedAt };
  const moved = await prisma.erasedIdentifier.updateMany({
    where: { hash: e.hash, erasedAt: { lt: e.erasedAt } },
    data,
  });
  if (moved.count) return true;
  try {
    await prisma.erasedIdentifier.create({ data: { hash: e.hash, ...data } });
    return true;
  } catch (err) {
    // Already there (another process, or a later time): nothing to do.
    if ((err as { code?: unknown } | null)?.code !== "P2002") throw err;
    return false;
  }
}

type Logger = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

/** One line for what a re-application did (counts only), and a warning for what it could not read. */
export function logErasuresReapplied(logger: Logger, report: ReapplyReport, file: ErasureFile | null): void {
  const { erasedParticipants, erasedIdentities, addedToTable, addedToFile } = report;
  if (erasedParticipants || erasedIdentities || addedToTable || addedToFile)
    logger.info({ ...report }, "erasures re-applied: a restored database held data of erased participants");
  if (report.otherKey || report.unreadable)
    logger.warn(
      { otherKey: report.otherKey, unreadable: report.unreadable, file: file?.path },
      "some lines of ERASURE_LIST_FILE cannot be matched (made with another installation secret, or unreadable): see docs/operations.md, Restore",
    );
}
