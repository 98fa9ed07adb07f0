/**
 * Applies the engine's events inside the turn's transaction (DESIGN.md section 2, step 5):
 * profile and enrollment changes, and the outgoing messages they cause, in event order. Each
 * kind of event has one handler in `eventHandlers`; the domain rules are verbs in src/domain.
 */
import type { Database, DatabaseProvider, Tx } from "../db/database.js";
import { rows, runPlan, send, type Plan } from "../db/plan.js";
import { forProvider, inTransaction, prepareStatements, sqlTime } from "../db/raw-sql.js";
import { answerAttendance } from "../domain/answer-attendance.js";
import { cancelEnrollment } from "../domain/cancel-enrollment.js";
import { checkInPlan } from "../domain/check-in.js";
import { deleteParticipantData } from "../domain/delete-participant-data.js";
import type { ErasureEntry } from "../domain/erasures.js";
import { enrollPlan } from "../domain/enroll-participant.js";
import { moveEnrollment } from "../domain/move-enrollment.js";
import { optInParticipant, optOutParticipant } from "../domain/opt-out-participant.js";
import { welcomePromoted, type Promotion, type Welcome } from "../domain/promote-from-waitlist.js";
import {
  createRemindersPlan,
  remindersOfNewEnrollmentPlan,
  sessionSchedulePlan,
  type ScheduledReminder,
} from "../domain/reminders.js";
import { audit } from "../domain/staff.js";
import { acceptSurveyOfferPlan } from "../domain/campaigns.js";
import { recordFlowResultPlan } from "../domain/flow-results.js";
import { certificateMessageText, issueCertificatePlan, verificationUrl } from "../domain/issue-certificate.js";
import { participantCertificatesPlan } from "../domain/participant-certificates.js";
import { certificateSettings } from "../config.js";
import type { OutboxBatch } from "../outbox/types.js";
import type { EngineEvent, Language, OutgoingMessage, ProfileField } from "../engine/types.js";
import type { StaffAction } from "./staff-commands.js";
import { outcomes, type SessionSummary } from "../../flows/outcomes.js";
import { checkInText } from "../../flows/checkin.js";
import { certificateNewsText } from "../../flows/certificates.js";

const summaryStatement = `SELECT p."titleId", p."titleEn", p."timeZone", s."startsAt", s.venue
  FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId" WHERE s.id = $1`;

/** A message to write to the outbox: to this chat, or to another participant (a promotion). */
export type Outgoing = {
  identityId: number | null;
  channel: string;
  chatId: string;
  kind: "reply" | "notice";
  message: OutgoingMessage;
  /** A file the outbox worker sends with the message (a certificate asked for again). */
  attachment?: { kind: "certificate"; number: string };
};

export type TurnScope = {
  database: Database;
  provider: DatabaseProvider;
  now: Date;
  channel: string;
  chatId: string;
  identityId: number;
  participantId: number | null;
  language: Language;
};

export type Applied = {
  outgoing: Outgoing[];
  participantId: number | null;
  identityDeleted: boolean;
  timeoutMinutes: number | null;
  /** Enrollments whose pending jobs (reminders) must be removed from the queues after commit. */
  cancelledEnrollmentIds: number[];
  /** Reminders created (enrolled, or promoted from the waiting list), to schedule after commit. */
  reminders: ScheduledReminder[];
  /** Staff work to do after commit (link a chat account, send a broadcast). */
  staffActions: StaffAction[];
  /** A participant erased their data: the lines for the erasure file, written after commit. */
  erasures: ErasureEntry[];
  /** Messages already in the outbox (a certificate the feedback earned), to enqueue after commit. */
  batches: OutboxBatch[];
};

const summarySql = {
  sqlite: forProvider(summaryStatement, "sqlite"),
  postgresql: forProvider(summaryStatement, "postgresql"),
};

function* sessionSummaryPlan(provider: DatabaseProvider, trainingSessionId: number): Plan<SessionSummary | null> {
  const [s] = yield* rows<{ titleId: string; titleEn: string; timeZone: string; startsAt: Date; venue: string }>(
    summarySql[provider],
    [trainingSessionId],
    { dates: ["startsAt"] },
  );
  return s
    ? { programmeTitle: { id: s.titleId, en: s.titleEn }, startsAt: s.startsAt, timeZone: s.timeZone, venue: s.venue }
    : null;
}

function sessionSummary(tx: Tx, database: Database, trainingSessionId: number): Promise<SessionSummary | null> {
  return runPlan(sessionSummaryPlan(database.provider, trainingSessionId), inTransaction(database, tx));
}

