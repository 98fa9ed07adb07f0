/**
 * What a programme sends after a session (campaign-events.ts: the feedback survey, the
 * certificate, the follow-ups), scheduled like reminders: the database is the truth, BullMQ the
 * trigger. An enrolled participant gets one CampaignMessage row per event of the programme, due
 * relative to the session's end; the rows are made wherever reminders are (reminders.ts:
 * createRemindersForManyPlan), so they move with a moved session and come back with a
 * re-enrollment, and are cancelled with the enrollment, the session, an opt-out or an erasure.
 * At fire time the row is claimed and the participant checked again: they attended (status
 * `attended` or checked in), have not opted out or erased their data, have a chat that has not
 * blocked the bot, and, for a follow-up, did not answer "no" to "may we contact you again?".
 * Someone in the middle of another flow is offered the survey instead (the row is then
 * `offered`), again the next day, for at most `offerWindowMs` after it was first due.
 */
import type { DatabaseProvider } from "../db/database.js";
import { changes, rows, send, type Plan } from "../db/plan.js";
import { forProvider, prepareStatements, sqlTime } from "../db/raw-sql.js";
import type { Language, LocalText } from "../engine/types.js";
import type { OutboxBatch } from "../outbox/types.js";
import { campaignDueAt, parseCampaignEvents, type CampaignEvent } from "./campaign-events.js";
import { issueCertificatePlan } from "./issue-certificate.js";
import { quietUntil, type QuietHours } from "./quiet-hours.js";
import { latestOpenChatSql } from "./latest-chat.js";

/** A row to schedule: its job id is made of the enrollment and the event key. */
export type ScheduledCampaign = { id: number; enrollmentId: number; eventKey: string; dueAt: Date };

/** How early a job may fire and still send (timers are not exact). */
const earlyToleranceMs = 60_000;

/** A survey offered to someone busy is offered again this long after (the next day). */
export const reofferAfterMs = 24 * 3_600_000;

/** After this long past its first due time, an offer not taken up is given up (three offers at most). */
export const offerWindowMs = 2 * 24 * 3_600_000 + 3_600_000;

/** The answer of the feedback survey that stops follow-ups. */
export const followUpConsentKey = "may_follow_up";

