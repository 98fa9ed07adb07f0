/**
 * Sending a staff broadcast, as plans over the database (the service in broadcasts.ts and the
 * broadcast jobs in src/jobs/broadcasts.ts run them).
 *
 * When sending starts, a recipient ledger is filled in the same transaction as the status
 * change (one BroadcastRecipient row per participant the segment reaches then). Fan-out takes
 * pending ledger rows in chunks; each chunk writes the messages, their outbox rows (bulk lane,
 * behind reminders, held through quiet hours) and marks the rows queued, in one transaction. A
 * crash anywhere leaves each row either pending (fanned out again) or queued with its outbox row
 * (sent by the outbox, reconciled if its job was lost): nobody is lost, and duplicates are at
 * most the sends in flight. Pausing or cancelling deletes the messages not yet sent, so nothing
 * more goes out; resuming fans out what is pending again.
 */
import type { Database, DatabaseProvider } from "../db/database.js";
import { changes, rows, type Plan } from "../db/plan.js";
import { forProvider, queryRows, sqlTime } from "../db/raw-sql.js";
import { OutboxWrites } from "../outbox/outbox-writes.js";
import { outboundRow, priorities, type OutboxBatch } from "../outbox/types.js";
import { BroadcastError, emptyProgress, type BroadcastProgress, type BroadcastStatus } from "./broadcast-types.js";
import { lastChatJoin, participantTimeZone } from "./recipients.js";
import type { SegmentFilter } from "./segment-filter.js";
import { recipientCondition, segmentCondition } from "./segments.js";

/** Ledger rows per fan-out transaction. */
export const fanOutChunk = 500;

const writesFor = { sqlite: new OutboxWrites("sqlite"), postgresql: new OutboxWrites("postgresql") };

function statements(provider: DatabaseProvider) {
  const sql = (s: string) => forProvider(s, provider);
  const pg = provider === "postgresql";
  return {
    status: sql(`SELECT status FROM "Broadcast" WHERE id = $1${pg ? " FOR UPDATE" : ""}`),
    start:
      sql(`UPDATE "Broadcast" SET status = 'sending', "startedAt" = $1::timestamp(3), "updatedAt" = $2::timestamp(3)
      WHERE id = $3 AND status = 'scheduled'`),
    // Pending ledger rows with the chat to write to; PostgreSQL skips rows another fan-out holds.
    // The chunk's rows are chosen first, then joined: joined first, the chat of every pending
    // recipient (10,000 at the start of a big broadcast) was looked up for each chunk of 500.
    pending: sql(`SELECT r.id, r."participantId", p.language, p."optedOutAt", ${participantTimeZone()} AS "timeZone",
        i.id AS "identityId", i.channel, i."chatId"
      FROM (SELECT r.id, r."participantId" FROM "BroadcastRecipient" r
            WHERE r."broadcastId" = $1 AND r.status = 'pending'
            ORDER BY r.id LIMIT $2${pg ? " FOR UPDATE SKIP LOCKED" : ""}) r
      JOIN "Participant" p ON p.id = r."participantId"
      LEFT ${lastChatJoin()}
      ORDER BY r.id`),
    // The chunk's ledger rows, each with its message, as one JSON value: one statement text for any chunk.
    queued: pg
      ? `UPDATE "BroadcastRecipient" r SET status = 'queued', "messageId" = v.m, "updatedAt" = $1::timestamp(3)
         FROM jsonb_to_recordset($2::jsonb) AS v(id int, m int) WHERE r.id = v.id`
      : `UPDATE "BroadcastRecipient" SET status = 'queued', "messageId" = v.m, "updatedAt" = ?
         FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.m') AS m FROM json_each(?)) AS v
         WHERE "BroadcastRecipient".id = v.id`,
    skip: sql(`UPDATE "BroadcastRecipient" SET status = 'skipped', error = $1, "updatedAt" = $2::timestamp(3)
      WHERE id = $3 AND status = 'pending'`),
    // Unsent messages of the broadcast (PostgreSQL locks them against a claim in progress).
    unsent: sql(`SELECT o."messageId" FROM "BroadcastRecipient" r JOIN "OutboxItem" o ON o."messageId" = r."messageId"
      WHERE r."broadcastId" = $1 AND r.status = 'queued' AND o.status = 'pending'${pg ? " FOR UPDATE OF o" : ""}`),
    finish: sql(`UPDATE "Broadcast" SET status = 'done', "finishedAt" = $1::timestamp(3), "updatedAt" = $2::timestamp(3)
      WHERE id = $3 AND status = 'sending'
        AND NOT EXISTS (SELECT 1 FROM "BroadcastRecipient" r WHERE r."broadcastId" = $4 AND r.status = 'pending')
        AND NOT EXISTS (SELECT 1 FROM "BroadcastRecipient" r JOIN "OutboxItem" o ON o."messageId" = r."messageId"
          WHERE r."broadcastId" = $5 AND r.status = 'queued' AND o.status IN ('pending', 'sending'))`),
    progress: sql(`SELECT r.status AS "recipientStatus", m.status AS "messageStatus", COUNT(*) AS n
      FROM "BroadcastRecipient" r LEFT JOIN "Message" m ON m.id = r."messageId"
      WHERE r."broadcastId" = $1 GROUP BY r.status, m.status`),
    failures: sql(`SELECT COALESCE(m.error, r.error, 'unknown') AS reason, COUNT(*) AS n
      FROM "BroadcastRecipient" r LEFT JOIN "Message" m ON m.id = r."messageId"
      WHERE r."broadcastId" = $1 AND (m.status = 'failed' OR r.status IN ('failed', 'skipped'))
      GROUP BY COALESCE(m.error, r.error, 'unknown') ORDER BY n DESC LIMIT 10`),
  };
}

