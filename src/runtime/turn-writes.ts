/**
 * The writes every turn makes (the inbound row, the conversation, the replies and their outbox
 * rows), as raw SQL inside the turn's transaction. They run on every message, and a Prisma
 * model call costs several times a raw statement (query planning in the client), so the hot
 * path is raw while the rarer domain changes (enrollment, registration) stay on Prisma models.
 *
 * See src/db/raw-sql.ts for how one statement serves both databases; on SQLite the statements
 * run prepared, straight on the transaction's connection (src/db/sqlite-direct.ts).
 */
import type { DatabaseProvider } from "../db/database.js";
import type { OutgoingMessage } from "../engine/types.js";
import { changes, rows, type Plan } from "../db/plan.js";
import { forProvider, prepareStatements, sqlBool, sqlJson, sqlTime } from "../db/raw-sql.js";

export class TurnWrites {
  private readonly sql: Record<keyof typeof statements, string>;

  private readonly provider: DatabaseProvider;

  constructor(provider: DatabaseProvider) {
    this.provider = provider;
    this.sql = prepareStatements(statements, this.provider);
  }

  /** Creates the identity of a first-time sender; null when another turn created it first. */
  *insertIdentity(
    channel: string,
    senderId: string,
    chatId: string,
    displayName: string | null,
    now: Date,
  ): Plan<number | null> {
    const at = sqlTime(now, this.provider);
    const inserted = yield* rows<{ id: number }>(this.sql.insertIdentity, [
      channel,
      senderId,
      chatId,
      displayName,
      at,
      at,
      at,
    ]);
    return inserted[0]?.id ?? null;
  }

  /** Records that the identity wrote: its chat, unblocked, last seen, and the name the platform shows. */
  *touchIdentity(id: number, chatId: string, displayName: string | null, now: Date): Plan<number> {
    const at = sqlTime(now, this.provider);
    return yield* changes(this.sql.touchIdentity, [chatId, displayName, at, at, id]);
  }

  /** Stores an inbound message; false when the same platform message id was stored before. */
  *insertInbound(m: {
    channel: string;
    chatId: string;
    identityId: number;
    text: string | null;
    platformMessageId: string;
    at: Date;
  }): Plan<boolean> {
    const p = this.provider;
    const inserted = yield* rows<{ id: number }>(this.sql.insertInbound, [
      m.channel,
      m.chatId,
      m.identityId,
      m.text,
      m.platformMessageId,
      sqlTime(m.at, p),
      sqlTime(m.at, p),
    ]);
    return inserted.length === 1;
  }

  /** Writes over `version` only; false when another turn changed the conversation first. */
  *updateConversation(
    id: number,
    version: number,
    c: { flow: string; node: string; variables: unknown; expiresAt: Date },
    now: Date,
  ): Plan<boolean> {
    const p = this.provider;
    const count = yield* changes(this.sql.updateConversation, [
      c.flow,
      c.node,
      sqlJson(c.variables),
      sqlTime(c.expiresAt, p),
      sqlTime(now, p),
      id,
      version,
    ]);
    return count === 1;
  }

  /** Starts a conversation; false when another turn started one for this identity first. */
  *insertConversation(
    identityId: number,
    c: { flow: string; node: string; variables: unknown; expiresAt: Date },
    now: Date,
  ): Plan<boolean> {
    const p = this.provider;
    const inserted = yield* rows<{ id: number }>(this.sql.insertConversation, [
      identityId,
      c.flow,
      c.node,
      sqlJson(c.variables),
      sqlTime(c.expiresAt, p),
      sqlTime(now, p),
      sqlTime(now, p),
    ]);
    return inserted.length === 1;
  }

  *deleteConversation(id: number, version: number): Plan<boolean> {
    return (yield* changes(this.sql.deleteConversation, [id, version])) === 1;
  }

  /**
   * Stores the turn's replies and their outbox rows, two statements for any number of replies;
   * returns the outbox ids in the order given. Ids of one multi-row insert grow in row order,
   * so sorting them gives each row its id (RETURNING itself promises no order).
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

/** The row of a message to one chat: what is sent, to whom, its kind and priority. */
export function outboundRow(
  to: { channel: string; chatId: string; identityId: number | null },
  message: OutgoingMessage,
  kind: string,
  priority: number,
): OutboundRow {
  return {
    channel: to.channel,
    chatId: to.chatId,
    identityId: to.identityId,
    text: message.text,
    choices: message.choices ?? null,
    requestPhone: message.requestPhone ?? false,
    kind,
    priority,
  };
}

/** A reply as the turn writes it. */
export type OutboundRow = {
  channel: string;
  chatId: string;
  identityId: number | null;
  text: string;
  choices: unknown;
  requestPhone: boolean;
  kind: string;
  priority: number;
  /** The recipient's local time zone: the row waits out quiet hours there (motivation, broadcasts). */
  timeZone?: string | null;
};

const statements = {
  insertIdentity: `INSERT INTO "ChannelIdentity" (channel, "platformUserId", "chatId", "displayName", "lastInboundAt", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4, $5::timestamp(3), $6::timestamp(3), $7::timestamp(3))
    ON CONFLICT (channel, "platformUserId") DO NOTHING RETURNING id`,
  insertInbound: `INSERT INTO "Message" (direction, channel, "chatId", "identityId", text, "platformMessageId", status, "requestPhone", "createdAt", "updatedAt")
    VALUES ('inbound', $1, $2, $3, $4, $5, 'received', false, $6::timestamp(3), $7::timestamp(3))
    ON CONFLICT (channel, "platformMessageId") DO NOTHING RETURNING id`,
  updateConversation: `UPDATE "Conversation" SET flow = $1, node = $2, variables = $3::jsonb, version = version + 1,
    "expiresAt" = $4::timestamp(3), "updatedAt" = $5::timestamp(3) WHERE id = $6 AND version = $7`,
  insertConversation: `INSERT INTO "Conversation" ("identityId", flow, node, variables, version, "expiresAt", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4::jsonb, 0, $5::timestamp(3), $6::timestamp(3), $7::timestamp(3))
    ON CONFLICT ("identityId") DO NOTHING RETURNING id`,
  deleteConversation: `DELETE FROM "Conversation" WHERE id = $1 AND version = $2`,
  touchIdentity: `UPDATE "ChannelIdentity" SET "chatId" = $1, "blockedAt" = NULL,
    "displayName" = CASE WHEN "consentRefusedAt" IS NULL THEN COALESCE($2::text, "displayName") END,
    "lastInboundAt" = $3::timestamp(3), "updatedAt" = $4::timestamp(3) WHERE id = $5`,
};
