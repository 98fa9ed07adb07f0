/**
 * The writes every turn makes for the chat (the sender's identity, the inbound row, the
 * conversation), as raw SQL inside the turn's transaction; its replies go to the outbox through
 * src/outbox/outbox-writes.ts in the same transaction. They run on every message, and a Prisma
 * model call costs several times a raw statement (query planning in the client), so the hot
 * path is raw while the rarer domain changes (enrollment, registration) stay on Prisma models.
 *
 * See src/db/raw-sql.ts for how one statement serves both databases; on SQLite the statements
 * run prepared, straight on the transaction's connection (src/db/sqlite-direct.ts).
 */
import type { DatabaseProvider } from "../db/database.js";
import { expectCounted, rows, send, type Plan } from "../db/plan.js";
import { prepareStatements, sqlJson, sqlTime } from "../db/raw-sql.js";

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
  *touchIdentity(id: number, chatId: string, displayName: string | null, now: Date): Plan<void> {
    const at = sqlTime(now, this.provider);
    yield* send(this.sql.touchIdentity, [chatId, displayName, at, at, id]);
  }

  /**
   * Stores an inbound message; the transaction fails with `duplicate()` when the same platform
   * message id was stored before. Like the conversation's writes below, it is checked rather
   * than read, so on PostgreSQL a turn's writes go in one round trip (raw-sql.ts runPipelined).
   */
  *insertInbound(
    m: {
      channel: string;
      chatId: string;
      identityId: number;
      text: string | null;
      platformMessageId: string;
      at: Date;
    },
    duplicate: () => Error,
  ): Plan<void> {
    const p = this.provider;
    yield* expectCounted(
      p,
      "all",
      this.sql.insertInbound,
      [m.channel, m.chatId, m.identityId, m.text, m.platformMessageId, sqlTime(m.at, p), sqlTime(m.at, p)],
      1,
      duplicate,
    );
  }

  /**
   * Writes over `version` only; fails with `conflict()` when another turn changed the
   * conversation first (without `conflict`, that turn's change stands and this one is dropped).
   */
  *updateConversation(
    id: number,
    version: number,
    c: { flow: string; node: string; variables: unknown; expiresAt: Date },
    now: Date,
    conflict?: () => Error,
  ): Plan<void> {
    const p = this.provider;
    yield* expectCounted(
      p,
      "run",
      this.sql.updateConversation,
      [c.flow, c.node, sqlJson(c.variables), sqlTime(c.expiresAt, p), sqlTime(now, p), id, version],
      1,
      conflict,
    );
  }

  /** Starts a conversation; fails with `conflict()` (or, without it, does nothing) when another turn started one first. */
  *insertConversation(
    identityId: number,
    c: { flow: string; node: string; variables: unknown; expiresAt: Date },
    now: Date,
    conflict?: () => Error,
  ): Plan<void> {
    const p = this.provider;
    yield* expectCounted(
      p,
      "all",
      this.sql.insertConversation,
      [identityId, c.flow, c.node, sqlJson(c.variables), sqlTime(c.expiresAt, p), sqlTime(now, p), sqlTime(now, p)],
      1,
      conflict,
    );
  }

  /** Ends a conversation at `version`; fails with `conflict()` when another turn changed it first. */
  *deleteConversation(id: number, version: number, conflict: () => Error): Plan<void> {
    yield* expectCounted(this.provider, "run", this.sql.deleteConversation, [id, version], 1, conflict);
  }
}

/** How stale lastInboundAt may get before a turn writes it again (saves a write per message). */
const touchEveryMs = 5 * 60_000;

/** Whether the identity's row already says what this message would write (its chat, unblocked, seen lately). */
export function identityFresh(
  identity: { chatId: string; blockedAt: Date | null; lastInboundAt: Date | null },
  message: { chatId: string },
  now: Date,
): boolean {
  return (
    identity.chatId === message.chatId &&
    identity.blockedAt === null &&
    identity.lastInboundAt !== null &&
    now.getTime() - identity.lastInboundAt.getTime() < touchEveryMs
  );
}

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
