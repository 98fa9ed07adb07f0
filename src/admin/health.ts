/**
 * The operational endpoints, none behind a login:
 * - GET /healthz: the process serves, and the database and Redis answer (200, else 503 naming
 *   what failed). Channel states are shown but never make it fail.
 * - GET /readyz: the bot can do its whole job: the database and Redis answer and every channel
 *   that reports a state is `ready` (200), else 503 naming each failing part with the reason.
 * - GET /metrics: Prometheus metrics (src/admin/metrics.ts).
 */
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import { pingRedis } from "../redis.js";
import type { ChannelStatus } from "../channels/channel.js";
import { registerMetrics, type MetricsDeps } from "./metrics.js";
import { TimeLimitError, within } from "../time-limits.js";

export type HealthDeps = MetricsDeps & {
  database: Database;
  redis: Redis;
  /** Telegram and WhatsApp connection states: shown on /healthz, required to be ready on /readyz. */
  channelStatus?: () => Record<string, ChannelStatus>;
  /**
   * For /readyz: only the channels this process runs (a web process does not run WhatsApp; a
   * worker waiting for a channel's lease does not run it either). Default: channelStatus.
   */
  runningChannelStatus?: () => Record<string, ChannelStatus>;
};

type Check = { status: "ok" } | { status: "error"; error: string };

/**
 * These endpoints are open to anyone, so a database failure is named only as "no answer in time"
 * or "refused the query": the driver's message (host, database and user names) goes to the log,
 * once per change, through `report`.
 */
async function checkDatabase(
  database: Database,
  report: (message: string | null) => void,
  timeoutMs = 2000,
): Promise<Check> {
  try {
    await within(database.prisma.$queryRawUnsafe("SELECT 1"), timeoutMs, "no answer in time");
    report(null);
    return { status: "ok" };
  } catch (err) {
    // Prisma's message starts with a blank line and ends with the driver's words: all of it, trimmed.
    report((err as Error).message.trim());
    const late = err instanceof TimeLimitError;
    return { status: "error", error: late ? "no answer in time" : "refused the query (see the log)" };
  }
}

async function checkRedis(redis: Redis): Promise<Check> {
  const error = await pingRedis(redis);
  return error ? { status: "error", error } : { status: "ok" };
}

const notReady: Record<Exclude<ChannelStatus["state"], "ready">, string> = {
  waiting_for_qr: "waiting for a QR scan",
  connecting: "connecting",
  disconnected: "disconnected",
  disabled: "not started",
};

/** A channel counts as ready only in state `ready`; otherwise the reason, with its detail. */
function checkChannel(status: ChannelStatus): Check {
  if (status.state === "ready") return { status: "ok" };
  const reason = notReady[status.state] ?? status.state;
  return { status: "error", error: status.detail ? `${reason}: ${status.detail}` : reason };
}

const showChannel = (c: ChannelStatus) => ({
  state: c.state,
  since: c.since.toISOString(),
  ...(c.detail ? { detail: c.detail } : {}),
});

const failingOf = (checks: Record<string, Check>) =>
  Object.entries(checks)
    .filter(([, c]) => c.status !== "ok")
    .map(([name]) => name);

/** Registers /healthz, /readyz and /metrics. */
export function registerHealth(app: FastifyInstance, deps: HealthDeps): void {
  let lastDatabaseError: string | null = null;
  const reportDatabase = (message: string | null) => {
    if (message !== null && message !== lastDatabaseError)
      app.log.warn({ err: { message } }, "health check: the database failed");
    lastDatabaseError = message;
  };
  const services = async () => {
    const [database, redis] = await Promise.all([checkDatabase(deps.database, reportDatabase), checkRedis(deps.redis)]);
    return { database, redis };
  };

  app.get("/healthz", async (_request, reply) => {
    const checks = await services();
    const failing = failingOf(checks);
    reply.code(failing.length ? 503 : 200).header("cache-control", "no-store");
    const channels = Object.fromEntries(
      Object.entries(deps.channelStatus?.() ?? {}).map(([name, c]) => [name, showChannel(c)]),
    );
    return { status: failing.length ? "error" : "ok", failing, checks, channels };
  });

  app.get("/readyz", async (_request, reply) => {
    const statuses = Object.entries((deps.runningChannelStatus ?? deps.channelStatus)?.() ?? {});
    // Channels are checked under their own names (telegram, whatsapp), next to database and redis.
    const checks: Record<string, Check> = {
      ...(await services()),
      ...Object.fromEntries(statuses.map(([name, c]) => [name, checkChannel(c)])),
    };
    const failing = failingOf(checks);
    reply.code(failing.length ? 503 : 200).header("cache-control", "no-store");
    const channels = Object.fromEntries(statuses.map(([name, c]) => [name, showChannel(c)]));
    return { status: failing.length ? "error" : "ok", failing, checks, channels };
  });

  registerMetrics(app, deps);
}
