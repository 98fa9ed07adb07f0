/**
 * BERHENTI and MULAI: a participant who opts out gets no reminders, broadcasts or motivation
 * (replies to what they send still go) until they opt in again; their enrollments are kept.
 */
import type { Tx } from "../db/database.js";

/**
 * Opts the participant out and cancels the pending reminders of all their enrollments; returns
 * those enrollments, whose queued jobs the caller removes after the commit.
 */
export async function optOutParticipant(tx: Tx, participantId: number, now: Date): Promise<number[]> {
  await tx.participant.update({ where: { id: participantId }, data: { optedOutAt: now } });
  const enrollments = await tx.enrollment.findMany({ where: { participantId }, select: { id: true } });
  const enrollmentIds = enrollments.map((e) => e.id);
  await tx.reminder.updateMany({
    where: { enrollmentId: { in: enrollmentIds }, status: "pending" },
    data: { status: "cancelled", reason: "participant opted out" },
  });
  await tx.campaignMessage.updateMany({
    where: { enrollmentId: { in: enrollmentIds }, status: { in: ["pending", "offered"] } },
    data: { status: "cancelled", reason: "participant opted out" },
  });
  return enrollmentIds;
}

/** Opts the participant in again; reminders cancelled by the opt-out stay cancelled. */
export async function optInParticipant(tx: Tx, participantId: number): Promise<void> {
  await tx.participant.update({ where: { id: participantId }, data: { optedOutAt: null } });
}
