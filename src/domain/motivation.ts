/**
 * Motivation rounds (DESIGN.md section 2, "Scheduled messages"): each registered participant who
 * has not opted out gets one message from the library, in their language, that they have not
 * had yet; once they have had them all, the ones they had least (no repeats until the library is
 * used up). A round has a key (its local date), so running it twice sends nothing twice. The
 * weekly cap leaves out whoever already had that many motivation or broadcast messages in the
 * last 7 days. Messages carry the participant's time zone, so the outbox holds them through
 * quiet hours there.
 */
import { DateTime } from "luxon";
import type { DatabaseProvider } from "../db/database.js";
import { rows, type Plan } from "../db/plan.js";
import { forProvider, sqlTime } from "../db/raw-sql.js";
import type { Language } from "../engine/types.js";
import { motivationText } from "../../flows/outcomes.js";
import { OutboxWrites } from "../outbox/outbox-writes.js";
import { outboundRow, priorities, type OutboxBatch } from "../outbox/types.js";
import { lastChatJoin, participantTimeZone } from "./recipients.js";

export type MotivationSettings = {
  /** Motivation and broadcast messages a participant may get in 7 days. */
  weeklyCap: number;
  /** For participants with no enrollment (whose programme would say). */
  defaultTimeZone: string;
};

export type LibraryEntry = { slug: string; language: string; text: string };

/** What a round did with each participant it looked at. */
export type RoundTally = {
  queued: number;
  /** Had a message of this round already (the round ran before). */
  alreadyInRound: number;
  /** Reached the weekly cap. */
  atCap: number;
  /** The library has nothing in their language (nor in Indonesian). */
  noMessage: number;
};

/** The key of a round run at `at`: its local date in `timeZone`. */
export const roundKey = (at: Date, timeZone: string) => DateTime.fromJSDate(at, { zone: timeZone }).toISODate()!;

/**
 * The message for one participant: of the library in their language, one they have had the
 * fewest times (never, until all were sent), the earliest in the library among those.
 */
export function pickMessage(library: LibraryEntry[], delivered: Map<string, number>): LibraryEntry | null {
  let best: LibraryEntry | null = null;
  let fewest = Infinity;
  for (const entry of library) {
    const times = delivered.get(entry.slug) ?? 0;
    if (times < fewest) {
      best = entry;
      fewest = times;
    }
  }
  return best;
}

type Recipient = {
  id: number;
  language: string;
  timeZone: string | null;
  identityId: number;
  channel: string;
  chatId: string;
};

function statements(provider: DatabaseProvider) {
  const inList = provider === "sqlite" ? "IN (SELECT value FROM json_each($1))" : "= ANY($1::int[])";
  const sql = (s: string) => forProvider(s, provider);
  return {
    // Registered, not opted out of anything, with a chat that has not blocked the bot (the one
    // they used last); the time zone of the programme they enrolled in last.
    recipients: sql(`SELECT p.id, p.language, ${participantTimeZone()} AS "timeZone",
        i.id AS "identityId", i.channel, i."chatId"
      FROM "Participant" p ${lastChatJoin()}
      WHERE p.id > $1 AND p."registeredAt" IS NOT NULL AND p."optedOutAt" IS NULL
        AND p."motivationOptOutAt" IS NULL AND p."deletedAt" IS NULL
      ORDER BY p.id LIMIT $2`),
    // Motivation and broadcast messages of the last 7 days, on any of the participant's chats.
    recent: sql(`SELECT i."participantId" AS "participantId", COUNT(*) AS n
      FROM "ChannelIdentity" i JOIN "OutboxItem" o ON o.channel = i.channel AND o."chatId" = i."chatId"
      WHERE i."participantId" ${inList} AND o.kind IN ('motivation', 'broadcast')
        AND o.status NOT IN ('failed', 'cancelled') AND o."createdAt" > $2::timestamp(3)
      GROUP BY i."participantId"`),
    delivered: sql(`SELECT "participantId", slug, round FROM "MotivationDelivery" WHERE "participantId" ${inList}`),
    library: sql(`SELECT slug, language, text FROM "MotivationalMessage" WHERE active = true ORDER BY id`),
  };
}

const sqlFor = { sqlite: statements("sqlite"), postgresql: statements("postgresql") };
const writesFor = { sqlite: new OutboxWrites("sqlite"), postgresql: new OutboxWrites("postgresql") };

