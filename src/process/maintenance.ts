/**
 * The passes that put back in Redis what only the database remembers, and their timers: outbox
 * rows and broadcasts the queues lost (every minute), reminder and campaign jobs (every 5
 * minutes), and, when Redis lost its data, those jobs and the motivation schedule at once.
 *
 * The reminder and campaign pass reads every open reminder and looks its job up: at 10,000
 * participants some seconds of work for the process, the database and Redis. One process of the
 * deployment runs it each 5 minutes, whichever takes the turn first (a key in Redis), not every
 * worker on its own timer; and a worker that starts while Redis keeps its data (a restart, a
 * replacement for one that died, a second worker) leaves it to the turn, so its start costs the
 * workers already sending little. When Redis lost its data, or is new, the first process to see
 * it runs the pass at once, turn or not.
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
  const reminderEveryMs = 5 * 60_000;
  const turnKey = `${prefix}:maintenance:reminder-turn:${reminders.namespace}`;
  /**
   * Whether this process runs this round of the reminder pass: the first to ask in an interval
   * does (the key lives a little less than one, so one process alone takes every round of its
   * own timer). Redis that cannot be asked: the pass runs, and fails there, logged.
   */
  const takeReminderTurn = async () =>
    (await redis.set(turnKey, String(process.pid), "PX", reminderEveryMs - 15_000, "NX").catch(() => "OK")) === "OK";
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
  /** Whether Redis is new to this process: it lost its data since the last look, or (at start) it never had the key. */
  const noticeRedisLoss = async (): Promise<boolean> => {
    const fresh = (await redis.set(`${prefix}:alive`, String(Date.now()), "NX")) === "OK";
    if (fresh && redisKnown) {
      logger.warn("Redis lost its data: putting back the reminder jobs and the motivation schedule");
      await reconcileReminders();
      if (args.installsSchedule) await motivation.install();
    }
    redisKnown = true;
    return fresh;
  };
  return {
    reconcile,
    async start() {
      await reconcile().catch((err: unknown) => logger.warn({ err }, "outbox reconcile failed"));
      // A new Redis (or one never seen with this prefix) has no jobs: the pass runs now. Else it
      // runs if no other process ran it in the last interval.
      const fresh = await noticeRedisLoss().catch(() => true);
      if (fresh) await redis.set(turnKey, String(process.pid), "PX", reminderEveryMs - 15_000).catch(() => null);
      if (fresh || (await takeReminderTurn())) await reconcileReminders();
      timer = setInterval(
        () =>
          void noticeRedisLoss()
            .then(() => reconcile())
            .then(() => wakeOverdueReminders())
            .catch((err: unknown) => logger.warn({ err }, "outbox reconcile failed")),
        args.reconcile?.everyMs ?? 60_000,
      );
      timer.unref();
      reminderTimer = setInterval(
        () => void takeReminderTurn().then((mine) => (mine ? reconcileReminders() : undefined)),
        reminderEveryMs,
      );
      reminderTimer.unref();
    },
    stop() {
      clearInterval(timer);
      clearInterval(reminderTimer);
    },
  };
}
