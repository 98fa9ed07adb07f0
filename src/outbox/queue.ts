/**
 * The outbox queues. Each channel has two: "outbox-<channel>" for replies and notices, sent at
 * once, and "outbox-<channel>-bulk" for reminders, motivation and broadcasts, paced to the
 * channel's limits. Replies never wait behind bulk, and a process works only the channels it
 * has adapters for. A job is a batch of outbox rows of one chat, in order, or on a fast bulk lane
 * the batches of several chats queued together (pacing.ts, bulkChatsPerJob). The database row is
 * the truth; the job only says "send these now".
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { namespaced } from "../jobs/job-ids.js";
import { laneOf, type OutboxBatch, type OutboxLane, type OutboxSink } from "./types.js";

export const outboxQueueName = (channel: string, lane: OutboxLane = "reply") =>
  lane === "bulk" ? `outbox-${channel}-bulk` : `outbox-${channel}`;

/**
 * A job: the rows of one chat (`chatId`), or on the bulk lane the rows of several chats
 * (`chats`, each sent in its own order, independently of the others). `outboxIds` lists every
 * row the job carries either way: the reconcile pass reads it to see which rows have a job.
 */
export type OutboxJob = {
  outboxIds: number[];
  chatId?: string;
  timeZone?: string;
  chats?: OutboxJobChat[];
};

export type OutboxJobChat = { chatId: string; outboxIds: number[] };

/** The chats of a job, whichever form it has (a job of one chat from before `chats` has only `outboxIds`). */
export const chatsOfJob = (data: OutboxJob): OutboxJobChat[] | null =>
  data.chats ?? (data.chatId !== undefined ? [{ chatId: data.chatId, outboxIds: data.outboxIds }] : null);

export class OutboxQueue implements OutboxSink {
  private readonly queues = new Map<string, Queue<OutboxJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    /** This database's part of every job id (job-namespace.ts). */
    readonly namespace: string,
    private readonly onError: (queue: string, err: Error) => void = () => {},
    /** Chats one bulk job of the channel may carry (pacing.ts, bulkChatsPerJob); default one. */
    private readonly chatsPerJob: (channel: string) => number = () => 1,
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

  /**
   * Enqueues many batches, a few round trips per queue. On the bulk lane, batches of one
   * priority and time zone go several chats to a job, up to the channel's chatsPerJob.
   */
  async enqueueMany(batches: OutboxBatch[]): Promise<void> {
    const byQueue = new Map<
      Queue<OutboxJob>,
      { name: string; data: OutboxJob; opts: ReturnType<typeof jobOptions> }[]
    >();
    const add = (queue: Queue<OutboxJob>, data: OutboxJob, first: OutboxBatch) => {
      const job = { name: "send", data, opts: jobOptions(first, this.jobId(`o${data.outboxIds[0]}`)) };
      const list = byQueue.get(queue);
      if (list) list.push(job);
      else byQueue.set(queue, [job]);
    };
    // Bulk batches that may share a job, by queue, priority and time zone, in the order given.
    const groups = new Map<string, OutboxBatch[]>();
    for (const batch of batches) {
      if (!batch.ids.length) continue;
      const lane = laneOf(batch.priority);
      const queue = this.queue(batch.channel, lane);
      if (lane === "reply" || this.chatsPerJob(batch.channel) <= 1) {
        add(queue, jobData(batch), batch);
        continue;
      }
      const key = `${queue.name}\u0000${batch.priority}\u0000${batch.timeZone ?? ""}`;
      const group = groups.get(key);
      if (group) group.push(batch);
      else groups.set(key, [batch]);
    }
    for (const group of groups.values()) {
      const first = group[0]!;
      const queue = this.queue(first.channel, "bulk");
      for (const part of slices(group, this.chatsPerJob(first.channel))) {
        if (part.length === 1) add(queue, jobData(part[0]!), part[0]!);
        else add(queue, groupData(part), part[0]!);
      }
    }
    await Promise.all(
      [...byQueue].flatMap(([queue, jobs]) => slices(jobs, addBulkSize).map((slice) => queue.addBulk(slice))),
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

/**
 * Jobs per addBulk call. BullMQ adds a bulk in one MULTI, which Redis runs whole while every other
 * client waits: 500 jobs held the workers' commands for tens of milliseconds at a time, and a
 * broadcast being queued starved the sends already under way.
 */
const addBulkSize = 50;

const slices = <T>(list: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

const jobData = (batch: OutboxBatch): OutboxJob => ({
  outboxIds: batch.ids,
  chatId: batch.chatId,
  ...(batch.timeZone ? { timeZone: batch.timeZone } : {}),
});

/** A job of several chats' batches (of one priority and time zone). */
const groupData = (batches: OutboxBatch[]): OutboxJob => ({
  outboxIds: batches.flatMap((b) => b.ids),
  chats: batches.map((b) => ({ chatId: b.chatId, outboxIds: b.ids })),
  ...(batches[0]!.timeZone ? { timeZone: batches[0]!.timeZone } : {}),
});

const jobOptions = (batch: OutboxBatch, jobId: string) => ({
  jobId,
  priority: batch.priority,
  attempts: 8,
  backoff: { type: "exponential" as const, delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
});
