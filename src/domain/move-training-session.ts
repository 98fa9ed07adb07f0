/**
 * Moving a training session: its times change, the reminders of everyone enrolled move with it
 * (offsets now past are skipped), and everyone enrolled or waiting gets a notice with the new
 * time, in their language, on the chat they used last. One transaction; the caller then moves
 * the jobs (ReminderScheduler) and enqueues the notices.
 */
import type { DatabaseProvider } from "../db/database.js";
import { changes, rows, type Plan } from "../db/plan.js";
import { prepareStatements, sqlTime } from "../db/raw-sql.js";
import type { OutboxBatch } from "../runtime/inbound-runtime.js";
import { priorities } from "../runtime/inbound-runtime.js";
import { outboundRow, TurnWrites } from "../runtime/turn-writes.js";
import { sessionMovedText } from "../../flows/outcomes.js";
import { createRemindersForManyPlan, type ScheduledReminder } from "./reminders.js";

const statements = {
  session: `SELECT s.id, s.status, s.venue, p."titleId", p."titleEn", p."timeZone"
    FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId" WHERE s.id = $1`,
  move: `UPDATE "TrainingSession" SET "startsAt" = $1::timestamp(3), "endsAt" = $2::timestamp(3), "updatedAt" = $3::timestamp(3)
    WHERE id = $4`,
  people: `SELECT e.id AS "enrollmentId", e.status, pa.id AS "participantId", pa.language,
      (SELECT i.id FROM "ChannelIdentity" i WHERE i."participantId" = pa.id AND i."blockedAt" IS NULL
        ORDER BY COALESCE(i."lastInboundAt", i."createdAt") DESC, i.id DESC LIMIT 1) AS "identityId"
    FROM "Enrollment" e JOIN "Participant" pa ON pa.id = e."participantId"
    WHERE e."trainingSessionId" = $1 AND e.status IN ('enrolled', 'waitlisted') AND pa."optedOutAt" IS NULL
    ORDER BY e.id`,
  identity: `SELECT channel, "chatId" FROM "ChannelIdentity" WHERE id = $1`,
  retire: `UPDATE "Reminder" SET status = 'skipped', reason = 'session moved', "updatedAt" = $1::timestamp(3)
    WHERE "enrollmentId" = $2 AND status = 'pending'`,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

export type MoveOutcome =
  | { kind: "not_found" }
  | { kind: "cancelled" }
  | { kind: "moved"; enrollmentIds: number[]; reminders: ScheduledReminder[]; notices: OutboxBatch[] };

export function* moveTrainingSessionPlan(
  provider: DatabaseProvider,
  trainingSessionId: number,
  startsAt: Date,
  endsAt: Date,
  now: Date,
): Plan<MoveOutcome> {
  const sql = prepared[provider];
  const at = sqlTime(now, provider);
  const [session] = yield* rows<{ status: string; venue: string; titleId: string; titleEn: string; timeZone: string }>(
    sql.session,
    [trainingSessionId],
  );
  if (!session) return { kind: "not_found" };
  if (session.status === "cancelled") return { kind: "cancelled" };
  yield* changes(sql.move, [sqlTime(startsAt, provider), sqlTime(endsAt, provider), at, trainingSessionId]);
  const people = yield* rows<{
    enrollmentId: number;
    status: string;
    participantId: number;
    language: string;
    identityId: number | null;
  }>(sql.people, [trainingSessionId]);
  const writes = new TurnWrites(provider);
  const reminders: ScheduledReminder[] = [];
  const notices: OutboxBatch[] = [];
  const enrolled = people.filter((p) => p.status === "enrolled").map((p) => p.enrollmentId);
  for (const id of enrolled) yield* changes(sql.retire, [at, id]);
  reminders.push(...(yield* createRemindersForManyPlan(provider, enrolled, now)));
  for (const person of people) {
    if (person.identityId === null) continue;
    const [identity] = yield* rows<{ channel: string; chatId: string }>(sql.identity, [person.identityId]);
    const text = sessionMovedText(
      {
        programmeTitle: { id: session.titleId, en: session.titleEn },
        startsAt,
        timeZone: session.timeZone,
        venue: session.venue,
      },
      person.language === "en" ? "en" : "id",
    );
    const to = { channel: identity!.channel, chatId: identity!.chatId, identityId: person.identityId };
    const ids = yield* writes.insertOutbound([outboundRow(to, { text }, "notice", priorities.notice)], now);
    notices.push({ channel: identity!.channel, chatId: identity!.chatId, ids, priority: priorities.notice });
  }
  return {
    kind: "moved",
    enrollmentIds: enrolled,
    reminders,
    notices,
  };
}