/** What applying a turn's events builds up, shared by the planned and the Prisma events. */
type ApplyState = { scope: TurnScope; applied: Applied; language: Language };

function startApplying(scope: TurnScope): ApplyState {
  return {
    scope,
    language: scope.language,
    applied: {
      outgoing: [],
      participantId: scope.participantId,
      identityDeleted: false,
      timeoutMinutes: null,
      cancelledEnrollmentIds: [],
      reminders: [],
      staffActions: [],
      erasures: [],
      batches: [],
    },
  };
}

/** Adds a message to the turn's replies, for the chat the turn is in. */
function queueReply(st: ApplyState, message: OutgoingMessage, attachment?: Outgoing["attachment"]): void {
  st.applied.outgoing.push({
    identityId: st.applied.identityDeleted ? null : st.scope.identityId,
    channel: st.scope.channel,
    chatId: st.scope.chatId,
    kind: "reply",
    message,
    ...(attachment ? { attachment } : {}),
  });
}

const profileColumns: Record<ProfileField, string> = {
  name: "name",
  businessName: '"businessName"',
  sector: "sector",
  regency: "regency",
  phone: "phone",
  nib: "nib",
};

const planSql = {
  sqlite: prepareStatements(planStatements(), "sqlite"),
  postgresql: prepareStatements(planStatements(), "postgresql"),
};

function planStatements() {
  return {
    insertParticipant: `INSERT INTO "Participant" (name, "businessName", sector, regency, phone, nib, language, "consentAt",
        "consentVersion", "registeredAt", "createdAt", "updatedAt")
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamp(3), $9, $10::timestamp(3), $11::timestamp(3), $12::timestamp(3))
      RETURNING id`,
    linkIdentity: `UPDATE "ChannelIdentity" SET "participantId" = $1, "consentRefusedAt" = NULL, "updatedAt" = $2::timestamp(3)
      WHERE id = $3`,
    setLanguage: `UPDATE "Participant" SET language = $1, "updatedAt" = $2::timestamp(3) WHERE id = $3`,
    enrollmentStatus: `SELECT status FROM "Enrollment" WHERE id = $1`,
    certificateRequiresFeedback: `SELECT p."certificateRequiresFeedback" AS required FROM "Enrollment" e
      JOIN "TrainingSession" s ON s.id = e."trainingSessionId" JOIN "Programme" p ON p.id = s."programmeId"
      WHERE e.id = $1 AND e."participantId" = $2`,
    setMotivationOptOut: `UPDATE "Participant" SET "motivationOptOutAt" = $1::timestamp(3), "updatedAt" = $2::timestamp(3) WHERE id = $3`,
    ...Object.fromEntries(
      Object.entries(profileColumns).map(([field, column]) => [
        `profile_${field}`,
        `UPDATE "Participant" SET ${column} = $1, "updatedAt" = $2::timestamp(3) WHERE id = $3`,
      ]),
    ),
  } as Record<string, string>;
}

/** The participant the event is about: registered before this turn or earlier in it. */
function participantOf(st: ApplyState): number {
  if (st.applied.participantId === null) throw new Error("event needs a registered participant");
  return st.applied.participantId;
}

const reply = (st: ApplyState, text: string) => queueReply(st, { text });

/** The promoted get their notice with this turn's replies, and their reminders scheduled after the commit. */
function addWelcome(st: ApplyState, welcome: Welcome): void {
  st.applied.reminders.push(...welcome.reminders);
  for (const n of welcome.notices)
    st.applied.outgoing.push({
      identityId: n.identityId,
      channel: n.channel,
      chatId: n.chatId,
      kind: "notice",
      message: { text: n.text },
    });
}

async function welcome(st: ApplyState, tx: Tx, promotions: Promotion[]): Promise<void> {
  addWelcome(st, await welcomePromoted(tx, st.scope.database, promotions, st.scope.now));
}

/**
 * How one kind of event is applied: `record` only notes it in what the turn applied; `plan`
 * writes plain statements (db/plan.ts); `apply` needs the turn's Prisma transaction. A turn with
 * no `apply` event (every registration and enrollment) runs as one plan, without Prisma.
 */
type Handler<E extends EngineEvent> =
  | { record: (st: ApplyState, event: E) => void }
  | { plan: (st: ApplyState, event: E) => Plan<void> }
  | { apply: (st: ApplyState, event: E, tx: Tx) => Promise<void> };