/** The active library, by language. */
export function* libraryPlan(provider: DatabaseProvider): Plan<Map<string, LibraryEntry[]>> {
  const entries = yield* rows<LibraryEntry>(sqlFor[provider].library, []);
  const byLanguage = new Map<string, LibraryEntry[]>();
  for (const e of entries) byLanguage.set(e.language, [...(byLanguage.get(e.language) ?? []), e]);
  return byLanguage;
}

/**
 * One chunk of a round: the next `limit` participants after `afterId`. Writes each chosen
 * message with its outbox row and delivery record; returns the batches to enqueue, where to go
 * on from (null at the end) and the tally.
 */
export function* motivationChunkPlan(
  provider: DatabaseProvider,
  options: {
    round: string;
    afterId: number;
    limit: number;
    library: Map<string, LibraryEntry[]>;
    settings: MotivationSettings;
    now: Date;
  },
): Plan<{ batches: OutboxBatch[]; nextAfterId: number | null; tally: RoundTally }> {
  const sql = sqlFor[provider];
  const { round, settings, now } = options;
  const tally: RoundTally = { queued: 0, alreadyInRound: 0, atCap: 0, noMessage: 0 };
  const recipients = yield* rows<Recipient>(sql.recipients, [options.afterId, options.limit]);
  if (!recipients.length) return { batches: [], nextAfterId: null, tally };
  const ids = recipients.map((r) => r.id);
  const list = provider === "sqlite" ? JSON.stringify(ids) : ids;
  const since = sqlTime(new Date(now.getTime() - 7 * 86_400_000), provider);
  const recent = new Map(
    (yield* rows<{ participantId: number; n: number | bigint }>(sql.recent, [list, since])).map((r) => [
      r.participantId,
      Number(r.n),
    ]),
  );
  const delivered = new Map<number, Map<string, number>>();
  const inRound = new Set<number>();
  for (const d of yield* rows<{ participantId: number; slug: string; round: string }>(sql.delivered, [list])) {
    const slugs = delivered.get(d.participantId) ?? new Map<string, number>();
    slugs.set(d.slug, (slugs.get(d.slug) ?? 0) + 1);
    delivered.set(d.participantId, slugs);
    if (d.round === round) inRound.add(d.participantId);
  }
  const chosen: { recipient: Recipient; entry: LibraryEntry; language: Language }[] = [];
  for (const r of recipients) {
    if (inRound.has(r.id)) tally.alreadyInRound++;
    else if ((recent.get(r.id) ?? 0) >= settings.weeklyCap) tally.atCap++;
    else {
      const language: Language = r.language === "en" ? "en" : "id";
      const library = options.library.get(language)?.length
        ? options.library.get(language)!
        : options.library.get("id");
      const entry = library ? pickMessage(library, delivered.get(r.id) ?? new Map()) : null;
      if (!entry) tally.noMessage++;
      else chosen.push({ recipient: r, entry, language: entry.language === "en" ? "en" : "id" });
    }
  }
  const nextAfterId = recipients.length < options.limit ? null : recipients[recipients.length - 1]!.id;
  if (!chosen.length) return { batches: [], nextAfterId, tally };
  const { outboxIds, messageIds } = yield* writesFor[provider].insertOutboundRows(
    chosen.map(({ recipient: r, entry, language }) => ({
      ...outboundRow(r, { text: motivationText(entry.text, language) }, "motivation", priorities.background),
      timeZone: r.timeZone ?? settings.defaultTimeZone,
    })),
    now,
  );
  const at = sqlTime(now, provider);
  const values: unknown[] = [];
  const tuples = chosen.map(({ recipient, entry }, i) => {
    const n = values.length;
    values.push(recipient.id, entry.slug, round, messageIds[i], at);
    return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}::timestamp(3))`;
  });
  yield* rows(
    forProvider(
      `INSERT INTO "MotivationDelivery" ("participantId", slug, round, "messageId", "sentAt") VALUES ${tuples.join(", ")}
        ON CONFLICT ("participantId", round) DO NOTHING RETURNING id`,
      provider,
    ),
    values,
  );
  tally.queued = chosen.length;
  const batches = chosen.map(({ recipient: r }, i) => ({
    channel: r.channel,
    chatId: r.chatId,
    ids: [outboxIds[i]!],
    priority: priorities.background,
    timeZone: r.timeZone ?? settings.defaultTimeZone,
  }));
  return { batches, nextAfterId, tally };
}
