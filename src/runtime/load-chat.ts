/**
 * Loads who wrote and where their conversation stands, in one query. This runs on every
 * message, so it is raw SQL (one round trip, no query planning) rather than a Prisma `include`,
 * which costs several queries. The SQL is the same on SQLite and PostgreSQL but for placeholders.
 */
import type { Database } from "../db/database.js";
import { forProvider, queryRows } from "../db/raw-sql.js";

type Row = {
  identityId: number;
  chatId: string;
  blockedAt: Date | null;
  lastInboundAt: Date | null;
  participantId: number | null;
  name: string | null;
  businessName: string | null;
  sector: string | null;
  regency: string | null;
  phone: string | null;
  nib: string | null;
  gender: string | null;
  language: string | null;
  optedOutAt: Date | null;
  conversationId: number | null;
  flow: string | null;
  node: string | null;
  variables: unknown;
  version: number | null;
  expiresAt: Date | null;
};

export type ChatRecord = {
  identity: { id: number } & Pick<Row, "chatId" | "blockedAt" | "lastInboundAt" | "participantId">;
  participant:
    | ({ id: number; language: string } & Pick<
        Row,
        "name" | "businessName" | "sector" | "regency" | "phone" | "nib" | "gender" | "optedOutAt"
      >)
    | null;
  conversation: { id: number; flow: string; node: string; variables: unknown; version: number; expiresAt: Date } | null;
};

const query = `
  SELECT i.id AS "identityId", i."chatId", i."blockedAt", i."lastInboundAt", i."participantId",
         p.name, p."businessName", p.sector, p.regency, p.phone, p.nib, p.gender, p.language, p."optedOutAt",
         c.id AS "conversationId", c.flow, c.node, c.variables, c.version, c."expiresAt"
  FROM "ChannelIdentity" i
  LEFT JOIN "Participant" p ON p.id = i."participantId"
  LEFT JOIN "Conversation" c ON c."identityId" = i.id
  WHERE i.channel = $1 AND i."platformUserId" = $2`;

const sqliteQuery = forProvider(query, "sqlite");
const postgresQuery = forProvider(query, "postgresql");

/** Null when this sender has never written on this channel. */
export async function loadChat(database: Database, channel: string, senderId: string): Promise<ChatRecord | null> {
  const rows = await queryRows<Row>(
    database,
    database.prisma,
    database.provider === "sqlite" ? sqliteQuery : postgresQuery,
    [channel, senderId],
    { dates: ["blockedAt", "lastInboundAt", "optedOutAt", "expiresAt"], json: ["variables"] },
  );
  const r = rows[0];
  if (!r) return null;
  return {
    identity: {
      id: r.identityId,
      chatId: r.chatId,
      blockedAt: r.blockedAt,
      lastInboundAt: r.lastInboundAt,
      participantId: r.participantId,
    },
    participant:
      r.participantId === null
        ? null
        : {
            id: r.participantId,
            name: r.name,
            businessName: r.businessName,
            sector: r.sector,
            regency: r.regency,
            phone: r.phone,
            nib: r.nib,
            gender: r.gender,
            language: r.language ?? "id",
            optedOutAt: r.optedOutAt,
          },
    conversation:
      r.conversationId === null
        ? null
        : {
            id: r.conversationId,
            flow: r.flow!,
            node: r.node!,
            variables: r.variables,
            version: r.version!,
            expiresAt: r.expiresAt!,
          },
  };
}
