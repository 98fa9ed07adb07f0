/**
 * The bot's moving parts, assembled: the engine with the flows, the inbound runtime, the outbox
 * and timeout queues and their workers. Used by the server, the console chat, tests and
 * benchmarks alike.
 */
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ChannelAdapter, ChannelStatus } from "./channels/channel.js";
import { recordDeliveryStatus } from "./channels/delivery-status.js";
import { ChatSignals } from "./channels/webchat.js";
import type { Database } from "./db/database.js";
import { Engine } from "./engine/engine.js";
import type { Language } from "./engine/types.js";
import { ConversationTimeouts, createTimeoutWorker } from "./jobs/conversation-timeouts.js";
import { OutboxQueue } from "./jobs/outbox-queue.js";
import { createReminderWorker, ReminderScheduler } from "./jobs/reminders.js";
import {
  createMotivationWorker,
  MotivationScheduler,
  runMotivationRound,
  type RoundResult,
} from "./jobs/motivation.js";
import type { QuietHours } from "./domain/quiet-hours.js";
import { BroadcastQueue, createBroadcastWorker, reconcileBroadcasts } from "./jobs/broadcasts.js";
import { createBroadcastService } from "./domain/broadcasts.js";
import type { BroadcastService } from "./domain/broadcast-types.js";
import { moveTrainingSessionPlan, type MoveOutcome } from "./domain/move-training-session.js";
import { runAtomically } from "./db/raw-sql.js";
import { createOutboxWorkers, reconcileOutbox } from "./jobs/outbox-worker.js";
import type { Pacing } from "./jobs/pacing.js";
import type { Logger } from "./logger.js";
import { InboundRuntime } from "./runtime/inbound-runtime.js";
import { flowSet } from "../flows/index.js";

export type BotOptions = {
  database: Database;
  /** A connection made with createRedis (BullMQ needs maxRetriesPerRequest: null). */
  redis: Redis;
  queuePrefix: string;
  logger: Logger;
  channels: Record<string, ChannelAdapter>;
  conversationTtlHours: number;
  defaultLanguage: Language;
  /** Start the channels that receive on their own at once (default true). */
  receive?: boolean;
  /** Run the workers in this process (default true). */
  workers?: boolean;
  /** Pacing of each channel's outbox (default: fast, for the web chat and tests). */
  pacing?: Record<string, Pacing>;
  /** Local day for daily caps, the motivation cron and participants with no programme yet. */
  timeZone?: string;
  /** Motivation rounds, quiet hours and the weekly cap (default: no rounds, no quiet hours, cap 2). */
  schedule?: { motivationCron: string | null; quietHours: QuietHours | null; weeklyCap: number };
  /** Broadcasts to more recipients need a second staff member's approval; 0 (default): never. */
  broadcastApprovalThreshold?: number;
  /** How often the reconcile passes run (default a minute), and when a row stuck in "sending" is retried (5 minutes). */
  reconcile?: { everyMs?: number; stuckMs?: number };
  now?: () => Date;
};

export type Bot = {
  engine: Engine;
  runtime: InboundRuntime;
  outbox: OutboxQueue;
  timeouts: ConversationTimeouts;
  signals: ChatSignals;
  reminders: ReminderScheduler;
  motivation: MotivationScheduler;
  broadcasts: BroadcastService;
  /** The broadcast jobs' queue (the dashboard counts its jobs). */
  broadcastQueue: BroadcastQueue;
  /** Runs a motivation round now (the scheduler does it on its cron); `round` defaults to today's. */
  sendMotivationRound(round?: string): Promise<RoundResult>;
  /**
   * Moves a training session: times, the reminders of everyone enrolled (jobs included) and a
   * notice with the new time to everyone enrolled or waiting.
   */
  moveSession(trainingSessionId: number, startsAt: Date, endsAt: Date): Promise<MoveOutcome>;
  /** Starts the channels that receive on their own (done by createBot unless `receive` is false). */
  startChannels(): Promise<void>;
  /** Connection state of each channel that reports one (Telegram, WhatsApp). */
  channelStatus(): Record<string, ChannelStatus>;
  /** Re-enqueues outbox rows the queue lost; runs at start and every minute. */
  reconcile(): Promise<number>;
  close(): Promise<void>;
};

