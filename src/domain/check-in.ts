/**
 * Check-in at the venue: a participant sends the session's code (scanned from the poster or
 * typed) from an hour before the start to the end. A seat holder is marked attended; anyone
 * else (waitlisted, cancelled, never enrolled) is recorded as a walk-in for staff to confirm on
 * the roster page. A code that is unknown, of a cancelled session, outside the window, or sent
 * a second time changes nothing; the outcome says why.
 */
import type { Tx } from "../db/database.js";
import type { SessionSummary } from "../../flows/outcomes.js";
import { normalizeCheckInCode } from "../../flows/checkin.js";

/** Check-in opens this long before the start. */
export const checkInOpensBeforeMs = 60 * 60_000;

export type CheckInOutcome =
  | { kind: "unknown_code" }
  | { kind: "cancelled"; session: SessionSummary }
  /** Before the window (another day, or earlier the same day): `opensAt` says when it opens. */
  | { kind: "too_early"; session: SessionSummary; opensAt: Date }
  | { kind: "over"; session: SessionSummary }
  | { kind: "checked_in"; session: SessionSummary; at: Date; enrollmentId: number; trainingSessionId: number }
  /** Already marked attended: `at` is when they checked in (null when staff marked them by hand). */
  | { kind: "already"; session: SessionSummary; at: Date | null }
  | { kind: "walk_in"; session: SessionSummary; walkInId: number; trainingSessionId: number }
  | { kind: "walk_in_already"; session: SessionSummary; status: "pending" | "confirmed" | "rejected" };

/** When a session's check-in is open: from an hour before the start to the end. */
export function checkInWindow(session: { startsAt: Date; endsAt: Date }): { opensAt: Date; closesAt: Date } {
  return { opensAt: new Date(session.startsAt.getTime() - checkInOpensBeforeMs), closesAt: session.endsAt };
}

/** Checks the participant in with a code as typed ("k7m-2qx" is fine), inside the caller's transaction. */
export async function checkIn(
  tx: Tx,
  participantId: number,
  identityId: number | null,
  typedCode: string,
  now: Date,
): Promise<CheckInOutcome> {
  const code = normalizeCheckInCode(typedCode);
  const session = code
    ? await tx.trainingSession.findUnique({
        where: { checkInCode: code },
        include: { programme: { select: { titleId: true, titleEn: true, timeZone: true } } },
      })
    : null;
  if (!session) return { kind: "unknown_code" };
  const summary: SessionSummary = {
    programmeTitle: { id: session.programme.titleId, en: session.programme.titleEn },
    startsAt: session.startsAt,
    timeZone: session.programme.timeZone,
    venue: session.venue,
  };
  if (session.status === "cancelled") return { kind: "cancelled", session: summary };

  const enrollment = await tx.enrollment.findUnique({
    where: { participantId_trainingSessionId: { participantId, trainingSessionId: session.id } },
  });
  // A second check-in is answered as such even after the window.
  if (enrollment?.status === "attended") return { kind: "already", session: summary, at: enrollment.checkedInAt };
  const walkIn = await tx.walkIn.findUnique({
    where: { trainingSessionId_participantId: { trainingSessionId: session.id, participantId } },
  });
  if (walkIn) return { kind: "walk_in_already", session: summary, status: walkIn.status };

  const { opensAt, closesAt } = checkInWindow(session);
  if (now < opensAt) return { kind: "too_early", session: summary, opensAt };
  if (now > closesAt) return { kind: "over", session: summary };

  // Seat holders only; one marked absent earlier (came late) is marked attended now.
  if (enrollment && (enrollment.status === "enrolled" || enrollment.status === "absent")) {
    const marked = await tx.enrollment.updateMany({
      where: { id: enrollment.id, status: { in: ["enrolled", "absent"] } },
      data: { status: "attended", checkedInAt: now, checkInMethod: "code" },
    });
    if (marked.count)
      return {
        kind: "checked_in",
        session: summary,
        at: now,
        enrollmentId: enrollment.id,
        trainingSessionId: session.id,
      };
  }
  const created = await tx.walkIn.create({
    data: { trainingSessionId: session.id, participantId, identityId, checkedInAt: now },
  });
  return { kind: "walk_in", session: summary, walkInId: created.id, trainingSessionId: session.id };
}
