/**
 * The reminders benchmark (issue 5):
 *   schedule_per_s   100,000 reminders of 50,000 enrollments made (rows in the database, then
 *                    delayed jobs in Redis), per second; target at least 5,000
 *   redis_mb         Redis memory the delayed jobs take
 *   reconcile_s      after the queue lost everything (its keys deleted, as FLUSHALL would), the
 *                    reconcile pass that adds every job again; target at most 60
 *   lateness_p50_ms, lateness_p99_ms
 *                    1,000 reminders due in the same second: from the due time to the message
 *                    being queued in the outbox; target p99 at most 2,000
 *
 *   burst_s, burst_ratio
 *                    BENCH_REMINDERS_BURST (default 1000) reminders due in the same second, sent
 *                    through the bot against the fake Bot API capped at Telegram's 30 a second:
 *                    from the due time to the last delivery, and that over what the ceiling
 *                    allows (burst / 30 s); target ratio at most 1.05
 *
 * BENCH_REMINDERS_ENROLLMENTS (default 50000), BENCH_REMINDERS_DUE (default 1000);
 * BENCH_REMINDERS_DATABASE=postgresql runs on PostgreSQL (BENCH_POSTGRES_URL).
 */
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Database, DatabaseProvider } from "../src/db/database.js";
import { forProvider, runAtomically, sqlTime } from "../src/db/raw-sql.js";
import { createRemindersForManyPlan } from "../src/domain/reminders.js";
import { createReminderWorker, ReminderScheduler } from "../src/jobs/reminders.js";
import { createLogger } from "../src/logger.js";
import { createRedis } from "../src/redis.js";
import type { OutboxBatch } from "../src/outbox/types.js";
import type { Redis } from "ioredis";
import type { BulkStats } from "./bulk/fake-telegram-process.js";
import { forkFakeBotApi } from "./fake-bot-api/parent.js";
import type { BenchResult, Benchmark } from "./run.js";
import { deleteKeys, freshDatabase, percentile, positiveInt, round, sendingTelegramBot } from "./support.js";

const enrollments = positiveInt(process.env.BENCH_REMINDERS_ENROLLMENTS, 50_000);
const dueTogether = positiveInt(process.env.BENCH_REMINDERS_DUE, 1000);
const burst = positiveInt(process.env.BENCH_REMINDERS_BURST, 1000);
/** Telegram's own limit for a bot's messages: about 30 a second. */
const telegramCeiling = 30;
const provider: DatabaseProvider = process.env.BENCH_REMINDERS_DATABASE === "postgresql" ? "postgresql" : "sqlite";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const progress = (line: string) => console.error(`[reminders] ${line}`);

/** A programme with the two default offsets and sessions `daysAhead` days out; returns the session ids. */
async function createSessions(database: Database, count: number, startsAt: Date, capacity: number) {
  const programme = await database.prisma.programme.create({
    data: {
      slug: `bench-${crypto.randomBytes(3).toString("hex")}`,
      sector: "lada",
      titleId: "Pelatihan Uji",
      titleEn: "Bench Training",
      descriptionId: "-",
      descriptionEn: "-",
      reminderOffsets: [
        { kind: "day-before", at: "09:00" },
        { kind: "before", minutes: 120 },
      ],
    },
  });
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = await database.prisma.trainingSession.create({
      data: {
        code: `${programme.slug}-${i}`,
        programmeId: programme.id,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 6 * 3_600_000),
        venue: "Aula",
        address: "Pangkalpinang",
        regency: "Kota Pangkalpinang",
        mapUrl: "https://maps.example.org/aula",
        capacity,
      },
    });
    ids.push(s.id);
  }
  return ids;
}

/** `count` participants, each with a chat and an enrollment in one of the sessions; returns the enrollment ids. */
/**
 * Participants enrolled in the sessions, each with a chat: on the web chat by default, or on
 * Telegram with chat ids from `firstTelegramChat` on.
 */
