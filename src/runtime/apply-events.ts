/**
 * Applies the engine's events inside the turn's transaction (DESIGN.md section 2, step 5):
 * profile and enrollment changes, and the outgoing messages they cause, in event order.
 */
import type { Database, DatabaseProvider, Tx } from "../db/database.js";
import { forProvider, queryRows } from "../db/raw-sql.js";
import { cancelEnrollment } from "../domain/cancel-enrollment.js";
import { deleteParticipantData } from "../domain/delete-participant-data.js";
import { enrollParticipant } from "../domain/enroll-participant.js";
import type { EngineEvent, Language, OutgoingMessage } from "../engine/types.js";
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
};

const summarySql = {
  sqlite: forProvider(summaryStatement, "sqlite"),
  postgresql: forProvider(summaryStatement, "postgresql"),
};

async function sessionSummary(tx: Tx, database: Database, trainingSessionId: number): Promise<SessionSummary | null> {
  const [s] = await queryRows<{ titleId: string; titleEn: string; timeZone: string; startsAt: Date; venue: string }>(
    database,
    tx,
    summarySql[database.provider],
    [trainingSessionId],
    { dates: ["startsAt"] },
  );
  return s
    ? { programmeTitle: { id: s.titleId, en: s.titleEn }, startsAt: s.startsAt, timeZone: s.timeZone, venue: s.venue }
    : null;
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

export async function applyEvents(tx: Tx, scope: TurnScope, events: EngineEvent[]): Promise<Applied> {
  const applied: Applied = {
    outgoing: [],
    participantId: scope.participantId,
    identityDeleted: false,
    timeoutMinutes: null,
    cancelledEnrollmentIds: [],
  };
  let language = scope.language;
  const reply = (text: string) => say({ text });
  const say = (message: OutgoingMessage) =>
    applied.outgoing.push({
      identityId: applied.identityDeleted ? null : scope.identityId,
      channel: scope.channel,
      chatId: scope.chatId,
      kind: "reply",
      message,
    });
  const participantId = () => {
    if (applied.participantId === null) throw new Error("event needs a registered participant");
    return applied.participantId;
  };

  for (const event of events) {
    switch (event.type) {
      case "message_created":
        say(event.message);
        break;
      case "consent_given":
        break;
      case "consent_refused":
        // Keep the refusal only: forget what was typed before it.
        await tx.channelIdentity.update({ where: { id: scope.identityId }, data: { consentRefusedAt: scope.now } });
        await tx.message.updateMany({ where: { identityId: scope.identityId }, data: { text: null } });
        break;
      case "participant_registered": {
        const data = {
          ...event.profile,
          language: event.language,
          consentAt: new Date(event.consentAt),
          consentVersion: event.consentVersion,
          registeredAt: scope.now,
        };
        // A typed phone number is not verified, so it never links to another participant's record.
        const participant = await tx.participant.create({ data });
        await tx.channelIdentity.update({
          where: { id: scope.identityId },
          data: { participantId: participant.id, consentRefusedAt: null },
        });
        applied.participantId = participant.id;
        language = event.language;
        break;
      }
      case "profile_updated":
        await tx.participant.update({ where: { id: participantId() }, data: { [event.field]: event.value } });
        break;
      case "language_changed":
        language = event.language;
        if (applied.participantId !== null)
          await tx.participant.update({ where: { id: applied.participantId }, data: { language: event.language } });
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
      case "enrollment_requested": {
        const outcome = await enrollParticipant(
          tx,
          scope.database,
          participantId(),
          event.trainingSessionId,
          scope.now,
        );
        const summary = await sessionSummary(tx, scope.database, event.trainingSessionId);
        if (outcome.kind === "enrolled" && summary) reply(outcomes.enrolled(summary, language));
        else if (outcome.kind === "waitlisted" && summary)
          reply(outcomes.waitlisted(summary, outcome.position, language));
        else if (outcome.kind === "already")
          reply(
            outcome.status === "enrolled"
              ? outcomes.alreadyEnrolled(language)
              : outcomes.alreadyWaitlisted(outcome.position, language),
          );
        else reply(outcomes.unavailable(language));
        break;
      }
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
        }
        break;
      }
      case "data_deletion_requested": {
        const id = participantId();
        const enrollments = await tx.enrollment.findMany({ where: { participantId: id }, select: { id: true } });
        const { promoted } = await deleteParticipantData(tx, scope.provider, id, scope.now);
        applied.cancelledEnrollmentIds.push(...enrollments.map((e) => e.id));
        applied.identityDeleted = true;
        applied.participantId = null;
        for (const p of promoted) {
          const notice = await promotionNotice(tx, scope.database, p);
          if (notice) applied.outgoing.push(notice);
        }
        break;
      }
      case "wait_timeout_scheduled":
        applied.timeoutMinutes = event.minutes;
        break;
      case "conversation_ended":
        break;
    }
  }
  return applied;
}
