/**
 * The bot's moving parts, assembled: the engine with the flows, the inbound runtime, the outbox
 * and timeout queues and their workers. Used by the server, the console chat, tests and
 * benchmarks alike.
 */
import type { ErasureFile } from "./domain/erasures.js";
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ChannelAdapter, ChannelHooks, ChannelStatus } from "./channels/channel.js";
import {
  ChannelStatusPublisher,
  channelCommandTopic,
  parseChannelCommand,
  readChannelStatus,
  sendChannelCommand,
  thisProcess,
  type ChannelCommand,
  type SharedChannelStatus,
} from "./channels/channel-board.js";
import type { WhatsAppAdapter } from "./channels/whatsapp.js";
import { recordDeliveryStatus } from "./channels/delivery-status.js";
import { ChatSignals } from "./channels/chat-signals.js";
import type { Database } from "./db/database.js";
import { Engine } from "./engine/engine.js";
import type { Language } from "./engine/types.js";
import { ConversationTimeouts, createTimeoutWorker } from "./jobs/conversation-timeouts.js";
import { loadJobNamespace } from "./jobs/job-namespace.js";
import { OutboxQueue } from "./outbox/queue.js";
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
import { reconcileOutbox } from "./outbox/reconcile.js";
import { createOutboxWorkers } from "./outbox/worker.js";
import type { Pacing } from "./outbox/pacing.js";
import type { Logger } from "./logger.js";
import { InboundRuntime } from "./runtime/inbound-runtime.js";
import { RedisKeyedLock } from "./runtime/redis-keyed-lock.js";
import { RedisLease } from "./redis.js";
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
  const outbox = new OutboxQueue(enqueueConnection, prefix, namespace, queueError);
  const timeouts = new ConversationTimeouts(redis, prefix, namespace);
  const reminders = new ReminderScheduler(enqueueConnection, prefix, database, namespace, options.now);
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
    settings: { approvalThreshold: options.broadcastApprovalThreshold ?? 0, timeZone },
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
  // A key that lives as long as Redis keeps its data: when it is gone (FLUSHALL, a restart
  // without persistence), the first process to notice puts back at once what only the database
  // remembers: the reminder jobs (their own pass runs every 5 minutes) and the motivation
  // schedule. Outbox rows and broadcasts come back through the reconcile pass that follows.
  let redisKnown = false;
  const noticeRedisLoss = async () => {
    const fresh = (await enqueueConnection.set(`${prefix}:alive`, String(Date.now()), "NX")) === "OK";
    if (fresh && redisKnown) {
      logger.warn("Redis lost its data: putting back the reminder jobs and the motivation schedule");
      await reconcileReminders();
      if (options.schedule) await motivation.install();
    }
    redisKnown = true;
  };
  const track = (w: Worker): Worker => {
    w.on("failed", (job, err) =>
      logger.warn({ queue: w.name, jobId: job?.id, err: { message: err.message } }, "job failed"),
    );
    w.on("error", (err) => logger.error({ queue: w.name, err: { message: err.message } }, "worker error"));
    return w;
  };
  const runWorkers = options.workers !== false;
  const exclusive = options.exclusive ?? {};
  /** The outbox workers of one channel (both lanes). */
  const channelWorkers = (channel: ChannelAdapter): Worker[] =>
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
    }).map(track);
  /** Outbox workers of channels that send from the lease holder only, while this process holds it. */
  const heldWorkers = new Map<string, Worker[]>();
  if (runWorkers) {
    // One outbox worker per channel this process has an adapter for (held channels: see exclusive).
    const outboxWorkers = Object.values(options.channels)
      .filter((channel) => !exclusive[channel.name]?.sendsHere)
      .flatMap(channelWorkers);
    const timeoutWorker = createTimeoutWorker(redis, prefix, runtime);
    const reminderWorker = createReminderWorker({
      connection: redis,
      prefix,
      database,
      namespace,
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
    workers.push(...outboxWorkers, ...[timeoutWorker, reminderWorker, motivationWorker, broadcastWorker].map(track));
    await reconcile().catch((err: unknown) => logger.warn({ err }, "outbox reconcile failed"));
    await reconcileReminders();
    await noticeRedisLoss().catch(() => {});
    timer = setInterval(
      () =>
        void noticeRedisLoss()
          .then(() => reconcile())
          .catch((err: unknown) => logger.warn({ err }, "outbox reconcile failed")),
      options.reconcile?.everyMs ?? 60_000,
    );
    timer.unref();
    reminderTimer = setInterval(() => void reconcileReminders(), 5 * 60_000);
    reminderTimer.unref();
  }
  // Channels that receive on their own (Telegram polling, the WhatsApp client) start last,
  // once everything their messages go through is ready.
  const started: ChannelAdapter[] = [];
  const holders: ChannelHolder[] = [];
  const holderOf = new Map<string, ChannelHolder>();
  // Commands for the channels this process holds (from the dashboards of other processes) arrive
  // by pub/sub, on a connection of its own, made when the first exclusive channel starts.
  let commandConnection: Redis | undefined;
  const commandHandlers = new Map<string, (message: string) => void>();
  const commandSubscriber = (): Redis => {
    if (commandConnection) return commandConnection;
    const connection = redis.duplicate();
    connection.on("error", (err: Error) =>
      logger.debug({ err: { message: err.message } }, "channel command connection error"),
    );
    connection.on("message", (topic: string, message: string) => commandHandlers.get(topic)?.(message));
    commandConnection = connection;
    return connection;
  };
  const carryOut = async (channel: ChannelAdapter, command: ChannelCommand): Promise<void> => {
    if (command === "logout") {
      const whatsapp = (channel as Partial<WhatsAppAdapter>).whatsapp;
      if (!whatsapp) return;
      logger.info({ channel: channel.name }, `logging ${channel.name} out, as asked from the dashboard`);
      await whatsapp.logout();
    }
  };
  const startChannels = async (names?: string[]) => {
    for (const channel of Object.values(options.channels)) {
      if (!channel.start || started.includes(channel)) continue;
      if (names && !names.includes(channel.name)) continue;
      const hooks: ChannelHooks = {
        inbound: (message) => runtime.handle(message),
        delivery: async (platformMessageId, status, error) => {
          await recordDeliveryStatus(database.prisma, channel.name, platformMessageId, status, error);
        },
      };
      started.push(channel);
      const rule = exclusive[channel.name];
      if (!rule) {
        await channel.start(hooks);
        continue;
      }
      const lease = new RedisLease(
        enqueueConnection,
        `${prefix}:${channel.name}:holder`,
        options.lease?.ttlMs ?? 15_000,
      );
      const topic = channelCommandTopic(prefix, channel.name);
      const holder: ChannelHolder = holdChannel({
        channel,
        hooks,
        lease,
        renewMs: options.lease?.renewMs ?? 5_000,
        retryMs: options.lease?.retryMs ?? 5_000,
        logger,
        workers: rule.sendsHere && runWorkers ? () => channelWorkers(channel) : null,
        heldWorkers,
        publisher: new ChannelStatusPublisher({
          redis: enqueueConnection,
          prefix,
          channel: channel.name,
          status: () => channel.status?.() ?? { state: "ready", since: new Date() },
          token: lease.token,
          logger,
          ...(options.statusBoard?.publishMs ? { everyMs: options.statusBoard.publishMs } : {}),
          ...(options.statusBoard?.watchMs ? { watchMs: options.statusBoard.watchMs } : {}),
        }),
        commands: {
          listen: async () => {
            await commandSubscriber().subscribe(topic);
          },
          stop: async () => {
            if (commandConnection?.status === "ready") await commandConnection.unsubscribe(topic);
          },
        },
      });
      commandHandlers.set(topic, (message) => {
        const command = parseChannelCommand(message);
        // Only the holder acts, even if an unsubscribe is still on its way.
        if (!command || !holder.holding()) return;
        carryOut(channel, command).catch((err: unknown) =>
          logger.warn(
            { channel: channel.name, command, err: { message: (err as Error).message } },
            "a channel command failed",
          ),
        );
      });
      holders.push(holder);
      holderOf.set(channel.name, holder);
      await holder.begin();
    }
  };
  if (options.receive !== false) await startChannels();

  const drainMs = options.drainMs ?? 15_000;
  let draining: Promise<void> | undefined;
  const drain = () =>
    (draining ??= (async () => {
      clearInterval(timer);
      clearInterval(reminderTimer);
      for (const holder of holders) holder.pause();
      // Held channels whose sends do not go through what receives (Telegram polling) stop taking
      // updates now; one that sends through its client (WhatsApp) stays up until its jobs are done.
      const receiversOnly = started.filter((c) => exclusive[c.name] && !exclusive[c.name]!.sendsHere);
      const active = [...workers, ...[...heldWorkers.values()].flat()];
      const closing = Promise.all(active.map((w) => w.close()));
      await Promise.all([
        settleWithin(Promise.all(receiversOnly.map((c) => c.stop?.())), 5_000),
        settleWithin(closing, drainMs).then((inTime) => {
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
    runningChannelStatus: () =>
      Object.fromEntries(
        started.flatMap((c) =>
          c.status && (holderOf.get(c.name)?.holding() ?? true) ? [[c.name, c.status()] as const] : [],
        ),
      ),
    async sharedChannelStatus() {
      const here = { here: true, ...thisProcess() };
      const out: Record<string, SharedChannelStatus> = {};
      const fromRedis: Promise<void>[] = [];
      for (const c of Object.values(options.channels)) {
        if (!c.status) continue;
        const holder = holderOf.get(c.name);
        if (started.includes(c) && (holder?.holding() ?? true)) {
          out[c.name] = holder ? { ...c.status(), runner: here } : c.status();
        } else if (!exclusive[c.name]) {
          // Not one process's for all (a webhook started elsewhere, tools): this process's own view.
          out[c.name] = c.status();
        } else {
          fromRedis.push(
            readChannelStatus(enqueueConnection, prefix, c.name).then(
              (published) => {
                out[c.name] = published ?? { state: "disabled", since: new Date(), runner: null };
              },
              (err: unknown) => {
                out[c.name] = {
                  state: "disabled",
                  since: new Date(),
                  detail: `unknown: Redis did not answer (${(err as Error).message})`,
                  runner: null,
                };
              },
            ),
          );
        }
      }
      await Promise.all(fromRedis);
      return out;
    },
    sendChannelCommand: (channel, command) => sendChannelCommand(enqueueConnection, prefix, channel, command),
    drain,
    async close() {
      await drain();
      await settleWithin(Promise.all(started.map((c) => c.stop?.())), 5_000);
      // The channels are down: another process may take their leases at once.
      await settleWithin(Promise.all(holders.map((h) => h.release())), 2_000);
      commandConnection?.disconnect();
      // With Redis gone, closing would wait for it forever: give up after a few seconds.
      await settleWithin(
        Promise.all([outbox.close(), timeouts.close(), reminders.close(), motivation.close(), broadcastQueue.close()]),
        5_000,
      );
      signals.close();
      enqueueConnection.disconnect();
    },
  };
}

/** Waits for `promise`, but no longer than `ms`; errors are ignored (used on shutdown). True if it settled in time. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

type ChannelHolder = {
  /** Tries to take the lease at once; the channel starts if it was free, else it is tried again later. */
  begin(): Promise<void>;
  /** Whether this process holds the lease (and so runs the channel). */
  holding(): boolean;
  /**
   * Stops trying to take the lease (shutdown); one held is renewed until release(). The channel
   * and its workers are closed by the bot.
   */
  pause(): void;
  /** Gives the lease up, once the channel is stopped. */
  release(): Promise<void>;
};

/**
 * Runs a channel only while this process holds its lease: takes it (or waits for it), starts the
 * channel and its outbox workers, renews the lease, and stops them if the lease is lost (a
 * stalled process whose lease another took meanwhile), going back to waiting.
 */
function holdChannel(args: {
  channel: ChannelAdapter;
  hooks: ChannelHooks;
  lease: RedisLease;
  renewMs: number;
  retryMs: number;
  logger: Logger;
  workers: (() => Worker[]) | null;
  heldWorkers: Map<string, Worker[]>;
  /** Publishes the channel's status to Redis while this process holds it. */
  publisher: ChannelStatusPublisher;
  /** Listening for commands from other processes while this process holds it. */
  commands: { listen(): Promise<void>; stop(): Promise<void> };
}): ChannelHolder {
  const { channel, lease, logger, publisher, commands } = args;
  const quietly = (what: string) => (err: unknown) =>
    logger.warn({ channel: channel.name, err: { message: (err as Error).message } }, what);
  let holding = false;
  // Paused (the process is stopping): no taking the lease any more, but one held is renewed
  // until it is released, so that no other process starts the channel (a second Chromium on the
  // WhatsApp profile) while this one is still draining with it.
  let paused = false;
  let released = false;
  let waitingLogged = false;
  let timer: NodeJS.Timeout | undefined;
  const later = (ms: number) => {
    if (released || (paused && !holding)) return;
    timer = setTimeout(() => void tick(), ms);
    timer.unref();
  };
  const tick = async (): Promise<void> => {
    if (released) return;
    if (!holding) {
      if (paused) return;
      let taken = false;
      let remaining = args.retryMs;
      try {
        taken = await lease.acquire();
        if (!taken) remaining = await lease.remainingMs();
      } catch (err) {
        logger.warn(
          { channel: channel.name, err: { message: (err as Error).message } },
          "could not ask Redis for a channel lease",
        );
      }
      if (paused) {
        if (taken) await lease.release().catch(() => {});
        return;
      }
      if (!taken) {
        if (!waitingLogged)
          logger.info(
            { channel: channel.name },
            `another process runs ${channel.name}; this one takes over if that one stops`,
          );
        waitingLogged = true;
        // Try again when the holder's lease would run out if it is not renewed, at most retryMs away.
        later(Math.min(args.retryMs, remaining + 50 + Math.random() * 200));
        return;
      }
      holding = true;
      waitingLogged = false;
      logger.info({ channel: channel.name }, `this process runs ${channel.name} (holds its lease)`);
      if (args.workers) args.heldWorkers.set(channel.name, args.workers());
      // Listening first: once other processes see the status, they can send commands.
      await settleWithin(commands.listen().catch(quietly("could not listen for channel commands")), 2_000);
      await channel.start!(args.hooks);
      publisher.start();
      later(args.renewMs);
      return;
    }
    let kept: boolean | null = null;
    try {
      kept = await lease.renew();
    } catch (err) {
      // Unknown: Redis is away. Keep running; the lease is checked again shortly.
      logger.warn(
        { channel: channel.name, err: { message: (err as Error).message } },
        "could not renew a channel lease",
      );
    }
    if (kept === false && paused) {
      // Stopping anyway: close() stops the channel.
      holding = false;
      return;
    }
    if (kept === false) {
      logger.warn({ channel: channel.name }, `another process took over ${channel.name}: stopping it here`);
      holding = false;
      await publisher.stop(true);
      await commands.stop().catch(quietly("could not stop listening for channel commands"));
      await channel.stop?.();
      const mine = args.heldWorkers.get(channel.name) ?? [];
      args.heldWorkers.delete(channel.name);
      await Promise.all(mine.map((w) => w.close()));
      later(args.retryMs);
      return;
    }
    later(args.renewMs);
  };
  return {
    begin: tick,
    holding: () => holding,
    pause() {
      paused = true;
      if (!holding) clearTimeout(timer);
    },
    async release() {
      released = true;
      clearTimeout(timer);
      await publisher.stop(holding);
      await commands.stop().catch(() => {});
      if (holding) await lease.release();
      holding = false;
    },
  };
}
