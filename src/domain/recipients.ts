/**
 * SQL shared by everything that writes to participants on its own (motivation, broadcasts,
 * notices about a session): which chat to use and which local time zone they live by.
 */
import type { DatabaseProvider } from "../db/database.js";
import { rows, type Plan } from "../db/plan.js";
import { forProvider } from "../db/raw-sql.js";
import { OutboxWrites } from "../outbox/outbox-writes.js";
import { outboundRow, priorities, type OutboxBatch } from "../outbox/types.js";

/**
 * Joins `i`, the participant's chat to write to: the one they used last that has not blocked the
 * bot. Participants with no such chat drop out of an inner join.
 */
export const lastChatJoin = (
  participant = "p",
) => `JOIN "ChannelIdentity" i ON i.id = (SELECT ci.id FROM "ChannelIdentity" ci
        WHERE ci."participantId" = ${participant}.id AND ci."blockedAt" IS NULL
        ORDER BY COALESCE(ci."lastInboundAt", ci."createdAt") DESC, ci.id DESC LIMIT 1)`;

/** The time zone of the programme the participant enrolled in last (null: none yet). */
export const participantTimeZone = (participant = "p") => `(SELECT pr."timeZone" FROM "Enrollment" e
          JOIN "TrainingSession" s ON s.id = e."trainingSessionId" JOIN "Programme" pr ON pr.id = s."programmeId"
          WHERE e."participantId" = ${participant}.id ORDER BY e.id DESC LIMIT 1)`;

export type SessionAudience = {
  enrollmentId: number;
  status: "enrolled" | "waitlisted";
  participantId: number;
  language: string;
  /** The chat to write to; null when every chat of theirs has blocked the bot. */
  identityId: number | null;
  channel: string | null;
  chatId: string | null;
};

const audienceSql = `SELECT e.id AS "enrollmentId", e.status, pa.id AS "participantId", pa.language,
    i.id AS "identityId", i.channel, i."chatId"
  FROM "Enrollment" e JOIN "Participant" pa ON pa.id = e."participantId" LEFT ${lastChatJoin("pa")}
  WHERE e."trainingSessionId" = $1 AND e.status IN ('enrolled', 'waitlisted') AND pa."optedOutAt" IS NULL
  ORDER BY e.id`;
const audienceFor = { sqlite: forProvider(audienceSql, "sqlite"), postgresql: forProvider(audienceSql, "postgresql") };
const writesFor = { sqlite: new OutboxWrites("sqlite"), postgresql: new OutboxWrites("postgresql") };

/**
 * Tells everyone enrolled in or waiting for a session something (it moved, it was cancelled):
 * one notice each, in their language, to the chat they used last; those who opted out or whose
 * every chat blocked the bot are not written to. Returns the people and the batches to enqueue.
 */
export function* sessionNoticesPlan(
  provider: DatabaseProvider,
  trainingSessionId: number,
  textFor: (person: SessionAudience) => string,
  now: Date,
): Plan<{ people: SessionAudience[]; notices: OutboxBatch[] }> {
  const people = yield* rows<SessionAudience>(audienceFor[provider], [trainingSessionId]);
  const notices: OutboxBatch[] = [];
  for (const person of people) {
    if (person.identityId === null || person.channel === null || person.chatId === null) continue;
    const to = { channel: person.channel, chatId: person.chatId, identityId: person.identityId };
    const ids = yield* writesFor[provider].insertOutbound(
      [outboundRow(to, { text: textFor(person) }, "notice", priorities.notice)],
      now,
    );
    notices.push({ channel: to.channel, chatId: to.chatId, ids, priority: priorities.notice });
  }
  return { people, notices };
}
