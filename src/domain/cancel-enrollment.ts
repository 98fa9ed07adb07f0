/**
 * Cancels an enrollment. A seat it held goes to the first participant on the waiting list,
 * who is returned for the caller to welcome (promote-from-waitlist.ts: welcomePromoted).
 */
import { lockTrainingSession, type DatabaseProvider, type Tx } from "../db/database.js";
import { promoteFromWaitlist, type Promotion } from "./promote-from-waitlist.js";

export type CancelOutcome =
  { kind: "cancelled"; trainingSessionId: number; promoted: Promotion | null } | { kind: "not_found" };

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
  await tx.campaignMessage.updateMany({
    where: { enrollmentId, status: { in: ["pending", "offered"] } },
    data: { status: "cancelled", reason: "enrollment cancelled" },
  });
  const promoted =
    enrollment.status === "enrolled" ? await promoteFromWaitlist(tx, enrollment.trainingSessionId) : null;
  return { kind: "cancelled", trainingSessionId: enrollment.trainingSessionId, promoted };
}