async function createEnrollments(
  database: Database,
  sessionIds: number[],
  count: number,
  tag: string,
  firstTelegramChat: number | null = null,
) {
  const p = database.provider;
  const at = sqlTime(new Date(), p);
  const ids: number[] = [];
  for (let start = 0; start < count; start += 500) {
    const n = Math.min(500, count - start);
    const chunk = await runAtomically(database, function* () {
      const out: number[] = [];
      for (let i = start; i < start + n; i++) {
        const participant = (yield {
          kind: "all",
          sql: sql(
            p,
            `INSERT INTO "Participant" (name, language, "registeredAt", "createdAt", "updatedAt")
            VALUES ($1, 'id', $2::timestamp(3), $3::timestamp(3), $4::timestamp(3)) RETURNING id`,
          ),
          params: [`Peserta ${tag}${i}`, at, at, at],
        }) as { id: number }[];
        const pid = participant[0]!.id;
        yield {
          kind: "run",
          sql: sql(
            p,
            `INSERT INTO "ChannelIdentity" (channel, "platformUserId", "chatId", "participantId", "lastInboundAt", "createdAt", "updatedAt")
            VALUES ($1, $2, $3, $4, $5::timestamp(3), $6::timestamp(3), $7::timestamp(3))`,
          ),
          params: [
            firstTelegramChat === null ? "web" : "telegram",
            ...Array(2).fill(firstTelegramChat === null ? `${tag}${i}` : String(firstTelegramChat + i)),
            pid,
            at,
            at,
            at,
          ],
        };
        const enrollment = (yield {
          kind: "all",
          sql: sql(
            p,
            `INSERT INTO "Enrollment" ("participantId", "trainingSessionId", status, "createdAt", "updatedAt")
            VALUES ($1, $2, 'enrolled', $3::timestamp(3), $4::timestamp(3)) RETURNING id`,
          ),
          params: [pid, sessionIds[i % sessionIds.length], at, at],
        }) as { id: number }[];
        out.push(enrollment[0]!.id);
      }
      return out;
    });
    ids.push(...chunk);
  }
  return ids;
}

const sql = (p: DatabaseProvider, text: string) => forProvider(text, p);

async function run(): Promise<BenchResult> {
  const prefix = `sapa-bench-${crypto.randomBytes(4).toString("hex")}`;
  const redis = createRedis(redisUrl);
  const { database, drop } = await freshDatabase(provider, "reminders");
  const metrics: Record<string, number> = {};
  const scheduler = new ReminderScheduler(redis, prefix, database, "bench");
  try {
    // 1. Schedule: rows for 50,000 enrollments (two offsets each), then their delayed jobs.
    const farAway = new Date(Date.now() + 10 * 86_400_000);
    const sessions = await createSessions(database, 50, farAway, enrollments);
    progress(`creating ${enrollments} participants and enrollments`);
    const ids = await createEnrollments(database, sessions, enrollments, "r");
    const memoryBefore = await usedMemory(redis);
    progress(`scheduling the reminders of ${ids.length} enrollments`);
    const started = performance.now();
    let scheduled = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const reminders = await runAtomically(database, () =>
        createRemindersForManyPlan(database.provider, chunk, new Date()),
      );
      await scheduler.schedule(reminders);
      scheduled += reminders.length;
    }
    const scheduleS = (performance.now() - started) / 1000;
    metrics.reminders = scheduled;
    metrics.schedule_per_s = round(scheduled / scheduleS);
    metrics.redis_mb = round(((await usedMemory(redis)) - memoryBefore) / 1_048_576);
    progress(`${scheduled} reminders in ${scheduleS.toFixed(2)} s; Redis grew by ${metrics.redis_mb} MB`);

    // 2. Redis loses the queue; reconcile adds every job again.
    await scheduler.queue.obliterate({ force: true });
    const reconcileStart = performance.now();
    const { added } = await scheduler.reconcile();
    metrics.reconcile_s = round((performance.now() - reconcileStart) / 1000);
    metrics.reconciled = added;
    progress(`reconcile added ${added} jobs in ${metrics.reconcile_s} s`);
    await scheduler.queue.obliterate({ force: true });

    // 3. 1,000 reminders due in the same second.
    const soon = new Date(Date.now() + 120 * 60_000 + 5000);
    const [session] = await createSessions(database, 1, soon, dueTogether);
    const dueIds = await createEnrollments(database, [session!], dueTogether, "d");
    const dueReminders = await runAtomically(database, () =>
      createRemindersForManyPlan(database.provider, dueIds, new Date()),
    );
    const dueAt = dueReminders[0]!.dueAt.getTime();
    const lateness: number[] = [];
    const sink = {
      async enqueue(batch: OutboxBatch) {
        lateness.push(Date.now() - dueAt);
        void batch;
      },
    };
    const worker = createReminderWorker({
      connection: redis,
      prefix,
      database,
      namespace: "bench",
      outbox: sink,
      logger: createLogger({ level: "warn" }),
    });
    await scheduler.schedule(dueReminders);
    progress(`${dueReminders.length} reminders due at ${new Date(dueAt).toISOString()}`);
    const deadline = Date.now() + 120_000;
    while (lateness.length < dueReminders.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await worker.close();
    const sorted = [...lateness].sort((a, b) => a - b);
    metrics.due_together = dueReminders.length;
    metrics.queued = lateness.length;
    metrics.lateness_p50_ms = round(percentile(sorted, 50));
    metrics.lateness_p99_ms = round(percentile(sorted, 99));
    progress(
      `${lateness.length} queued; lateness p50 ${metrics.lateness_p50_ms} ms, p99 ${metrics.lateness_p99_ms} ms`,
    );

    // 4. A burst of reminders due together, sent through the bot at Telegram's 30 a second.
    Object.assign(metrics, await burstAtTelegramRate(database, redis, `${prefix}:burst`));
  } finally {
    await scheduler.close();
    await deleteKeys(redis, prefix).catch(() => 0);
    await redis.quit();
    await drop();
  }
  return { name: "reminders", date: new Date().toISOString(), node: process.version, database: provider, metrics };
}

