/**
 * The bot's moving parts, assembled: the engine with the flows, the inbound runtime, the outbox
 * and timeout queues and their workers. Used by the server, the console chat, tests and
 * benchmarks alike. This file only wires; what runs in the process lives in src/process/: the
 * workers, the channels this process runs (with their leases and commands), the status board and
 * the maintenance passes.
 */
import type { ErasureFile } from "./domain/erasures.js";
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ChannelAdapter, ChannelStatus } from "./channels/channel.js";
import type { ChannelCommand, SharedChannelStatus } from "./channels/channel-board.js";
import { ChatSignals } from "./channels/chat-signals.js";
import type { Database } from "./db/database.js";
import { Engine } from "./engine/engine.js";
import type { Language } from "./engine/types.js";
import { ConversationTimeouts } from "./jobs/conversation-timeouts.js";
import { loadJobNamespace } from "./jobs/job-namespace.js";
import { OutboxQueue } from "./outbox/queue.js";
import { ReminderScheduler } from "./jobs/reminders.js";
import { CampaignScheduler } from "./jobs/campaigns.js";
import { MotivationScheduler, runMotivationRound, type RoundResult } from "./jobs/motivation.js";
import type { QuietHours } from "./domain/quiet-hours.js";
import { BroadcastQueue } from "./jobs/broadcasts.js";
import { createBroadcastService } from "./domain/broadcasts.js";
import type { BroadcastService } from "./domain/broadcast-types.js";
import { bulkChatsPerJob, fastPacing, type Pacing } from "./outbox/pacing.js";
import { fallBackToTemplate } from "./outbox/template-fallback.js";
import type { Logger } from "./logger.js";
import { createMaintenance } from "./process/maintenance.js";
import { RunningChannels } from "./process/running-channels.js";
import { settlesWithin } from "./time-limits.js";
import { createStatusBoard } from "./process/status-board.js";
import { createChannelWorkers, startWorkers, type WorkerParts } from "./process/workers.js";
import { InboundRuntime } from "./runtime/inbound-runtime.js";
import { RedisKeyedLock } from "./runtime/redis-keyed-lock.js";
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
  /**
   * Keep one chat's turns one at a time, in the platform's order, across every process on this
   * Redis (default true); false: in arrival order within this process only. `settleMs`: how long
   * a message with a platform order waits for an earlier one delivered a moment later (webhooks).
   */
  chatLock?: boolean | { settleMs: number };
  /** The copy of the erased-participants list outside the database (ERASURE_LIST_FILE). */
  erasureFile?: ErasureFile;
  /**
   * Channels only one process may run at a time: WhatsApp Web (one session per number) and
   * Telegram long polling (Telegram answers 409 to a second poller). Such a channel starts only
   * once this process holds its lease in Redis (`<prefix>:<channel>:holder`), and a process that
   * does not hold it tries again every `retryMs`, so another takes over when the holder dies.
   * `sendsHere`: the channel's outbox workers run only in the holder too (WhatsApp sends through
   * the client the holder started; elsewhere every send would fail and pause the queue).
   */
  exclusive?: Record<string, { sendsHere: boolean }>;
  /**
   * Timing of the exclusive channels' leases (default: 15 s lease, renewed every 5 s, retried
   * every 5 s or when the holder's lease would run out): another process takes over within 15 s
   * of the holder's death, and a holder survives two lost renewals.
   */
  lease?: { ttlMs?: number; renewMs?: number; retryMs?: number };
  /**
   * How the holder of an exclusive channel publishes its status to Redis for the other processes
   * (src/channels/channel-board.ts): republished every `publishMs` (default 5 s; the key lives
   * three times that) and at once when it changes (looked at every `watchMs`, default 250 ms).
   */
  statusBoard?: { publishMs?: number; watchMs?: number };
  /** On close, active jobs get this long to finish before they are left to another worker (default 15 s). */
  drainMs?: number;
  now?: () => Date;
};

