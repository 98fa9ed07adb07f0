/**
 * Writes outgoing messages: a Message row and its OutboxItem row each, two statements for any
 * number of messages, inside the caller's transaction (a turn, a domain verb, a job), so the
 * messages are stored with the change that caused them. Raw SQL, since a turn's replies and a
 * broadcast's chunks are hot paths; see src/db/raw-sql.ts for how one statement serves both
 * databases.
 */
import type { DatabaseProvider } from "../db/database.js";
import { rows, type Plan } from "../db/plan.js";
import { forProvider, sqlBool, sqlJson, sqlTime } from "../db/raw-sql.js";
import type { OutboundRow } from "./types.js";

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

  /** As insertOutbound, with the ids of the Message rows too (in the order given). */
  *insertOutboundRows(replies: OutboundRow[], now: Date): Plan<{ outboxIds: number[]; messageIds: number[] }> {
    if (!replies.length) return { outboxIds: [], messageIds: [] };
    const p = this.provider;
    const at = sqlTime(now, p);
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
}
