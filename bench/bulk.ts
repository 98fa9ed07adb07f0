/**
 * The bulk benchmark: messages to distinct Telegram chats through the whole outbox (rows written,
 * jobs on the paced bulk lane, workers claiming rows, telegraf sending, statuses recorded),
 * against the fake Bot API server in its own process, set to a rate ceiling above which it
 * answers 429. The bot's bulk rate is set to the same ceiling, as an operator would set it to
 * Telegram's limit.
 *
 *   rate_ratio  achieved rate (delivered / time from first to last delivery) / ceiling; >= 0.95
 *   http_429    429 answers, and http_429_pct as a share of sends; <= 1 %
 *   duplicates  messages a chat got more than once; 0
 *   lost        messages never delivered; 0
 *
 * BENCH_BULK_MESSAGES (default 10000) at BENCH_BULK_CEILING (default 1000) a second on each
 * database of BENCH_BULK_DATABASES (default sqlite,postgresql; PostgreSQL on BENCH_POSTGRES_URL),
 * each a fresh database with a fresh Redis prefix: SQLite's metrics under the names above,
 * PostgreSQL's prefixed postgres_ (postgres_rate_ratio). Then, on the first database listed only
 * (the limiter does not depend on it), a sample of BENCH_BULK_SAMPLE (default 300) at 30 a
 * second: sample_rate_ratio and the like.
 */
import crypto from "node:crypto";
import type { Redis } from "ioredis";
import type { Database, DatabaseProvider } from "../src/db/database.js";
import { prepareStatements, sqlTime } from "../src/db/raw-sql.js";
import { createRedis } from "../src/redis.js";
import { queueOutbound } from "../src/outbox/queue-outbound.js";
import type { BulkStats } from "./bulk/fake-telegram-process.js";
import { forkFakeBotApi } from "./fake-bot-api/parent.js";
import type { BenchResult, Benchmark } from "./run.js";
import {
  benchDatabases,
  deleteKeys,
  freshDatabase,
  metricsOf,
  positiveInt,
  profileWindow,
  round,
  sendingTelegramBot,
} from "./support.js";

const messages = positiveInt(process.env.BENCH_BULK_MESSAGES, 10_000);
const ceiling = positiveInt(process.env.BENCH_BULK_CEILING, 1000);
const sample = positiveInt(process.env.BENCH_BULK_SAMPLE, 300);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

const progress = (line: string) => console.error(`[bulk] ${line}`);

/** Starts the fake Bot API in a child process; resolves with its address and a way to ask it things. */
const startFake = (ratePerSecond: number) =>
  forkFakeBotApi(new URL("./bulk/fake-telegram-process.ts", import.meta.url), ratePerSecond, "bulk");

/** Identities for `count` Telegram chats, inserted in bulk: the recipients. */
async function createRecipients(database: Database, count: number, firstChat: number): Promise<number[]> {
  const s = prepareStatements(
    {
      insert: `INSERT INTO "ChannelIdentity" (channel, "platformUserId", "chatId", "createdAt", "updatedAt")
               VALUES ($1, $2, $3, $4::timestamp(3), $5::timestamp(3)) RETURNING id`,
    },
    database.provider,
  );
  const at = sqlTime(new Date(), database.provider);
  const ids: number[] = [];
  for (let i = 0; i < count; i += 500) {
    const chunk = Array.from({ length: Math.min(500, count - i) }, (_, j) => String(firstChat + i + j));
    const rows = await database.prisma.$transaction(async (tx) => {
      const out: number[] = [];
      for (const chat of chunk) {
        const [row] = await tx.$queryRawUnsafe<{ id: number }[]>(s.insert, "telegram", chat, chat, at, at);
        out.push(Number(row!.id));
      }
      return out;
    });
    ids.push(...rows);
  }
  return ids;
}

type Round = {
  delivered: number;
  lost: number;
  duplicates: number;
  http429: number;
  sends: number;
  rate: number;
  /** CPU time of this process (the bot: queueing, workers, sending, recording) per delivered message. */
  cpuMsPerMessage: number;
};