export type Bot = {
  engine: Engine;
  runtime: InboundRuntime;
  outbox: OutboxQueue;
  timeouts: ConversationTimeouts;
  signals: ChatSignals;
  reminders: ReminderScheduler;
  /** What is sent after a session (feedback, certificate, follow-ups): its jobs. */
  campaigns: CampaignScheduler;
  motivation: MotivationScheduler;
  broadcasts: BroadcastService;
  /** The broadcast jobs' queue (the dashboard counts its jobs). */
  broadcastQueue: BroadcastQueue;
  /** Runs a motivation round now (the scheduler does it on its cron); `round` defaults to today's. */
  sendMotivationRound(round?: string): Promise<RoundResult>;
  /**
   * Starts the channels that receive on their own (done by createBot unless `receive` is false);
   * `names` limits it to those channels (a web process takes Telegram webhooks but not WhatsApp).
   */
  startChannels(names?: string[]): Promise<void>;
  /** Connection state of each channel that reports one (Telegram, WhatsApp). */
  channelStatus(): Record<string, ChannelStatus>;
  /** The same, for the channels this process runs (started here and, if leased, holding the lease). */
  runningChannelStatus(): Record<string, ChannelStatus>;
  /**
   * Each channel's status as the installation sees it (the dashboard shows this): this process's
   * own for the channels it runs; for a channel one process runs for all (exclusive) that this one
   * does not, what the process running it published in Redis, or `runner: null` when none does.
   */
  sharedChannelStatus(): Promise<Record<string, SharedChannelStatus>>;
  /**
   * Asks the process that runs an exclusive channel (holds its lease) to carry a command out, such
   * as logging WhatsApp out. Resolves with the number of processes that received it (0: none runs it).
   */
  sendChannelCommand(channel: string, command: ChannelCommand): Promise<number>;
  /** Re-enqueues outbox rows the queue lost; runs at start and every minute. */
  reconcile(): Promise<number>;
  /**
   * Stops taking work: timers and lease loops end, Telegram polling stops, the workers fetch no
   * more jobs and the active ones get `drainMs` (15 s) to finish. Queues and channels that send
   * stay open for whatever is still in flight; close() follows.
   */
  drain(): Promise<void>;
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
  // This database's part of every job id, before anything is enqueued (see job-namespace.ts).
  const namespace = await loadJobNamespace({
    database,
    connection: redis,
    prefix,
    channels: Object.keys(options.channels),
    logger,
  });
  // Bulk jobs carry as many chats as the channel's pace makes worthwhile (pacing.ts).
  const outbox = new OutboxQueue(enqueueConnection, prefix, namespace, queueError, (channel) =>
    bulkChatsPerJob(options.pacing?.[channel] ?? fastPacing),
  );
  const timeouts = new ConversationTimeouts(redis, prefix, namespace);
  const reminders = new ReminderScheduler(enqueueConnection, prefix, database, namespace, options.now);
  const campaigns = new CampaignScheduler(enqueueConnection, prefix, database, namespace, options.now);
  campaigns.queue.on("error", (err: Error) => queueError(campaigns.queue.name, err));
  const timeZone = options.timeZone ?? "Asia/Jakarta";
  const schedule = options.schedule ?? { motivationCron: null, quietHours: null, weeklyCap: 2 };
  const motivationSettings = { weeklyCap: schedule.weeklyCap, defaultTimeZone: timeZone };
  const motivation = new MotivationScheduler(redis, prefix, schedule.motivationCron, timeZone);
  motivation.queue.on("error", (err: Error) => queueError(motivation.queue.name, err));
  const broadcastQueue = new BroadcastQueue(enqueueConnection, prefix, namespace);
  broadcastQueue.queue.on("error", (err: Error) => queueError(broadcastQueue.queue.name, err));
  const broadcasts = createBroadcastService({
    database,
    jobs: broadcastQueue,
    settings: {
      approvalThreshold: options.broadcastApprovalThreshold ?? 0,
      timeZone,
      // A channel with a customer-service window (the WhatsApp Cloud API): broadcasts need a template for those outside it.
      serviceWindowHours: Object.values(options.channels).find((c) => c.serviceWindowHours)?.serviceWindowHours ?? null,
    },
    ...(options.now ? { now: options.now } : {}),
  });
  reminders.queue.on("error", (err: Error) => queueError(reminders.queue.name, err));
  timeouts.queue.on("error", (err: Error) => queueError(timeouts.queue.name, err));
  // Sends are published on the fail-fast connection: a poll elsewhere still reads at its deadline.
  const signals = new ChatSignals(enqueueConnection, prefix, logger);
  const runtime = new InboundRuntime({
    database,
    engine,
    outbox,
    timeouts,
    channels: Object.fromEntries(
      Object.entries(options.channels).map(([name, c]) => [
        name,
        { buttons: c.buttons, sharePhone: c.sharePhone ?? false },
      ]),
    ),
    conversationTtlHours: options.conversationTtlHours,
    defaultLanguage: options.defaultLanguage,
    logger,
    reminders,
    onEnrollmentsCancelled: (ids) => reminders.removeForEnrollments(ids),
    staff: { broadcasts, timeZone },
    // On the fail-fast connection: while Redis is away a turn goes ahead at once, in order within this process.
    ...(options.chatLock !== false
      ? {
          chatLock: new RedisKeyedLock(enqueueConnection, {
            prefix: `${prefix}:chat-lock`,
            logger,
            ...(typeof options.chatLock === "object" ? { settleMs: options.chatLock.settleMs } : {}),
          }),
        }
      : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.erasureFile ? { erasureFile: options.erasureFile } : {}),
  });
  const exclusive = options.exclusive ?? {};
  const runWorkers = options.workers !== false;
  const maintenance = createMaintenance({
    database,
    redis: enqueueConnection,
    prefix,
    logger,
    outbox,
    broadcastQueue,
    reminders,
    campaigns,
    motivation,
    installsSchedule: options.schedule !== undefined,
    ...(options.reconcile ? { reconcile: options.reconcile } : {}),
  });
  const parts: WorkerParts = {
    redis,
    prefix,
    namespace,
    database,
    logger,
    outbox,
    signals,
    runtime,
    broadcastQueue,
    motivation,
    motivationSettings,
    quietHours: schedule.quietHours,
    timeZone,
    installsSchedule: options.schedule !== undefined,
    ...(options.pacing ? { pacing: options.pacing } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  const workers: Worker[] = [];
  if (runWorkers) {
    workers.push(...(await startWorkers(parts, Object.values(options.channels), exclusive)));
    await maintenance.start();
  }
  // Channels that receive on their own (Telegram polling, the WhatsApp client) start last,
  // once everything their messages go through is ready.
  const channels = new RunningChannels({
    channels: options.channels,
    exclusive,
    runtime,
    database,
    redis,
    enqueueConnection,
    prefix,
    logger,
    channelWorkers: runWorkers ? (channel) => createChannelWorkers(parts, channel) : null,
    // Meta reports a free-form message outside the 24-hour window (131047) after taking it: the template goes instead, once.
    onDeliveryFailed: async (channel, platformMessageId, code) => {
      if (code !== "131047") return;
      const copied = await fallBackToTemplate(database, outbox, channel, platformMessageId, {
        ...(options.now ? { now: options.now } : {}),
      });
      if (copied) logger.info({ channel }, "a message outside the 24-hour window goes again as its template");
    },
    ...(options.lease ? { lease: options.lease } : {}),
    ...(options.statusBoard ? { statusBoard: options.statusBoard } : {}),
  });
  if (options.receive !== false) await channels.start();

  const drainMs = options.drainMs ?? 15_000;
  let draining: Promise<void> | undefined;
  const drain = () =>
    (draining ??= (async () => {
      maintenance.stop();
      const { heldWorkers, stopReceivers } = channels.pause();
      const closing = Promise.all([...workers, ...heldWorkers].map((w) => w.close()));
      await Promise.all([
        settlesWithin(stopReceivers(), 5_000),
        settlesWithin(closing, drainMs).then((inTime) => {
          if (!inTime)
            logger.warn(
              { afterMs: drainMs },
              "jobs still running at shutdown: left to another worker (their locks expire, and rows stuck in sending are retried by the reconcile pass)",
            );
        }),
      ]);
    })());
  return {
    engine,
    runtime,
    outbox,
    timeouts,
    signals,
    reminders,
    campaigns,
    motivation,
    broadcasts,
    broadcastQueue,
    reconcile: () => maintenance.reconcile(),
    startChannels: (names) => channels.start(names),
    sendMotivationRound: (round) =>
      runMotivationRound(database, outbox, motivationSettings, {
        now: options.now?.() ?? new Date(),
        logger,
        ...(round ? { round } : {}),
      }),
    ...createStatusBoard({
      channels: options.channels,
      exclusive,
      running: channels,
      redis: enqueueConnection,
      prefix,
    }),
    drain,
    async close() {
      await drain();
      await channels.close();
      // With Redis gone, closing would wait for it forever: give up after a few seconds.
      await settlesWithin(
        Promise.all([
          outbox.close(),
          timeouts.close(),
          reminders.close(),
          campaigns.close(),
          motivation.close(),
          broadcastQueue.close(),
        ]),
        5_000,
      );
      signals.close();
      enqueueConnection.disconnect();
    },
  };
}
