/**
 * Issuing a certificate of attendance: the certificate of an enrollment that earned one
 * (attended, by status or a check-in; the feedback answered when the programme asks for it; the
 * participant's data not erased) and has none yet, with the message that carries it written to
 * the outbox in the caller's transaction, to the chat the participant used last that has not
 * blocked the bot (as reminders pick it). Null when not eligible or already issued, so calling it
 * again is harmless.
 *
 * What the certificate shows is copied onto its row (name, business, programme, session, issuer,
 * signatory), so it renders identically later whatever changes in the profile or programme.
 */
import type { DatabaseProvider } from "../db/database.js";
import { changes, rows, type Plan } from "../db/plan.js";
import { prepareStatements, sqlTime } from "../db/raw-sql.js";
import { bold, escapeMarkup } from "../engine/markup.js";
import { certificateSettings, type CertificateSettings } from "../config.js";
import { OutboxWrites } from "../outbox/outbox-writes.js";
import { outboundRow, priorities, type OutboxBatch } from "../outbox/types.js";
import { certificateNumber } from "./certificates.js";
import { latestOpenChatSql } from "./latest-chat.js";

export type CertificateIssued = { certificateId: number; number: string; batch: OutboxBatch | null };

/** Who signs when the programme names nobody. */
export const defaultSignatory = { name: "Kepala Dinas", title: "Kepala Dinas Perindustrian dan Perdagangan" };

/** The verification page of a certificate. */
export const verificationUrl = (baseUrl: string, number: string) =>
  `${baseUrl}/sertifikat/${encodeURIComponent(number)}`;

const statements = {
  enrollment: `SELECT e.id, e.status, e."checkedInAt", e."participantId", s."startsAt", s."endsAt", s.venue, s.regency,
      s."programmeId", p."titleId", p."timeZone", p."certificateSignatory", p."certificateSignatoryTitle",
      p."certificateRequiresFeedback", pa.name, pa."businessName", pa.language, pa."deletedAt"
    FROM "Enrollment" e
    JOIN "TrainingSession" s ON s.id = e."trainingSessionId"
    JOIN "Programme" p ON p.id = s."programmeId"
    LEFT JOIN "Participant" pa ON pa.id = e."participantId"
    WHERE e.id = $1`,
  existing: `SELECT id FROM "Certificate" WHERE "enrollmentId" = $1`,
  feedback: `SELECT id FROM "FlowResult" WHERE "enrollmentId" = $1 AND flow = 'feedback' LIMIT 1`,
  insert: `INSERT INTO "Certificate" (number, "enrollmentId", "participantId", "holderName", "businessName", "programmeId",
      "programmeTitle", "sessionStartsAt", "sessionEndsAt", "timeZone", venue, regency, issuer, "signatoryName",
      "signatoryTitle", "issuedAt", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamp(3), $9::timestamp(3), $10, $11, $12, $13, $14, $15,
      $16::timestamp(3), $17::timestamp(3), $18::timestamp(3))
    ON CONFLICT ("enrollmentId") DO NOTHING RETURNING id`,
  number: `UPDATE "Certificate" SET number = $1 WHERE id = $2`,
  identity: latestOpenChatSql,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

type EnrollmentRow = {
  id: number;
  status: string;
  checkedInAt: Date | null;
  participantId: number | null;
  startsAt: Date;
  endsAt: Date;
  venue: string;
  regency: string;
  programmeId: number;
  titleId: string;
  timeZone: string;
  certificateSignatory: string | null;
  certificateSignatoryTitle: string | null;
  certificateRequiresFeedback: boolean | number;
  name: string | null;
  businessName: string | null;
  language: string | null;
  deletedAt: Date | null;
};

/**
 * The chat message that carries a certificate, in the participant's language: when issued, or
 * (`again`) sent once more because the participant asked for it.
 */
export function certificateMessageText(
  language: string | null,
  programmeTitle: string,
  number: string,
  link: string,
  again = false,
) {
  return language === "en"
    ? `${again ? "Here is" : "Congratulations! Here is"} your certificate for ${bold(programmeTitle)}.\n\n` +
        `Number: ${escapeMarkup(number)}\nAnyone can check that it is genuine at ${link}`
    : `${again ? "Ini" : "Selamat! Ini"} sertifikat Anda untuk pelatihan ${bold(programmeTitle)}.\n\n` +
        `Nomor: ${escapeMarkup(number)}\nKeasliannya dapat diperiksa siapa saja di ${link}`;
}

export function* issueCertificatePlan(
  provider: DatabaseProvider,
  enrollmentId: number,
  now: Date,
  settings: CertificateSettings = certificateSettings(),
): Plan<CertificateIssued | null> {
  const sql = prepared[provider];
  const at = sqlTime(now, provider);
  const [e] = yield* rows<EnrollmentRow>(sql.enrollment, [enrollmentId], {
    dates: ["checkedInAt", "startsAt", "endsAt", "deletedAt"],
  });
  if (!e || e.participantId === null || e.deletedAt || !e.name) return null;
  if (e.status !== "attended" && !(e.checkedInAt && e.status !== "cancelled" && e.status !== "absent")) return null;
  if ((yield* rows(sql.existing, [enrollmentId])).length) return null;
  if (e.certificateRequiresFeedback && !(yield* rows(sql.feedback, [enrollmentId])).length) return null;
  // A placeholder first: the number holds the row id, known once the row is in.
  const placeholder = `pending-${enrollmentId}-${now.getTime()}`;
  const [inserted] = yield* rows<{ id: number }>(sql.insert, [
    placeholder,
    enrollmentId,
    e.participantId,
    e.name,
    e.businessName,
    e.programmeId,
    e.titleId,
    sqlTime(e.startsAt, provider),
    sqlTime(e.endsAt, provider),
    e.timeZone,
    e.venue,
    e.regency,
    settings.issuer,
    e.certificateSignatory?.trim() || defaultSignatory.name,
    e.certificateSignatoryTitle?.trim() || defaultSignatory.title,
    at,
    at,
    at,
  ]);
  // Another transaction issued it first.
  if (!inserted) return null;
  const year = Number(
    new Intl.DateTimeFormat("en", { timeZone: e.timeZone, year: "numeric" }).format(now).replace(/\D/g, ""),
  );
  const number = certificateNumber(inserted.id, year);
  yield* changes(sql.number, [number, inserted.id]);
  const [identity] = yield* rows<{ id: number; channel: string; chatId: string }>(sql.identity, [e.participantId]);
  if (!identity) return { certificateId: inserted.id, number, batch: null };
  const text = certificateMessageText(e.language, e.titleId, number, verificationUrl(settings.baseUrl, number));
  const writes = new OutboxWrites(provider);
  const { outboxIds, messageIds } = yield* writes.insertOutboundRows(
    [
      outboundRow(
        { channel: identity.channel, chatId: identity.chatId, identityId: identity.id },
        { text },
        "notice",
        priorities.notice,
      ),
    ],
    now,
  );
  yield* writes.attach(messageIds[0]!, { kind: "certificate", number });
  return {
    certificateId: inserted.id,
    number,
    batch: { channel: identity.channel, chatId: identity.chatId, ids: outboxIds, priority: priorities.notice },
  };
}
