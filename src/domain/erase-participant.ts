/**
 * A staff member erases a participant (the dashboard's "Hapus data peserta"), or a restore erases
 * them again (reapply-erasures.ts): the same erasure as the participant's own "hapus data saya"
 * (delete-participant-data.ts), inside the caller's transaction, plus what the chat turn does
 * around it: whoever moves up from a waiting list gets their reminders and the "a seat freed up"
 * notice. The caller, after the commit, schedules the reminders, enqueues the notices, removes
 * the cancelled enrollments' jobs and finishes the erasure (erasures.ts: finishErasure); a
 * re-application leaves that to the reconcile passes, which find the rows.
 */
import type { Database, Tx } from "../db/database.js";
import { runPlan } from "../db/plan.js";
import { inTransaction } from "../db/raw-sql.js";
import { OutboxWrites } from "../outbox/outbox-writes.js";
import { outboundRow, priorities, type OutboxBatch } from "../outbox/types.js";
import { outcomes } from "../../flows/outcomes.js";
import { deleteParticipantData } from "./delete-participant-data.js";
import type { ErasureEntry } from "./erasures.js";
import { createRemindersPlan, type ScheduledReminder } from "./reminders.js";

export type ParticipantErased = {
  erasures: ErasureEntry[];
  cancelledEnrollmentIds: number[];
  reminders: ScheduledReminder[];
  notices: OutboxBatch[];
};

export async function eraseParticipant(
  tx: Tx,
  database: Database,
  participantId: number,
  now: Date,
  /** As deleteParticipantData's: `list: false` when re-applying an erasure already listed. */
  options: { list?: boolean } = {},
): Promise<ParticipantErased> {
  const run = inTransaction(database, tx);
  const cancelled = await tx.enrollment.findMany({
    where: { participantId, status: { in: ["enrolled", "waitlisted"] } },
    select: { id: true },
  });
  const { promoted, erasures } = await deleteParticipantData(tx, database.provider, participantId, now, options);
  const done: ParticipantErased = {
    erasures,
    cancelledEnrollmentIds: cancelled.map((e) => e.id),
    reminders: [],
    notices: [],
  };
  const writes = new OutboxWrites(database.provider);
  for (const p of promoted) {
    done.reminders.push(...(await runPlan(createRemindersPlan(database.provider, p.enrollmentId, now), run)));
    const enrollment = await tx.enrollment.findUnique({
      where: { id: p.enrollmentId },
      include: { trainingSession: { include: { programme: true } } },
    });
    const participant = await tx.participant.findUnique({
      where: { id: p.participantId },
      include: { identities: { where: { blockedAt: null }, orderBy: { lastInboundAt: "desc" }, take: 1 } },
    });
    const identity = participant?.identities[0];
    if (!enrollment || !participant || !identity) continue;
    const s = enrollment.trainingSession;
    const summary = {
      programmeTitle: { id: s.programme.titleId, en: s.programme.titleEn },
      startsAt: s.startsAt,
      timeZone: s.programme.timeZone,
      venue: s.venue,
    };
    const text = outcomes.promoted(summary, participant.language === "en" ? "en" : "id");
    const to = { channel: identity.channel, chatId: identity.chatId, identityId: identity.id };
    const ids = await runPlan(
      writes.insertOutbound([outboundRow(to, { text }, "notice", priorities.notice)], now),
      run,
    );
    done.notices.push({ channel: to.channel, chatId: to.chatId, ids, priority: priorities.notice });
  }
  return done;
}
