/**
 * The outbox queues. Each channel has two: "outbox-<channel>" for replies and notices, sent at
 * once, and "outbox-<channel>-bulk" for reminders, motivation and broadcasts, paced to the
 * channel's limits. Replies never wait behind bulk, and a process works only the channels it
 * has adapters for. A job is a batch of outbox rows of one chat, in order. The database row is
 * the truth; the job only says "send these now".
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { namespaced } from "../jobs/job-ids.js";
import { laneOf, type OutboxBatch, type OutboxLane, type OutboxSink } from "./types.js";

export const outboxQueueName = (channel: string, lane: OutboxLane = "reply") =>
  lane === "bulk" ? `outbox-${channel}-bulk` : `outbox-${channel}`;

export type OutboxJob = { outboxIds: number[]; chatId?: string; timeZone?: string };

export class OutboxQueue implements OutboxSink {
  private readonly queues = new Map<string, Queue<OutboxJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    /** This database's part of every job id (job-namespace.ts). */
    readonly namespace: string,
    private readonly onError: (queue: string, err: Error) => void = () => {},
  ) {}

  /** The queue of a channel's lane, made on first use. */
  queue(channel: string, lane: OutboxLane = "reply"): Queue<OutboxJob> {
    const name = outboxQueueName(channel, lane);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<OutboxJob>(name, { connection: this.connection, prefix: this.prefix });
      queue.on("error", (err: Error) => this.onError(name, err));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** A job id of this database: `o<first row>` for a batch, `r<row>` from the reconcile pass. */
  jobId(id: string): string {
    return namespaced(id, this.namespace);
  }

  /**
   * The job id derives from the first row, so enqueuing the same batch twice adds it once.
   * The reconcile pass gives its own id (`r<row>`), since an old job of the same row may still be kept.
   */
  async enqueue(batch: OutboxBatch, id = `o${batch.ids[0]}`): Promise<void> {
    const jobId = this.jobId(id);
    if (!batch.ids.length) return;
    await this.queue(batch.channel, laneOf(batch.priority)).add("send", jobData(batch), jobOptions(batch, jobId));
  }

  /** Enqueues many batches with one round trip per queue. */
  async enqueueMany(batches: OutboxBatch[]): Promise<void> {
    const byQueue = new Map<Queue<OutboxJob>, OutboxBatch[]>();
    for (const batch of batches) {
      if (!batch.ids.length) continue;
      const queue = this.queue(batch.channel, laneOf(batch.priority));
      const list = byQueue.get(queue);
      if (list) list.push(batch);
      else byQueue.set(queue, [batch]);
    }
    await Promise.all(
      [...byQueue].map(([queue, list]) =>
        queue.addBulk(
          list.map((b) => ({ name: "send", data: jobData(b), opts: jobOptions(b, this.jobId(`o${b.ids[0]}`)) })),
        ),
      ),
    );
  }

  /** Whether each of these jobs' locks is held (a worker is alive and working on it). */
  async locked(queue: Queue<OutboxJob>, jobIds: string[]): Promise<boolean[]> {
    if (!jobIds.length) return [];
    const pipeline = this.connection.pipeline();
    for (const id of jobIds) pipeline.exists(`${queue.toKey(id)}:lock`);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, n]) => !err && n === 1);
  }

  /** The outbox rows these jobs are to send (jobs that are gone meanwhile add nothing). */
  async rowsOf(queue: Queue<OutboxJob>, jobIds: string[]): Promise<Set<number>> {
    const rows = new Set<number>();
    for (let i = 0; i < jobIds.length; i += 1000) {
      const pipeline = this.connection.pipeline();
      for (const id of jobIds.slice(i, i + 1000)) pipeline.hget(queue.toKey(id), "data");
      for (const [err, data] of (await pipeline.exec()) ?? []) {
        if (err || typeof data !== "string") continue;
        try {
          for (const id of (JSON.parse(data) as Partial<OutboxJob>).outboxIds ?? []) rows.add(id);
        } catch {
          // Not an outbox job's data: covers nothing.
        }
      }
    }
    return rows;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

const jobData = (batch: OutboxBatch): OutboxJob => ({
  outboxIds: batch.ids,
  chatId: batch.chatId,
  ...(batch.timeZone ? { timeZone: batch.timeZone } : {}),
});

const jobOptions = (batch: OutboxBatch, jobId: string) => ({
  jobId,
  priority: batch.priority,
  attempts: 8,
  backoff: { type: "exponential" as const, delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
});
