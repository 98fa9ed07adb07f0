/**
 * Redis connections. Redis holds the queues only; the database is the truth (DESIGN.md).
 */
import crypto from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "./logger.js";
import { within } from "./time-limits.js";

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
  try {
    await within(redis.ping(), timeoutMs, "no answer in time");
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Lua scripts of the locks below. Each runs atomically in Redis, so "is it still mine?" and the
 * change that follows cannot be split by another process's command in between.
 */
const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const extendScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
/** Extends our hold, or takes the key again when it is gone (a Redis restart or FLUSHALL), but never another's. */
const renewScript = `local v = redis.call("get", KEYS[1])
if v == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) end
if not v then redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1 end
return 0`;

/** Takes `key` for `ttlMs` unless someone holds it: SET NX PX with a token only the taker knows. */
export async function tryLock(redis: Redis, key: string, token: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(key, token, "PX", ttlMs, "NX")) === "OK";
}

/** Deletes `key` only if it still holds `token`: a lock that expired and was taken by another stays theirs. */
export async function unlock(redis: Redis, key: string, token: string): Promise<boolean> {
  return (await redis.eval(releaseScript, 1, key, token)) === 1;
}

/** Pushes the expiry of our lock out to `ttlMs` from now; false when it is no longer ours. */
export async function extendLock(redis: Redis, key: string, token: string, ttlMs: number): Promise<boolean> {
  return (await redis.eval(extendScript, 1, key, token, ttlMs)) === 1;
}

/**
 * A lease on something only one process may run (the WhatsApp Web session, Telegram polling):
 * a key holding this process's token, which dies with the process after `ttlMs` unless renewed.
 */
export class RedisLease {
  readonly token = `${process.pid}:${crypto.randomUUID()}`;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes the lease if nobody holds it (or we already do). */
  async acquire(): Promise<boolean> {
    if (await tryLock(this.redis, this.key, this.token, this.ttlMs)) return true;
    return extendLock(this.redis, this.key, this.token, this.ttlMs);
  }

  /** Keeps the lease; false when another process has it now (ours expired meanwhile). */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(renewScript, 1, this.key, this.token, this.ttlMs)) === 1;
  }

  /** How long until the current holder's lease runs out (0 when nobody holds it). */
  async remainingMs(): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.key));
  }

  /** Gives the lease up at once, so another process need not wait for it to expire. */
  async release(): Promise<void> {
    await unlock(this.redis, this.key, this.token);
  }
}

export type RedisSettings = {
  /** null when it could not be read (CONFIG and INFO refused). */
  maxmemoryPolicy: string | null;
  /** "aof", "rdb" (snapshots only), "off", or null when it could not be read. */
  persistence: "aof" | "rdb" | "off" | null;
  /** Whether CONFIG GET answered; managed Redis services often refuse it. */
  configAllowed: boolean;
};

/** Reads `field:value` lines of an INFO section. */
function infoField(info: string, field: string): string | undefined {
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

async function configGet(redis: Pick<Redis, "config">, name: string): Promise<string> {
  const answer = (await redis.config("GET", name)) as unknown as string[];
  if (!Array.isArray(answer) || answer.length < 2) throw new Error(`CONFIG GET ${name} gave no value`);
  return String(answer[1]);
}

/**
 * Checks at start that Redis keeps what BullMQ puts in it, and says loudly (one warn line each)
 * what is at risk when it does not: an evicting memory policy drops jobs and locks; without
 * persistence a Redis restart drops every queued job. CONFIG is tried first; managed Redis
 * services often refuse it, and then INFO (usually allowed) is read instead.
 */
export async function checkRedisSettings(
  redis: Pick<Redis, "config" | "info">,
  logger: Pick<Logger, "warn" | "info">,
): Promise<RedisSettings> {
  let configAllowed = true;
  let maxmemoryPolicy: string | null = null;
  let appendonly: boolean | null = null;
  let savePoints: boolean | null = null;
  let refusal = "";
  try {
    maxmemoryPolicy = await configGet(redis, "maxmemory-policy");
    appendonly = (await configGet(redis, "appendonly")) === "yes";
    savePoints = (await configGet(redis, "save")).trim() !== "";
  } catch (err) {
    configAllowed = false;
    refusal = (err as Error).message.split("\n")[0]!;
  }
  try {
    const persistence = await redis.info("persistence");
    const aof = infoField(persistence, "aof_enabled");
    if (aof !== undefined) appendonly = aof === "1";
    if (maxmemoryPolicy === null) maxmemoryPolicy = infoField(await redis.info("memory"), "maxmemory_policy") ?? null;
  } catch {
    // INFO refused as well: what is unknown stays null and is reported below.
  }
  if (!configAllowed)
    logger.warn(
      `Could not check the Redis configuration (CONFIG GET refused: ${refusal}); make sure maxmemory-policy is noeviction and appendonly is yes, or queued jobs may be lost`,
    );
  if (maxmemoryPolicy === null)
    logger.warn("Could not read Redis maxmemory-policy: BullMQ may lose jobs unless it is noeviction");
  else if (maxmemoryPolicy !== "noeviction")
    logger.warn(
      `Redis maxmemory-policy is ${maxmemoryPolicy}, not noeviction: BullMQ may lose jobs: set maxmemory-policy noeviction. When Redis fills up it evicts keys, which can drop queued messages, reminder and broadcast jobs and the locks that keep one chat's messages in order`,
    );
  let persistence: RedisSettings["persistence"] = null;
  if (appendonly) persistence = "aof";
  else if (appendonly === false && savePoints) persistence = "rdb";
  else if (appendonly === false && savePoints === false) persistence = "off";
  if (persistence === "off")
    logger.warn(
      "Redis persistence is off (appendonly no, no save points): a Redis restart loses queued jobs; the reconcile passes will re-create them from the database, but delayed reminders wait until then (up to 5 minutes) and unsent messages until the next outbox pass. Set appendonly yes",
    );
  else if (persistence === "rdb")
    logger.warn(
      "Redis keeps only RDB snapshots (appendonly no): a Redis restart loses the jobs added since the last snapshot; the reconcile passes re-create them from the database, later. Set appendonly yes",
    );
  else if (persistence === null && configAllowed === false && appendonly === false)
    logger.warn(
      "Redis AOF is off and the snapshot settings could not be read: a Redis restart may lose queued jobs; the reconcile passes re-create them from the database, later",
    );
  return { maxmemoryPolicy, persistence, configAllowed };
}