/** Sends `count` broadcasts to distinct chats at `rate` a second against a ceiling of `rate`. */
async function sendRound(
  database: Database,
  redis: Redis,
  prefix: string,
  count: number,
  rate: number,
  firstChat: number,
): Promise<Round> {
  const fake = await startFake(rate);
  const recipients = await createRecipients(database, count, firstChat);
  const { bot, telegram } = await sendingTelegramBot(database, redis, prefix, fake, rate);
  try {
    progress(`${count} messages at a ceiling of ${rate}/s: queueing`);
    const started = performance.now();
    const startedAt = Date.now();
    const stopProfile = await profileWindow(`bulk-${count}-at-${rate}`);
    const cpuBefore = process.cpuUsage();
    const outboxIds = await queueOutbound(
      database,
      bot.outbox,
      recipients.map((identityId, i) => ({
        channel: "telegram",
        chatId: String(firstChat + i),
        identityId,
        message: { text: `Pengumuman pelatihan untuk peserta ${i + 1}: jadwal baru sudah tersedia.` },
        kind: "broadcast" as const,
      })),
    );
    progress(`queued in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    const deadline = Date.now() + Math.max(60_000, (count / rate) * 3000);
    let stats = await fake.ask<BulkStats>({ type: "stats" });
    let lastLine = 0;
    while (stats.delivered < count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      stats = await fake.ask<BulkStats>({ type: "stats" });
      if (Date.now() - lastLine > 2000) {
        progress(`${stats.delivered}/${count} delivered, ${stats.http429} answered 429`);
        lastLine = Date.now();
      }
    }
    // A moment more, so a late duplicate would be seen.
    await new Promise((r) => setTimeout(r, 500));
    stats = await fake.ask<BulkStats>({ type: "stats" });
    const cpu = process.cpuUsage(cpuBefore);
    await stopProfile();
    const wallS = (performance.now() - started) / 1000;
    const expected = new Set(recipients.map((_, i) => firstChat + i));
    const reached = stats.chatIds.filter((c) => expected.has(c)).length;
    const seconds = Math.max(0.001, (stats.last - stats.first) / 1000);
    const achieved = stats.delivered / seconds;
    progress(
      `${stats.delivered} delivered in ${seconds.toFixed(2)} s (${wallS.toFixed(2)} s with queueing): ${achieved.toFixed(1)}/s, ${stats.http429} answered 429`,
    );
    const sent = await database.prisma.outboxItem.count({
      where: { status: "sent", id: { gte: Math.min(...outboxIds), lte: Math.max(...outboxIds) } },
    });
    progress(
      `first delivery ${((stats.first - startedAt) / 1000).toFixed(2)} s after queueing began; delivered in each second from it: ${stats.perSecond.join(", ")}`,
    );
    if (sent !== reached) progress(`warning: the database says ${sent} sent, the fake server saw ${reached} chats`);
    return {
      delivered: stats.delivered,
      lost: count - reached,
      duplicates: stats.duplicates,
      http429: stats.http429,
      sends: stats.sends,
      rate: achieved,
      cpuMsPerMessage: (cpu.user + cpu.system) / 1000 / Math.max(1, stats.delivered),
    };
  } finally {
    await bot.close();
    await telegram.stop?.();
    await fake.close();
  }
}

/**
 * The run on one fresh database, under its own Redis prefix (deleted afterwards): the main round,
 * and the slow sample too when `withSample`. Metrics under SQLite's names.
 */
async function databaseRound(
  provider: DatabaseProvider,
  redis: Redis,
  prefix: string,
  withSample: boolean,
): Promise<{ main: Record<string, number>; sample: Record<string, number> }> {
  progress(`${provider}: preparing a fresh database`);
  const { database, drop } = await freshDatabase(provider, "bulk");
  try {
    const main = await sendRound(database, redis, `${prefix}:main`, messages, ceiling, 1_000_000);
    const metrics = {
      achieved_per_s: round(main.rate),
      rate_ratio: round(main.rate / ceiling),
      http_429: main.http429,
      http_429_pct: round((100 * main.http429) / Math.max(1, main.sends)),
      duplicates: main.duplicates,
      lost: main.lost,
      cpu_ms_per_message: round(main.cpuMsPerMessage),
    };
    if (!withSample) return { main: metrics, sample: {} };
    const slow = await sendRound(database, redis, `${prefix}:sample`, sample, 30, 2_000_000);
    return {
      main: metrics,
      sample: {
        sample_messages: sample,
        sample_ceiling_per_s: 30,
        sample_achieved_per_s: round(slow.rate),
        sample_rate_ratio: round(slow.rate / 30),
        sample_http_429: slow.http429,
        sample_duplicates: slow.duplicates,
        sample_lost: slow.lost,
      },
    };
  } finally {
    await deleteKeys(redis, prefix).catch(() => 0);
    await drop();
  }
}

async function run(): Promise<BenchResult> {
  const databases = benchDatabases("BENCH_BULK_DATABASES");
  const prefix = `sapa-bench-${crypto.randomBytes(4).toString("hex")}`;
  const redis = createRedis(redisUrl);
  let metrics: Record<string, number> = { messages, ceiling_per_s: ceiling };
  let sampled: Record<string, number> = {};
  try {
    for (const [i, provider] of databases.entries()) {
      const { main, sample } = await databaseRound(provider, redis, `${prefix}:${provider}`, i === 0);
      metrics = { ...metrics, ...metricsOf(provider, main) };
      sampled = { ...sampled, ...sample };
    }
  } finally {
    await deleteKeys(redis, prefix).catch(() => 0);
    await redis.quit();
  }
  return {
    name: "bulk",
    date: new Date().toISOString(),
    node: process.version,
    database: databases.join("+"),
    metrics: { ...metrics, ...sampled },
  };
}

export const bulk: Benchmark = {
  name: "bulk",
  description: `${messages} messages to distinct Telegram chats through the outbox against a fake Bot API capped at ${ceiling}/s (429 above), then ${sample} at 30/s`,
  run,
};
