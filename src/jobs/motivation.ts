/**
 * Motivation rounds on BullMQ: a job scheduler (cron with time zone, MOTIVATION_SCHEDULE) adds
 * a "round" job at each tick; the worker runs the round (src/domain/motivation.ts) in chunks of
 * participants, each chunk one transaction, and enqueues the messages on the paced lane, behind
 * reminders. A round's key is its local date, so a retried or repeated round sends nothing twice.
 */
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import { runAtomically } from "../db/raw-sql.js";
import {
  libraryPlan,
  motivationChunkPlan,
  roundKey,
  type MotivationSettings,
  type RoundTally,
} from "../domain/motivation.js";
import type { Logger } from "../logger.js";
import type { OutboxQueue } from "../outbox/queue.js";

export const motivationQueueName = "motivation";
const schedulerId = "motivation-round";

type RoundJob = { round?: string };

export type RoundResult = RoundTally & { round: string };

/** Participants per transaction. */
const chunkSize = 500;

/** Runs one round: every eligible participant gets one message (or is counted as left out). */
export async function runMotivationRound(
  database: Database,
  outbox: OutboxQueue,
  settings: MotivationSettings,
  options: { now: Date; round?: string; logger?: Logger },
): Promise<RoundResult> {
  const round = options.round ?? roundKey(options.now, settings.defaultTimeZone);
  const library = await runAtomically(database, () => libraryPlan(database.provider));
  const total: RoundResult = { round, queued: 0, alreadyInRound: 0, atCap: 0, noMessage: 0 };
  for (let afterId: number | null = 0; afterId !== null;) {
    const from: number = afterId;
    const chunk = await runAtomically(database, () =>
      motivationChunkPlan(database.provider, {
        round,
        afterId: from,
        limit: chunkSize,
        library,
        settings,
        now: options.now,
      }),
    );
    for (const key of ["queued", "alreadyInRound", "atCap", "noMessage"] as const) total[key] += chunk.tally[key];
    // If Redis fails here the rows stay pending and the outbox reconcile pass sends them.
    await outbox
      .enqueueMany(chunk.batches)
      .catch((err: unknown) => options.logger?.warn({ err }, "enqueueing motivation failed"));
    afterId = chunk.nextAfterId;
  }
  return total;
}

export class MotivationScheduler {
  readonly queue: Queue<RoundJob>;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly cron: string | null,
    private readonly timeZone: string,
  ) {
    this.queue = new Queue<RoundJob>(motivationQueueName, { connection, prefix });
  }

  /** Puts the schedule in Redis (or takes it out when motivation is off); safe to call from every process. */
  async install(): Promise<void> {
    if (!this.cron) {
      await this.queue.removeJobScheduler(schedulerId);
      return;
    }
    await this.queue.upsertJobScheduler(
      schedulerId,
      { pattern: this.cron, tz: this.timeZone },
      {
        name: "round",
        data: {},
        opts: { attempts: 5, backoff: { type: "exponential", delay: 30_000 }, removeOnComplete: 50, removeOnFail: 50 },
      },
    );
  }

  /** When the next round goes, or null when motivation is off. */
  async next(): Promise<Date | null> {
    const scheduler = await this.queue.getJobScheduler(schedulerId);
    return scheduler?.next ? new Date(scheduler.next) : null;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Runs the rounds the scheduler adds. */
export function createMotivationWorker(options: {
  connection: Redis;
  prefix: string;
  database: Database;
  outbox: OutboxQueue;
  settings: MotivationSettings;
  logger: Logger;
  now?: () => Date;
}): Worker<RoundJob> {
  const now = options.now ?? (() => new Date());
  return new Worker<RoundJob>(
    motivationQueueName,
    async (job: Job<RoundJob>) => {
      // The round is the local date the scheduler meant, even when the job runs late or again.
      const meant = new Date(job.timestamp + (job.opts.delay ?? 0));
      const round = job.data.round ?? roundKey(meant, options.settings.defaultTimeZone);
      const result = await runMotivationRound(options.database, options.outbox, options.settings, {
        now: now(),
        round,
        logger: options.logger,
      });
      options.logger.info(result, "motivation round queued");
      return result;
    },
    { connection: options.connection, prefix: options.prefix, concurrency: 1 },
  );
}