const sqlFor = { sqlite: statements("sqlite"), postgresql: statements("postgresql") };

const idList = (ids: number[], provider: DatabaseProvider) => (provider === "sqlite" ? JSON.stringify(ids) : ids);
const inList = (n: number, provider: DatabaseProvider) =>
  provider === "sqlite" ? `IN (SELECT value FROM json_each($${n}))` : `= ANY($${n}::int[])`;

/**
 * Starts a scheduled broadcast: status to sending and the ledger filled, in one transaction.
 * False when it was not scheduled (already started, paused or cancelled meanwhile).
 */
export function* startBroadcastPlan(
  provider: DatabaseProvider,
  broadcastId: number,
  filter: SegmentFilter,
  timeZone: string,
  now: Date,
): Plan<boolean> {
  const sql = sqlFor[provider];
  const at = sqlTime(now, provider);
  if ((yield* changes(sql.start, [at, at, broadcastId])) !== 1) return false;
  const segment = segmentCondition(filter, provider, { firstParam: 4, timeZone });
  yield* changes(
    forProvider(
      `INSERT INTO "BroadcastRecipient" ("broadcastId", "participantId", status, "createdAt", "updatedAt")
        SELECT $1, p.id, 'pending', $2::timestamp(3), $3::timestamp(3) FROM "Participant" p
        WHERE ${segment.sql} AND ${recipientCondition}
        ON CONFLICT ("broadcastId", "participantId") DO NOTHING`,
      provider,
    ),
    [broadcastId, at, at, ...segment.params],
  );
  return true;
}

type PendingRow = {
  id: number;
  participantId: number;
  language: string;
  optedOutAt: Date | null;
  timeZone: string | null;
  identityId: number | null;
  channel: string | null;
  chatId: string | null;
};

/**
 * One chunk of fan-out: writes the messages of up to `limit` pending recipients and marks them
 * queued. Returns the outbox batches to enqueue and whether rows remain; nothing when the
 * broadcast is not sending (paused or cancelled).
 */
export function* fanOutPlan(
  provider: DatabaseProvider,
  broadcastId: number,
  options: { limit: number; now: Date; defaultTimeZone: string },
): Plan<{ batches: OutboxBatch[]; more: boolean; sending: boolean }> {
  const sql = sqlFor[provider];
  const { now } = options;
  const at = sqlTime(now, provider);
  const [broadcast] = yield* rows<{ status: string }>(sql.status, [broadcastId]);
  if (broadcast?.status !== "sending") return { batches: [], more: false, sending: false };
  const [texts] = yield* rows<{ textId: string; textEn: string | null }>(
    forProvider(`SELECT "textId", "textEn" FROM "Broadcast" WHERE id = $1`, provider),
    [broadcastId],
  );
  const pending = yield* rows<PendingRow>(sql.pending, [broadcastId, options.limit], { dates: ["optedOutAt"] });
  const sendable: (PendingRow & { identityId: number; channel: string; chatId: string })[] = [];
  for (const r of pending) {
    // Things may have changed since the ledger was filled.
    if (r.optedOutAt) yield* changes(sql.skip, ["opted out after the broadcast started", at, r.id]);
    else if (r.identityId === null || r.channel === null || r.chatId === null)
      yield* changes(sql.skip, ["no chat that has not blocked the bot", at, r.id]);
    else sendable.push(r as PendingRow & { identityId: number; channel: string; chatId: string });
  }
  const more = pending.length === options.limit;
  if (!sendable.length) return { batches: [], more, sending: true };
  const rowsToWrite = sendable.map((r) => ({
    ...outboundRow(
      r,
      { text: r.language === "en" && texts!.textEn ? texts!.textEn : texts!.textId },
      "broadcast",
      priorities.background,
    ),
    timeZone: r.timeZone ?? options.defaultTimeZone,
  }));
  const { outboxIds, messageIds } = yield* writesFor[provider].insertOutboundRows(rowsToWrite, now);
  // One statement marks the chunk queued, each row with its message.
  yield* changes(sql.queued, [at, JSON.stringify(sendable.map((r, i) => ({ id: r.id, m: messageIds[i] })))]);
  const batches = sendable.map((r, i) => ({
    channel: r.channel,
    chatId: r.chatId,
    ids: [outboxIds[i]!],
    priority: priorities.background,
    timeZone: rowsToWrite[i]!.timeZone,
  }));
  return { batches, more, sending: true };
}

