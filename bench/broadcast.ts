/**
 * The broadcast benchmark: a staff broadcast to every registered participant of one regency,
 * the whole way (the service schedules it, the broadcast worker fills the ledger and fans out in
 * chunks onto the outbox's paced bulk lane, the outbox workers send through telegraf), against
 * the fake Bot API in a process of its own, capped at a rate above which it answers 429. The
 * bot's bulk rate is set to the same ceiling, as an operator would set it to Telegram's limit,
 * and the bot receives by long polling as in production. Meanwhile other participants, not in
 * the broadcast, write to the bot through the same fake server and wait for its answers.
 *
 *   first_send_ms  from schedule() to the first broadcast message the server accepted; <= 1000
 *   rate_ratio     delivered / time from first to last delivery / ceiling; >= 0.95
 *   duplicates     broadcast messages a chat got more than once; 0
 *   lost           recipients the broadcast never reached (after it is done, or a timeout); 0
 *   http_429       429 answers (replies and broadcast alike)
 *   reply_p95_ms   from a writer's message being available to getUpdates to the first
 *                  sendMessage to that chat the server accepted; <= 1000 (and reply_p50_ms)
 *
 * BENCH_BROADCAST_RECIPIENTS (default 10000) at BENCH_BROADCAST_CEILING (default 1000) a second,
 * BENCH_BROADCAST_WRITERS (default 100) writing BENCH_BROADCAST_WRITER_MESSAGES (default 3)
 * messages each, spread over the time the broadcast should take, on each database of
 * BENCH_BROADCAST_DATABASES (default sqlite,postgresql; PostgreSQL on BENCH_POSTGRES_URL), each a
 * fresh database with a fresh Redis prefix and fake server: SQLite's metrics under the names
 * above, PostgreSQL's prefixed postgres_ (postgres_rate_ratio, postgres_reply_p95_ms).
 */
import crypto from "node:crypto";
import type { Redis } from "ioredis";
import { createBot } from "../src/bot.js";
import { createTelegramAdapter } from "../src/channels/telegram.js";
import type { DatabaseProvider } from "../src/db/database.js";
import { telegramPacing } from "../src/outbox/pacing.js";
import { createLogger } from "../src/logger.js";
import { createRedis } from "../src/redis.js";
import type { BroadcastStats, StatsRequest } from "./broadcast/fake-telegram-process.js";
import { forkFakeBotApi, type FakeBotApi } from "./fake-bot-api/parent.js";
import { addParticipants } from "../test/support/population.js";
import type { BenchResult, Benchmark } from "./run.js";
import {
  benchDatabases,
  deleteKeys,
  freshDatabase,
  metricsOf,
  percentile,
  positiveInt,
  profileWindow,
  round,
} from "./support.js";

const recipients = positiveInt(process.env.BENCH_BROADCAST_RECIPIENTS, 10_000);
const ceiling = positiveInt(process.env.BENCH_BROADCAST_CEILING, 1000);
const writers = positiveInt(process.env.BENCH_BROADCAST_WRITERS, 100);
const writerMessages = positiveInt(process.env.BENCH_BROADCAST_WRITER_MESSAGES, 3);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** The broadcast goes to this regency; the writers live in another, so the filter leaves them out. */
const broadcastRegency = "Kabupaten Bangka Tengah";
const writerRegency = "Kota Pangkalpinang";
/** Chat ids: recipients from here, writers from writerChat, so the two never mix. */
const recipientChat = 1_000_000;
const writerChat = 3_000_000;
/** Any message the bot answers will do; these are what people type most. */
const writerTexts = ["menu", "bantuan"];

