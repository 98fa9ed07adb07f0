/**
 * The passes that put back in Redis what only the database remembers, and their timers: outbox
 * rows and broadcasts the queues lost (every minute), reminder and campaign jobs (every 5
 * minutes), and, when Redis lost its data, those jobs and the motivation schedule at once.
 */
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import { reconcileBroadcasts, type BroadcastQueue } from "../jobs/broadcasts.js";
import type { MotivationScheduler } from "../jobs/motivation.js";
import type { OutboxQueue } from "../outbox/queue.js";
import { reconcileOutbox } from "../outbox/reconcile.js";
import type { ReminderScheduler } from "../jobs/reminders.js";
import type { Logger } from "../logger.js";

export type Maintenance = {
  /** Re-enqueues outbox rows and broadcasts the queues lost; resolves with the outbox rows enqueued. */
  reconcile(): Promise<number>;
  /** Runs every pass once, then starts the timers (in a process that runs the workers). */
  start(): Promise<void>;
  /** Stops the timers (shutdown). */
  stop(): void;
};

export function createMaintenance(args: {
  database: Database;
  /** The fail-fast connection: the key that says Redis still has its data is kept on it. */
  redis: Redis;
  prefix: string;
  logger: Logger;
  outbox: OutboxQueue;
  broadcastQueue: BroadcastQueue;
  reminders: ReminderScheduler;
  /** The jobs of what is sent after a session, reconciled with the reminders'. */
  campaigns?: { reconcile(): Promise<{ added: number; removed: number }> };
  motivation: MotivationScheduler;
  /** Whether this process installs the motivation schedule (it has one). */
  installsSchedule: boolean;
  /** How often the reconcile passes run (default a minute), and when a row stuck in "sending" is retried (5 minutes). */
  reconcile?: { everyMs?: number; stuckMs?: number };
}): Maintenance {
  const { database, redis, prefix, logger, outbox, broadcastQueue, reminders, motivation } = args;
  let timer: NodeJS.Timeout | undefined;
  let reminderTimer: NodeJS.Timeout | undefined;
  const reconcile = async () => {
    const enqueued = await reconcileOutbox(database, outbox, 10_000, args.reconcile?.stuckMs ?? 300_000);
    await reconcileBroadcasts(database, broadcastQueue);
    return enqueued;
  };
  const reconcileReminders = async () => {
    try {
      const { added, removed } = await reminders.reconcile();
      if (added || removed) logger.info({ added, removed }, "reminder jobs reconciled");
    } catch (err) {
      logger.warn({ err }, "reminder reconcile failed");
    }
    if (!args.campaigns) return;
    try {
      const { added, removed } = await args.campaigns.reconcile();
      if (added || removed) logger.info({ added, removed }, "campaign jobs reconciled");
    } catch (err) {
      logger.warn({ err }, "campaign reconcile failed");
    }
  };
  /** Reminders whose job should have fired by now (src/jobs/reminders.ts, wakeOverdue). */
  const wakeOverdueReminders = async () => {
    const woken = await reminders.wakeOverdue();
    if (woken) logger.warn({ woken }, "overdue reminder jobs woken");
  };
  // A key that lives as long as Redis keeps its data: when it is gone (FLUSHALL, a restart
  // without persistence), the first process to notice puts back at once what only the database
  // remembers: the reminder jobs (their own pass runs every 5 minutes) and the motivation
  // schedule. Outbox rows and broadcasts come back through the reconcile pass that follows.
  let redisKnown = false;
  const noticeRedisLoss = async () => {
    const fresh = (await redis.set(`${prefix}:alive`, String(Date.now()), "NX")) === "OK";
    if (fresh && redisKnown) {
      logger.warn("Redis lost its data: putting back the reminder jobs and the motivation schedule");
      await reconcileReminders();
      if (args.installsSchedule) await motivation.install();
    }
    redisKnown = true;
  };
  return {
    reconcile,
    async start() {
      await reconcile().catch((err: unknown) => logger.warn({ err }, "outbox reconcile failed"));
      await reconcileReminders();
      await noticeRedisLoss().catch(() => {});
      timer = setInterval(
        () =>
          void noticeRedisLoss()
            .then(() => reconcile())
            .then(() => wakeOverdueReminders())
            .catch((err: unknown) => logger.warn({ err }, "outbox reconcile failed")),
        args.reconcile?.everyMs ?? 60_000,
      );
      timer.unref();
      reminderTimer = setInterval(() => void reconcileReminders(), 5 * 60_000);
      reminderTimer.unref();
    },
    stop() {
      clearInterval(timer);
      clearInterval(reminderTimer);
    },
  };
}