/**
 * Pauses or cancels: the status changes and the messages not yet sent are deleted (their
 * recipients go back to pending, or are skipped when cancelled). Returns the new status, or
 * throws when the change is not possible from the current one.
 */
export function* stopPlan(
  provider: DatabaseProvider,
  broadcastId: number,
  to: "paused" | "cancelled",
  now: Date,
): Plan<number> {
  const sql = sqlFor[provider];
  const at = sqlTime(now, provider);
  const [broadcast] = yield* rows<{ status: BroadcastStatus }>(sql.status, [broadcastId]);
  if (!broadcast) throw new BroadcastError("not_found", `There is no broadcast ${broadcastId}.`);
  const from: BroadcastStatus[] =
    to === "paused" ? ["scheduled", "sending"] : ["draft", "pending_approval", "scheduled", "sending", "paused"];
  if (!from.includes(broadcast.status))
    throw new BroadcastError(
      "invalid_state",
      `Broadcast ${broadcastId} is ${broadcast.status.replace("_", " ")}; it cannot be ${to === "paused" ? "paused" : "cancelled"}.`,
    );
  const unsent = (yield* rows<{ messageId: number }>(sql.unsent, [broadcastId])).map((r) => r.messageId);
  if (unsent.length) {
    yield* changes(
      forProvider(
        `UPDATE "BroadcastRecipient" SET status = 'pending', "messageId" = NULL, "updatedAt" = $1::timestamp(3)
          WHERE "broadcastId" = $2 AND "messageId" ${inList(3, provider)}`,
        provider,
      ),
      [at, broadcastId, idList(unsent, provider)],
    );
    yield* changes(forProvider(`DELETE FROM "Message" WHERE id ${inList(1, provider)}`, provider), [
      idList(unsent, provider),
    ]);
  }
  if (to === "cancelled")
    yield* changes(
      forProvider(
        `UPDATE "BroadcastRecipient" SET status = 'skipped', error = 'broadcast cancelled', "updatedAt" = $1::timestamp(3)
          WHERE "broadcastId" = $2 AND status = 'pending'`,
        provider,
      ),
      [at, broadcastId],
    );
  yield* changes(
    forProvider(
      `UPDATE "Broadcast" SET status = $1, "finishedAt" = $2::timestamp(3), "updatedAt" = $3::timestamp(3) WHERE id = $4`,
      provider,
    ),
    [to, to === "cancelled" ? at : null, at, broadcastId],
  );
  return unsent.length;
}

/** Marks a sending broadcast done once nobody is pending and every message is sent or failed. */
export function* finishIfDonePlan(provider: DatabaseProvider, broadcastId: number, now: Date): Plan<boolean> {
  const at = sqlTime(now, provider);
  return (yield* changes(sqlFor[provider].finish, [at, at, broadcastId, broadcastId, broadcastId])) === 1;
}

/** Progress counts of one broadcast, from its ledger and the messages' delivery status. */
export async function broadcastProgress(database: Database, broadcastId: number): Promise<BroadcastProgress> {
  const sql = sqlFor[database.provider];
  const progress = emptyProgress();
  const groups = await queryRows<{ recipientStatus: string; messageStatus: string | null; n: number | bigint }>(
    database,
    database.prisma,
    sql.progress,
    [broadcastId],
  );
  for (const g of groups) {
    const n = Number(g.n);
    progress.recipients += n;
    if (g.recipientStatus === "pending") progress.pending += n;
    else if (g.recipientStatus === "skipped") progress.skipped += n;
    else if (g.recipientStatus === "failed" || g.messageStatus === "failed") progress.failed += n;
    else if (g.messageStatus === "queued") progress.queued += n;
    else if (g.messageStatus === "sent" || g.messageStatus === "delivered" || g.messageStatus === "read") {
      progress.sent += n;
      if (g.messageStatus !== "sent") progress.delivered += n;
      if (g.messageStatus === "read") progress.read += n;
    }
  }
  progress.failures = (
    await queryRows<{ reason: string; n: number | bigint }>(database, database.prisma, sql.failures, [broadcastId])
  ).map((f) => ({ reason: f.reason, count: Number(f.n) }));
  return progress;
}
