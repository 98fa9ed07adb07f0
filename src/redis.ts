/**
 * Redis connections. Redis holds the queues only; the database is the truth (DESIGN.md).
 */
import { Redis } from "ioredis";

/** Redis could not be reached at start-up; `message` is the one line shown to the operator. */
export class RedisUnreachableError extends Error {
  constructor(url: string, reason: string) {
    super(
      `Cannot reach Redis at ${describeRedisUrl(url)} (${reason}). Start Redis (on Debian or Ubuntu: sudo apt install redis-server) or set REDIS_URL to a running one.`,
    );
    this.name = "RedisUnreachableError";
  }
}

/** Hides the password of a Redis URL. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(unparsable REDIS_URL)";
  }
}

/**
 * A long-lived connection: it reconnects forever, and commands wait while it is down, as
 * BullMQ requires (`maxRetriesPerRequest: null`).
 */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** Connects once, without retrying, and pings; throws RedisUnreachableError when that fails. */
export async function assertRedisReachable(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The socket error (ECONNREFUSED, ENOTFOUND) says more than connect()'s "Connection is closed".
  let socketError: NodeJS.ErrnoException | undefined;
  probe.on("error", (err: NodeJS.ErrnoException) => (socketError ??= err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    const e = socketError ?? (err as NodeJS.ErrnoException);
    throw new RedisUnreachableError(url, e.code ?? e.message);
  } finally {
    probe.disconnect();
  }
}

/** Pings within `timeoutMs`; resolves to an error description, or null when Redis answered. */
export async function pingRedis(redis: Redis, timeoutMs = 1000): Promise<string | null> {
  if (redis.status !== "ready") return `not connected (${redis.status})`;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no answer in time")), timeoutMs))),
    ]);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
