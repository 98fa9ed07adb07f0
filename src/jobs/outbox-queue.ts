/**
 * The outbox queue: a BullMQ job per batch of outbox rows (one chat's messages of one turn, in
 * order). The database row is the truth; the job only says "send these now".
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { OutboxSink } from "../runtime/inbound-runtime.js";

export const outboxQueueName = "outbox";

export type OutboxJob = { outboxIds: number[] };

export class OutboxQueue implements OutboxSink {
  readonly queue: Queue<OutboxJob>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<OutboxJob>(outboxQueueName, { connection, prefix });
  }

  /**
   * The job id derives from the first row, so enqueuing the same batch twice adds it once.
   * The reconcile pass gives its own id, since an old job of the same row may still be kept.
   */
  async enqueue(batch: { ids: number[]; priority: number }, jobId = `o${batch.ids[0]}`): Promise<void> {
    if (!batch.ids.length) return;
    await this.queue.add(
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

  close(): Promise<void> {
    return this.queue.close();
  }
}
