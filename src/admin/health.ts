/**
 * GET /healthz: 200 when the database and Redis both answer, 503 naming what failed.
 */
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import { pingRedis } from "../redis.js";
import type { ChannelStatus } from "../channels/channel.js";

export type HealthDeps = {
  database: Database;
  redis: Redis;
  /** Telegram and WhatsApp connection states, shown but not counted as failures (a QR scan may be pending). */
  channelStatus?: () => Record<string, ChannelStatus>;
};

type Check = { status: "ok" } | { status: "error"; error: string };

async function checkDatabase(database: Database, timeoutMs = 2000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      database.prisma.$queryRawUnsafe("SELECT 1"),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no answer in time")), timeoutMs))),
    ]);
    return { status: "ok" };
  } catch (err) {
    return { status: "error", error: (err as Error).message.split("\n")[0]! };
  } finally {
    clearTimeout(timer);
  }
}

async function checkRedis(redis: Redis): Promise<Check> {
  const error = await pingRedis(redis);
  return error ? { status: "error", error } : { status: "ok" };
}

/** Registers /healthz. */
export function registerHealth(app: FastifyInstance, deps: HealthDeps): void {
  app.get("/healthz", async (_request, reply) => {
    const [database, redis] = await Promise.all([checkDatabase(deps.database), checkRedis(deps.redis)]);
    const checks = { database, redis };
    const failing = Object.entries(checks)
      .filter(([, c]) => c.status !== "ok")
      .map(([name]) => name);
    reply.code(failing.length ? 503 : 200).header("cache-control", "no-store");
    const channels = Object.fromEntries(
      Object.entries(deps.channelStatus?.() ?? {}).map(([name, c]) => [
        name,
        { state: c.state, since: c.since.toISOString(), ...(c.detail ? { detail: c.detail } : {}) },
      ]),
    );
    return { status: failing.length ? "error" : "ok", failing, checks, channels };
  });
}
