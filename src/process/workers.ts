/**
 * The bot's workers: the outbox workers of each channel (both lanes), and the conversation
 * timeout, reminder, campaign, motivation and broadcast workers, each logging its failures.
 */
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ChannelAdapter } from "../channels/channel.js";
import type { ChatSignals } from "../channels/chat-signals.js";
import type { Database } from "../db/database.js";
import type { MotivationSettings } from "../domain/motivation.js";
import type { QuietHours } from "../domain/quiet-hours.js";
import { createBroadcastWorker, type BroadcastQueue } from "../jobs/broadcasts.js";
import { createTimeoutWorker } from "../jobs/conversation-timeouts.js";
import { createMotivationWorker, type MotivationScheduler } from "../jobs/motivation.js";
import type { OutboxQueue } from "../outbox/queue.js";
import { createOutboxWorkers } from "../outbox/worker.js";
import type { Pacing } from "../outbox/pacing.js";
import { createReminderWorker } from "../jobs/reminders.js";
import { createCampaignWorker } from "../jobs/campaigns.js";
import type { Logger } from "../logger.js";
import type { InboundRuntime } from "../runtime/inbound-runtime.js";

/** What the workers are made of: the bot's connection, queues and settings. */
export type WorkerParts = {
  /** The bot's main connection (BullMQ workers block on it). */
  redis: Redis;
  prefix: string;
  namespace: string;
  database: Database;
  logger: Logger;
  outbox: OutboxQueue;
  signals: ChatSignals;
  runtime: InboundRuntime;
  broadcastQueue: BroadcastQueue;
  motivation: MotivationScheduler;
  motivationSettings: MotivationSettings;
  quietHours: QuietHours | null;
  timeZone: string;
  pacing?: Record<string, Pacing>;
  /** Whether this process installs the motivation schedule (it has one). */
  installsSchedule: boolean;
  now?: () => Date;
};

/** Logs a worker's failed jobs and errors. */
function track(logger: Logger, w: Worker): Worker {
  w.on("failed", (job, err) =>
    logger.warn({ queue: w.name, jobId: job?.id, err: { message: err.message } }, "job failed"),
  );
  w.on("error", (err) => logger.error({ queue: w.name, err: { message: err.message } }, "worker error"));
  return w;
}

/** The outbox workers of one channel (both lanes). */
export function createChannelWorkers(parts: WorkerParts, channel: ChannelAdapter): Worker[] {
  const { now, pacing } = parts;
  return createOutboxWorkers({
    connection: parts.redis,
    prefix: parts.prefix,
    database: parts.database,
    channel,
    queue: parts.outbox,
    logger: parts.logger,
    ...(pacing?.[channel.name] ? { pacing: pacing[channel.name] } : {}),
    timeZone: parts.timeZone,
    ...(now ? { now } : {}),
    quietHours: parts.quietHours,
    // Only the web chat has long polls waiting for a send.
    ...(channel.name === "web" ? { onSent: (name: string, chatId: string) => parts.signals.notify(name, chatId) } : {}),
  }).map((w) => track(parts.logger, w));
}

/**
 * Starts the workers of this process: an outbox worker per channel it has an adapter for, except
 * those that send from the lease holder only (their workers start with the lease), and the
 * timeout, reminder, motivation and broadcast workers; installs the motivation schedule if it has one.
 */
export async function startWorkers(
  parts: WorkerParts,
  channels: ChannelAdapter[],
  exclusive: Record<string, { sendsHere: boolean }>,
): Promise<Worker[]> {
  const { redis: connection, prefix, database, outbox, logger, now } = parts;
  const outboxWorkers = channels
    .filter((channel) => !exclusive[channel.name]?.sendsHere)
    .flatMap((channel) => createChannelWorkers(parts, channel));
  const timeoutWorker = createTimeoutWorker(connection, prefix, parts.runtime);
  const reminderWorker = createReminderWorker({
    connection,
    prefix,
    database,
    namespace: parts.namespace,
    outbox,
    logger,
    quietHours: parts.quietHours,
    ...(now ? { now } : {}),
  });
  const campaignWorker = createCampaignWorker({
    connection,
    prefix,
    database,
    namespace: parts.namespace,
    outbox,
    logger,
    quietHours: parts.quietHours,
    ...(now ? { now } : {}),
  });
  const motivationWorker = createMotivationWorker({
    connection,
    prefix,
    database,
    outbox,
    settings: parts.motivationSettings,
    logger,
    ...(now ? { now } : {}),
  });
  // Without a schedule (the console chat, tools) the one in Redis is left as it is.
  if (parts.installsSchedule) await parts.motivation.install();
  const broadcastWorker = createBroadcastWorker({
    connection,
    prefix,
    database,
    outbox,
    queue: parts.broadcastQueue,
    timeZone: parts.timeZone,
    logger,
    ...(now ? { now } : {}),
  });
  return [
    ...outboxWorkers,
    ...[timeoutWorker, reminderWorker, campaignWorker, motivationWorker, broadcastWorker].map((w) => track(logger, w)),
  ];
}
