/**
 * A participant answers a reminder's "will you attend?" for a seat they hold: yes is recorded;
 * no is recorded and gives the seat up (its reminders too) to the first on the waiting list.
 */
import type { Database, Tx } from "../db/database.js";
import { cancelEnrollment } from "./cancel-enrollment.js";
import { welcomePromoted, type Welcome } from "./promote-from-waitlist.js";

export type AttendanceAnswered =
  /** Not an enrollment of theirs, or it holds no seat (cancelled, waitlisted, already over). Nothing changed. */
  | { kind: "not_active" }
  | { kind: "confirmed"; trainingSessionId: number }
  /** `welcome`: what the one promoted into the seat gets. */
  | { kind: "declined"; trainingSessionId: number; enrollmentId: number; welcome: Welcome };

export async function answerAttendance(
  tx: Tx,
  database: Database,
  participantId: number,
  enrollmentId: number,
  answer: "confirmed" | "declined",
  now: Date,
): Promise<AttendanceAnswered> {
  const enrollment = Number.isInteger(enrollmentId)
    ? await tx.enrollment.findFirst({ where: { id: enrollmentId, participantId } })
    : null;
  if (!enrollment || enrollment.status !== "enrolled") return { kind: "not_active" };
  const { id, trainingSessionId } = enrollment;
  if (answer === "confirmed") {
    await tx.enrollment.update({ where: { id }, data: { rsvp: "confirmed", rsvpAt: now } });
    return { kind: "confirmed", trainingSessionId };
  }
  const cancelled = await cancelEnrollment(tx, database.provider, participantId, id, now);
  await tx.enrollment.update({ where: { id }, data: { rsvp: "declined", rsvpAt: now } });
  const promoted = cancelled.kind === "cancelled" && cancelled.promoted ? [cancelled.promoted] : [];
  return {
    kind: "declined",
    trainingSessionId,
    enrollmentId: id,
    welcome: await welcomePromoted(tx, database, promoted, now),
  };
}
