/**
 * Enrolls a participant in a training session, or puts them on its waiting list when it is
 * full. Runs inside the caller's transaction with the session row locked, so 50 people racing
 * for the last 10 seats end as exactly 10 enrolled and 40 waitlisted, in order.
 *
 * A participant holds at most the programme's `seatsPerParticipant` (one by default) of its
 * upcoming sessions at a time, enrolled or waitlisted: past that, nothing changes and the
 * outcome names the enrollment they already have (the flow offers to move it instead). The
 * participant's row is locked first, so two requests of one person for two sessions of one
 * programme (two chats at once) cannot both get through. Locks are always taken participant
 * first, then sessions (move-enrollment.ts, delete-participant-data.ts do the same).
 *
 * Raw SQL (src/db/raw-sql.ts): this runs on every enrollment, and one query reads everything.
 */
import type { Database, DatabaseProvider, Tx } from "../db/database.js";
import { changes, expect, rows, runPlan, send, type Plan } from "../db/plan.js";
import { inTransaction, prepareStatements, sqlNumber, sqlTime } from "../db/raw-sql.js";

export type EnrollOutcome =
  /** `session`: its start and end as read with its row locked; `fresh`: a new row (not a cancelled one taken again). */
  | { kind: "enrolled"; enrollmentId: number; session: { startsAt: Date; endsAt: Date }; fresh: boolean }
  | { kind: "waitlisted"; enrollmentId: number; position: number }
  | { kind: "already"; status: "enrolled" | "waitlisted"; position: number | null }
  /** The participant already holds as many sessions of the programme as it allows; this is the first of them. */
  | { kind: "programme_taken"; enrollmentId: number; trainingSessionId: number }
  | { kind: "unavailable" };

