/**
 * The per-chat order across processes: tickets in Redis, so the messages of one chat are handled
 * one at a time and in the platform's order, whichever process received them.
 */
import crypto from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { within } from "../time-limits.js";
import { KeyedSerial, type KeyedLock } from "./keyed-serial.js";

export type RedisKeyedLockOptions = {
  /** Key prefix, e.g. "sapa:chat-lock". */
  prefix: string;
  logger: Pick<Logger, "warn" | "info">;
  /**
   * A ticket expires this long after it was taken or last refreshed, so a dead process frees its
   * turn (default 10 s: the chat of a turn under way in a process that died waits that long). A
   * live process refreshes its tickets every ttlMs / 3, so only one stalled that long loses them.
   */
  ttlMs?: number;
  /** Longest wait for the turns ahead; then the turn goes ahead anyway (default 30 s, at least ttlMs). */
  maxWaitMs?: number;
  /** A Redis command slower than this counts as Redis being down (default 1 s). */
  commandTimeoutMs?: number;
  /**
   * A task with an `order` waits this long after taking its ticket before it may run, so that a
   * message written earlier but delivered a moment later (Telegram sends a webhook backlog
   * several at a time, to any web process) still goes first (default 0).
   */
  settleMs?: number;
};

/**
 * A turn's ticket: purges tickets whose process stopped refreshing them, adds or refreshes ours,
 * and says whether ours may run: no turn of the chat is running and ours is first, or ours is
 * the one running (a refresh). KEYS[1]: the chat's turns by order; KEYS[2]: the same members by
 * expiry time; KEYS[3]: the member running now, so a late message with a lower order waits for
 * the running turn instead of joining it. ARGV: member, order, ttl in ms, and "1" to start
 * running if ours is first ("0": only take the ticket, while settling). Redis's clock, so
 * processes on hosts whose clocks differ agree on what has expired.
 */
const ticketScript = `local t = redis.call("time")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
local dead = redis.call("zrangebyscore", KEYS[2], "-inf", now)
for _, m in ipairs(dead) do
  redis.call("zrem", KEYS[1], m)
  redis.call("zrem", KEYS[2], m)
end
redis.call("zadd", KEYS[1], ARGV[2], ARGV[1])
redis.call("zadd", KEYS[2], now + ttl, ARGV[1])
redis.call("pexpire", KEYS[1], ttl)
redis.call("pexpire", KEYS[2], ttl)
local running = redis.call("get", KEYS[3])
if running then
  if running == ARGV[1] then
    redis.call("pexpire", KEYS[3], ttl)
    return 1
  end
  return 0
end
local head = redis.call("zrange", KEYS[1], 0, 0)
if head[1] == ARGV[1] and ARGV[4] == "1" then
  redis.call("set", KEYS[3], ARGV[1], "PX", ttl)
  return 1
end
return 0`;

const leaveScript = `redis.call("zrem", KEYS[1], ARGV[1])
redis.call("zrem", KEYS[2], ARGV[1])
if redis.call("get", KEYS[3]) == ARGV[1] then redis.call("del", KEYS[3]) end
return 1`;

const shaOf = new Map(
  [ticketScript, leaveScript].map((lua) => [lua, crypto.createHash("sha1").update(lua).digest("hex")]),
);

/**
 * Runs one of the scripts above (three keys, then its arguments) by its SHA1, sending its text
 * only when Redis does not know it yet (after a restart or SCRIPT FLUSH): two run on every turn.
 */
async function runScript(redis: Redis, lua: string, keysAndArgs: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(shaOf.get(lua)!, 3, ...keysAndArgs);
  } catch (err) {
    if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
    return redis.eval(lua, 3, ...keysAndArgs);
  }
}

/**
 * Keeps one chat's turns one at a time and in order across processes (several web instances).
 * Each turn takes a ticket in a sorted set in Redis, scored by the message's order (Telegram's
 * update_id; otherwise the time it arrived), and runs once its ticket is first; it then removes
 * it. Tickets carry an expiry the waiting or running process keeps refreshing, so one a dead
 * process left is purged after ttlMs. A process wakes its own waiting turns as soon as one of
 * its turns ends, and polls (5 to 50 ms apart) for turns of other processes.
 *
 * The lock is about order, not correctness: the conversation is written with optimistic
 * concurrency anyway. So when Redis cannot be asked, turns go ahead in arrival order within the
 * process (logged once) instead of being refused.
 */
