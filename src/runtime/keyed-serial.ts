import crypto from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { extendLock, tryLock, unlock } from "../redis.js";

/**
 * Runs tasks one at a time per key, in the order they were given, while different keys run
 * side by side: the messages of one chat are handled in order.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // Forget the key once its last task is done, so the map does not grow without bound.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}

/** Runs a task while holding a lock on a key; the inbound runtime takes one per chat. */
export type KeyedLock = { run<T>(key: string, task: () => Promise<T>): Promise<T> };

export type RedisKeyedLockOptions = {
  /** Key prefix, e.g. "sapa:chat-lock". */
  prefix: string;
  logger: Pick<Logger, "warn" | "info">;
  /** A lock expires this long after it was taken or last extended, so a dead process frees it (default 30 s). */
  ttlMs?: number;
  /** Longest wait for a lock another process holds; then the turn goes ahead without it (default ttlMs). */
  maxWaitMs?: number;
  /** A Redis command slower than this counts as Redis being down (default 1 s). */
  commandTimeoutMs?: number;
};

/**
 * Keeps one chat's turns one at a time across processes (several web instances): a lock in
 * Redis per key (SET NX PX with a token of this turn), released by compare-and-delete so an
 * expired lock another process took is never deleted, extended while a long turn runs, and
 * waited for with short jittered pauses. Within a process the KeyedSerial in front already
 * orders a chat's turns, so each process asks Redis once per turn rather than polling it.
 *
 * The lock is about order, not correctness: the conversation is written with optimistic
 * concurrency anyway. So when Redis cannot be asked, turns go ahead with in-process order only
 * (logged once) instead of being refused.
 */
export class RedisKeyedLock implements KeyedLock {
  private readonly ttlMs: number;
  private readonly maxWaitMs: number;
  private readonly commandTimeoutMs: number;
  private readonly tokenBase = `${process.pid}:${crypto.randomBytes(6).toString("hex")}`;
  private counter = 0;
  /** Set while Redis is failing, so the warning is logged once per outage. */
  private degraded = false;

  constructor(
    /** A connection that fails fast while Redis is down (enableOfflineQueue: false). */
    private readonly redis: Redis,
    private readonly options: RedisKeyedLockOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxWaitMs = options.maxWaitMs ?? this.ttlMs;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1_000;
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const lockKey = `${this.options.prefix}:${key}`;
    const token = `${this.tokenBase}:${++this.counter}`;
    const held = await this.acquire(lockKey, token);
    if (!held) return task();
    // A turn normally takes milliseconds; one that runs long (a slow database) keeps its lock.
    const extender = setInterval(() => {
      void this.timed(extendLock(this.redis, lockKey, token, this.ttlMs)).catch(() => {});
    }, this.ttlMs / 3);
    extender.unref();
    try {
      return await task();
    } finally {
      clearInterval(extender);
      // Not awaited: the next command for this key from this process goes down the same
      // connection after it, so it cannot overtake it, and the turn need not wait a round trip.
      void unlock(this.redis, lockKey, token).catch(() => {});
    }
  }

  /** True once the lock is ours; false to go ahead without it (Redis down, or held too long). */
  private async acquire(lockKey: string, token: string): Promise<boolean> {
    const deadline = Date.now() + this.maxWaitMs;
    for (let attempt = 0; ; attempt++) {
      let taken: boolean;
      try {
        taken = await this.timed(tryLock(this.redis, lockKey, token, this.ttlMs));
      } catch (err) {
        // The SET may still land after a timeout: delete it then (same connection, so after it).
        void unlock(this.redis, lockKey, token).catch(() => {});
        if (!this.degraded) {
          this.degraded = true;
          this.options.logger.warn(
            { err: { message: (err as Error).message } },
            "Redis is unavailable for the per-chat lock: messages of one chat are kept in order within this process only until it is back",
          );
        }
        return false;
      }
      if (this.degraded) {
        this.degraded = false;
        this.options.logger.info("Redis is back: the per-chat lock holds across processes again");
      }
      if (taken) return true;
      if (Date.now() >= deadline) {
        this.options.logger.warn(
          { waitedMs: this.maxWaitMs },
          "a chat's lock stayed taken too long; handling its message without it",
        );
        return false;
      }
      // Another process is in a turn of this chat: a few milliseconds usually; back off to 100 ms.
      const base = Math.min(100, 5 * 2 ** attempt);
      await new Promise((r) => setTimeout(r, base / 2 + Math.random() * base));
    }
  }

  private timed<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis did not answer in ${this.commandTimeoutMs} ms`)),
          this.commandTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