/** One handler for each kind of engine event: a kind without one does not compile. */
export type EventHandlers = { [K in EngineEvent["type"]]: Handler<Extract<EngineEvent, { type: K }>> };

export const eventHandlers: EventHandlers = {
  message_created: { record: (st, e) => queueReply(st, e.message) },
  wait_timeout_scheduled: {
    record: (st, e) => {
      st.applied.timeoutMinutes = e.minutes;
    },
  },
  conversation_ended: { record: () => {} },

  language_changed: {
    *plan(st, e) {
      st.language = e.language;
      const { provider, now } = st.scope;
      if (st.applied.participantId !== null)
        yield* send(planSql[provider].setLanguage!, [e.language, sqlTime(now, provider), st.applied.participantId]);
    },
  },
  profile_updated: {
    *plan(st, e) {
      const { provider, now } = st.scope;
      yield* send(planSql[provider][`profile_${e.field}`]!, [e.value, sqlTime(now, provider), participantOf(st)]);
    },
  },
  motivation_opted_out: { plan: (st) => setMotivationOptOut(st, true) },
  motivation_opted_in: { plan: (st) => setMotivationOptOut(st, false) },

  participant_registered: {
    *plan(st, e) {
      // A typed phone number is not verified, so it never links to another participant's record.
      const { provider: p, now, identityId } = st.scope;
      const sql = planSql[p];
      const at = sqlTime(now, p);
      const f = e.profile;
      const [row] = yield* rows<{ id: number }>(sql.insertParticipant!, [
        f.name,
        f.businessName,
        f.sector,
        f.regency,
        f.phone,
        f.nib,
        e.language,
        sqlTime(new Date(e.consentAt), p),
        e.consentVersion,
        at,
        at,
        at,
      ]);
      yield* send(sql.linkIdentity!, [row!.id, at, identityId]);
      st.applied.participantId = row!.id;
      st.language = e.language;
    },
  },
  consent_refused: {
    apply: async (st, _e, tx) => {
      // Keep the refusal only: forget what was typed before it.
      const { identityId, now } = st.scope;
      await tx.channelIdentity.update({
        where: { id: identityId },
        data: { consentRefusedAt: now, displayName: null },
      });
      await tx.message.updateMany({ where: { identityId }, data: { text: null } });
    },
  },
  opted_out: {
    apply: async (st, _e, tx) => {
      st.applied.cancelledEnrollmentIds.push(...(await optOutParticipant(tx, participantOf(st), st.scope.now)));
    },
  },
  opted_in: { apply: (st, _e, tx) => optInParticipant(tx, participantOf(st)) },

  enrollment_requested: {
    *plan(st, e) {
      const { provider: p, now } = st.scope;
      // The session as it stands, read before its row is locked: the reminders, the campaign
      // rows and the reply are made from it, so the locked part of the transaction is short.
      const schedule = yield* sessionSchedulePlan(p, e.trainingSessionId);
      const outcome = yield* enrollPlan(p, participantOf(st), e.trainingSessionId, now, {
        ...(schedule ? { programmeId: schedule.programmeId } : {}),
        ...(schedule?.newEnrollmentId !== undefined ? { newEnrollmentId: schedule.newEnrollmentId } : {}),
      });
      if (outcome.kind === "enrolled")
        st.applied.reminders.push(
          ...(schedule
            ? yield* remindersOfNewEnrollmentPlan(p, outcome, schedule, now)
            : yield* createRemindersPlan(p, outcome.enrollmentId, now)),
        );
      const language = st.language;
      if (outcome.kind === "programme_taken") {
        const held = yield* sessionSummaryPlan(p, outcome.trainingSessionId);
        const [row] = yield* rows<{ status: string }>(planSql[p].enrollmentStatus!, [outcome.enrollmentId]);
        reply(
          st,
          held ? outcomes.programmeTaken(held, row?.status === "waitlisted", language) : outcomes.unavailable(language),
        );
        return;
      }
      const summary: SessionSummary | null = schedule && {
        programmeTitle: { id: schedule.titleId, en: schedule.titleEn },
        startsAt: outcome.kind === "enrolled" ? outcome.session.startsAt : schedule.startsAt,
        timeZone: schedule.timeZone,
        venue: schedule.venue,
      };
      reply(
        st,
        outcome.kind === "enrolled" && summary
          ? outcomes.enrolled(summary, language)
          : outcome.kind === "waitlisted" && summary
            ? outcomes.waitlisted(summary, outcome.position, language)
            : outcome.kind === "already"
              ? outcome.status === "enrolled"
                ? outcomes.alreadyEnrolled(language)
                : outcomes.alreadyWaitlisted(outcome.position, language)
              : outcomes.unavailable(language),
      );
    },
  },
  enrollment_cancel_requested: {
    apply: async (st, e, tx) => {
      const { scope, language } = st;
      const outcome = await cancelEnrollment(tx, scope.provider, participantOf(st), e.enrollmentId, scope.now);
      if (outcome.kind === "not_found") return reply(st, outcomes.cancelNotFound(language));
      st.applied.cancelledEnrollmentIds.push(e.enrollmentId);
      const summary = await sessionSummary(tx, scope.database, outcome.trainingSessionId);
      if (summary) reply(st, outcomes.cancelled(summary, language));
      await welcome(st, tx, outcome.promoted ? [outcome.promoted] : []);
    },
  },
  enrollment_move_requested: {
    apply: async (st, e, tx) => {
      const { scope, language } = st;
      const { database, now } = scope;
      const outcome = await moveEnrollment(tx, database, participantOf(st), e.enrollmentId, e.trainingSessionId, now);
      if (outcome.kind === "not_found") return reply(st, outcomes.moveNotFound(language));
      if (outcome.kind === "unavailable") return reply(st, outcomes.moveUnavailable(language));
      if (outcome.kind === "already")
        return reply(
          st,
          outcome.status === "enrolled"
            ? outcomes.alreadyEnrolled(language)
            : outcomes.alreadyWaitlisted(outcome.position, language),
        );
      if (outcome.kind === "programme_taken") {
        const held = await sessionSummary(tx, database, outcome.trainingSessionId);
        const enrollment = await tx.enrollment.findUnique({ where: { id: outcome.enrollmentId } });
        return reply(
          st,
          held
            ? outcomes.programmeTaken(held, enrollment?.status === "waitlisted", language)
            : outcomes.unavailable(language),
        );
      }
      st.applied.cancelledEnrollmentIds.push(e.enrollmentId);
      const from = await sessionSummary(tx, database, outcome.fromTrainingSessionId);
      const to = await sessionSummary(tx, database, e.trainingSessionId);
      if (from && to)
        reply(
          st,
          outcome.to.kind === "enrolled"
            ? outcomes.moved(from, to, language)
            : outcomes.movedToWaitlist(from, to, outcome.to.position, language),
        );
      addWelcome(st, { reminders: outcome.reminders, notices: outcome.notices });
    },
  },
  attendance_answered: {
    apply: async (st, e, tx) => {
      const { scope, language } = st;
      const outcome = await answerAttendance(
        tx,
        scope.database,
        participantOf(st),
        e.enrollmentId,
        e.answer,
        scope.now,
      );
      if (outcome.kind === "not_active") return reply(st, outcomes.attendanceNotActive(language));
      const summary = await sessionSummary(tx, scope.database, outcome.trainingSessionId);
      if (outcome.kind === "confirmed") {
        if (summary) reply(st, outcomes.attendanceConfirmed(summary, language));
        return;
      }
      st.applied.cancelledEnrollmentIds.push(outcome.enrollmentId);
      if (summary) reply(st, outcomes.attendanceDeclined(summary, language));
      addWelcome(st, outcome.welcome);
    },
  },
  check_in_requested: {
    *plan(st, e) {
      const { scope } = st;
      const outcome = yield* checkInPlan(
        scope.provider,
        participantOf(st),
        st.applied.identityDeleted ? null : scope.identityId,
        e.code,
        scope.now,
      );
      reply(st, checkInText(outcome, st.language));
    },
  },
  certificates_requested: {
    *plan(st) {
      const { provider } = st.scope;
      const { inForce, revoked, pending } = yield* participantCertificatesPlan(provider, participantOf(st));
      const { baseUrl } = certificateSettings();
      for (const c of inForce)
        queueReply(
          st,
          {
            text: certificateMessageText(
              st.language,
              c.programmeTitle,
              c.number,
              verificationUrl(baseUrl, c.number),
              true,
            ),
          },
          { kind: "certificate", number: c.number },
        );
      for (const c of revoked) reply(st, certificateNewsText({ kind: "revoked", ...c }, st.language));
      for (const p of pending) reply(st, certificateNewsText({ kind: "pending", ...p }, st.language));
      if (!inForce.length && !revoked.length && !pending.length)
        reply(st, certificateNewsText({ kind: "none" }, st.language));
    },
  },
  data_deletion_requested: {
    apply: async (st, _e, tx) => {
      const { applied, scope } = st;
      const id = participantOf(st);
      const enrollments = await tx.enrollment.findMany({ where: { participantId: id }, select: { id: true } });
      const { promoted, erasures } = await deleteParticipantData(tx, scope.provider, id, scope.now);
      applied.erasures.push(...erasures);
      applied.cancelledEnrollmentIds.push(...enrollments.map((e) => e.id));
      applied.identityDeleted = true;
      applied.participantId = null;
      await welcome(st, tx, promoted);
    },
  },

  flow_result_recorded: {
    *plan(st, e) {
      const { provider, now } = st.scope;
      const { flow, round, questionKey, value, numberValue, enrollmentId } = e;
      yield* recordFlowResultPlan(
        provider,
        participantOf(st),
        {
          flow,
          round,
          questionKey,
          value,
          ...(numberValue !== undefined ? { numberValue } : {}),
          ...(enrollmentId !== undefined ? { enrollmentId } : {}),
        },
        now,
      );
    },
  },
  survey_completed: {
    *plan(st, e) {
      // The feedback earns the certificate where the programme asks for it (attendance too:
      // issueCertificatePlan checks both, and issues one certificate at most).
      if (e.round !== "feedback" || e.enrollmentId === undefined) return;
      const { provider, now } = st.scope;
      const [row] = yield* rows<{ required: boolean | number }>(planSql[provider].certificateRequiresFeedback!, [
        e.enrollmentId,
        participantOf(st),
      ]);
      if (!row || !row.required) return;
      const issued = yield* issueCertificatePlan(provider, e.enrollmentId, now);
      if (issued?.batch) st.applied.batches.push(issued.batch);
    },
  },
  survey_offer_accepted: {
    *plan(st, e) {
      const { provider, now } = st.scope;
      yield* acceptSurveyOfferPlan(provider, participantOf(st), e.campaignMessageId, now);
    },
  },

  staff_command_refused: {
    apply: async (st, e, tx) => {
      // Someone not linked as staff tried a staff command: they got the ordinary help.
      await audit(tx, null, "staff.command_refused", `identity:${st.scope.identityId}`, {
        command: e.command,
        channel: st.scope.channel,
      });
    },
  },
  // Staff work is done after the commit (staff-commands.ts: runStaffAction).
  staff_link_requested: {
    record: (st, e) => {
      st.applied.staffActions.push({ kind: "link", code: e.code });
    },
  },
  broadcast_requested: {
    record: (st, e) => {
      st.applied.staffActions.push({ kind: "broadcast", textId: e.textId, textEn: e.textEn, filter: e.filter });
    },
  },
};

