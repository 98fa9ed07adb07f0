/**
 * What the benchmarks share: fresh databases (migrated, tuned and seeded as the server does),
 * Redis clean-up, percentiles and settings from the environment.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Redis } from "ioredis";
import { openDatabase, tuneSqlite, type Database, type DatabaseProvider } from "../src/db/database.js";
import { migrateDatabase } from "../src/db/migrations.js";
import { seedDatabase } from "../src/domain/seed-database.js";
import { createBot, type Bot } from "../src/bot.js";
import { createTelegramAdapter, type TelegramAdapter } from "../src/channels/telegram.js";
import { createLogger } from "../src/logger.js";
import { telegramPacing } from "../src/outbox/pacing.js";

export const postgresAdminUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

/** `url` too: application processes started by a benchmark need it (Database hides any password). */
export type BenchDatabase = { database: Database; url: string; drop(): Promise<void> };

export const round = (n: number) => Math.round(n * 100) / 100;

/**
 * A fresh database of the given kind: created, migrated, opened, tuned as the server does, seeded,
 * and the seeded sessions' seats set to `seats` (null leaves them).
 */
export async function freshDatabase(
  provider: DatabaseProvider,
  tag: string,
  seats: number | null = 100,
): Promise<BenchDatabase> {
  let url: string;
  let remove: () => Promise<void>;
  if (provider === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-bench-"));
    url = `file:${path.join(dir, "bench.db")}`;
    remove = async () => fs.rmSync(dir, { recursive: true, force: true });
  } else {
    const name = `sapa_bench_${tag}_${crypto.randomBytes(4).toString("hex")}`;
    await withPostgresAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
    const u = new URL(postgresAdminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    remove = () => withPostgresAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {});
  }
  let database: Database | undefined;
  const drop = async () => {
    await database?.close().catch(() => {});
    await remove();
  };
  try {
    await migrateDatabase(url);
    database = openDatabase(url);
    await tuneSqlite(database);
    await seedDatabase(database.prisma);
    if (seats !== null) await database.prisma.trainingSession.updateMany({ data: { capacity: seats } });
    return { database, url, drop };
  } catch (err) {
    await drop();
    throw err;
  }
}

export async function withPostgresAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key starting with `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== "0");
  return deleted;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The databases a benchmark runs on, from the comma list in the environment variable `variable`
 * (`sqlite,postgresql` when unset), each once, in the order given. Throws when it names none:
 * a benchmark that ran on nothing would print an empty table as if it had measured something.
 */
export function benchDatabases(variable: string): DatabaseProvider[] {
  const listed = (process.env[variable] ?? "sqlite,postgresql")
    .split(",")
    .map((d) => d.trim())
    .filter((d): d is DatabaseProvider => d === "sqlite" || d === "postgresql");
  if (!listed.length) throw new Error(`${variable} names no database (sqlite, postgresql or both, comma-separated)`);
  return [...new Set(listed)];
}

/**
 * One database's metrics under the names a result gives them: SQLite's as they are (so results
 * from before PostgreSQL ran alongside still compare), PostgreSQL's prefixed `postgres_`.
 */
export function metricsOf(provider: DatabaseProvider, metrics: Record<string, number>): Record<string, number> {
  if (provider === "sqlite") return metrics;
  return Object.fromEntries(Object.entries(metrics).map(([name, value]) => [`postgres_${name}`, value]));
}

export function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * With BENCH_CPU_PROFILE set to a directory, records a CPU profile of this process from now until
 * the returned function is called, written there as `<tag>.cpuprofile` (open it in Chrome's
 * DevTools); otherwise does nothing.
 */
export async function profileWindow(tag: string): Promise<() => Promise<void>> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return async () => {};
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${tag}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

/**
 * A name of letters for participant i ("Peserta Zbadu"): the bot refuses names with digits. Made
 * of syllables after a Z, so that it never spells a word the bot reads as something else
 * ("Peserta Apa" would be a question, "gjd" is chat for "gak jadi", "zxcv" is keyboard mashing).
 */
export function letterName(i: number): string {
  const syllables = ["ba", "be", "bi", "bo", "bu", "da", "de", "di", "do", "du", "ga", "ge", "gi", "go", "gu"];
  let n = i;
  let out = "";
  do {
    out = syllables[n % syllables.length]! + out;
    n = Math.floor(n / syllables.length);
  } while (n > 0);
  return `Peserta Z${out}`;
}

/**
 * The bot on Telegram alone against a fake Bot API at `fake`, its bulk rate set to the fake's
 * ceiling `perSecond` as an operator would set it to the platform's limit; it sends, and does
 * not receive. Close the bot, then stop the adapter.
 */
export async function sendingTelegramBot(
  database: Database,
  redis: Redis,
  prefix: string,
  fake: { token: string; url: string },
  perSecond: number,
): Promise<{ bot: Bot; telegram: TelegramAdapter }> {
  const logger = createLogger({ level: "warn" });
  const telegram = createTelegramAdapter({ token: fake.token, apiRoot: fake.url, redis, prefix, logger });
  const pacing = telegramPacing({
    token: fake.token,
    apiRoot: fake.url,
    publicUrl: null,
    webhookSecret: null,
    bulkPerSecond: perSecond,
    chatGapMs: 1000,
  });
  const bot = await createBot({
    database,
    redis,
    queuePrefix: prefix,
    logger,
    channels: { telegram },
    pacing: { telegram: pacing },
    conversationTtlHours: 24,
    defaultLanguage: "id",
    receive: false,
  });
  return { bot, telegram };
}
