/**
 * Enrolls a participant in a training session, or puts them on its waiting list when it is
 * full. Runs inside the caller's transaction with the session row locked, so 50 people racing
 * for the last 10 seats end as exactly 10 enrolled and 40 waitlisted, in order.
 */
import { lockTrainingSession, type DatabaseProvider, type Tx } from "../db/database.js";

export type EnrollOutcome =
  | { kind: "enrolled"; enrollmentId: number }
  | { kind: "waitlisted"; enrollmentId: number; position: number }
  | { kind: "already"; status: "enrolled" | "waitlisted"; position: number | null }
  | { kind: "unavailable" };

/** Statuses that hold a seat. */
export const seatStatuses = ["enrolled", "attended", "absent"] as const;

export async function enrollParticipant(
  tx: Tx,
  provider: DatabaseProvider,
  participantId: number,
  trainingSessionId: number,
  now: Date,
): Promise<EnrollOutcome> {
  await lockTrainingSession(tx, provider, trainingSessionId);
  const session = await tx.trainingSession.findUnique({ where: { id: trainingSessionId } });
  if (!session || session.status !== "scheduled" || session.startsAt <= now) return { kind: "unavailable" };

  const existing = await tx.enrollment.findUnique({
    where: { participantId_trainingSessionId: { participantId, trainingSessionId } },
  });
  if (existing && (existing.status === "enrolled" || existing.status === "waitlisted")) {
    const position =
      existing.status === "waitlisted" ? await waitlistRank(tx, trainingSessionId, existing.waitlistPosition!) : null;
    return { kind: "already", status: existing.status, position };
  }

  const taken = await tx.enrollment.count({ where: { trainingSessionId, status: { in: [...seatStatuses] } } });
  let data: { status: "enrolled" | "waitlisted"; waitlistPosition: number | null };
  if (taken < session.capacity) data = { status: "enrolled", waitlistPosition: null };
  else {
    const last = await tx.enrollment.aggregate({ where: { trainingSessionId }, _max: { waitlistPosition: true } });
    data = { status: "waitlisted", waitlistPosition: (last._max.waitlistPosition ?? 0) + 1 };
  }
  const fields = { ...data, rsvp: null, rsvpAt: null, cancelledAt: null };
  const enrollment = existing
    ? await tx.enrollment.update({ where: { id: existing.id }, data: fields })
    : await tx.enrollment.create({ data: { participantId, trainingSessionId, ...fields } });
  if (data.status === "enrolled") return { kind: "enrolled", enrollmentId: enrollment.id };
  return {
    kind: "waitlisted",
    enrollmentId: enrollment.id,
    position: await waitlistRank(tx, trainingSessionId, data.waitlistPosition!),
  };
}

/** 1 for the first on the waiting list. Positions are an order, not a rank: gaps are normal. */
export async function waitlistRank(tx: Tx, trainingSessionId: number, waitlistPosition: number): Promise<number> {
  const ahead = await tx.enrollment.count({
    where: { trainingSessionId, status: "waitlisted", waitlistPosition: { lt: waitlistPosition } },
  });
  return ahead + 1;
}
