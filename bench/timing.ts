/**
 * The timing benchmark: the wall-clock figures the tests used to assert (and that missed by a
 * few milliseconds on a loaded machine), measured here instead. The tests keep the behaviour
 * (order, counts, the pause as a state); this says how long things took.
 *   lock_other_chat_wait_ms   a turn of another chat while a long turn of one chat holds its
 *                             lock: from asking to running; target under 200
 *   lock_dead_ticket_wait_ms  a turn waiting for the ticket a dead process left, which expires
 *                             300 ms after it was written; target 150 to 1,000
 *   jitter_min_gap_ms, jitter_max_gap_ms, jitter_mean_gap_ms
 *                             WhatsApp-style bulk (10 a second, jittered, one at a time) over
 *                             BENCH_TIMING_SENDS sends (default 20); targets: min at least 45
 *                             (half the 100 ms mean gap, less timer slack), max minus min over 10
 *   after_429_first_send_ms   after a 429 with retry_after 1,500 ms: from the 429 to the next
 *                             send starting on the channel; target at least 1,490
 *   chat_gap_ms               two bulk jobs to one chat with a 1,000 ms chat gap: from the first
 *                             job's first send to the second job's; target at least 990
 * Real Redis (REDIS_URL) and a fresh SQLite database; a recording channel stands in for the platform.
 */
import type { Redis } from "ioredis";
import { performance } from "node:perf_hooks";
import { createBot } from "../src/bot.js";
import { SendError, type ChannelAdapter, type SendResult } from "../src/channels/channel.js";
import type { Database } from "../src/db/database.js";
import type { OutgoingMessage } from "../src/engine/types.js";
import type { Pacing } from "../src/outbox/pacing.js";
import { createLogger } from "../src/logger.js";
import { createRedis } from "../src/redis.js";
import { queueOutbound } from "../src/outbox/queue-outbound.js";
import type { OutboundKind } from "../src/outbox/types.js";
import { RedisKeyedLock } from "../src/runtime/redis-keyed-lock.js";
import type { BenchOutcome, Benchmark } from "./run.js";
import { deleteKeys, freshDatabase, positiveInt, round } from "./support.js";

