/**
 * The outbox queues: one BullMQ queue per channel ("outbox-telegram", "outbox-web", ...), so a
 * process works only the channels it has adapters for, and each channel can be paced on its
 * own. A job is a batch of outbox rows (one chat's messages of one turn, in order). The
 * database row is the truth; the job only says "send these now".
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { OutboxBatch, OutboxSink } from "../runtime/inbound-runtime.js";

export const outboxQueueName = (channel: string) => `outbox-${channel}`;

export type OutboxJob = { outboxIds: number[] };

export class OutboxQueue implements OutboxSink {
  private readonly queues = new Map<string, Queue<OutboxJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly onError: (queue: string, err: Error) => void = () => {},
  ) {}

  /** The queue of a channel, made on first use. */
  queue(channel: string): Queue<OutboxJob> {
    let queue = this.queues.get(channel);
    if (!queue) {
      const name = outboxQueueName(channel);
      queue = new Queue<OutboxJob>(name, { connection: this.connection, prefix: this.prefix });
      queue.on("error", (err: Error) => this.onError(name, err));
      this.queues.set(channel, queue);
    }
    return queue;
  }

  /**
   * The job id derives from the first row, so enqueuing the same batch twice adds it once.
   * The reconcile pass gives its own id, since an old job of the same row may still be kept.
   */
  async enqueue(batch: OutboxBatch, jobId = `o${batch.ids[0]}`): Promise<void> {
    if (!batch.ids.length) return;
    await this.queue(batch.channel).add(
      "send",
      { outboxIds: batch.ids },
      {
        jobId,
        priority: batch.priority,
        attempts: 8,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 5000 },
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
