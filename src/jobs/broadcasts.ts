/**
 * Broadcast jobs on BullMQ (queue "broadcasts"):
 * - "run" starts a broadcast at its time (status and ledger in one transaction), then fans out
 *   its pending recipients in chunks onto the outbox's paced lane. Several runs of one broadcast
 *   at once are safe (each chunk takes rows still pending, under a lock), so a run is simply
 *   added again after a crash, a resume or by the reconcile pass.
 * - "check" marks a sending broadcast done once every message is sent or failed, every two
 *   seconds; its job ids are per broadcast and time slot, so checks added twice merge.
 * The database is the truth: reconcileBroadcasts re-adds the runs of scheduled and sending
 * broadcasts, so a Redis that lost its data or a worker killed mid-way loses nobody.
 */
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import { runAtomically } from "../db/raw-sql.js";
import { fanOutChunk, fanOutPlan, finishIfDonePlan, startBroadcastPlan } from "../domain/broadcast-sending.js";
import type { BroadcastJobs } from "../domain/broadcasts.js";
import { parseSegmentFilter } from "../domain/segments.js";
import type { Logger } from "../logger.js";
import { namespaced } from "./job-ids.js";
import type { OutboxQueue } from "../outbox/queue.js";

export const broadcastQueueName = "broadcasts";

type BroadcastJob = { broadcastId: number };

const checkEveryMs = 2000;

export class BroadcastQueue implements BroadcastJobs {
  readonly queue: Queue<BroadcastJob>;

  constructor(
    connection: Redis,
    prefix: string,
    /** This database's part of every job id (job-namespace.ts). */
    readonly namespace: string,
  ) {
    this.queue = new Queue<BroadcastJob>(broadcastQueueName, { connection, prefix });
  }

  async start(broadcastId: number, at: Date | null): Promise<void> {
    const delay = at ? Math.max(0, at.getTime() - Date.now()) : 0;
    await this.queue.add(
      "run",
      { broadcastId },
      {
        // A run at a set time has one id (adding it again is a no-op); runs now may overlap.
        jobId: namespaced(
          at
            ? `bc-${broadcastId}-at-${at.getTime()}`
            : `bc-${broadcastId}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
          this.namespace,
        ),
        delay,
        attempts: 10,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: true,
        removeOnFail: 100,
      },
    );
  }

  /** A done-check in two seconds (merged with any other check of the same slot). */
  async check(broadcastId: number): Promise<void> {
    const slot = Math.floor((Date.now() + checkEveryMs) / checkEveryMs);
    await this.queue.add(
      "check",
      { broadcastId },
      {
        jobId: namespaced(`bc-check-${broadcastId}-${slot}`, this.namespace),
        delay: checkEveryMs,
        removeOnComplete: true,
        removeOnFail: 100,
      },
    );
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export function createBroadcastWorker(options: {
  connection: Redis;
  prefix: string;
  database: Database;
  outbox: OutboxQueue;
  queue: BroadcastQueue;
  timeZone: string;
  logger: Logger;
  now?: () => Date;
}): Worker<BroadcastJob> {
  const { database, logger, queue } = options;
  const now = options.now ?? (() => new Date());
  const db = database.prisma;

  const run = async (broadcastId: number) => {
    const b = await db.broadcast.findUnique({
      where: { id: broadcastId },
      select: { status: true, filter: true, scheduledAt: true },
    });
    if (!b) return;
    if (b.status === "scheduled") {
      // A run that comes early (the clock of another process) waits for the time.
      if (b.scheduledAt && b.scheduledAt.getTime() - now().getTime() > 1000) {
        await queue.start(broadcastId, new Date(Date.now() + (b.scheduledAt.getTime() - now().getTime())));
        return;
      }
      const started = await runAtomically(database, () =>
        startBroadcastPlan(database.provider, broadcastId, parseSegmentFilter(b.filter), options.timeZone, now()),
      );
      if (started) logger.info({ broadcastId }, "broadcast started");
    } else if (b.status !== "sending") return;
    let queued = 0;
    for (;;) {
      const chunk = await runAtomically(database, () =>
        fanOutPlan(database.provider, broadcastId, {
          limit: fanOutChunk,
          now: now(),
          defaultTimeZone: options.timeZone,
        }),
      );
      // If Redis fails here the rows are in the outbox already; its reconcile pass sends them.
      await options.outbox
        .enqueueMany(chunk.batches)
        .catch((err: unknown) => logger.warn({ err, broadcastId }, "enqueueing a broadcast chunk failed"));
      queued += chunk.batches.length;
      if (!chunk.sending || !chunk.more) break;
    }
    if (queued) logger.info({ broadcastId, queued }, "broadcast fanned out");
    await queue.check(broadcastId);
  };

  const check = async (broadcastId: number) => {
    if (await runAtomically(database, () => finishIfDonePlan(database.provider, broadcastId, now()))) {
      logger.info({ broadcastId }, "broadcast done");
      return;
    }
    const b = await db.broadcast.findUnique({ where: { id: broadcastId }, select: { status: true } });
    if (b?.status !== "sending") return;
    // Rows still pending with no run at work (a run died): fan them out.
    const pending = await db.broadcastRecipient.count({ where: { broadcastId, status: "pending" } });
    if (pending) await queue.start(broadcastId, null);
    else await queue.check(broadcastId);
  };

  return new Worker<BroadcastJob>(
    broadcastQueueName,
    async (job: Job<BroadcastJob>) => {
      if (job.name === "run") await run(job.data.broadcastId);
      else if (job.name === "check") await check(job.data.broadcastId);
    },
    { connection: options.connection, prefix: options.prefix, concurrency: 2 },
  );
}

/**
 * Re-adds what Redis may have lost (at start and every minute): the run of each scheduled
 * broadcast (same id, so a no-op when it is there) and a check of each sending one (which
 * fans out again whatever is still pending). Broadcasts are read `pageSize` at a time, by id.
 */
export async function reconcileBroadcasts(
  database: Database,
  queue: BroadcastQueue,
  now = new Date(),
  pageSize = 1000,
): Promise<number> {
  let count = 0;
  for (let after = 0; ;) {
    const live = await database.prisma.broadcast.findMany({
      where: { status: { in: ["scheduled", "sending"] }, id: { gt: after } },
      orderBy: { id: "asc" },
      select: { id: true, status: true, scheduledAt: true },
      take: pageSize,
    });
    for (const b of live) {
      if (b.status === "sending") await queue.check(b.id);
      else await queue.start(b.id, b.scheduledAt && b.scheduledAt > now ? b.scheduledAt : null);
    }
    count += live.length;
    if (live.length < pageSize) return count;
    after = live[live.length - 1]!.id;
  }
}
