/**
 * Applies the engine's events inside the turn's transaction (DESIGN.md section 2, step 5):
 * profile and enrollment changes, and the outgoing messages they cause, in event order.
 */
import type { Database, DatabaseProvider, Tx } from "../db/database.js";
import { changes, rows, runPlan, type Plan } from "../db/plan.js";
import { forProvider, inTransaction, prepareStatements, sqlTime } from "../db/raw-sql.js";
import { cancelEnrollment } from "../domain/cancel-enrollment.js";
import { deleteParticipantData } from "../domain/delete-participant-data.js";
import type { ErasureEntry } from "../domain/erasures.js";
import { enrollPlan } from "../domain/enroll-participant.js";
import { moveEnrollment } from "../domain/move-enrollment.js";
import { createRemindersPlan, type ScheduledReminder } from "../domain/reminders.js";
import { audit } from "../domain/staff.js";
import type { EngineEvent, Language, OutgoingMessage, ProfileField } from "../engine/types.js";
import type { StaffAction } from "./staff-commands.js";
import { outcomes, type SessionSummary } from "../../flows/outcomes.js";

const summaryStatement = `SELECT p."titleId", p."titleEn", p."timeZone", s."startsAt", s.venue
  FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId" WHERE s.id = $1`;

/** A message to write to the outbox: to this chat, or to another participant (a promotion). */
export type Outgoing = {
  identityId: number | null;
  channel: string;
  chatId: string;
  kind: "reply" | "notice";
  message: OutgoingMessage;
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

/** Tells a participant promoted from the waiting list, on the chat they used last. */
async function promotionNotice(
  tx: Tx,
  database: Database,
  promoted: { enrollmentId: number; participantId: number },
): Promise<Outgoing | null> {
  const enrollment = await tx.enrollment.findUnique({ where: { id: promoted.enrollmentId } });
  const participant = await tx.participant.findUnique({
    where: { id: promoted.participantId },
    include: { identities: { where: { blockedAt: null }, orderBy: { lastInboundAt: "desc" }, take: 1 } },
  });
  const identity = participant?.identities[0];
  if (!enrollment || !participant || !identity) return null;
  const summary = await sessionSummary(tx, database, enrollment.trainingSessionId);
  if (!summary) return null;
  const language = participant.language === "en" ? "en" : "id";
  return {
    identityId: identity.id,
    channel: identity.channel,
    chatId: identity.chatId,
    kind: "notice",
    message: { text: outcomes.promoted(summary, language) },
  };
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
    },
  };
}

