/**
 * Cancelling a training session (staff, from the dashboard): in one transaction the session is
 * marked cancelled, every enrollment and waiting-list place in it is cancelled, their pending
 * reminders are cancelled, and everyone enrolled or waiting gets a notice in their language on
 * the chat they used last. After the commit the reminder jobs are removed and the notices
 * enqueued (cancelTrainingSession); the database stays the truth if Redis is away.
 */
import type { Database, DatabaseProvider } from "../db/database.js";
import { changes, rows, type Plan } from "../db/plan.js";
import { prepareStatements, runAtomically, sqlTime } from "../db/raw-sql.js";
import { formatDateTime } from "../engine/format.js";
import { bold, plain } from "../engine/markup.js";
import type { Language } from "../engine/types.js";
import type { OutboxBatch } from "../outbox/types.js";
import { cancelCampaignsOfSessionPlan } from "./campaigns.js";
import { sessionNoticesPlan } from "./recipients.js";

/** What a participant is told when the session they were enrolled in (or waiting for) is cancelled. */
export function sessionCancelledText(
  s: { programmeTitle: { id: string; en: string }; startsAt: Date; timeZone: string; venue: string },
  wasWaiting: boolean,
  l: Language,
): string {
  const when = formatDateTime(s.startsAt, s.timeZone, l);
  // Titles and venues are typed by staff: escaped, so a star or underscore in them stays one.
  const title = bold(l === "en" ? s.programmeTitle.en : s.programmeTitle.id);
  const venue = plain(s.venue);
  if (l === "en")
    return wasWaiting
      ? `❌ We are sorry: the ${title} session on ${when} at ${venue} has been cancelled by the organisers, so its waiting list is closed too. You can choose another session under Enroll in training (type MENU). Thank you for understanding.`
      : `❌ We are sorry: the ${title} session on ${when} at ${venue} has been cancelled by the organisers. Your enrollment in it is cancelled too, so there is no need to come. You can choose another session under Enroll in training (type MENU). Thank you for understanding.`;
  return wasWaiting
    ? `❌ Mohon maaf, jadwal ${title} pada ${when} di ${venue} dibatalkan oleh penyelenggara, sehingga daftar tunggunya juga ditutup. Silakan pilih jadwal lain lewat menu Daftar pelatihan (ketik MENU). Terima kasih atas pengertian Anda.`
    : `❌ Mohon maaf, jadwal ${title} pada ${when} di ${venue} dibatalkan oleh penyelenggara. Pendaftaran Anda untuk jadwal ini ikut dibatalkan, jadi Anda tidak perlu datang. Silakan pilih jadwal lain lewat menu Daftar pelatihan (ketik MENU). Terima kasih atas pengertian Anda.`;
}