function* setMotivationOptOut(st: ApplyState, optedOut: boolean): Plan<void> {
  const { provider, now } = st.scope;
  const at = sqlTime(now, provider);
  yield* send(planSql[provider].setMotivationOptOut!, [optedOut ? at : null, at, participantOf(st)]);
}

/** The handler of an event's kind: the record's type ties them, which TypeScript cannot follow through a lookup. */
const handlerOf = <E extends EngineEvent>(event: E) => eventHandlers[event.type] as unknown as Handler<E>;

/** Events applied without the turn's Prisma transaction: the ones every registration and enrollment makes. */
export function isPlannedEvent(event: EngineEvent): boolean {
  return !("apply" in handlerOf(event));
}

function* planEvent(st: ApplyState, event: EngineEvent): Plan<void> {
  const handler = handlerOf(event);
  if ("record" in handler) handler.record(st, event);
  else if ("plan" in handler) yield* handler.plan(st, event);
  else throw new Error(`${event.type} is not applied as a plan`);
}

/** Applies events that are all isPlannedEvent, as one plan (no Prisma transaction needed). */
export function* planEvents(scope: TurnScope, events: EngineEvent[]): Plan<Applied> {
  const st = startApplying(scope);
  for (const event of events) yield* planEvent(st, event);
  return st.applied;
}

export async function applyEvents(tx: Tx, scope: TurnScope, events: EngineEvent[]): Promise<Applied> {
  const st = startApplying(scope);
  const run = inTransaction(scope.database, tx);
  for (const event of events) {
    const handler = handlerOf(event);
    if ("apply" in handler) await handler.apply(st, event, tx);
    else await runPlan(planEvent(st, event), run);
  }
  return st.applied;
}