function say(st: ApplyState, message: OutgoingMessage): void {
  st.applied.outgoing.push({
    identityId: st.applied.identityDeleted ? null : st.scope.identityId,
    channel: st.scope.channel,
    chatId: st.scope.chatId,
    kind: "reply",
    message,
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
    setMotivationOptOut: `UPDATE "Participant" SET "motivationOptOutAt" = $1::timestamp(3), "updatedAt" = $2::timestamp(3) WHERE id = $3`,
    ...Object.fromEntries(
      Object.entries(profileColumns).map(([field, column]) => [
        `profile_${field}`,
        `UPDATE "Participant" SET ${column} = $1, "updatedAt" = $2::timestamp(3) WHERE id = $3`,
      ]),
    ),
  } as Record<string, string>;
}

/** Events applied as plain statements (db/plan.ts): the ones every registration and enrollment makes. */
export function isPlannedEvent(event: EngineEvent): boolean {
  switch (event.type) {
    case "message_created":
    case "consent_given":
    case "wait_timeout_scheduled":
    case "conversation_ended":
    case "language_changed":
    case "profile_updated":
    case "motivation_opted_out":
    case "motivation_opted_in":
    case "participant_registered":
    case "enrollment_requested":
      return true;
    default:
      return false;
  }
}

function* planEvent(st: ApplyState, event: EngineEvent): Plan<void> {
  const { scope, applied } = st;
  const p = scope.provider;
  const sql = planSql[p];
  const at = sqlTime(scope.now, p);
  const participantId = () => {
    if (applied.participantId === null) throw new Error("event needs a registered participant");
    return applied.participantId;
  };
  switch (event.type) {
    case "message_created":
      say(st, event.message);
      return;
    case "consent_given":
    case "conversation_ended":
      return;
    case "wait_timeout_scheduled":
      applied.timeoutMinutes = event.minutes;
      return;
    case "language_changed":
      st.language = event.language;
      if (applied.participantId !== null) yield* changes(sql.setLanguage!, [event.language, at, applied.participantId]);
      return;
    case "profile_updated":
      yield* changes(sql[`profile_${event.field}`]!, [event.value, at, participantId()]);
      return;
    case "motivation_opted_out":
    case "motivation_opted_in":
      yield* changes(sql.setMotivationOptOut!, [
        event.type === "motivation_opted_out" ? at : null,
        at,
        participantId(),
      ]);
      return;
    case "participant_registered": {
      // A typed phone number is not verified, so it never links to another participant's record.
      const f = event.profile;
      const [row] = yield* rows<{ id: number }>(sql.insertParticipant!, [
        f.name,
        f.businessName,
        f.sector,
        f.regency,
        f.phone,
        f.nib,
        event.language,
        sqlTime(new Date(event.consentAt), p),
        event.consentVersion,
        at,
        at,
        at,
      ]);
      yield* changes(sql.linkIdentity!, [row!.id, at, scope.identityId]);
      applied.participantId = row!.id;
      st.language = event.language;
      return;
    }
    case "enrollment_requested": {
      const outcome = yield* enrollPlan(p, participantId(), event.trainingSessionId, scope.now);
      if (outcome.kind === "enrolled")
        applied.reminders.push(...(yield* createRemindersPlan(p, outcome.enrollmentId, scope.now)));
      const language = st.language;
      if (outcome.kind === "programme_taken") {
        const held = yield* sessionSummaryPlan(p, outcome.trainingSessionId);
        const [row] = yield* rows<{ status: string }>(sql.enrollmentStatus!, [outcome.enrollmentId]);
        say(st, {
          text: held
            ? outcomes.programmeTaken(held, row?.status === "waitlisted", language)
            : outcomes.unavailable(language),
        });
        return;
      }
      const summary = yield* sessionSummaryPlan(p, event.trainingSessionId);
      const text =
        outcome.kind === "enrolled" && summary
          ? outcomes.enrolled(summary, language)
          : outcome.kind === "waitlisted" && summary
            ? outcomes.waitlisted(summary, outcome.position, language)
            : outcome.kind === "already"
              ? outcome.status === "enrolled"
                ? outcomes.alreadyEnrolled(language)
                : outcomes.alreadyWaitlisted(outcome.position, language)
              : outcomes.unavailable(language);
      say(st, { text });
      return;
    }
    default:
      throw new Error(`${event.type} is not applied as a plan`);
  }
}

/** Applies events that are all isPlannedEvent, as one plan (no Prisma transaction needed). */
export function* planEvents(scope: TurnScope, events: EngineEvent[]): Plan<Applied> {
  const st = startApplying(scope);
  for (const event of events) yield* planEvent(st, event);
  return st.applied;
}

export async function applyEvents(tx: Tx, scope: TurnScope, events: EngineEvent[]): Promise<Applied> {
  const st = startApplying(scope);
  const { applied } = st;
  const reply = (text: string) => say(st, { text });
  const participantId = () => {
    if (applied.participantId === null) throw new Error("event needs a registered participant");
    return applied.participantId;
  };
  const run = inTransaction(scope.database, tx);

  for (const event of events) {
    const language = st.language;
    if (isPlannedEvent(event)) {
      await runPlan(planEvent(st, event), run);
      continue;
    }
    switch (event.type) {
      case "consent_refused":
        // Keep the refusal only: forget what was typed before it.
        await tx.channelIdentity.update({
          where: { id: scope.identityId },
          data: { consentRefusedAt: scope.now, displayName: null },
        });
        await tx.message.updateMany({ where: { identityId: scope.identityId }, data: { text: null } });
        break;
      case "opted_out": {
        await tx.participant.update({ where: { id: participantId() }, data: { optedOutAt: scope.now } });
        const enrollments = await tx.enrollment.findMany({
          where: { participantId: participantId() },
          select: { id: true },
        });
        await tx.reminder.updateMany({
          where: { enrollmentId: { in: enrollments.map((e) => e.id) }, status: "pending" },
          data: { status: "cancelled", reason: "participant opted out" },
        });
        applied.cancelledEnrollmentIds.push(...enrollments.map((e) => e.id));
        break;
      }
      case "opted_in":
        await tx.participant.update({ where: { id: participantId() }, data: { optedOutAt: null } });
        break;
      case "enrollment_cancel_requested": {
        const outcome = await cancelEnrollment(tx, scope.provider, participantId(), event.enrollmentId, scope.now);
        if (outcome.kind === "not_found") {
          reply(outcomes.cancelNotFound(language));
          break;
        }
        applied.cancelledEnrollmentIds.push(event.enrollmentId);
        const summary = await sessionSummary(tx, scope.database, outcome.trainingSessionId);
        if (summary) reply(outcomes.cancelled(summary, language));
        if (outcome.promoted) {
          const notice = await promotionNotice(tx, scope.database, outcome.promoted);
          if (notice) applied.outgoing.push(notice);
          applied.reminders.push(
            ...(await runPlan(createRemindersPlan(scope.provider, outcome.promoted.enrollmentId, scope.now), run)),
          );
        }
        break;
      }
      case "enrollment_move_requested": {
        const outcome = await moveEnrollment(
          tx,
          scope.database,
          participantId(),
          event.enrollmentId,
          event.trainingSessionId,
          scope.now,
        );
        if (outcome.kind === "not_found") reply(outcomes.moveNotFound(language));
        else if (outcome.kind === "unavailable") reply(outcomes.moveUnavailable(language));
        else if (outcome.kind === "already")
          reply(
            outcome.status === "enrolled"
              ? outcomes.alreadyEnrolled(language)
              : outcomes.alreadyWaitlisted(outcome.position, language),
          );
        else if (outcome.kind === "programme_taken") {
          const held = await sessionSummary(tx, scope.database, outcome.trainingSessionId);
          const enrollment = await tx.enrollment.findUnique({ where: { id: outcome.enrollmentId } });
          reply(
            held
              ? outcomes.programmeTaken(held, enrollment?.status === "waitlisted", language)
              : outcomes.unavailable(language),
          );
        } else {
          applied.cancelledEnrollmentIds.push(event.enrollmentId);
          applied.reminders.push(...outcome.reminders);
          const from = await sessionSummary(tx, scope.database, outcome.fromTrainingSessionId);
          const to = await sessionSummary(tx, scope.database, event.trainingSessionId);
          if (from && to)
            reply(
              outcome.to.kind === "enrolled"
                ? outcomes.moved(from, to, language)
                : outcomes.movedToWaitlist(from, to, outcome.to.position, language),
            );
          if (outcome.promoted) {
            const notice = await promotionNotice(tx, scope.database, outcome.promoted);
            if (notice) applied.outgoing.push(notice);
          }
        }
        break;
      }
      case "attendance_answered": {
        const id = participantId();
        const enrollment = Number.isInteger(event.enrollmentId)
          ? await tx.enrollment.findFirst({ where: { id: event.enrollmentId, participantId: id } })
          : null;
        if (!enrollment || enrollment.status !== "enrolled") {
          reply(outcomes.attendanceNotActive(language));
          break;
        }
        const summary = await sessionSummary(tx, scope.database, enrollment.trainingSessionId);
        if (event.answer === "confirmed") {
          await tx.enrollment.update({ where: { id: enrollment.id }, data: { rsvp: "confirmed", rsvpAt: scope.now } });
          if (summary) reply(outcomes.attendanceConfirmed(summary, language));
          break;
        }
        // A decline frees the seat for the first on the waiting list.
        const outcome = await cancelEnrollment(tx, scope.provider, id, enrollment.id, scope.now);
        await tx.enrollment.update({ where: { id: enrollment.id }, data: { rsvp: "declined", rsvpAt: scope.now } });
        applied.cancelledEnrollmentIds.push(enrollment.id);
        if (summary) reply(outcomes.attendanceDeclined(summary, language));
        if (outcome.kind === "cancelled" && outcome.promoted) {
          const notice = await promotionNotice(tx, scope.database, outcome.promoted);
          if (notice) applied.outgoing.push(notice);
          applied.reminders.push(
            ...(await runPlan(createRemindersPlan(scope.provider, outcome.promoted.enrollmentId, scope.now), run)),
          );
        }
        break;
      }
      case "staff_command_refused":
        // Someone not linked as staff tried a staff command: they got the ordinary help.
        await audit(tx, null, "staff.command_refused", `identity:${scope.identityId}`, {
          command: event.command,
          channel: scope.channel,
        });
        break;
      case "staff_link_requested":
        applied.staffActions.push({ kind: "link", code: event.code });
        break;
      case "broadcast_requested":
        applied.staffActions.push({
          kind: "broadcast",
          textId: event.textId,
          textEn: event.textEn,
          filter: event.filter,
        });
        break;
      case "data_deletion_requested": {
        const id = participantId();
        const enrollments = await tx.enrollment.findMany({ where: { participantId: id }, select: { id: true } });
        const { promoted, erasures } = await deleteParticipantData(tx, scope.provider, id, scope.now);
        applied.erasures.push(...erasures);
        applied.cancelledEnrollmentIds.push(...enrollments.map((e) => e.id));
        applied.identityDeleted = true;
        applied.participantId = null;
        for (const p of promoted) {
          const notice = await promotionNotice(tx, scope.database, p);
          if (notice) applied.outgoing.push(notice);
          applied.reminders.push(
            ...(await runPlan(createRemindersPlan(scope.provider, p.enrollmentId, scope.now), run)),
          );
        }
        break;
      }
    }
  }
  return applied;
}