/**
 * `burst` reminders due in the same second, the whole way: the reminder worker fires them, the
 * outbox's paced lane sends them through telegraf to the fake Bot API capped at 30 a second (429
 * above), the bot's bulk rate set to the same 30. The ceiling allows them in burst / 30 seconds;
 * burst_ratio is the time from the due time to the last delivery over that (target at most 1.05).
 */
async function burstAtTelegramRate(database: Database, redis: Redis, prefix: string): Promise<Record<string, number>> {
  const fake = await forkFakeBotApi(
    new URL("./bulk/fake-telegram-process.ts", import.meta.url),
    telegramCeiling,
    "reminders",
  );
  const { bot, telegram } = await sendingTelegramBot(database, redis, prefix, fake, telegramCeiling);
  try {
    const soon = new Date(Date.now() + 120 * 60_000 + 5000);
    const [session] = await createSessions(database, 1, soon, burst);
    const firstChat = 4_000_000;
    const ids = await createEnrollments(database, [session!], burst, "b", firstChat);
    const reminders = await runAtomically(database, () =>
      createRemindersForManyPlan(database.provider, ids, new Date()),
    );
    const dueAt = reminders[0]!.dueAt.getTime();
    await bot.reminders.schedule(reminders);
    progress(`${reminders.length} reminders due at ${new Date(dueAt).toISOString()}, sent at ${telegramCeiling}/s`);
    const allowedS = reminders.length / telegramCeiling;
    const deadline = Date.now() + (dueAt - Date.now()) + allowedS * 3000 + 30_000;
    let stats = await fake.ask<BulkStats>({ type: "stats" });
    while (stats.delivered < reminders.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      stats = await fake.ask<BulkStats>({ type: "stats" });
    }
    await new Promise((r) => setTimeout(r, 500));
    stats = await fake.ask<BulkStats>({ type: "stats" });
    const expected = new Set(Array.from({ length: reminders.length }, (_, i) => firstChat + i));
    const reached = stats.chatIds.filter((c) => expected.has(c)).length;
    const tookS = (stats.last - dueAt) / 1000;
    progress(
      `${stats.delivered} delivered ${tookS.toFixed(2)} s after they fell due (the ceiling allows ${allowedS.toFixed(2)} s), ${stats.http429} answered 429`,
    );
    return {
      burst: reminders.length,
      burst_ceiling_per_s: telegramCeiling,
      burst_s: round(tookS),
      burst_allowed_s: round(allowedS),
      burst_ratio: round(tookS / allowedS),
      burst_first_ms: Math.round(stats.first - dueAt),
      burst_http_429: stats.http429,
      burst_duplicates: stats.duplicates,
      burst_lost: reminders.length - reached,
    };
  } finally {
    await bot.close();
    await telegram.stop?.();
    await fake.close();
  }
}

async function usedMemory(redis: ReturnType<typeof createRedis>): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

export const reminders: Benchmark = {
  name: "reminders",
  description: `reminders of ${enrollments} enrollments scheduled, reconciled after Redis lost them, and ${dueTogether} due in the same second`,
  run,
};