const statements = {
  due: `SELECT c.id, c.status, c."eventKey", c.flow, c."dueAt", c."enrollmentId",
      e.status AS "enrollmentStatus", e."checkedInAt", e."trainingSessionId",
      s."endsAt", s.status AS "sessionStatus", s."programmeId",
      p."titleId", p."titleEn", p."timeZone", p."campaignEvents", p."followUpQuestions",
      pa.id AS "participantId", pa.language, pa."optedOutAt"
    FROM "CampaignMessage" c
    JOIN "Enrollment" e ON e.id = c."enrollmentId"
    JOIN "TrainingSession" s ON s.id = e."trainingSessionId"
    JOIN "Programme" p ON p.id = s."programmeId"
    LEFT JOIN "Participant" pa ON pa.id = e."participantId"
    WHERE c.id = $1`,
  identity: latestOpenChatSql,
  declined: `SELECT id FROM "FlowResult" WHERE "participantId" = $1 AND "enrollmentId" = $2 AND round = 'feedback'
    AND "questionKey" = '${followUpConsentKey}' AND value = 'no' LIMIT 1`,
  claim: `UPDATE "CampaignMessage" SET status = 'sent', "sentAt" = $1::timestamp(3), reason = NULL, "updatedAt" = $2::timestamp(3)
    WHERE id = $3 AND status IN ('pending', 'offered')`,
  offered: `UPDATE "CampaignMessage" SET status = 'offered', "dueAt" = $1::timestamp(3), "updatedAt" = $2::timestamp(3)
    WHERE id = $3`,
  skip: `UPDATE "CampaignMessage" SET status = 'skipped', reason = $1, "updatedAt" = $2::timestamp(3)
    WHERE id = $3 AND status IN ('pending', 'offered', 'sent')`,
  invitation: `SELECT c.id, c.flow, c."eventKey", c."enrollmentId", c.status FROM "CampaignMessage" c
    JOIN "Enrollment" e ON e.id = c."enrollmentId" WHERE c.id = $1 AND e."participantId" = $2`,
  latestOffered: `SELECT c.id, c.flow, c."eventKey", c."enrollmentId", c.status FROM "CampaignMessage" c
    JOIN "Enrollment" e ON e.id = c."enrollmentId" WHERE c.status = 'offered' AND e."participantId" = $1
    ORDER BY c."updatedAt" DESC, c.id DESC LIMIT 1`,
  accept: `UPDATE "CampaignMessage" SET status = 'sent', "sentAt" = $1::timestamp(3), "updatedAt" = $2::timestamp(3)
    WHERE id = $3 AND status = 'offered'
      AND "enrollmentId" IN (SELECT id FROM "Enrollment" WHERE "participantId" = $4)`,
  cancelOfSession: `UPDATE "CampaignMessage" SET status = 'cancelled', reason = $1, "updatedAt" = $2::timestamp(3)
    WHERE status IN ('pending', 'offered') AND "enrollmentId" IN (
      SELECT id FROM "Enrollment" WHERE "trainingSessionId" = $3)`,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

/**
 * Creates (or renews: a moved session's rows are due anew, a re-enrollment gets them back) the
 * campaign rows of enrollments that hold a seat or attended (a walk-in confirmed afterwards gets
 * them this way too); a row already sent stays as it is. Returns those to schedule.
 */
export function* createCampaignsForManyPlan(
  provider: DatabaseProvider,
  enrollmentIds: number[],
  now: Date,
): Plan<ScheduledCampaign[]> {
  const created: ScheduledCampaign[] = [];
  const inList = provider === "sqlite" ? "IN (SELECT value FROM json_each($1))" : "= ANY($1::int[])";
  for (let i = 0; i < enrollmentIds.length; i += 500) {
    const chunk = enrollmentIds.slice(i, i + 500);
    const sessions = yield* rows<CampaignSource>(
      forProvider(
        `SELECT e.id AS "enrollmentId", s."endsAt", p."campaignEvents"
          FROM "Enrollment" e JOIN "TrainingSession" s ON s.id = e."trainingSessionId" JOIN "Programme" p ON p.id = s."programmeId"
          WHERE e.id ${inList} AND e.status IN ('enrolled', 'attended') AND s.status <> 'cancelled'`,
        provider,
      ),
      [provider === "sqlite" ? JSON.stringify(chunk) : chunk],
      { dates: ["endsAt"], json: ["campaignEvents"] },
    );
    created.push(...(yield* writeCampaignsPlan(provider, sessions, now)));
  }
  return created;
}

/** An enrollment and what its campaign rows are made from: its session's end, its programme's events. */
export type CampaignSource = { enrollmentId: number; endsAt: Date; campaignEvents: unknown };

/**
 * Writes (or renews) the campaign rows of these enrollments, read by the caller (at most 500):
 * createCampaignsForManyPlan, or an enrollment whose session was read before it was locked.
 * With `unread`, the rows made are not returned, so PostgreSQL sends the statement without
 * waiting for it (the plan goes on to its next statement in the same round trip).
 */
export function* writeCampaignsPlan(
  provider: DatabaseProvider,
  sources: CampaignSource[],
  now: Date,
  unread = false,
): Plan<ScheduledCampaign[]> {
  const wanted = sources.flatMap((s) =>
    parseCampaignEvents(s.campaignEvents).map((event) => ({
      enrollmentId: s.enrollmentId,
      eventKey: event.key,
      flow: event.flow ?? event.action ?? "",
      dueAt: campaignDueAt(event, s.endsAt),
    })),
  );
  if (!wanted.length) return [];
  const at = sqlTime(now, provider);
  const values: unknown[] = [];
  const tuples = wanted.map((r) => {
    const n = values.length;
    values.push(r.enrollmentId, r.eventKey, r.flow, sqlTime(r.dueAt, provider), at, at);
    return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}::timestamp(3), 'pending', $${n + 5}::timestamp(3), $${n + 6}::timestamp(3))`;
  });
  const insert = `INSERT INTO "CampaignMessage" ("enrollmentId", "eventKey", flow, "dueAt", status, "createdAt", "updatedAt")
    VALUES ${tuples.join(", ")}
    ON CONFLICT ("enrollmentId", "eventKey") DO UPDATE SET flow = excluded.flow, "dueAt" = excluded."dueAt",
      status = 'pending', "sentAt" = NULL, reason = NULL, "updatedAt" = excluded."updatedAt"
      WHERE "CampaignMessage".status <> 'sent'`;
  if (unread) {
    yield* send(forProvider(insert, provider), values);
    return [];
  }
  const inserted = yield* rows<{ id: number; enrollmentId: number; eventKey: string; dueAt: Date; status: string }>(
    forProvider(`${insert} RETURNING id, "enrollmentId", "eventKey", "dueAt", status`, provider),
    values,
    { dates: ["dueAt"] },
  );
  return inserted
    .filter((r) => r.status === "pending")
    .map((r) => ({ id: r.id, enrollmentId: r.enrollmentId, eventKey: r.eventKey, dueAt: r.dueAt }));
}

/** Cancels the campaign rows still to come of a session's enrollments (the session is cancelled). */
export function* cancelCampaignsOfSessionPlan(
  provider: DatabaseProvider,
  trainingSessionId: number,
  reason: string,
  now: Date,
): Plan<number> {
  return yield* changes(prepared[provider].cancelOfSession, [reason, sqlTime(now, provider), trainingSessionId]);
}

type DueRow = {
  id: number;
  status: string;
  eventKey: string;
  flow: string;
  dueAt: Date;
  enrollmentId: number;
  enrollmentStatus: string;
  checkedInAt: Date | null;
  trainingSessionId: number;
  endsAt: Date;
  sessionStatus: string;
  programmeId: number;
  titleId: string;
  titleEn: string;
  timeZone: string;
  campaignEvents: unknown;
  followUpQuestions: unknown;
  participantId: number | null;
  language: string | null;
  optedOutAt: Date | null;
};

/** A survey to start for a participant (the job words it with the flow's first question). */
export type CampaignDelivery = {
  campaignMessageId: number;
  /** When it was first due (its offers come later). */
  dueAt: Date;
  flow: "feedback" | "followup";
  /** The round of the answers: the event's key ("feedback", "followup-30d"). */
  round: string;
  enrollmentId: number;
  identityId: number;
  channel: string;
  chatId: string;
  language: Language;
  programmeTitle: LocalText;
  /** The programme's own follow-up questions as stored (null: the defaults). */
  followUpQuestions: unknown;
};

export type CampaignFiring =
  | null
  /** Quiet hours, or the job came early: try again then. */
  | { wait: Date }
  | { kind: "survey"; delivery: CampaignDelivery }
  | { kind: "certificate"; batch: OutboxBatch | null };

/**
 * At fire time: checks the row and its participant (see the top of this file) and says what to
 * do, or marks it skipped with the reason. A certificate is issued here, the row claimed, in the
 * caller's transaction. A survey is claimed by the job (claimCampaignPlan), and marked offered
 * (markOfferedPlan) when it was offered rather than started. Null when there is nothing to do (already handled, or not eligible).
 */
export function* fireCampaignPlan(
  provider: DatabaseProvider,
  campaignMessageId: number,
  now: Date,
  quiet: QuietHours | null = null,
): Plan<CampaignFiring> {
  const sql = prepared[provider];
  const at = sqlTime(now, provider);
  const [r] = yield* rows<DueRow>(sql.due, [campaignMessageId], {
    dates: ["dueAt", "checkedInAt", "endsAt", "optedOutAt"],
    json: ["campaignEvents", "followUpQuestions"],
  });
  if (!r || (r.status !== "pending" && r.status !== "offered")) return null;
  const skip = function* (reason: string): Plan<null> {
    yield* changes(sql.skip, [reason, at, campaignMessageId]);
    return null;
  };
  // A job that fires well before the row's time belongs to an earlier time (a moved session, an
  // offer put off): it waits for the row's time.
  if (r.dueAt.getTime() - now.getTime() > earlyToleranceMs) return { wait: r.dueAt };
  if (r.sessionStatus === "cancelled") return yield* skip("session cancelled");
  const event: CampaignEvent | undefined = parseCampaignEvents(r.campaignEvents).find((e) => e.key === r.eventKey);
  if (!event) return yield* skip("event no longer in the programme's settings");
  if (r.enrollmentStatus !== "attended" && r.checkedInAt === null)
    return yield* skip(`did not attend (enrollment is ${r.enrollmentStatus})`);
  if (r.participantId === null) return yield* skip("participant data deleted");
  if (r.optedOutAt) return yield* skip("participant opted out");
  const firstDue = campaignDueAt(event, r.endsAt);
  if (r.status === "offered" && now.getTime() - firstDue.getTime() > offerWindowMs)
    return yield* skip("survey offered and not taken up");
  if (event.action === "certificate") {
    if ((yield* changes(sql.claim, [at, at, campaignMessageId])) !== 1) return null;
    const issued = yield* issueCertificatePlan(provider, r.enrollmentId, now);
    if (!issued) {
      yield* skip("no certificate due (not eligible, or issued already)");
      return { kind: "certificate", batch: null };
    }
    return { kind: "certificate", batch: issued.batch };
  }
  if (event.flow === "followup") {
    const [declined] = yield* rows<{ id: number }>(sql.declined, [r.participantId, r.enrollmentId]);
    if (declined) return yield* skip("asked not to be contacted again");
  }
  const [identity] = yield* rows<{ id: number; channel: string; chatId: string }>(sql.identity, [r.participantId]);
  if (!identity) return yield* skip("no chat that has not blocked the bot");
  const quietEnd = quietUntil(now, r.timeZone, quiet);
  if (quietEnd) return { wait: quietEnd };
  return {
    kind: "survey",
    delivery: {
      campaignMessageId,
      dueAt: firstDue,
      flow: event.flow!,
      round: r.eventKey,
      enrollmentId: r.enrollmentId,
      identityId: identity.id,
      channel: identity.channel,
      chatId: identity.chatId,
      language: r.language === "en" ? "en" : "id",
      programmeTitle: { id: r.titleId, en: r.titleEn },
      followUpQuestions: r.followUpQuestions,
    },
  };
}

/**
 * Claims a survey's row before its messages are written (it is then sent). False when another
 * job handled it first: then nothing is sent.
 */
export function* claimCampaignPlan(provider: DatabaseProvider, campaignMessageId: number, now: Date): Plan<boolean> {
  const at = sqlTime(now, provider);
  return (yield* changes(prepared[provider].claim, [at, at, campaignMessageId])) === 1;
}

/** The survey was offered, not started (the participant was busy): it is due again at `nextAt`. */
export function* markOfferedPlan(
  provider: DatabaseProvider,
  campaignMessageId: number,
  nextAt: Date,
  now: Date,
): Plan<void> {
  yield* changes(prepared[provider].offered, [sqlTime(nextAt, provider), sqlTime(now, provider), campaignMessageId]);
}

/** A survey offered to a participant, as the offer's buttons find it (their own rows only). */
export type SurveyInvitation = {
  id: number;
  flow: string;
  round: string;
  enrollmentId: number;
  status: string;
};

/** A survey of the participant's by its row id; 0: the one offered last (typed SURVEI). */
export function* surveyInvitationPlan(
  provider: DatabaseProvider,
  participantId: number,
  campaignMessageId: number,
): Plan<SurveyInvitation | null> {
  const [row] = yield* rows<{ id: number; flow: string; eventKey: string; enrollmentId: number; status: string }>(
    campaignMessageId === 0 ? prepared[provider].latestOffered : prepared[provider].invitation,
    campaignMessageId === 0 ? [participantId] : [campaignMessageId, participantId],
  );
  return row
    ? { id: row.id, flow: row.flow, round: row.eventKey, enrollmentId: row.enrollmentId, status: row.status }
    : null;
}

/** The participant took up an offered survey: the row is sent (it is not offered again). */
export function* acceptSurveyOfferPlan(
  provider: DatabaseProvider,
  participantId: number,
  campaignMessageId: number,
  now: Date,
): Plan<boolean> {
  const at = sqlTime(now, provider);
  return (yield* changes(prepared[provider].accept, [at, at, campaignMessageId, participantId])) === 1;
}
