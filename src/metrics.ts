/**
 * Prometheus metrics (prom-client) in a registry of the bot's own, so code anywhere records
 * through these instruments without knowing about the HTTP server; src/admin/metrics.ts serves
 * the registry at GET /metrics. Counters and histograms are cheap (a map update in memory), so
 * recording on the outbox's hot path costs next to nothing; the queue gauge is read from Redis
 * only when Prometheus scrapes.
 */
import type { Queue } from "bullmq";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { valueWithin } from "./time-limits.js";

export const registry = new Registry();

/** The kinds of outbox rows (OutboxItem.kind). */
export const messageKinds = ["reply", "notice", "reminder", "motivation", "broadcast", "survey"] as const;

/**
 * Why a send failed, as `sapa_send_failures_total` counts it:
 * - rate_limited: the platform said 429 (or WhatsApp is not connected); the row waits and is sent later;
 * - blocked: the person blocked the bot (the send was refused, or not tried because they had);
 * - permanent: refused for good (a Telegram 4xx, a number not on WhatsApp); the row is failed;
 * - transient: a 5xx, a network error or a timeout; the row is retried with backoff;
 * - gave_up: the last allowed attempt failed transiently; the row is failed.
 */
export const sendFailureReasons = ["rate_limited", "blocked", "permanent", "transient", "gave_up"] as const;
export type SendFailureReason = (typeof sendFailureReasons)[number];

export const messagesIn = new Counter({
  name: "sapa_messages_in_total",
  help: "Inbound messages handled (redelivered duplicates not counted), by channel.",
  labelNames: ["channel"] as const,
  registers: [registry],
});

export const messagesOut = new Counter({
  name: "sapa_messages_out_total",
  help: "Messages sent by the outbox, by channel and kind (reply, notice, reminder, motivation, broadcast).",
  labelNames: ["channel", "kind"] as const,
  registers: [registry],
});

export const sendDuration = new Histogram({
  name: "sapa_send_duration_seconds",
  help: "Time of one send to the platform (channel.send in the outbox worker), failed sends included.",
  labelNames: ["channel"] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const sendFailures = new Counter({
  name: "sapa_send_failures_total",
  help: "Sends that failed, by channel and reason (rate_limited, blocked, permanent, transient, gave_up).",
  labelNames: ["channel", "reason"] as const,
  registers: [registry],
});

export const reminderLateness = new Histogram({
  name: "sapa_reminder_lateness_seconds",
  help: "From a reminder's due time to its message being queued in the outbox (quiet-hour holds included).",
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  registers: [registry],
});

/** The queues whose job counts `sapa_queue_jobs` shows. */
export type CountedQueue = Pick<Queue, "name" | "getJobCounts">;

const queueSources = new Set<() => CountedQueue[]>();

/** A queue that does not answer within this long is left out of the scrape (never holds it up). */
const queueCountTimeoutMs = 2000;

function countsWithin(queue: CountedQueue): Promise<Record<string, number> | null> {
  return valueWithin(
    queue.getJobCounts("waiting", "prioritized", "waiting-children", "active", "delayed", "failed"),
    queueCountTimeoutMs,
  );
}

export const queueJobs = new Gauge({
  name: "sapa_queue_jobs",
  help: "Jobs in each BullMQ queue by state (waiting includes prioritized), read at scrape time.",
  labelNames: ["queue", "state"] as const,
  registers: [registry],
  async collect() {
    this.reset();
    const queues = [...queueSources].flatMap((source) => source());
    await Promise.all(
      queues.map(async (queue) => {
        const c = await countsWithin(queue);
        if (!c) return;
        // Jobs with a priority (the outbox's) wait in BullMQ's "prioritized" set, not in "waiting".
        const states = {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c["waiting-children"] ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
        };
        for (const [state, n] of Object.entries(states)) this.set({ queue: queue.name, state }, n);
      }),
    );
  },
});

/** Adds queues to `sapa_queue_jobs`; returns the function that removes them again. */
export function countQueues(source: () => CountedQueue[]): () => void {
  queueSources.add(source);
  return () => queueSources.delete(source);
}

let defaultMetrics = false;

/** Node's process metrics (CPU, memory, event loop lag, GC, handles) on the registry, prefixed sapa_; once. */
export function enableDefaultMetrics(): void {
  if (defaultMetrics) return;
  defaultMetrics = true;
  collectDefaultMetrics({ register: registry, prefix: "sapa_" });
}

/** Counts one inbound message; called by the inbound runtime once a message is handled. */
export function recordInbound(channel: string): void {
  messagesIn.inc({ channel });
}

/**
 * Makes a channel's series exist at 0, so rates and alerts work before the first
 * message or failure of a kind.
 */
export function initChannelMetrics(channel: string): void {
  messagesIn.inc({ channel }, 0);
  for (const kind of messageKinds) messagesOut.inc({ channel, kind }, 0);
  for (const reason of sendFailureReasons) sendFailures.inc({ channel, reason }, 0);
}