export async function createBot(options: BotOptions): Promise<Bot> {
  const { database, redis, queuePrefix: prefix, logger } = options;
  const engine = new Engine(flowSet);
  const queueError = (queue: string, err: Error) =>
    logger.warn({ queue, err: { message: err.message } }, "queue error");
  // Enqueues go on a connection of their own that pipelines what is sent in the same tick (under
  // load, many turns' jobs leave in one write instead of one each) and fails at once while Redis
  // is away, instead of holding the turn: the rows stay pending and the reconcile pass sends them.
  const enqueueConnection = redis.duplicate({
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  enqueueConnection.on("error", (err: Error) => queueError("outbox enqueue", err));
  await new Promise<void>((resolve) => {
    if (enqueueConnection.status === "ready") resolve();
    else enqueueConnection.once("ready", () => resolve());
  });
  const outbox = new OutboxQueue(enqueueConnection, prefix, queueError);
  const timeouts = new ConversationTimeouts(redis, prefix);
  const reminders = new ReminderScheduler(enqueueConnection, prefix, database, options.now);
  const timeZone = options.timeZone ?? "Asia/Jakarta";
  const schedule = options.schedule ?? { motivationCron: null, quietHours: null, weeklyCap: 2 };
  const motivationSettings = { weeklyCap: schedule.weeklyCap, defaultTimeZone: timeZone };
  const motivation = new MotivationScheduler(redis, prefix, schedule.motivationCron, timeZone);
  motivation.queue.on("error", (err: Error) => queueError(motivation.queue.name, err));
  const broadcastQueue = new BroadcastQueue(enqueueConnection, prefix);
  broadcastQueue.queue.on("error", (err: Error) => queueError(broadcastQueue.queue.name, err));
  const broadcasts = createBroadcastService({
    database,
    jobs: broadcastQueue,
    settings: { approvalThreshold: options.broadcastApprovalThreshold ?? 0, timeZone },
    ...(options.now ? { now: options.now } : {}),
  });
  reminders.queue.on("error", (err: Error) => queueError(reminders.queue.name, err));
  timeouts.queue.on("error", (err: Error) => queueError(timeouts.queue.name, err));
  const signals = new ChatSignals();
  const runtime = new InboundRuntime({
    database,
    engine,
    outbox,
    timeouts,
    channels: Object.fromEntries(Object.entries(options.channels).map(([name, c]) => [name, { buttons: c.buttons }])),
    conversationTtlHours: options.conversationTtlHours,
    defaultLanguage: options.defaultLanguage,
    logger,
    reminders,
    onEnrollmentsCancelled: (ids) => reminders.removeForEnrollments(ids),
    staff: { broadcasts, timeZone },
    ...(options.now ? { now: options.now } : {}),
  });
  const workers: Worker[] = [];
  let timer: NodeJS.Timeout | undefined;
  const reconcile = async () => {
    const enqueued = await reconcileOutbox(database, outbox, 10_000, options.reconcile?.stuckMs ?? 300_000);
    await reconcileBroadcasts(database, broadcastQueue);
    return enqueued;
  };
  let reminderTimer: NodeJS.Timeout | undefined;
  const reconcileReminders = async () => {
    try {
      const { added, removed } = await reminders.reconcile();
      if (added || removed) logger.info({ added, removed }, "reminder jobs reconciled");
    } catch (err) {
      logger.warn({ err }, "reminder reconcile failed");
    }
  };
  if (options.workers !== false) {
    // One outbox worker per channel this process has an adapter for.
    const outboxWorkers = Object.values(options.channels).flatMap((channel) =>
      createOutboxWorkers({
        connection: redis,
        prefix,
        database,
        channel,
        queue: outbox,
        logger,
        ...(options.pacing?.[channel.name] ? { pacing: options.pacing[channel.name] } : {}),
        ...(options.timeZone ? { timeZone: options.timeZone } : {}),
        ...(options.now ? { now: options.now } : {}),
        quietHours: schedule.quietHours,
        onSent: (name, chatId) => signals.notify(name, chatId),
      }),
    );
    const timeoutWorker = createTimeoutWorker(redis, prefix, runtime);
    const reminderWorker = createReminderWorker({
      connection: redis,
      prefix,
      database,
      outbox,
      logger,
      quietHours: schedule.quietHours,
      ...(options.now ? { now: options.now } : {}),
    });
    const motivationWorker = createMotivationWorker({
      connection: redis,
      prefix,
      database,
      outbox,
      settings: motivationSettings,
      logger,
      ...(options.now ? { now: options.now } : {}),
    });
    // Without a schedule (the console chat, tools) the one in Redis is left as it is.
    if (options.schedule) await motivation.install();
    const broadcastWorker = createBroadcastWorker({
      connection: redis,
      prefix,
      database,
      outbox,
      queue: broadcastQueue,
      timeZone,
      logger,
      ...(options.now ? { now: options.now } : {}),
    });
    for (const w of [...outboxWorkers, timeoutWorker, reminderWorker, motivationWorker, broadcastWorker]) {
      w.on("failed", (job, err) =>
        logger.warn({ queue: w.name, jobId: job?.id, err: { message: err.message } }, "job failed"),
      );
      w.on("error", (err) => logger.error({ queue: w.name, err: { message: err.message } }, "worker error"));
      workers.push(w);
    }
    await reconcile().catch((err: unknown) => logger.warn({ err }, "outbox reconcile failed"));
    await reconcileReminders();
    timer = setInterval(
      () => void reconcile().catch((err: unknown) => logger.warn({ err }, "outbox reconcile failed")),
      options.reconcile?.everyMs ?? 60_000,
    );
    timer.unref();
    reminderTimer = setInterval(() => void reconcileReminders(), 5 * 60_000);
    reminderTimer.unref();
  }
  // Channels that receive on their own (Telegram polling, the WhatsApp client) start last,
  // once everything their messages go through is ready.
  const started: ChannelAdapter[] = [];
  const startChannels = async () => {
    for (const channel of Object.values(options.channels)) {
      if (!channel.start || started.includes(channel)) continue;
      await channel.start({
        inbound: (message) => runtime.handle(message),
        delivery: async (platformMessageId, status, error) => {
          await recordDeliveryStatus(database.prisma, channel.name, platformMessageId, status, error);
        },
      });
      started.push(channel);
    }
  };
  if (options.receive !== false) await startChannels();
  return {
    engine,
    runtime,
    outbox,
    timeouts,
    signals,
    reminders,
    motivation,
    broadcasts,
    broadcastQueue,
    reconcile,
    startChannels,
    sendMotivationRound: (round) =>
      runMotivationRound(database, outbox, motivationSettings, {
        now: options.now?.() ?? new Date(),
        logger,
        ...(round ? { round } : {}),
      }),
    async moveSession(trainingSessionId, startsAt, endsAt) {
      const now = options.now?.() ?? new Date();
      const outcome = await runAtomically(database, () =>
        moveTrainingSessionPlan(database.provider, trainingSessionId, startsAt, endsAt, now),
      );
      if (outcome.kind !== "moved") return outcome;
      // The old jobs go first: the new ones have the same ids (enrollment and offset).
      await reminders.removeForEnrollments(outcome.enrollmentIds);
      await reminders.schedule(outcome.reminders);
      await outbox.enqueueMany(outcome.notices);
      return outcome;
    },
    channelStatus: () =>
      Object.fromEntries(
        Object.values(options.channels).flatMap((c) => (c.status ? [[c.name, c.status()] as const] : [])),
      ),
    async close() {
      clearInterval(timer);
      clearInterval(reminderTimer);
      await settleWithin(Promise.all(started.map((c) => c.stop?.())), 5_000);
      // With Redis gone, closing would wait for it forever: give up after a few seconds.
      await settleWithin(
        Promise.all([
          ...workers.map((w) => w.close()),
          outbox.close(),
          timeouts.close(),
          reminders.close(),
          motivation.close(),
          broadcastQueue.close(),
        ]),
        5_000,
      );
      enqueueConnection.disconnect();
    },
  };
}

/** Waits for `promise`, but no longer than `ms`; errors are ignored (used on shutdown). */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