const statements = {
  // NO KEY UPDATE: exclusive among enrollments, yet rows that merely refer to the participant
  // (a broadcast's recipients, motivation deliveries) are still written meanwhile.
  lockParticipant: `SELECT id FROM "Participant" WHERE id = $1 FOR NO KEY UPDATE`,
  lock: `SELECT id FROM "TrainingSession" WHERE id = $1 FOR UPDATE`,
  // Seats are held by enrolled, attended and absent participants.
  read: `SELECT s.status, s."startsAt", s."endsAt", s.capacity, s."programmeId", p."seatsPerParticipant",
      (SELECT COUNT(*) FROM "Enrollment" t WHERE t."trainingSessionId" = s.id AND t.status IN ('enrolled', 'attended', 'absent')) AS taken,
      (SELECT MAX(w."waitlistPosition") FROM "Enrollment" w WHERE w."trainingSessionId" = s.id) AS "lastPosition",
      e.id AS "enrollmentId", e.status AS "enrollmentStatus", e."waitlistPosition"
    FROM "TrainingSession" s
    JOIN "Programme" p ON p.id = s."programmeId"
    LEFT JOIN "Enrollment" e ON e."trainingSessionId" = s.id AND e."participantId" = $1
    WHERE s.id = $2`,
  // The participant's places in the programme's other upcoming sessions, soonest first.
  held: `SELECT e.id AS "enrollmentId", e."trainingSessionId"
    FROM "Enrollment" e JOIN "TrainingSession" o ON o.id = e."trainingSessionId"
    WHERE e."participantId" = $1 AND e.status IN ('enrolled', 'waitlisted')
      AND o."programmeId" = $2 AND o.id <> $3 AND o.status = 'scheduled' AND o."endsAt" > $4::timestamp(3)
    ORDER BY o."startsAt", o.id, e.id`,
  insert: `INSERT INTO "Enrollment" ("participantId", "trainingSessionId", status, "waitlistPosition", "createdAt", "updatedAt")
    VALUES ($1, $2, $3::"EnrollmentStatus", $4, $5::timestamp(3), $6::timestamp(3)) RETURNING id`,
  // With an id taken before (PostgreSQL: reminders.ts sessionSchedulePlan).
  insertWithId: `INSERT INTO "Enrollment" (id, "participantId", "trainingSessionId", status, "waitlistPosition", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4::"EnrollmentStatus", $5, $6::timestamp(3), $7::timestamp(3))`,
  // A cancelled enrollment of the same person and session is used again (one row per pair).
  reuse: `UPDATE "Enrollment" SET status = $1::"EnrollmentStatus", "waitlistPosition" = $2, rsvp = NULL, "rsvpAt" = NULL,
      "cancelledAt" = NULL, "updatedAt" = $3::timestamp(3) WHERE id = $4`,
  rank: `SELECT COUNT(*) AS ahead FROM "Enrollment"
    WHERE "trainingSessionId" = $1 AND status = 'waitlisted' AND "waitlistPosition" < $2`,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

type ReadRow = {
  status: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  programmeId: number;
  seatsPerParticipant: number;
  taken: number | bigint;
  lastPosition: number | bigint | null;
  enrollmentId: number | null;
  enrollmentStatus: string | null;
  waitlistPosition: number | null;
};

/**
 * The enrollment as a plan of statements (db/plan.ts), for the caller's transaction.
 *
 * On PostgreSQL the session's row stays locked from here to the commit, so every enrollment in
 * the session waits for the one before to commit: the fewer round trips after the lock, the more
 * enrollments a second. The locks go in one round trip with the read that needs them (statements
 * on one connection run in order, so the read starts once both are held and sees what the
 * enrollment before committed). A caller that knows the session's programme (it read the
 * session first) passes `programmeId`: the participant's other places in the programme are then
 * read before the session is locked, with only the participant's row locked, which is what
 * guards them.
 */
export function* enrollPlan(
  provider: DatabaseProvider,
  participantId: number,
  trainingSessionId: number,
  now: Date,
  known: { programmeId?: number; newEnrollmentId?: number } = {},
): Plan<EnrollOutcome> {
  const { programmeId, newEnrollmentId } = known;
  const sql = prepared[provider];
  // PostgreSQL needs the row locks; SQLite already runs one writing transaction at a time.
  if (provider === "postgresql") yield* send(sql.lockParticipant, [participantId]);
  const heldBefore =
    programmeId === undefined
      ? null
      : yield* heldInProgrammePlan(provider, participantId, programmeId, trainingSessionId, now);
  if (provider === "postgresql") yield* send(sql.lock, [trainingSessionId]);
  const [row] = yield* rows<ReadRow>(sql.read, [participantId, trainingSessionId], { dates: ["startsAt", "endsAt"] });
  if (!row || row.status !== "scheduled" || row.startsAt <= now) return { kind: "unavailable" };

  if (row.enrollmentStatus === "enrolled" || row.enrollmentStatus === "waitlisted") {
    const position =
      row.enrollmentStatus === "waitlisted"
        ? yield* waitlistRankPlan(provider, trainingSessionId, row.waitlistPosition!)
        : null;
    return { kind: "already", status: row.enrollmentStatus, position };
  }

  const held =
    heldBefore !== null && row.programmeId === programmeId
      ? heldBefore
      : yield* heldInProgrammePlan(provider, participantId, row.programmeId, trainingSessionId, now);
  if (held.length >= seatLimit(row.seatsPerParticipant)) return { kind: "programme_taken", ...held[0]! };

  const full = sqlNumber(row.taken)! >= row.capacity;
  const status = full ? "waitlisted" : "enrolled";
  const waitlistPosition = full ? (sqlNumber(row.lastPosition) ?? 0) + 1 : null;
  let enrollmentId: number;
  const at = sqlTime(now, provider);
  const values = [participantId, trainingSessionId, status, waitlistPosition, at, at];
  if (row.enrollmentId !== null) {
    yield* changes(sql.reuse, [status, waitlistPosition, at, row.enrollmentId]);
    enrollmentId = row.enrollmentId;
  } else if (newEnrollmentId !== undefined) {
    // The id is known: nothing to wait for (the read above found no row of this pair).
    yield* expect("run", sql.insertWithId, [newEnrollmentId, ...values], 1);
    enrollmentId = newEnrollmentId;
  } else {
    const [created] = yield* rows<{ id: number }>(sql.insert, values);
    enrollmentId = created!.id;
  }
  const fresh = row.enrollmentId === null;
  if (!full) return { kind: "enrolled", enrollmentId, session: { startsAt: row.startsAt, endsAt: row.endsAt }, fresh };
  return {
    kind: "waitlisted",
    enrollmentId,
    position: yield* waitlistRankPlan(provider, trainingSessionId, waitlistPosition!),
  };
}

/** An enrollment in another session of the programme that the participant holds (enrolled or waitlisted). */
export type HeldEnrollment = { enrollmentId: number; trainingSessionId: number };

/**
 * The participant's active enrollments in the programme's upcoming sessions (scheduled, not
 * ended) other than `exceptSessionId`, soonest first. Past sessions never count: a run whose
 * attendance nobody marked must not keep someone out of the next one.
 */
export function* heldInProgrammePlan(
  provider: DatabaseProvider,
  participantId: number,
  programmeId: number,
  exceptSessionId: number,
  now: Date,
): Plan<HeldEnrollment[]> {
  return yield* rows<HeldEnrollment>(prepared[provider].held, [
    participantId,
    programmeId,
    exceptSessionId,
    sqlTime(now, provider),
  ]);
}

/**
 * The programme's setting as a limit: the dashboard keeps it within 1 to 10; a value put in the
 * database by hand below 1 counts as 1, so nobody is locked out of a programme altogether.
 */
export const seatLimit = (seatsPerParticipant: number) => Math.max(1, seatsPerParticipant);

/** Enrolls inside a Prisma transaction. */
export function enrollParticipant(
  tx: Tx,
  database: Database,
  participantId: number,
  trainingSessionId: number,
  now: Date,
): Promise<EnrollOutcome> {
  return runPlan(enrollPlan(database.provider, participantId, trainingSessionId, now), inTransaction(database, tx));
}

/** 1 for the first on the waiting list. Positions are an order, not a rank: gaps are normal. */
export function* waitlistRankPlan(
  provider: DatabaseProvider,
  trainingSessionId: number,
  waitlistPosition: number,
): Plan<number> {
  const [row] = yield* rows<{ ahead: number | bigint }>(prepared[provider].rank, [trainingSessionId, waitlistPosition]);
  return sqlNumber(row!.ahead)! + 1;
}
