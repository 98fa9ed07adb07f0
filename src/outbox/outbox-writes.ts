/**
 * Writes outgoing messages: a Message row and its OutboxItem row each, two statements for any
 * number of messages, inside the caller's transaction (a turn, a domain verb, a job), so the
 * messages are stored with the change that caused them. Raw SQL, since a turn's replies and a
 * broadcast's chunks are hot paths; see src/db/raw-sql.ts for how one statement serves both
 * databases.
 */
import type { DatabaseProvider } from "../db/database.js";
import { expect, rows, type Plan } from "../db/plan.js";
import { forProvider, sqlBool, sqlJson, sqlTime } from "../db/raw-sql.js";
import type { OutboundRow } from "./types.js";

const attachStatement = `UPDATE "Message" SET attachment = $1::jsonb WHERE id = $2`;
const attachSql = {
  sqlite: forProvider(attachStatement, "sqlite"),
  postgresql: forProvider(attachStatement, "postgresql"),
};

export class OutboxWrites {
  constructor(private readonly provider: DatabaseProvider) {}

  /**
   * Stores the messages and their outbox rows; returns the outbox ids in the order given. Ids of
   * one multi-row insert grow in row order, so sorting them gives each row its id (RETURNING
   * itself promises no order).
   */
  *insertOutbound(replies: OutboundRow[], now: Date): Plan<number[]> {
    return (yield* this.insertOutboundRows(replies, now)).outboxIds;
  }

  /**
   * Gives a stored message a file to send with it (a certificate: outbox/attachments.ts makes the
   * file when the row is sent). A checked step: the message must be there.
   */
  *attach(messageId: number, attachment: { kind: "certificate"; number: string }): Plan<void> {
    yield* expect(
      "run",
      attachSql[this.provider],
      [sqlJson(attachment), messageId],
      1,
      () => new Error(`message ${messageId} to attach a file to is missing`),
    );
  }

  /** As insertOutbound, with the ids of the Message rows too (in the order given). */
  *insertOutboundRows(
    replies: OutboundRow[],
    now: Date,
    /** The plan yields nothing after these rows: on PostgreSQL COMMIT may go with them (plan.ts Step.final). */
    final = false,
  ): Plan<{ outboxIds: number[]; messageIds: number[] }> {
    if (!replies.length) return { outboxIds: [], messageIds: [] };
    const p = this.provider;
    const at = sqlTime(now, p);
    if (p === "postgresql") return yield* this.insertBoth(replies, at, final);
    const messageValues: unknown[] = [];
    const messageRows = replies.map((o) => {
      const n = messageValues.length;
      messageValues.push(
        o.channel,
        o.chatId,
        o.identityId,
        o.text,
        sqlJson(o.choices),
        sqlBool(o.requestPhone, p),
        at,
        at,
      );
      return `('outbound', $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}::jsonb, $${n + 6}, 'queued', $${n + 7}::timestamp(3), $${n + 8}::timestamp(3))`;
    });
    const messages = yield* rows<{ id: number }>(
      forProvider(
        `INSERT INTO "Message" (direction, channel, "chatId", "identityId", text, choices, "requestPhone", status, "createdAt", "updatedAt")
         VALUES ${messageRows.join(", ")} RETURNING id`,
        p,
      ),
      messageValues,
    );
    const messageIds = messages.map((m) => m.id).sort((a, b) => a - b);
    const outboxValues: unknown[] = [];
    const outboxRows = replies.map((o, i) => {
      const n = outboxValues.length;
      outboxValues.push(messageIds[i], o.channel, o.chatId, o.kind, o.priority, o.timeZone ?? null, at, at, at);
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, 'pending', 0, $${n + 7}::timestamp(3), $${n + 8}::timestamp(3), $${n + 9}::timestamp(3))`;
    });
    const items = yield* rows<{ id: number }>(
      forProvider(
        `INSERT INTO "OutboxItem" ("messageId", channel, "chatId", kind, priority, "timeZone", status, attempts, "availableAt", "createdAt", "updatedAt")
         VALUES ${outboxRows.join(", ")} RETURNING id`,
        p,
      ),
      outboxValues,
    );
    return { outboxIds: items.map((i) => i.id).sort((a, b) => a - b), messageIds };
  }

  /**
   * On PostgreSQL, both inserts in one statement (a data-modifying CTE) with the rows as one
   * JSON value: the statement's text is the same for any number of rows, so each connection
   * parses and plans it once, instead of a statement of 6,500 parameters for each chunk of a
   * broadcast's 500 rows (and a prepared statement kept per number of rows). The outbox rows
   * take the new message ids in row order, as the two statements above do.
   */
  private *insertBoth(
    replies: OutboundRow[],
    at: string,
    final: boolean,
  ): Plan<{ outboxIds: number[]; messageIds: number[] }> {
    const values = JSON.stringify(
      replies.map((o, i) => ({
        i,
        channel: o.channel,
        chat: o.chatId,
        identity: o.identityId,
        text: o.text,
        choices: o.choices ?? null,
        phone: o.requestPhone,
        kind: o.kind,
        priority: o.priority,
        zone: o.timeZone ?? null,
      })),
    );
    const items = yield* rows<{ id: number; messageId: number }>(insertBothSql, [values, at], undefined, final);
    // The outbox ids grow in the order given too (rows are inserted in the SELECT's order), which
    // is the order a chat's messages are sent in.
    const ordered = items.sort((a, b) => a.id - b.id);
    return { outboxIds: ordered.map((i) => i.id), messageIds: ordered.map((i) => i.messageId) };
  }
}

const insertBothSql = `WITH v AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(i int, channel text, chat text, identity int, text text,
      choices jsonb, phone boolean, kind text, priority int, zone text)
  ), m AS (
    INSERT INTO "Message" (direction, channel, "chatId", "identityId", text, choices, "requestPhone", status, "createdAt", "updatedAt")
    SELECT 'outbound', v.channel, v.chat, v.identity, v.text, v.choices, v.phone, 'queued', $2::timestamp(3), $2::timestamp(3)
    FROM v ORDER BY v.i
    RETURNING id
  ), n AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM m)
  INSERT INTO "OutboxItem" ("messageId", channel, "chatId", kind, priority, "timeZone", status, attempts, "availableAt", "createdAt", "updatedAt")
  SELECT n.id, v.channel, v.chat, v.kind, v.priority, v.zone, 'pending', 0, $2::timestamp(3), $2::timestamp(3), $2::timestamp(3)
  FROM n JOIN v ON v.i = n.i
  ORDER BY n.i
  RETURNING id, "messageId"`;
