/**
 * Messages the bot starts, written on their own: each chunk with its outbox rows in one
 * transaction, then enqueued on the channel's lane (bulk is paced, notices go at once). Tests and
 * benchmarks fill the outbox with it as the schedulers would. The schedulers themselves write
 * their messages in the transaction of the change that causes them (a reminder claimed, a
 * broadcast's ledger, a domain notice) with OutboxWrites, and enqueue the batches after it.
 */
import type { Database } from "../db/database.js";
import { runAtomically } from "../db/raw-sql.js";
import type { OutgoingMessage } from "../engine/types.js";
import { OutboxWrites } from "./outbox-writes.js";
import type { OutboxQueue } from "./queue.js";
import { outboundRow, priorityOf, type OutboundKind, type OutboxBatch } from "./types.js";

export type OutboundItem = {
  channel: string;
  chatId: string;
  identityId: number | null;
  message: OutgoingMessage;
  kind: OutboundKind;
  /** The recipient's time zone: motivation and broadcasts wait out quiet hours there. */
  timeZone?: string | null;
};

/** Rows per transaction: keeps each insert well under SQLite's limit on bound values. */
const chunkSize = 500;

/** Writes and enqueues the messages; returns their outbox ids in the order given. */
export async function queueOutbound(
  database: Database,
  queue: OutboxQueue,
  items: OutboundItem[],
  now = new Date(),
): Promise<number[]> {
  const writes = new OutboxWrites(database.provider);
  const ids: number[] = [];
  for (let i = 0; i < items.length; i += chunkSize) {
    const chunk = items.slice(i, i + chunkSize);
    const chunkIds = await runAtomically(database, () =>
      writes.insertOutbound(
        chunk.map((item) => ({
          ...outboundRow(item, item.message, item.kind, priorityOf(item.kind)),
          timeZone: item.timeZone ?? null,
        })),
        now,
      ),
    );
    ids.push(...chunkIds);
    // One job per chat and lane, so each chat's messages stay in order.
    const batches = new Map<string, OutboxBatch>();
    for (const [j, item] of chunk.entries()) {
      const priority = priorityOf(item.kind);
      const key = `${item.channel}:${item.chatId}:${priority}`;
      const batch = batches.get(key) ?? {
        channel: item.channel,
        chatId: item.chatId,
        ids: [],
        priority,
        timeZone: item.timeZone ?? null,
      };
      batch.ids.push(chunkIds[j]!);
      batches.set(key, batch);
    }
    // If Redis is down the rows stay pending and the reconcile pass enqueues them.
    await queue.enqueueMany([...batches.values()]).catch(() => {});
  }
  return ids;
}
