/**
 * Enrolls a participant in a training session, or puts them on its waiting list when it is
 * full. Runs inside the caller's transaction with the session row locked, so 50 people racing
 * for the last 10 seats end as exactly 10 enrolled and 40 waitlisted, in order.
 *
 * Raw SQL (src/db/raw-sql.ts): this runs on every enrollment, and one query reads everything.
 */
import type { Database, DatabaseProvider, Tx } from "../db/database.js";
import { changes, rows, runPlan, type Plan } from "../db/plan.js";
import { inTransaction, prepareStatements, sqlNumber, sqlTime } from "../db/raw-sql.js";

export type EnrollOutcome =
  | { kind: "enrolled"; enrollmentId: number }
  | { kind: "waitlisted"; enrollmentId: number; position: number }
  | { kind: "already"; status: "enrolled" | "waitlisted"; position: number | null }
  | { kind: "unavailable" };

const statements = {
  lock: `SELECT id FROM "TrainingSession" WHERE id = $1 FOR UPDATE`,
  // Seats are held by enrolled, attended and absent participants.
  read: `SELECT s.status, s."startsAt", s.capacity,
      (SELECT COUNT(*) FROM "Enrollment" t WHERE t."trainingSessionId" = s.id AND t.status IN ('enrolled', 'attended', 'absent')) AS taken,
      (SELECT MAX(w."waitlistPosition") FROM "Enrollment" w WHERE w."trainingSessionId" = s.id) AS "lastPosition",
      e.id AS "enrollmentId", e.status AS "enrollmentStatus", e."waitlistPosition"
    FROM "TrainingSession" s
    LEFT JOIN "Enrollment" e ON e."trainingSessionId" = s.id AND e."participantId" = $1
    WHERE s.id = $2`,
  insert: `INSERT INTO "Enrollment" ("participantId", "trainingSessionId", status, "waitlistPosition", "createdAt", "updatedAt")
    VALUES ($1, $2, $3::"EnrollmentStatus", $4, $5::timestamp(3), $6::timestamp(3)) RETURNING id`,
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
  capacity: number;
  taken: number | bigint;
  lastPosition: number | bigint | null;
  enrollmentId: number | null;
  enrollmentStatus: string | null;
  waitlistPosition: number | null;
};

/** The enrollment as a plan of statements (db/plan.ts), for the caller's transaction. */
export function* enrollPlan(
  provider: DatabaseProvider,
  participantId: number,
  trainingSessionId: number,
  now: Date,
): Plan<EnrollOutcome> {
  const sql = prepared[provider];
  // PostgreSQL needs the row lock; SQLite already runs one writing transaction at a time.
  if (provider === "postgresql") yield* rows(sql.lock, [trainingSessionId]);
  const [row] = yield* rows<ReadRow>(sql.read, [participantId, trainingSessionId], { dates: ["startsAt"] });
  if (!row || row.status !== "scheduled" || row.startsAt <= now) return { kind: "unavailable" };

  if (row.enrollmentStatus === "enrolled" || row.enrollmentStatus === "waitlisted") {
    const position =
      row.enrollmentStatus === "waitlisted"
        ? yield* waitlistRankPlan(provider, trainingSessionId, row.waitlistPosition!)
        : null;
    return { kind: "already", status: row.enrollmentStatus, position };
  }

  const full = sqlNumber(row.taken)! >= row.capacity;
  const status = full ? "waitlisted" : "enrolled";
  const waitlistPosition = full ? (sqlNumber(row.lastPosition) ?? 0) + 1 : null;
  let enrollmentId: number;
  if (row.enrollmentId !== null) {
    yield* changes(sql.reuse, [status, waitlistPosition, sqlTime(now, provider), row.enrollmentId]);
    enrollmentId = row.enrollmentId;
  } else {
    const [created] = yield* rows<{ id: number }>(sql.insert, [
      participantId,
      trainingSessionId,
      status,
      waitlistPosition,
      sqlTime(now, provider),
      sqlTime(now, provider),
    ]);
    enrollmentId = created!.id;
  }
  if (!full) return { kind: "enrolled", enrollmentId };
  return {
    kind: "waitlisted",
    enrollmentId,
    position: yield* waitlistRankPlan(provider, trainingSessionId, waitlistPosition!),
  };
}

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
