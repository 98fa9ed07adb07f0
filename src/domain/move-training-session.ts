/**
 * Moving a training session: its times change, the reminders of everyone enrolled move with it
 * (offsets now past are skipped), and everyone enrolled or waiting gets a notice with the new
 * time, in their language, on the chat they used last. One transaction; after the commit the
 * reminder jobs are moved and the notices enqueued (moveTrainingSession).
 */
import type { Database, DatabaseProvider } from "../db/database.js";
import { changes, rows, type Plan } from "../db/plan.js";
import { prepareStatements, runAtomically, sqlTime } from "../db/raw-sql.js";
import type { OutboxBatch } from "../outbox/types.js";
import { sessionMovedText } from "../../flows/outcomes.js";
import { sessionNoticesPlan } from "./recipients.js";
import { createRemindersForManyPlan, type ScheduledReminder } from "./reminders.js";

const statements = {
  session: `SELECT s.id, s.status, s.venue, p."titleId", p."titleEn", p."timeZone"
    FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId" WHERE s.id = $1`,
  move: `UPDATE "TrainingSession" SET "startsAt" = $1::timestamp(3), "endsAt" = $2::timestamp(3), "updatedAt" = $3::timestamp(3)
    WHERE id = $4`,
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
  const sessionView = {
    programmeTitle: { id: session.titleId, en: session.titleEn },
    startsAt,
    timeZone: session.timeZone,
    venue: session.venue,
  };
  const { people, notices } = yield* sessionNoticesPlan(
    provider,
    trainingSessionId,
    (person) => sessionMovedText(sessionView, person.language === "en" ? "en" : "id"),
    now,
  );
  const reminders: ScheduledReminder[] = [];
  const enrolled = people.filter((p) => p.status === "enrolled").map((p) => p.enrollmentId);
  for (const id of enrolled) yield* changes(sql.retire, [at, id]);
  reminders.push(...(yield* createRemindersForManyPlan(provider, enrolled, now)));
  return {
    kind: "moved",
    enrollmentIds: enrolled,
    reminders,
    notices,
  };
}

/** What moveTrainingSession needs besides the database: the bot's reminder scheduler and outbox queue. */
export type MoveSessionDeps = {
  database: Database;
  reminders: {
    removeForEnrollments(enrollmentIds: number[]): Promise<void>;
    schedule(reminders: ScheduledReminder[]): Promise<void>;
  };
  outbox: { enqueueMany(batches: OutboxBatch[]): Promise<void> };
  /** The jobs of what is sent after the session: removed, the reconcile pass adds them at the new times. */
  campaigns?: { removeForEnrollments(enrollmentIds: number[]): Promise<void> };
};

/**
 * Moves a training session: its times, the reminders of everyone enrolled (jobs included) and a
 * notice with the new time to everyone enrolled or waiting (see the top of this file). Called with
 * the bot's parts: `moveTrainingSession({ database, reminders: bot.reminders, outbox: bot.outbox }, id, startsAt, endsAt)`.
 */
export async function moveTrainingSession(
  deps: MoveSessionDeps,
  trainingSessionId: number,
  startsAt: Date,
  endsAt: Date,
  now: Date = new Date(),
): Promise<MoveOutcome> {
  const outcome = await runAtomically(deps.database, () =>
    moveTrainingSessionPlan(deps.database.provider, trainingSessionId, startsAt, endsAt, now),
  );
  if (outcome.kind !== "moved") return outcome;
  // The old jobs go first: the new ones have the same ids (enrollment and offset).
  await deps.reminders.removeForEnrollments(outcome.enrollmentIds);
  await deps.reminders.schedule(outcome.reminders);
  await deps.campaigns?.removeForEnrollments(outcome.enrollmentIds).catch(() => {});
  await deps.outbox.enqueueMany(outcome.notices);
  return outcome;
}