const progress = (line: string) => console.error(`[broadcast] ${line}`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts the fake Bot API in a child process; resolves with its address and a way to talk to it. */
const startFake = (ratePerSecond: number) =>
  forkFakeBotApi(new URL("./broadcast/fake-telegram-process.ts", import.meta.url), ratePerSecond, "broadcast");

/**
 * One writer: `writerMessages` messages, the k-th at a random moment of the k-th slice of
 * `spanMs` from `t0`, but never before the bot has answered the previous one (a person reads the
 * answer before typing again). Resolves with how many messages got no answer within 30 s.
 */
async function writer(fake: FakeBotApi, chatId: number, t0: number, spanMs: number): Promise<number> {
  let unanswered = 0;
  const slice = spanMs / writerMessages;
  for (let k = 0; k < writerMessages; k++) {
    const at = t0 + slice * (k + Math.random());
    await sleep(Math.max(0, at - Date.now()));
    if (!(await fake.userWrites(chatId, writerTexts[k % writerTexts.length]!, 30_000))) unanswered++;
  }
  return unanswered;
}

/**
 * The broadcast and the writers on one fresh database, under its own Redis prefix (deleted
 * afterwards), against a fake server of its own. Metrics under SQLite's names.
 */
async function databaseRound(
  provider: DatabaseProvider,
  redis: Redis,
  prefix: string,
): Promise<Record<string, number>> {
  progress(`${provider}: preparing a fresh database`);
  const { database, drop } = await freshDatabase(provider, "broadcast");
  let fake: FakeBotApi | undefined;
  let bot: Awaited<ReturnType<typeof createBot>> | undefined;
  try {
    progress(`${recipients} recipients and ${writers} writers: inserting`);
    await addParticipants(database.prisma, recipients, {
      channel: "telegram",
      firstChatId: recipientChat,
      regency: broadcastRegency,
    });
    await addParticipants(database.prisma, writers, {
      channel: "telegram",
      firstChatId: writerChat,
      regency: writerRegency,
    });
    const staff = await database.prisma.staff.create({
      data: { email: "bench.broadcast@example.go.id", name: "Bench Broadcast", role: "staff", passwordHash: "!" },
    });

    fake = await startFake(ceiling);
    const logger = createLogger({ level: "warn" });
    const telegram = createTelegramAdapter({ token: fake.token, apiRoot: fake.url, redis, prefix, logger });
    const pacing = telegramPacing({
      token: fake.token,
      apiRoot: fake.url,
      publicUrl: null,
      webhookSecret: null,
      bulkPerSecond: ceiling,
      chatGapMs: 1000,
    });
    bot = await createBot({
      database,
      redis,
      queuePrefix: prefix,
      logger,
      channels: { telegram },
      pacing: { telegram: pacing },
      conversationTtlHours: 24,
      defaultLanguage: "id",
      schedule: { motivationCron: null, quietHours: null, weeklyCap: 2 },
    });
    // Long polling starts in the background; writers need it running.
    const pollingBy = Date.now() + 10_000;
    while (bot.channelStatus().telegram?.state !== "ready") {
      if (Date.now() > pollingBy) throw new Error("the bot did not start polling the fake Bot API");
      await sleep(20);
    }

    const draft = await bot.broadcasts.create(staff.id, {
      title: "Bench broadcast",
      textId: "Pengumuman: jadwal pelatihan bulan depan sudah tersedia. Ketik MENU untuk melihatnya.",
      filter: { regencies: [broadcastRegency] },
    });
    const spanMs = (recipients / ceiling) * 1000;
    progress(`broadcast ${draft.id} to ${recipients} at a ceiling of ${ceiling}/s, ${writers} writers: sending`);
    const stopProfile = await profileWindow(`broadcast-${provider}`);
    const t0 = Date.now();
    const writing = Promise.all(Array.from({ length: writers }, (_, w) => writer(fake!, writerChat + w, t0, spanMs)));
    await bot.broadcasts.schedule(staff.id, draft.id, null);
    const scheduledMs = Date.now() - t0;

    // Until the broadcast is done (or a generous timeout), watching the server's count meanwhile.
    const deadline = t0 + Math.max(60_000, spanMs * 5);
    let status = "sending";
    let lastLine = 0;
    while (status !== "done" && Date.now() < deadline) {
      await sleep(500);
      status = (await bot.broadcasts.get(draft.id))?.status ?? "missing";
      if (Date.now() - lastLine > 2000) {
        const s = await fake.ask<BroadcastStats>({
          type: "stats",
          fromChat: recipientChat,
          toChat: writerChat,
        } satisfies StatsRequest);
        progress(
          `${s.delivered}/${recipients} delivered, ${s.replyLatencies.length} replies, ${s.http429} answered 429`,
        );
        lastLine = Date.now();
      }
    }
    const unanswered = (await writing).reduce((a, n) => a + n, 0);
    await stopProfile();
    // A moment more, so a late duplicate would be seen.
    await sleep(500);
    const stats = await fake.ask<BroadcastStats>({
      type: "stats",
      fromChat: recipientChat,
      toChat: writerChat,
    } satisfies StatsRequest);
    const view = await bot.broadcasts.get(draft.id);

    const expected = new Set(Array.from({ length: recipients }, (_, i) => recipientChat + i));
    const reached = stats.chatIds.filter((c) => expected.has(c)).length;
    const seconds = Math.max(0.001, (stats.last - stats.first) / 1000);
    const achieved = stats.delivered / seconds;
    const latencies = [...stats.replyLatencies].sort((a, b) => a - b);
    progress(
      `${stats.delivered} delivered in ${seconds.toFixed(2)} s (status ${status}), first after ${stats.first - t0} ms` +
        ` (schedule() took ${scheduledMs} ms): ${achieved.toFixed(1)}/s, ${stats.http429} answered 429`,
    );
    progress(`delivered in each second from the first: ${stats.perSecond.join(", ")}`);
    if (view && view.progress.sent !== reached)
      progress(`warning: the broadcast says ${view.progress.sent} sent, the fake server saw ${reached} chats`);

    return {
      first_send_ms: Number.isFinite(stats.first) ? stats.first - t0 : -1,
      achieved_per_s: round(achieved),
      rate_ratio: round(achieved / ceiling),
      duplicates: stats.duplicates,
      lost: recipients - reached,
      http_429: stats.http429,
      http_429_pct: round((100 * stats.http429) / Math.max(1, stats.sends)),
      replies: latencies.length,
      unanswered,
      reply_p50_ms: percentile(latencies, 50),
      reply_p95_ms: percentile(latencies, 95),
      reply_max_ms: latencies.at(-1) ?? 0,
    };
  } finally {
    await bot?.close();
    await fake?.close();
    await deleteKeys(redis, prefix).catch(() => 0);
    await drop();
  }
}

async function run(): Promise<BenchResult> {
  const databases = benchDatabases("BENCH_BROADCAST_DATABASES");
  const prefix = `sapa-bench-${crypto.randomBytes(4).toString("hex")}`;
  const redis = createRedis(redisUrl);
  let metrics: Record<string, number> = {
    recipients,
    ceiling_per_s: ceiling,
    writers,
    writer_messages: writers * writerMessages,
  };
  try {
    for (const provider of databases)
      metrics = { ...metrics, ...metricsOf(provider, await databaseRound(provider, redis, `${prefix}:${provider}`)) };
  } finally {
    await deleteKeys(redis, prefix).catch(() => 0);
    await redis.quit();
  }
  return {
    name: "broadcast",
    date: new Date().toISOString(),
    node: process.version,
    database: databases.join("+"),
    metrics,
  };
}

export const broadcast: Benchmark = {
  name: "broadcast",
  description: `a broadcast to ${recipients} Telegram chats against a fake Bot API capped at ${ceiling}/s (429 above), while ${writers} others write to the bot`,
  run,
};
