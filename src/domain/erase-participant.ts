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
import type { OutboxBatch } from "../outbox/types.js";
import { deleteParticipantData } from "./delete-participant-data.js";
import type { ErasureEntry } from "./erasures.js";
import { welcomePromoted } from "./promote-from-waitlist.js";
import type { ScheduledReminder } from "./reminders.js";
import { writeNotices } from "./write-notices.js";

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
  const cancelled = await tx.enrollment.findMany({
    where: { participantId, status: { in: ["enrolled", "waitlisted"] } },
    select: { id: true },
  });
  const { promoted, erasures } = await deleteParticipantData(tx, database.provider, participantId, now, options);
  const { reminders, notices } = await welcomePromoted(tx, database, promoted, now);
  return {
    erasures,
    cancelledEnrollmentIds: cancelled.map((e) => e.id),
    reminders,
    notices: await writeNotices(tx, database, notices, now),
  };
}
