/**
 * Training sessions as flows show them (date, venue, seats left), read in one raw query each:
 * they are read on most enrollment and schedule turns, where a Prisma include plus a group-by
 * would cost several queries.
 */
import type { Database } from "../db/database.js";
import { prepareStatements, queryRows, sqlNumber, sqlTime } from "../db/raw-sql.js";
import type { EnrollmentView, SessionView } from "../engine/types.js";

const sessionColumns = `s.id, s."programmeId", s."startsAt", s."endsAt", s.venue, s.address, s."mapUrl", s.capacity,
  p."titleId", p."titleEn", p."timeZone",
  (SELECT COUNT(*) FROM "Enrollment" t WHERE t."trainingSessionId" = s.id AND t.status IN ('enrolled', 'attended', 'absent')) AS taken,
  (SELECT COUNT(*) FROM "Enrollment" w WHERE w."trainingSessionId" = s.id AND w.status = 'waitlisted') AS waiting`;

const statements = {
  openSessions: `SELECT ${sessionColumns} FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId"
    WHERE s."programmeId" = $1 AND s.status = 'scheduled' AND s."startsAt" > $2::timestamp(3)
    ORDER BY s."startsAt", s.id`,
  session: `SELECT ${sessionColumns} FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId"
    WHERE s.id = $1 AND s.status = 'scheduled' AND s."startsAt" > $2::timestamp(3)`,
  enrollments: `SELECT ${sessionColumns}, e.id AS "enrollmentId", e.status AS "enrollmentStatus", e.rsvp,
    (SELECT COUNT(*) FROM "Enrollment" a WHERE a."trainingSessionId" = s.id AND a.status = 'waitlisted'
      AND a."waitlistPosition" < e."waitlistPosition") AS ahead
    FROM "Enrollment" e JOIN "TrainingSession" s ON s.id = e."trainingSessionId" JOIN "Programme" p ON p.id = s."programmeId"
    WHERE e."participantId" = $1 AND e.status IN ('enrolled', 'waitlisted') AND s.status = 'scheduled'
      AND s."endsAt" > $2::timestamp(3)
    ORDER BY s."startsAt", s.id`,
};

const decode = { dates: ["startsAt", "endsAt"] };

type SessionRow = {
  id: number;
  programmeId: number;
  startsAt: Date;
  endsAt: Date;
  venue: string;
  address: string;
  mapUrl: string | null;
  capacity: number;
  titleId: string;
  titleEn: string;
  timeZone: string;
  // COUNT(*) comes back as a bigint on PostgreSQL.
  taken: number | bigint;
  waiting: number | bigint;
};

type EnrollmentRow = SessionRow & {
  enrollmentId: number;
  enrollmentStatus: string;
  rsvp: string | null;
  ahead: number | bigint;
};

function toView(r: SessionRow): SessionView {
  return {
    id: r.id,
    programmeId: r.programmeId,
    programmeTitle: { id: r.titleId, en: r.titleEn },
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    timeZone: r.timeZone,
    venue: r.venue,
    address: r.address,
    mapUrl: r.mapUrl,
    capacity: r.capacity,
    seatsLeft: Math.max(0, r.capacity - sqlNumber(r.taken)!),
    waitlisted: sqlNumber(r.waiting)!,
  };
}

/** The reads, prepared for one database's dialect. */
export class SessionViews {
  private readonly sql: Record<keyof typeof statements, string>;

  constructor(private readonly database: Database) {
    this.sql = prepareStatements(statements, database.provider);
  }

  /** Every statement here takes an id and the present time. */
  private rows<T>(sql: string, id: number, now: Date): Promise<T[]> {
    return queryRows<T>(this.database, this.database.prisma, sql, [id, sqlTime(now, this.database.provider)], decode);
  }

  async openSessions(programmeId: number, now: Date): Promise<SessionView[]> {
    return (await this.rows<SessionRow>(this.sql.openSessions, programmeId, now)).map(toView);
  }

  async session(trainingSessionId: number, now: Date): Promise<SessionView | null> {
    const [row] = await this.rows<SessionRow>(this.sql.session, trainingSessionId, now);
    return row ? toView(row) : null;
  }

  async enrollments(participantId: number, now: Date): Promise<EnrollmentView[]> {
    const rows = await this.rows<EnrollmentRow>(this.sql.enrollments, participantId, now);
    return rows.map((r) => ({
      id: r.enrollmentId,
      status: r.enrollmentStatus === "waitlisted" ? "waitlisted" : "enrolled",
      waitlistPosition: r.enrollmentStatus === "waitlisted" ? sqlNumber(r.ahead)! + 1 : null,
      confirmed: r.rsvp === "confirmed",
      session: toView(r),
    }));
  }
}
