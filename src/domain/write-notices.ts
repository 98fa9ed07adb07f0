/**
 * Notices written to the outbox outside a chat turn (the dashboard, an erasure re-applied). A chat
 * turn writes its notices with its replies instead (runtime/inbound-runtime.ts).
 */
import type { Database, Tx } from "../db/database.js";
import { runPlan } from "../db/plan.js";
import { inTransaction } from "../db/raw-sql.js";
import { OutboxWrites } from "../outbox/outbox-writes.js";
import { outboundRow, priorities, type OutboxBatch } from "../outbox/types.js";
import type { Notice } from "./promote-from-waitlist.js";

/** Writes the notices in the caller's transaction, one batch each; the caller enqueues the batches after the commit. */
export async function writeNotices(tx: Tx, database: Database, notices: Notice[], now: Date): Promise<OutboxBatch[]> {
  const run = inTransaction(database, tx);
  const writes = new OutboxWrites(database.provider);
  const batches: OutboxBatch[] = [];
  for (const n of notices) {
    const ids = await runPlan(
      writes.insertOutbound([outboundRow(n, { text: n.text }, "notice", priorities.notice)], now),
      run,
    );
    batches.push({ channel: n.channel, chatId: n.chatId, ids, priority: priorities.notice });
  }
  return batches;
}
