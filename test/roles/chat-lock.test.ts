/**
 * The per-chat lock in Redis that keeps one chat's turns one at a time and in order across
 * processes: two lock instances (two processes) never run tasks of one key at once, run them in
 * the platform's order even when they arrive out of it, a turn a dead process left is waited for
 * only until it expires, and with Redis gone turns still run (in-process order only), with one
 * warning. Then two bots on one database and one Redis take messages of the same chat at the
 * same time and every message gets its turn.
 */
import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBot, type Bot } from "../../src/bot.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { createLogger } from "../../src/logger.js";
import { createRedis, tryLock, unlock } from "../../src/redis.js";
import { RedisKeyedLock } from "../../src/runtime/redis-keyed-lock.js";
import { openTestDatabase, type TestDatabase } from "../support/databases.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { startPrivateRedis } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";

/** A logger whose lines a test can read. */
function capturedLogger() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: "info" }, destination), lines };
}

/** A connection like the bot's enqueue connection, ready: it fails at once while Redis is down. */
async function failFast(redis: Redis): Promise<Redis> {
  const conn = redis.duplicate({ enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  conn.on("error", () => {});
  await new Promise<void>((resolve) => (conn.status === "ready" ? resolve() : conn.once("ready", () => resolve())));
  return conn;
}

let redis: Redis;
const prefix = testPrefix();
beforeAll(() => {
  redis = connectRedis();
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  await redis.quit();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("RedisKeyedLock", () => {
  it("never runs two tasks of one key at once across two processes, and lets other keys run side by side", async () => {
    const a = await failFast(redis);
    const b = await failFast(redis);
    const { logger } = capturedLogger();
    const lockA = new RedisKeyedLock(a, { prefix: `${prefix}:lock`, logger });
    const lockB = new RedisKeyedLock(b, { prefix: `${prefix}:lock`, logger });
    let inside = 0;
    let most = 0;
    const done: string[] = [];
    const task = (name: string) => async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(5 + Math.random() * 10);
      inside--;
      done.push(name);
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? lockA : lockB).run("telegram:42", task(`t${i}`))));
    expect(most).toBe(1);
    expect(done).toHaveLength(20);

    // Another chat is not held up by a turn of this one: the other turn runs while this one is
    // still inside (it ends only when the test lets it; how long the other waits is in the
    // chat-lock benchmark).
    let release!: () => void;
    let longStarted = false;
    const long = lockA.run("telegram:42", async () => {
      longStarted = true;
      await new Promise<void>((r) => (release = r));
    });
    await waitFor(() => longStarted, 2_000, "the long turn to start");
    let otherRan = false;
    await lockB.run("telegram:43", async () => {
      otherRan = true;
    });
    expect(otherRan).toBe(true);
    release();
    await long;
    // Released (without the turn waiting for it): nothing of ours is left behind.
    await waitFor(async () => (await redis.keys(`${prefix}:lock:*`)).length === 0, 2_000, "the locks released");
    a.disconnect();
    b.disconnect();
  });

  it("does not delete a lock that expired and was taken by another process", async () => {
    const key = `${prefix}:safe`;
    expect(await tryLock(redis, key, "first", 50)).toBe(true);
    expect(await tryLock(redis, key, "second", 5_000)).toBe(false);
    await sleep(80);
    expect(await tryLock(redis, key, "second", 5_000)).toBe(true);
    // The first owner's late release leaves the second owner's lock alone.
    expect(await unlock(redis, key, "first")).toBe(false);
    expect(await redis.get(key)).toBe("second");
    expect(await unlock(redis, key, "second")).toBe(true);
  });

  it("keeps a long turn's lock past its first expiry, and waits for a lock a dead process left", async () => {
    const c = await failFast(redis);
    const { logger } = capturedLogger();
    const lock = new RedisKeyedLock(c, { prefix: `${prefix}:ext`, logger, ttlMs: 300 });
    const events: string[] = [];
    await Promise.all([
      lock.run("k", async () => {
        // Real time: the turn outlasts its 300 ms lock, which must be extended meanwhile.
        await sleep(800);
        events.push("first ended");
      }),
      // A second "process" (its own lock object) for the same chat.
      sleep(50).then(() =>
        new RedisKeyedLock(c, { prefix: `${prefix}:ext`, logger, ttlMs: 300, maxWaitMs: 5_000 }).run("k", async () => {
          events.push("second started");
        }),
      ),
    ]);
    // The first lock was extended while its turn ran (800 ms on a 300 ms lock).
    expect(events).toEqual(["first ended", "second started"]);

    // A process died during a chat's turn: the next turn waits for its ticket to expire, then runs.
    const redisNow = async () => {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Number(micros) / 1000;
    };
    const expiry = (await redisNow()) + 300;
    await redis.zadd(`${prefix}:ext:dead`, 0, "someone-dead");
    await redis.zadd(`${prefix}:ext:dead:expiry`, expiry, "someone-dead");
    let ranAt = 0;
    await lock.run("dead", async () => {
      ranAt = await redisNow();
    });
    // It ran once the dead ticket had expired by Redis's clock, not before.
    expect(ranAt).toBeGreaterThanOrEqual(expiry);
    c.disconnect();
  });

  it("runs one chat's turns in the platform's order across two processes, even when they arrive out of it", async () => {
    const a = await failFast(redis);
    const b = await failFast(redis);
    const { logger } = capturedLogger();
    const options = { prefix: `${prefix}:order`, logger, settleMs: 40 };
    const locks = [new RedisKeyedLock(a, options), new RedisKeyedLock(b, options)];
    const ran: number[] = [];
    const turn = (n: number) => () => sleep(2 + Math.random() * 5).then(() => void ran.push(n));
    // Nine messages: delivered to alternate processes, the later ones a little earlier.
    const order = [5, 3, 8, 1, 9, 2, 7, 4, 6];
    await Promise.all(
      order.map((n, i) => sleep(i * 2).then(() => locks[i % 2]!.run("telegram:77", turn(n), 1000 + n))),
    );
    expect(ran).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // A message with a lower order arriving while a turn runs (a late webhook, or a Telegram
    // message during a timeout turn, which has no order) waits for that turn; it does not join it.
    const steps: string[] = [];
    let releaseTen!: () => void;
    const ten = locks[0]!.run(
      "telegram:78",
      async () => {
        steps.push("10 start");
        await new Promise<void>((r) => (releaseTen = r));
        steps.push("10 end");
      },
      1010,
    );
    await waitFor(() => steps.includes("10 start"), 2_000, "turn 10 to start");
    const five = locks[1]!.run(
      "telegram:78",
      async () => {
        steps.push("5 start");
        await sleep(10);
        steps.push("5 end");
      },
      1005,
    );
    // Turn 5 is queued behind the running turn (its ticket is in the chat's queue) and has not run.
    await waitFor(async () => (await redis.zcard(`${prefix}:order:telegram:78`)) >= 2, 2_000, "turn 5 waiting");
    expect(steps).toEqual(["10 start"]);
    releaseTen();
    await Promise.all([ten, five]);
    expect(steps).toEqual(["10 start", "10 end", "5 start", "5 end"]);

    // Without a platform order (the web chat, a timeout): arrival order.
    ran.length = 0;
    // Each arrives in a later millisecond than the one before (two arrivals in one millisecond at
    // two processes have no order between them).
    const arrivals: Promise<void>[] = [];
    for (const n of [1, 2, 3, 4]) {
      const at = Date.now();
      arrivals.push(locks[n % 2]!.run("web:5", turn(n)));
      while (Date.now() <= at) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(arrivals);
    expect(ran).toEqual([1, 2, 3, 4]);
    await waitFor(async () => (await redis.keys(`${prefix}:order:*`)).length === 0, 2_000, "the tickets removed");
    a.disconnect();
    b.disconnect();
  });

  it("keeps order with a Redis that has forgotten its scripts (a restart, SCRIPT FLUSH)", async () => {
    const server = await startPrivateRedis();
    const direct = createRedis(server.url);
    const conn = await failFast(direct);
    const { logger, lines } = capturedLogger();
    const lock = new RedisKeyedLock(conn, { prefix: "p:lock", logger });
    const order: number[] = [];
    await lock.run("a", async () => void order.push(1));
    await direct.script("FLUSH");
    await Promise.all([2, 3].map((n) => lock.run("a", async () => void order.push(n), n)));
    expect(order).toEqual([1, 2, 3]);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    await waitFor(async () => (await direct.keys("p:lock:*")).length === 0, 2_000, "the tickets removed");
    conn.disconnect();
    direct.disconnect();
    await server.stop();
  });

  it("runs turns without the lock while Redis is down, warning once", async () => {
    const server = await startPrivateRedis();
    const direct = createRedis(server.url);
    direct.on("error", () => {});
    const conn = await failFast(direct);
    const { logger, lines } = capturedLogger();
    const lock = new RedisKeyedLock(conn, { prefix: "p:lock", logger });
    await lock.run("a", async () => {});
    await server.stop();
    let ran = 0;
    for (let i = 0; i < 5; i++) await lock.run("a", async () => void ran++);
    expect(ran).toBe(5);
    const warnings = lines.filter((l) => l.level === 40 && l.msg.includes("per-chat order"));
    expect(warnings).toHaveLength(1);
    conn.disconnect();
    direct.disconnect();
  });
});

describe("two bots on one database and one Redis", () => {
  let db: TestDatabase;
  const bots: Bot[] = [];
  const sharedPrefix = testPrefix();
  beforeAll(async () => {
    db = await openTestDatabase("sqlite");
    await seedDatabase(db.prisma);
    for (let i = 0; i < 2; i++)
      bots.push(
        await createBot({
          database: db,
          redis,
          queuePrefix: sharedPrefix,
          logger: createLogger({ level: "silent" }),
          channels: { telegram: { name: "telegram", buttons: true, send: async () => ({}) } },
          conversationTtlHours: 24,
          defaultLanguage: "id",
          workers: false,
        }),
      );
  });
  afterAll(async () => {
    await Promise.all(bots.map((b) => b.close()));
    await deletePrefix(redis, sharedPrefix);
    await db.destroy();
  });

  it("handles messages of one chat arriving at both at the same time, each once", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        bots[n % 2]!.runtime.handle({
          channel: "telegram",
          chatId: "5001",
          senderId: "5001",
          platformMessageId: `5001:${n}`,
          receivedAt: new Date(),
          text: n === 0 ? "halo" : "menu",
        }),
      ),
    );
    expect(results.every((r) => r.status === "processed")).toBe(true);
    const inbound = await db.prisma.message.count({ where: { chatId: "5001", direction: "inbound" } });
    expect(inbound).toBe(10);
    await waitFor(
      async () => (await redis.keys(`${sharedPrefix}:chat-lock:*`)).length === 0,
      2_000,
      "the chat's lock released",
    );
  });
});
