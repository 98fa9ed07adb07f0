/**
 * Moves a participant from one session of a programme to another, in the caller's transaction:
 * the old enrollment is cancelled (its reminders too, and its seat goes to the first on that
 * session's waiting list, as any cancellation does), then the participant is enrolled in the new
 * session, or put on its waiting list when it is full, and the new reminders are created.
 *
 * Everything that could stop the move is checked first, under the locks, so a move either
 * happens whole or changes nothing: the old place is never given up for a new one that cannot
 * be had. Locks: the participant, then both sessions in the order of their ids (two people
 * moving opposite ways between the same two sessions must not wait on each other).
 */
import { lockParticipant, lockTrainingSession, type Database, type Tx } from "../db/database.js";
import { runPlan } from "../db/plan.js";
import { inTransaction } from "../db/raw-sql.js";
import { cancelEnrollment } from "./cancel-enrollment.js";
import { enrollPlan, heldInProgrammePlan, seatLimit, waitlistRankPlan } from "./enroll-participant.js";
import { welcomePromoted, type Notice, type Promotion } from "./promote-from-waitlist.js";
import { createRemindersPlan, type ScheduledReminder } from "./reminders.js";

export type MoveOutcome =
  | {
      kind: "moved";
      /** The session left (its enrollment is cancelled). */
      fromTrainingSessionId: number;
      /** The place in the new session: a seat, or the waiting list when it is full. */
      to: { kind: "enrolled"; enrollmentId: number } | { kind: "waitlisted"; enrollmentId: number; position: number };
      /** Who got the seat given up. */
      promoted: Promotion | null;
      /** Reminders created (the new seat's, the promoted one's), to schedule after commit. */
      reminders: ScheduledReminder[];
      /** The promoted one's "a seat freed up" notice, to send after commit. */
      notices: Notice[];
    }
  /** The enrollment to move is not this participant's, or not active any more. Nothing changed. */
  | { kind: "not_found" }
  /** The new session cannot be joined (gone, cancelled, started, or of another programme). Nothing changed. */
  | { kind: "unavailable" }
  /** Already in the new session. Nothing changed. */
  | { kind: "already"; status: "enrolled" | "waitlisted"; position: number | null }
  /** Even without the old enrollment, the participant's other sessions of the programme fill its limit. Nothing changed. */
  | { kind: "programme_taken"; enrollmentId: number; trainingSessionId: number };

const isActive = (status: string): status is "enrolled" | "waitlisted" =>
  status === "enrolled" || status === "waitlisted";

export async function moveEnrollment(
  tx: Tx,
  database: Database,
  participantId: number,
  enrollmentId: number,
  trainingSessionId: number,
  now: Date,
): Promise<MoveOutcome> {
  const provider = database.provider;
  const run = inTransaction(database, tx);
  await lockParticipant(tx, provider, participantId);
  const found = await tx.enrollment.findFirst({ where: { id: enrollmentId, participantId } });
  if (!found) return { kind: "not_found" };
  const target = await tx.trainingSession.findUnique({ where: { id: trainingSessionId } });
  for (const id of [...new Set([found.trainingSessionId, target?.id ?? found.trainingSessionId])].sort((a, b) => a - b))
    await lockTrainingSession(tx, provider, id);

  // Read again under the locks: a cancellation or a reminder's "no" may have come first.
  const old = await tx.enrollment.findUnique({
    where: { id: enrollmentId },
    include: { trainingSession: { include: { programme: true } } },
  });
  if (!old || !isActive(old.status)) return { kind: "not_found" };
  /** The participant is already in the target session: enrolled, or where on its waiting list. */
  const alreadyThere = async (e: { status: string; waitlistPosition: number | null }): Promise<MoveOutcome> => ({
    kind: "already",
    status: e.status as "enrolled" | "waitlisted",
    position:
      e.status === "waitlisted"
        ? await runPlan(waitlistRankPlan(provider, trainingSessionId, e.waitlistPosition!), run)
        : null,
  });
  if (old.trainingSessionId === trainingSessionId) return alreadyThere(old);
  const programme = old.trainingSession.programme;
  if (!target || target.programmeId !== programme.id || target.status !== "scheduled" || target.startsAt <= now)
    return { kind: "unavailable" };
  const there = await tx.enrollment.findUnique({
    where: { participantId_trainingSessionId: { participantId, trainingSessionId } },
  });
  if (there && isActive(there.status)) return alreadyThere(there);
  const others = (
    await runPlan(heldInProgrammePlan(provider, participantId, programme.id, trainingSessionId, now), run)
  ).filter((h) => h.enrollmentId !== enrollmentId);
  if (others.length >= seatLimit(programme.seatsPerParticipant)) return { kind: "programme_taken", ...others[0]! };

  const cancelled = await cancelEnrollment(tx, provider, participantId, enrollmentId, now);
  if (cancelled.kind !== "cancelled") throw new Error(`enrollment ${enrollmentId} could not be cancelled under lock`);
  const enrolled = await runPlan(enrollPlan(provider, participantId, trainingSessionId, now), run);
  // Checked above under the same locks; anything else would be a bug, and throwing undoes it all.
  if (enrolled.kind !== "enrolled" && enrolled.kind !== "waitlisted")
    throw new Error(`moving enrollment ${enrollmentId} to session ${trainingSessionId} ended as ${enrolled.kind}`);

  const reminders: ScheduledReminder[] = [];
  if (enrolled.kind === "enrolled")
    reminders.push(...(await runPlan(createRemindersPlan(provider, enrolled.enrollmentId, now), run)));
  const welcome = await welcomePromoted(tx, database, cancelled.promoted ? [cancelled.promoted] : [], now);
  return {
    kind: "moved",
    fromTrainingSessionId: old.trainingSessionId,
    to: enrolled,
    promoted: cancelled.promoted,
    reminders: [...reminders, ...welcome.reminders],
    notices: welcome.notices,
  };
}