export class RedisKeyedLock implements KeyedLock {
  private readonly ttlMs: number;
  private readonly maxWaitMs: number;
  private readonly commandTimeoutMs: number;
  private readonly settleMs: number;
  private readonly tokenBase = `${process.pid}:${crypto.randomBytes(6).toString("hex")}`;
  private counter = 0;
  /** Set while Redis is failing, so the warning is logged once per outage. */
  private degraded = false;
  /** Turns of this process waiting for their ticket, by key: woken when one of ours ends. */
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Order within this process while Redis is away. */
  private readonly fallback = new KeyedSerial();

  constructor(
    /** A connection that fails fast while Redis is down (enableOfflineQueue: false). */
    private readonly redis: Redis,
    private readonly options: RedisKeyedLockOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.maxWaitMs = options.maxWaitMs ?? Math.max(30_000, this.ttlMs);
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1_000;
    this.settleMs = options.settleMs ?? 0;
  }

  async run<T>(key: string, task: () => Promise<T>, order?: number): Promise<T> {
    const base = `${this.options.prefix}:${key}`;
    const keys = [base, `${base}:expiry`, `${base}:running`] as const;
    // Zero-padded, so two tickets of one order from this process sort in arrival order.
    const member = `${this.tokenBase}:${String(++this.counter).padStart(12, "0")}`;
    const score = order ?? Date.now();
    const ticket = (start = true) =>
      this.timed(runScript(this.redis, ticketScript, [...keys, member, score, this.ttlMs, start ? "1" : "0"]));
    const leave = () => void runScript(this.redis, leaveScript, [...keys, member]).catch(() => {});
    const turn = await this.waitForTurn(keys[0], ticket, order !== undefined);
    if (turn === "without redis") {
      // A ticket taken before Redis failed (or one whose command timed out but still lands)
      // would hold the chat's other turns up until it expires: take it back if Redis will listen.
      leave();
      return this.fallback.run(key, task);
    }
    // A turn normally takes milliseconds; one that runs long (a slow database) keeps its ticket.
    const refresher = setInterval(() => void ticket().catch(() => {}), this.ttlMs / 3);
    refresher.unref();
    try {
      return await task();
    } finally {
      clearInterval(refresher);
      // Not awaited: the next command for this key from this process goes down the same
      // connection after it, so it cannot overtake it, and the turn need not wait a round trip.
      leave();
      for (const wake of this.waiting.get(keys[0]) ?? []) wake();
    }
  }

  /** Resolves when the ticket is first (or waited too long); "without redis" when Redis is away. */
  private async waitForTurn(
    lockKey: string,
    ticket: (start?: boolean) => Promise<unknown>,
    settle: boolean,
  ): Promise<"first" | "waited too long" | "without redis"> {
    const deadline = Date.now() + this.maxWaitMs;
    const settling = settle && this.settleMs > 0;
    let wake: () => void = () => {};
    const woken = new Set<() => void>();
    try {
      for (let attempt = 0; ; attempt++) {
        let first: boolean;
        try {
          // While settling, only the ticket: the turn may not start before the wait is over.
          first = (await ticket(!(attempt === 0 && settling))) === 1;
        } catch (err) {
          this.redisFailed(err);
          return "without redis";
        }
        if (this.degraded) {
          this.degraded = false;
          this.options.logger.info("Redis is back: the per-chat order holds across processes again");
        }
        if (attempt === 0 && settling) {
          // Let a message typed earlier but delivered a moment later take its ticket first.
          await new Promise((r) => setTimeout(r, this.settleMs));
          continue;
        }
        if (first) return "first";
        if (Date.now() >= deadline) {
          this.options.logger.warn(
            { waitedMs: this.maxWaitMs },
            "a chat's earlier turns took too long; handling its message without waiting for them",
          );
          return "waited too long";
        }
        // Another turn of this chat is running: a few milliseconds usually; back off to 50 ms,
        // or until a turn of this process ends.
        const base = Math.min(50, 5 * 2 ** attempt);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, base / 2 + Math.random() * base);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
          woken.add(wake);
          let set = this.waiting.get(lockKey);
          if (!set) this.waiting.set(lockKey, (set = new Set()));
          set.add(wake);
        });
        this.forget(lockKey, wake);
      }
    } finally {
      for (const w of woken) this.forget(lockKey, w);
    }
  }

  private forget(lockKey: string, wake: () => void): void {
    const set = this.waiting.get(lockKey);
    if (!set) return;
    set.delete(wake);
    if (!set.size) this.waiting.delete(lockKey);
  }

  private redisFailed(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.options.logger.warn(
      { err: { message: (err as Error).message } },
      "Redis is unavailable for the per-chat order: messages of one chat are kept in order within this process only until it is back",
    );
  }

  private timed<T>(promise: Promise<T>): Promise<T> {
    return within(promise, this.commandTimeoutMs, `Redis did not answer in ${this.commandTimeoutMs} ms`);
  }
}
