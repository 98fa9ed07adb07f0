/**
 * Cancels an enrollment. A seat it held goes to the first participant on the waiting list,
 * who is returned so the caller can tell them.
 */
import { lockTrainingSession, type DatabaseProvider, type Tx } from "../db/database.js";

export type CancelOutcome =
  | { kind: "cancelled"; trainingSessionId: number; promoted: { enrollmentId: number; participantId: number } | null }
  | { kind: "not_found" };

export async function cancelEnrollment(
  tx: Tx,
  provider: DatabaseProvider,
  participantId: number,
  enrollmentId: number,
  now: Date,
): Promise<CancelOutcome> {
  const found = await tx.enrollment.findFirst({ where: { id: enrollmentId, participantId } });
  if (!found) return { kind: "not_found" };
  await lockTrainingSession(tx, provider, found.trainingSessionId);
  // Re-read under the lock: a concurrent cancel may have won.
  const enrollment = await tx.enrollment.findUnique({ where: { id: enrollmentId } });
  if (!enrollment || (enrollment.status !== "enrolled" && enrollment.status !== "waitlisted"))
    return { kind: "not_found" };

  await tx.enrollment.update({
    where: { id: enrollmentId },
    data: { status: "cancelled", cancelledAt: now, waitlistPosition: null },
  });
  await tx.reminder.updateMany({
    where: { enrollmentId, status: "pending" },
    data: { status: "cancelled", reason: "enrollment cancelled" },
  });
  const promoted =
    enrollment.status === "enrolled" ? await promoteFromWaitlist(tx, enrollment.trainingSessionId) : null;
  return { kind: "cancelled", trainingSessionId: enrollment.trainingSessionId, promoted };
}

/** Moves the first waitlisted participant into a free seat, if a seat is free. Caller holds the lock. */
export async function promoteFromWaitlist(
  tx: Tx,
  trainingSessionId: number,
): Promise<{ enrollmentId: number; participantId: number } | null> {
  const session = await tx.trainingSession.findUnique({ where: { id: trainingSessionId } });
  if (!session || session.status !== "scheduled") return null;
  const taken = await tx.enrollment.count({
    where: { trainingSessionId, status: { in: ["enrolled", "attended", "absent"] } },
  });
  if (taken >= session.capacity) return null;
  const next = await tx.enrollment.findFirst({
    where: { trainingSessionId, status: "waitlisted", participantId: { not: null } },
    orderBy: { waitlistPosition: "asc" },
  });
  if (!next) return null;
  await tx.enrollment.update({ where: { id: next.id }, data: { status: "enrolled", waitlistPosition: null } });
  return { enrollmentId: next.id, participantId: next.participantId! };
}
