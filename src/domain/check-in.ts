/**
 * Check-in at the venue: a participant sends the session's code (scanned from the poster or
 * typed) from an hour before the start to the end. A seat holder is marked attended; anyone
 * else (waitlisted, cancelled, never enrolled) is recorded as a walk-in for staff to confirm on
 * the roster page. A code that is unknown, of a cancelled session, outside the window, or sent
 * a second time changes nothing; the outcome says why.
 *
 * Raw SQL (src/db/raw-sql.ts), as a plan for the turn's transaction: at the door of a venue a
 * whole class checks in within minutes, and one query reads the session, the seat and any
 * walk-in at once.
 */
import type { DatabaseProvider } from "../db/database.js";
import { changes, rows, type Plan } from "../db/plan.js";
import { prepareStatements, sqlTime } from "../db/raw-sql.js";
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

const statements = {
  read: `SELECT s.id, s.status, s."startsAt", s."endsAt", s.venue, p."titleId", p."titleEn", p."timeZone",
      e.id AS "enrollmentId", e.status AS "enrollmentStatus", e."checkedInAt", w.status AS "walkInStatus"
    FROM "TrainingSession" s
    JOIN "Programme" p ON p.id = s."programmeId"
    LEFT JOIN "Enrollment" e ON e."trainingSessionId" = s.id AND e."participantId" = $1
    LEFT JOIN "WalkIn" w ON w."trainingSessionId" = s.id AND w."participantId" = $2
    WHERE s."checkInCode" = $3`,
  // Seat holders only; one marked absent earlier (came late) is marked attended now.
  attend: `UPDATE "Enrollment" SET status = 'attended', "checkedInAt" = $1::timestamp(3), "checkInMethod" = 'code',
      "updatedAt" = $2::timestamp(3) WHERE id = $3 AND status IN ('enrolled', 'absent')`,
  walkIn: `INSERT INTO "WalkIn" ("trainingSessionId", "participantId", "identityId", status, "checkedInAt", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, 'pending', $4::timestamp(3), $5::timestamp(3), $6::timestamp(3)) RETURNING id`,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

type ReadRow = {
  id: number;
  status: string;
  startsAt: Date;
  endsAt: Date;
  venue: string;
  titleId: string;
  titleEn: string;
  timeZone: string;
  enrollmentId: number | null;
  enrollmentStatus: string | null;
  checkedInAt: Date | null;
  walkInStatus: "pending" | "confirmed" | "rejected" | null;
};

/** Checks the participant in with a code as typed ("k7m-2qx" is fine), as a plan for the caller's transaction. */
export function* checkInPlan(
  provider: DatabaseProvider,
  participantId: number,
  identityId: number | null,
  typedCode: string,
  now: Date,
): Plan<CheckInOutcome> {
  const sql = prepared[provider];
  const code = normalizeCheckInCode(typedCode);
  if (!code) return { kind: "unknown_code" };
  const [session] = yield* rows<ReadRow>(sql.read, [participantId, participantId, code], {
    dates: ["startsAt", "endsAt", "checkedInAt"],
  });
  if (!session) return { kind: "unknown_code" };
  const summary: SessionSummary = {
    programmeTitle: { id: session.titleId, en: session.titleEn },
    startsAt: session.startsAt,
    timeZone: session.timeZone,
    venue: session.venue,
  };
  if (session.status === "cancelled") return { kind: "cancelled", session: summary };
  // A second check-in is answered as such even after the window.
  if (session.enrollmentStatus === "attended") return { kind: "already", session: summary, at: session.checkedInAt };
  if (session.walkInStatus) return { kind: "walk_in_already", session: summary, status: session.walkInStatus };

  const { opensAt, closesAt } = checkInWindow(session);
  if (now < opensAt) return { kind: "too_early", session: summary, opensAt };
  if (now > closesAt) return { kind: "over", session: summary };

  const at = sqlTime(now, provider);
  if (
    session.enrollmentId !== null &&
    (session.enrollmentStatus === "enrolled" || session.enrollmentStatus === "absent") &&
    (yield* changes(sql.attend, [at, at, session.enrollmentId])) === 1
  )
    return {
      kind: "checked_in",
      session: summary,
      at: now,
      enrollmentId: session.enrollmentId,
      trainingSessionId: session.id,
    };
  const [created] = yield* rows<{ id: number }>(sql.walkIn, [session.id, participantId, identityId, at, at, at]);
  return { kind: "walk_in", session: summary, walkInId: created!.id, trainingSessionId: session.id };
}
