/**
 * The writes every turn makes (the inbound row, the conversation, the replies and their outbox
 * rows), as raw SQL inside the turn's transaction. They run on every message, and a Prisma
 * model call costs several times a raw statement (query planning in the client), so the hot
 * path is raw while the rarer domain changes (enrollment, registration) stay on Prisma models.
 *
 * See src/db/raw-sql.ts for how one statement serves both databases.
 */
import type { DatabaseProvider, Tx } from "../db/database.js";
import { prepareStatements, sqlBool, sqlJson, sqlTime } from "../db/raw-sql.js";

export class TurnWrites {
  private readonly sql: Record<keyof typeof statements, string>;

  constructor(private readonly provider: DatabaseProvider) {
    this.sql = prepareStatements(statements, provider);
  }

  /** Stores an inbound message; false when the same platform message id was stored before. */
  async insertInbound(
    tx: Tx,
    m: {
      channel: string;
      chatId: string;
      identityId: number;
      text: string | null;
      platformMessageId: string;
      at: Date;
    },
  ): Promise<boolean> {
    const p = this.provider;
    const rows = await tx.$queryRawUnsafe<{ id: number }[]>(
      this.sql.insertInbound,
      m.channel,
      m.chatId,
      m.identityId,
      m.text,
      m.platformMessageId,
      sqlTime(m.at, p),
      sqlTime(m.at, p),
    );
    return rows.length === 1;
  }

  /** Writes over `version` only; false when another turn changed the conversation first. */
  async updateConversation(
    tx: Tx,
    id: number,
    version: number,
    c: { flow: string; node: string; variables: unknown; expiresAt: Date },
    now: Date,
  ): Promise<boolean> {
    const p = this.provider;
    const count = await tx.$executeRawUnsafe(
      this.sql.updateConversation,
      c.flow,
      c.node,
      sqlJson(c.variables),
      sqlTime(c.expiresAt, p),
      sqlTime(now, p),
      id,
      version,
    );
    return count === 1;
  }

  /** Starts a conversation; false when another turn started one for this identity first. */
  async insertConversation(
    tx: Tx,
    identityId: number,
    c: { flow: string; node: string; variables: unknown; expiresAt: Date },
    now: Date,
  ): Promise<boolean> {
    const p = this.provider;
    const rows = await tx.$queryRawUnsafe<{ id: number }[]>(
      this.sql.insertConversation,
      identityId,
      c.flow,
      c.node,
      sqlJson(c.variables),
      sqlTime(c.expiresAt, p),
      sqlTime(now, p),
      sqlTime(now, p),
    );
    return rows.length === 1;
  }

  async deleteConversation(tx: Tx, id: number, version: number): Promise<boolean> {
    return (await tx.$executeRawUnsafe(this.sql.deleteConversation, id, version)) === 1;
  }

  /** Stores a reply and its outbox row; returns the outbox row's id. */
  async insertOutbound(
    tx: Tx,
    o: {
      channel: string;
      chatId: string;
      identityId: number | null;
      text: string;
      choices: unknown;
      requestPhone: boolean;
      kind: string;
      priority: number;
    },
    now: Date,
  ): Promise<number> {
    const p = this.provider;
    const [message] = await tx.$queryRawUnsafe<{ id: number }[]>(
      this.sql.insertOutbound,
      o.channel,
      o.chatId,
      o.identityId,
      o.text,
      sqlJson(o.choices),
      sqlBool(o.requestPhone, p),
      sqlTime(now, p),
      sqlTime(now, p),
    );
    const [item] = await tx.$queryRawUnsafe<{ id: number }[]>(
      this.sql.insertOutbox,
      message!.id,
      o.channel,
      o.chatId,
      o.kind,
      o.priority,
      sqlTime(now, p),
      sqlTime(now, p),
      sqlTime(now, p),
    );
    return item!.id;
  }
}

const statements = {
  insertInbound: `INSERT INTO "Message" (direction, channel, "chatId", "identityId", text, "platformMessageId", status, "requestPhone", "createdAt", "updatedAt")
    VALUES ('inbound', $1, $2, $3, $4, $5, 'received', false, $6::timestamp(3), $7::timestamp(3))
    ON CONFLICT (channel, "platformMessageId") DO NOTHING RETURNING id`,
  updateConversation: `UPDATE "Conversation" SET flow = $1, node = $2, variables = $3::jsonb, version = version + 1,
    "expiresAt" = $4::timestamp(3), "updatedAt" = $5::timestamp(3) WHERE id = $6 AND version = $7`,
  insertConversation: `INSERT INTO "Conversation" ("identityId", flow, node, variables, version, "expiresAt", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4::jsonb, 0, $5::timestamp(3), $6::timestamp(3), $7::timestamp(3))
    ON CONFLICT ("identityId") DO NOTHING RETURNING id`,
  deleteConversation: `DELETE FROM "Conversation" WHERE id = $1 AND version = $2`,
  insertOutbound: `INSERT INTO "Message" (direction, channel, "chatId", "identityId", text, choices, "requestPhone", status, "createdAt", "updatedAt")
    VALUES ('outbound', $1, $2, $3, $4, $5::jsonb, $6, 'queued', $7::timestamp(3), $8::timestamp(3)) RETURNING id`,
  insertOutbox: `INSERT INTO "OutboxItem" ("messageId", channel, "chatId", kind, priority, status, attempts, "availableAt", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6::timestamp(3), $7::timestamp(3), $8::timestamp(3)) RETURNING id`,
};