const sends = positiveInt(process.env.BENCH_TIMING_SENDS, 20);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const progress = (line: string) => console.error(`[timing] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = createLogger({ level: "silent" });

/** Records when each send started; the next `failNext` sends throw the given error. */
class RecordingChannel implements ChannelAdapter {
  readonly buttons = true;
  readonly calls: { chatId: string; text: string; at: number; failed: boolean }[] = [];
  private readonly failures: SendError[] = [];
  constructor(readonly name: string) {}
  failNext(error: SendError): void {
    this.failures.push(error);
  }
  async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
    const call = { chatId, text: message.text, at: performance.now(), failed: false };
    const error = this.failures.shift();
    if (error) {
      await sleep(5);
      this.calls.push({ ...call, at: performance.now(), failed: true });
      throw error;
    }
    this.calls.push(call);
    return {};
  }
}

async function lockFigures(redis: Redis, prefix: string) {
  const conn = redis.duplicate({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  conn.on("error", () => {});
  const a = new RedisKeyedLock(conn, { prefix: `${prefix}:lock`, logger });
  const b = new RedisKeyedLock(conn, { prefix: `${prefix}:lock`, logger });
  const long = a.run("telegram:42", () => sleep(300));
  await sleep(20);
  let start = performance.now();
  await b.run("telegram:43", async () => {});
  const otherChat = performance.now() - start;
  await long;

  const ext = new RedisKeyedLock(conn, { prefix: `${prefix}:ext`, logger, ttlMs: 300 });
  const [seconds, micros] = await redis.time();
  await redis.zadd(`${prefix}:ext:dead`, 0, "someone-dead");
  await redis.zadd(`${prefix}:ext:dead:expiry`, Number(seconds) * 1000 + Number(micros) / 1000 + 300, "someone-dead");
  start = performance.now();
  await ext.run("dead", async () => {});
  const deadTicket = performance.now() - start;
  conn.disconnect();
  return { lock_other_chat_wait_ms: round(otherChat), lock_dead_ticket_wait_ms: round(deadTicket) };
}

/** A bot with just `channel`, paced as given; returns it and a function that closes it. */
async function botWith(database: Database, redis: Redis, prefix: string, channel: RecordingChannel, pacing: Pacing) {
  const bot = await createBot({
    database,
    redis,
    queuePrefix: prefix,
    logger,
    channels: { [channel.name]: channel },
    conversationTtlHours: 24,
    defaultLanguage: "id",
    receive: false,
    pacing: { [channel.name]: pacing },
  });
  return bot;
}

const pacing = (bulk: Partial<Pacing["bulk"]>, concurrency = { reply: 4, bulk: 4 }): Pacing => ({
  replyPerSecond: 1000,
  bulk: { max: 1000, durationMs: 1000, jitter: false, chatGapMs: 0, dailyCap: null, ...bulk },
  concurrency,
});

const queue = (
  database: Database,
  bot: Awaited<ReturnType<typeof botWith>>,
  channel: string,
  to: string[],
  texts?: string[],
  kind: OutboundKind = "broadcast",
) =>
  queueOutbound(
    database,
    bot.outbox,
    to.map((chatId, i) => ({
      channel,
      chatId,
      identityId: null,
      message: { text: texts?.[i] ?? `to ${chatId}` },
      kind,
    })),
  );

async function until(check: () => boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function pacingFigures(database: Database, redis: Redis, prefix: string) {
  const figures: Record<string, number> = {};

  const wa = new RecordingChannel("wa-jitter");
  let bot = await botWith(
    database,
    redis,
    `${prefix}:j`,
    wa,
    pacing({ max: 10, durationMs: 1000, jitter: true }, { reply: 4, bulk: 1 }),
  );
  await queue(
    database,
    bot,
    wa.name,
    Array.from({ length: sends }, (_, i) => `jitter-${i}`),
  );
  await until(() => wa.calls.length >= sends, "the jittered sends");
  await bot.close();
  const gaps = wa.calls.slice(1).map((c, i) => c.at - wa.calls[i]!.at);
  figures.jitter_min_gap_ms = round(Math.min(...gaps));
  figures.jitter_max_gap_ms = round(Math.max(...gaps));
  figures.jitter_mean_gap_ms = round(gaps.reduce((s, g) => s + g, 0) / gaps.length);
  progress(`jitter: ${gaps.length} gaps`);

  const tg = new RecordingChannel("tg-429");
  bot = await botWith(database, redis, `${prefix}:l`, tg, pacing({ max: 30, durationMs: 1000 }, { reply: 4, bulk: 4 }));
  tg.failNext(new SendError("Telegram 429: Too Many Requests", false, 1500));
  await queue(
    database,
    bot,
    tg.name,
    Array.from({ length: 10 }, (_, i) => `limited-${i}`),
  );
  await until(() => tg.calls.filter((c) => !c.failed).length >= 10, "the sends after the 429");
  await bot.close();
  const limited = tg.calls.findIndex((c) => c.failed);
  const after = tg.calls.slice(limited + 1).map((c) => c.at - tg.calls[limited]!.at);
  figures.after_429_first_send_ms = round(Math.min(...after));
  progress("429 done");

  const gap = new RecordingChannel("tg-gap");
  bot = await botWith(database, redis, `${prefix}:g`, gap, pacing({ max: 30, durationMs: 1000, chatGapMs: 1000 }));
  await queue(database, bot, gap.name, ["gap-1", "gap-1", "gap-1"], ["Satu", "Dua", "Tiga"]);
  await queue(database, bot, gap.name, ["gap-1", "gap-1"], ["Empat", "Lima"]);
  await until(() => gap.calls.length >= 5, "the five bulk sends");
  await bot.close();
  figures.chat_gap_ms = round(gap.calls[3]!.at - gap.calls[0]!.at);
  return figures;
}

async function run(): Promise<BenchOutcome> {
  const redis = createRedis(redisUrl);
  const prefix = `bench-timing-${process.pid}`;
  const db = await freshDatabase("sqlite", "timing", null);
  try {
    const lock = await lockFigures(redis, prefix);
    const paced = await pacingFigures(db.database, redis, prefix);
    return {
      name: "timing",
      date: new Date().toISOString(),
      node: process.version,
      database: "sqlite",
      metrics: { ...lock, ...paced },
    };
  } finally {
    await deleteKeys(redis, prefix);
    await redis.quit();
    await db.drop();
  }
}

export const timing: Benchmark = {
  name: "timing",
  description: "the per-chat lock's waits and the outbox's pacing (jitter, 429 pause, chat gap) in milliseconds",
  run,
};
