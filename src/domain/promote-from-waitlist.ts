/**
 * Promotion from a waiting list, the one place it is written: a freed seat goes to the first in
 * line, who then gets what an enrollment gives (reminders) and the "a seat freed up" notice on
 * the chat they used last. A participant's cancellation, a declined reminder, a move, an erasure
 * (in chat or from the dashboard) and staff raising a capacity all promote through here.
 * Outside a chat turn the notices go to the outbox with writeNotices (write-notices.ts).
 */
import type { Database, Tx } from "../db/database.js";
import { runPlan } from "../db/plan.js";
import { inTransaction } from "../db/raw-sql.js";
import { outcomes } from "../../flows/outcomes.js";
import { createRemindersPlan, type ScheduledReminder } from "./reminders.js";

/** A participant moved from a waiting list into a seat. */
export type Promotion = { enrollmentId: number; participantId: number };

/** A message to one participant's chat, not the chat of the turn that caused it. */
export type Notice = { identityId: number; channel: string; chatId: string; text: string };

/** What promotions owe the promoted participants, to schedule and send after the commit. */
export type Welcome = {
  reminders: ScheduledReminder[];
  /** One each, but none to someone no chat of theirs reaches (every one blocked the bot). */
  notices: Notice[];
};

/** Moves the first waitlisted participant into a free seat, if a seat is free. Caller holds the session's lock. */
export async function promoteFromWaitlist(tx: Tx, trainingSessionId: number): Promise<Promotion | null> {
  const session = await tx.trainingSession.findUnique({ where: { id: trainingSessionId } });
  if (!session || session.status !== "scheduled") return null;
  const taken = await tx.enrollment.count({
    where: { trainingSessionId, status: { in: ["enrolled", "attended", "absent"] } },
  });
  if (taken >= session.capacity) return null;
  const next = await tx.enrollment.findFirst({
    where: { trainingSessionId, status: "waitlisted", participantId: { not: null } },
    orderBy: { waitlistPosition: "asc" },
  });
  if (!next) return null;
  await tx.enrollment.update({ where: { id: next.id }, data: { status: "enrolled", waitlistPosition: null } });
  return { enrollmentId: next.id, participantId: next.participantId! };
}

/** Creates the promoted participants' reminders and words their notices, in the caller's transaction. */
export async function welcomePromoted(
  tx: Tx,
  database: Database,
  promotions: Promotion[],
  now: Date,
): Promise<Welcome> {
  const welcome: Welcome = { reminders: [], notices: [] };
  for (const p of promotions) {
    welcome.reminders.push(
      ...(await runPlan(createRemindersPlan(database.provider, p.enrollmentId, now), inTransaction(database, tx))),
    );
    const notice = await promotionNotice(tx, p);
    if (notice) welcome.notices.push(notice);
  }
  return welcome;
}

async function promotionNotice(tx: Tx, promotion: Promotion): Promise<Notice | null> {
  const enrollment = await tx.enrollment.findUnique({
    where: { id: promotion.enrollmentId },
    include: { trainingSession: { include: { programme: true } } },
  });
  const participant = await tx.participant.findUnique({
    where: { id: promotion.participantId },
    include: { identities: { where: { blockedAt: null }, orderBy: { lastInboundAt: "desc" }, take: 1 } },
  });
  const identity = participant?.identities[0];
  if (!enrollment || !participant || !identity) return null;
  const s = enrollment.trainingSession;
  const summary = {
    programmeTitle: { id: s.programme.titleId, en: s.programme.titleEn },
    startsAt: s.startsAt,
    timeZone: s.programme.timeZone,
    venue: s.venue,
  };
  return {
    identityId: identity.id,
    channel: identity.channel,
    chatId: identity.chatId,
    text: outcomes.promoted(summary, participant.language === "en" ? "en" : "id"),
  };
}
