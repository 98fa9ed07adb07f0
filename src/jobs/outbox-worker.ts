/**
 * Sends outbox rows through their channel adapter and records the delivery status. Each row
 * is claimed first (pending -> sending, only if still pending), so a retried or duplicated job
 * never sends a row twice unless a send crashed midway (at least once, DESIGN.md section 5).
 */
import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { SendError, type ChannelAdapter } from "../channels/channel.js";
import type { Db } from "../db/database.js";
import type { OutgoingMessage } from "../engine/types.js";
import type { Logger } from "../logger.js";
import { KeyedSerial } from "../runtime/keyed-serial.js";
import { outboxQueueName, type OutboxJob, type OutboxQueue } from "./outbox-queue.js";

export type OutboxWorkerOptions = {
  connection: Redis;
  prefix: string;
  db: Db;
  /** The channel this worker sends on. */
  channel: ChannelAdapter;
  logger: Logger;
  concurrency?: number;
  /** Told after each successful send (the web chat wakes its long polls with it). */
  onSent?: (channel: string, chatId: string) => void;
};

/**
 * Sends one outbox row. Throws for a failure worth retrying.
 *
 * Every write is its own (batch) transaction: on SQLite, Prisma's adapter shares one connection
 * and only transactions wait for each other, so a bare write could land inside a turn's open
 * transaction and vanish if that turn rolls back (a redelivered message), sending a row twice.
 */
export async function sendOutboxItem(
  db: Db,
  adapter: ChannelAdapter,
  outboxId: number,
): Promise<"sent" | "skipped" | "failed"> {
  const [claimed] = await db.$transaction([
    db.outboxItem.updateMany({
      where: { id: outboxId, status: "pending" },
      data: { status: "sending", attempts: { increment: 1 } },
    }),
  ]);
  if (claimed.count === 0) return "skipped";
  const item = await db.outboxItem.findUnique({ where: { id: outboxId }, include: { message: true } });
  if (!item) return "skipped";
  const fail = async (reason: string) => {
    await db.$transaction([
      db.outboxItem.update({ where: { id: outboxId }, data: { status: "failed", lastError: reason } }),
      db.message.update({ where: { id: item.messageId }, data: { status: "failed", error: reason } }),
    ]);
  };
  if (item.channel !== adapter.name) {
    await fail(`outbox row for channel ${item.channel} reached the ${adapter.name} worker`);
    return "failed";
  }
  const message: OutgoingMessage = {
    text: item.message.text ?? "",
    ...(item.message.choices ? { choices: item.message.choices as OutgoingMessage["choices"] } : {}),
    ...(item.message.requestPhone ? { requestPhone: true } : {}),
  };
  try {
    const result = await adapter.send(item.chatId, message);
    await db.$transaction([
      db.outboxItem.update({ where: { id: outboxId }, data: { status: "sent", sentAt: new Date(), lastError: null } }),
      db.message.update({
        where: { id: item.messageId },
        data: {
          status: "sent",
          error: null,
          ...(result.platformMessageId ? { platformMessageId: result.platformMessageId } : {}),
        },
      }),
    ]);
    return "sent";
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (err instanceof SendError && err.permanent) {
      await fail(reason);
      return "failed";
    }
    // Back to pending, so the retried job can claim it again.
    await db.$transaction([
      db.outboxItem.update({ where: { id: outboxId }, data: { status: "pending", lastError: reason } }),
    ]);
    throw err;
  }
}

export function createOutboxWorker(options: OutboxWorkerOptions): Worker<OutboxJob> {
  const { db, channel, logger } = options;
  // One chat's messages go out one at a time, in order, even when several jobs of that chat
  // run at once (a turn's batch may be picked up while the previous turn's is still sending).
  const serial = new KeyedSerial();
  return new Worker<OutboxJob>(
    outboxQueueName(channel.name),
    async (job: Job<OutboxJob>) => {
      const first = await db.outboxItem.findUnique({
        where: { id: job.data.outboxIds[0] },
        select: { channel: true, chatId: true },
      });
      if (!first) return;
      const last = Math.max(...job.data.outboxIds);
      await serial.run(`${first.channel}:${first.chatId}`, async () => {
        // Everything still waiting for this chat up to this batch, oldest first: an earlier
        // turn's messages never arrive after a later one's.
        const due = await db.outboxItem.findMany({
          where: { channel: first.channel, chatId: first.chatId, status: "pending", id: { lte: last } },
          orderBy: { id: "asc" },
          select: { id: true },
        });
        let sent = false;
        for (const { id } of due) {
          const outcome = await sendOutboxItem(db, channel, id);
          if (outcome === "sent") sent = true;
          else if (outcome === "failed") logger.warn({ outboxId: id }, "outbox item failed permanently");
        }
        if (sent) options.onSent?.(first.channel, first.chatId);
      });
    },
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency ?? 16 },
  );
}

/**
 * Re-enqueues rows the queue may have lost (Redis restarted, enqueue failed after commit):
 * pending rows older than `olderThanMs`, and rows stuck in "sending" for `stuckMs`.
 */
export async function reconcileOutbox(
  db: Db,
  queue: OutboxQueue,
  olderThanMs = 10_000,
  stuckMs = 300_000,
): Promise<number> {
  const now = Date.now();
  await db.$transaction([
    db.outboxItem.updateMany({
      where: { status: "sending", updatedAt: { lt: new Date(now - stuckMs) } },
      data: { status: "pending", lastError: "stuck in sending; retried" },
    }),
  ]);
  const rows = await db.outboxItem.findMany({
    where: { status: "pending", createdAt: { lt: new Date(now - olderThanMs) } },
    orderBy: { id: "asc" },
    select: { id: true, priority: true, channel: true },
    take: 5000,
  });
  for (const row of rows)
    await queue.enqueue({ channel: row.channel, ids: [row.id], priority: row.priority }, `r${row.id}-${now}`);
  return rows.length;
}