const statements = {
  session: `SELECT s.id, s.status, s."startsAt", s.venue, p."titleId", p."titleEn", p."timeZone"
    FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId" WHERE s.id = $1`,
  cancelSession: `UPDATE "TrainingSession" SET status = 'cancelled', "updatedAt" = $1::timestamp(3)
    WHERE id = $2 AND status <> 'cancelled'`,
  seats: `SELECT id FROM "Enrollment" WHERE "trainingSessionId" = $1 AND status IN ('enrolled', 'waitlisted')`,
  cancelReminders: `UPDATE "Reminder" SET status = 'cancelled', reason = 'session cancelled', "updatedAt" = $1::timestamp(3)
    WHERE status = 'pending' AND "enrollmentId" IN (
      SELECT id FROM "Enrollment" WHERE "trainingSessionId" = $2 AND status IN ('enrolled', 'waitlisted'))`,
  cancelSeats: `UPDATE "Enrollment" SET status = 'cancelled', "cancelledAt" = $1::timestamp(3), "waitlistPosition" = NULL,
    "updatedAt" = $2::timestamp(3) WHERE "trainingSessionId" = $3 AND status IN ('enrolled', 'waitlisted')`,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

// On PostgreSQL the session row is locked first, so an enrollment being made at the same moment
// (which locks it too) either finishes before and is cancelled here, or sees the session cancelled.
// SQLite runs one writing transaction at a time.
const lockSession = `SELECT id FROM "TrainingSession" WHERE id = $1 FOR UPDATE`;

export type CancelSessionOutcome =
  | { kind: "not_found" }
  | { kind: "already_cancelled" }
  | {
      kind: "cancelled";
      /** Enrollments and waiting-list places cancelled: their reminder jobs are removed. */
      enrollmentIds: number[];
      /** One notice per participant told, to enqueue after the commit. */
      notices: OutboxBatch[];
    };

export function* cancelTrainingSessionPlan(
  provider: DatabaseProvider,
  trainingSessionId: number,
  now: Date,
): Plan<CancelSessionOutcome> {
  const sql = prepared[provider];
  const at = sqlTime(now, provider);
  if (provider === "postgresql") yield* rows(lockSession, [trainingSessionId]);
  const [session] = yield* rows<{
    status: string;
    startsAt: Date;
    venue: string;
    titleId: string;
    titleEn: string;
    timeZone: string;
  }>(sql.session, [trainingSessionId], { dates: ["startsAt"] });
  if (!session) return { kind: "not_found" };
  if (session.status === "cancelled") return { kind: "already_cancelled" };
  yield* changes(sql.cancelSession, [at, trainingSessionId]);
  const seats = yield* rows<{ id: number }>(sql.seats, [trainingSessionId]);
  const sessionView = {
    programmeTitle: { id: session.titleId, en: session.titleEn },
    startsAt: session.startsAt,
    timeZone: session.timeZone,
    venue: session.venue,
  };
  // The same people a move tells (not opted out, a chat that has not blocked the bot).
  const { notices } = yield* sessionNoticesPlan(
    provider,
    trainingSessionId,
    (person) =>
      sessionCancelledText(sessionView, person.status === "waitlisted", person.language === "en" ? "en" : "id"),
    now,
  );
  // Reminders before the seats: their statement finds the enrollments by their status.
  yield* changes(sql.cancelReminders, [at, trainingSessionId]);
  yield* cancelCampaignsOfSessionPlan(provider, trainingSessionId, "session cancelled", now);
  yield* changes(sql.cancelSeats, [at, at, trainingSessionId]);
  return { kind: "cancelled", enrollmentIds: seats.map((s) => s.id), notices };
}

/** What cancelTrainingSession needs besides the database: the bot's reminder scheduler and outbox queue. */
export type CancelSessionDeps = {
  database: Database;
  reminders: { removeForEnrollments(enrollmentIds: number[]): Promise<void> };
  outbox: { enqueueMany(batches: OutboxBatch[]): Promise<void> };
};

/**
 * Cancels a training session and tells its participants (see the top of this file). Called
 * with the bot's parts: `cancelTrainingSession({ database, reminders: bot.reminders, outbox: bot.outbox }, id)`.
 */
export async function cancelTrainingSession(
  deps: CancelSessionDeps,
  trainingSessionId: number,
  now: Date = new Date(),
): Promise<CancelSessionOutcome> {
  const outcome = await runAtomically(deps.database, () =>
    cancelTrainingSessionPlan(deps.database.provider, trainingSessionId, now),
  );
  if (outcome.kind !== "cancelled") return outcome;
  // Both are only triggers: a reminder job that survives finds its row cancelled and sends
  // nothing (the reconcile pass removes it), and a notice left unqueued is still pending in the
  // outbox, which the reconcile pass enqueues. So Redis being away must not fail the cancel.
  await deps.reminders.removeForEnrollments(outcome.enrollmentIds).catch(() => {});
  await deps.outbox.enqueueMany(outcome.notices).catch(() => {});
  return outcome;
}
