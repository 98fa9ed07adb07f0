/**
 * A participant's certificates, for when they ask for them in chat: those in force (to send
 * again, rendered from their rows as when first issued), those revoked, and the sessions they
 * attended whose certificate has not been issued yet. Read through their enrollments, whose
 * participant is indexed.
 */
import type { DatabaseProvider } from "../db/database.js";
import { rows, type Plan } from "../db/plan.js";
import { prepareStatements } from "../db/raw-sql.js";

export type ParticipantCertificates = {
  inForce: { number: string; programmeTitle: string }[];
  revoked: { number: string; programmeTitle: string }[];
  pending: { programmeTitle: string; needsFeedback: boolean }[];
};

const statements = {
  certificates: `SELECT c.number, c."programmeTitle", c."revokedAt"
    FROM "Enrollment" e JOIN "Certificate" c ON c."enrollmentId" = e.id
    WHERE e."participantId" = $1 ORDER BY c."issuedAt", c.id`,
  // Attended (by status, or checked in and not since cancelled or marked absent) without a
  // certificate; issue-certificate.ts issues for the same enrollments.
  pending: `SELECT p."titleId" AS "programmeTitle", p."certificateRequiresFeedback" AS "requiresFeedback",
      EXISTS (SELECT 1 FROM "FlowResult" r WHERE r."enrollmentId" = e.id AND r.flow = 'feedback') AS "answered"
    FROM "Enrollment" e
    JOIN "TrainingSession" s ON s.id = e."trainingSessionId"
    JOIN "Programme" p ON p.id = s."programmeId"
    WHERE e."participantId" = $1
      AND (e.status = 'attended' OR (e."checkedInAt" IS NOT NULL AND e.status NOT IN ('cancelled', 'absent')))
      AND NOT EXISTS (SELECT 1 FROM "Certificate" c WHERE c."enrollmentId" = e.id)
    ORDER BY s."startsAt", e.id`,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

export function* participantCertificatesPlan(
  provider: DatabaseProvider,
  participantId: number,
): Plan<ParticipantCertificates> {
  const sql = prepared[provider];
  const issued = yield* rows<{ number: string; programmeTitle: string; revokedAt: unknown }>(sql.certificates, [
    participantId,
  ]);
  const pending = yield* rows<{
    programmeTitle: string;
    requiresFeedback: boolean | number;
    answered: boolean | number;
  }>(sql.pending, [participantId]);
  const pick = ({ number, programmeTitle }: { number: string; programmeTitle: string }) => ({ number, programmeTitle });
  return {
    inForce: issued.filter((c) => c.revokedAt === null).map(pick),
    revoked: issued.filter((c) => c.revokedAt !== null).map(pick),
    pending: pending.map((p) => ({
      programmeTitle: p.programmeTitle,
      needsFeedback: Boolean(p.requiresFeedback) && !p.answered,
    })),
  };
}
