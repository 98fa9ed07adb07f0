/**
 * The inbound benchmark: simulated participants register and enroll through the whole inbound
 * path (engine, database, outbox jobs enqueued on a real BullMQ/Redis, workers off), on SQLite
 * and on PostgreSQL. In the same run, the same dialogue written as a telegraf WizardScene
 * (bench/inbound/telegraf-baseline.ts) takes the same load, each side on a fresh database of
 * the same kind, migrated, seeded and tuned alike.
 *
 * Participants run through a bounded pool (the same size for both sides), each sending its
 * messages one after another and awaiting each. A turn's latency is the time from handle() (or
 * telegraf's handleUpdate) to its promise resolving. After each side the database must hold
 * every participant and every enrollment, or the run fails: a benchmark that silently did less
 * work would flatter whoever skipped it.
 *
 * BENCH_PARTICIPANTS (default 1000) and BENCH_POOL (default 50) size the run;
 * BENCH_POSTGRES_URL names the server's admin database, REDIS_URL the Redis.
 */
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import { createBot } from "../src/bot.js";
import type { Database, DatabaseProvider } from "../src/db/database.js";
import { createLogger } from "../src/logger.js";
import { ensureCheckInCode } from "../src/domain/check-in-code.js";
import { createRedis } from "../src/redis.js";
import { createTelegrafBaseline, participantUpdates } from "./inbound/telegraf-baseline.js";
import type { BenchResult, Benchmark } from "./run.js";
import {
  benchDatabases,
  letterName,
  deleteKeys,
  freshDatabase,
  percentile,
  positiveInt,
  profileWindow,
  round,
} from "./support.js";

const participants = positiveInt(process.env.BENCH_PARTICIPANTS, 1000);
const poolSize = positiveInt(process.env.BENCH_POOL, 50);
/** BENCH_INBOUND_SIDES (ours,telegraf,telegraf_redis by default) runs some sides only, to profile one; ratios need all. */
const sides = new Set((process.env.BENCH_INBOUND_SIDES ?? "ours,telegraf,telegraf_redis").split(","));
const withPeers = sides.has("ours") && sides.has("telegraf") && sides.has("telegraf_redis");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Every session gets this many seats, so every participant is enrolled rather than waitlisted. */
const seats = 100_000;

const progress = (line: string) => console.error(`[inbound] ${line}`);

/** The 13 messages one participant sends on our side: registration, then enrollment from the menu. */
function ourDialogue(i: number): string[] {
  return [
    "halo",
    "ya", // consent
    letterName(i),
    `Usaha ${i}`,
    "1", // sector: lada
    "4", // regency: Kabupaten Bangka Tengah
    `0812${String(i).padStart(8, "0")}`,
    "2", // NIB: skip
    "ya", // save
    "1", // menu: daftar pelatihan
    "1", // the first programme offered
    "1", // its first session
    "ya", // confirm
  ];
}

type Measured = { turns: number; wallMs: number; latencies: number[]; checkIn?: Measured };

/**
 * Runs `participants` dialogues, at most `poolSize` at once. `dialogue(i, timed)` sends
 * participant i's messages in order, wrapping each send in `timed`.
 */
async function runPool(dialogue: (i: number, timed: <T>(send: () => Promise<T>) => Promise<T>) => Promise<void>) {
  const latencies: number[] = [];
  const timed = async <T>(send: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await send();
    latencies.push(performance.now() - start);
    return result;
  };
  let next = 0;
  const lane = async () => {
    while (next < participants) await dialogue(next++, timed);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(poolSize, participants) }, lane));
  return { turns: latencies.length, wallMs: performance.now() - start, latencies } satisfies Measured;
}

/** Throws unless every participant is registered and enrolled. */
async function verify(database: Database, side: string): Promise<void> {
  const [registered, enrolled] = await Promise.all([
    database.prisma.participant.count({ where: { registeredAt: { not: null } } }),
    database.prisma.enrollment.count({ where: { status: "enrolled" } }),
  ]);
  if (registered !== participants || enrolled !== participants)
    throw new Error(
      `${side}: expected ${participants} registered participants and ${participants} enrollments, found ${registered} and ${enrolled}`,
    );
}

/** Our side: the inbound runtime of a real bot, outbox jobs enqueued but not sent. */
async function runOurs(database: Database, redis: Redis, queuePrefix: string): Promise<Measured> {
  const bot = await createBot({
    database,
    redis,
    queuePrefix,
    logger: createLogger({ level: "silent" }),
    channels: { telegram: { name: "telegram", buttons: true, send: async () => ({}) } },
    conversationTtlHours: 24,
    defaultLanguage: "id",
    workers: false,
    // BENCH_CHAT_LOCK=off: without the per-chat tickets in Redis, to see what they cost.
    chatLock: process.env.BENCH_CHAT_LOCK !== "off",
  });
  try {
    let batches = 0;
    // Each step's latencies apart: which of the 13 turns makes the tail.
    const bySteps = ourDialogue(0).map(() => [] as number[]);
    const stopProfile = await profileWindow(`inbound-ours-${database.provider}`);
    const measured = await runPool(async (i, timed) => {
      const chatId = String(1_000_000 + i);
      for (const [n, text] of ourDialogue(i).entries()) {
        const began = performance.now();
        const result = await timed(() =>
          bot.runtime.handle({
            channel: "telegram",
            chatId,
            senderId: chatId,
            platformMessageId: `${chatId}-${n + 1}`,
            receivedAt: new Date(),
            text,
          }),
        );
        bySteps[n]!.push(performance.now() - began);
        if (result.status !== "processed") throw new Error(`participant ${i}, message ${n + 1}: ${result.status}`);
        if (result.outboxIds.length) batches++;
      }
    });
    await stopProfile();
    await stopProfile();
    progress(
      `ours on ${database.provider}: p50 / p99 ms by step: ` +
        bySteps
          .map((l, n) => {
            const s = [...l].sort((a, b) => a - b);
            return `${n + 1} ${round(percentile(s, 50))}/${round(percentile(s, 99))}`;
          })
          .join(", "),
    );
    await verify(database, `ours on ${database.provider}`);
    // Every turn with a reply must have put its job on the queue.
    const counts = await bot.outbox.queue("telegram").getJobCounts();
    const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
    if (jobs !== batches)
      throw new Error(`ours on ${database.provider}: ${batches} outbox batches, ${jobs} jobs queued`);
    return { ...measured, checkIn: await checkInEveryone(database, bot) };
  } finally {
    await bot.close();
  }
}

/**
 * Then the day of the training: the session everyone enrolled in is moved to start in half an
 * hour (check-in is open from an hour before), and every participant types its check-in code, at
 * most `poolSize` at once, as at the door of a venue. Measured apart from the dialogue (the
 * peers have no check-in), and verified: everyone must be marked attended.
 */
async function checkInEveryone(database: Database, bot: Awaited<ReturnType<typeof createBot>>): Promise<Measured> {
  const sessions = await database.prisma.enrollment.groupBy({ by: ["trainingSessionId"], _count: true });
  const now = Date.now();
  for (const { trainingSessionId } of sessions)
    await database.prisma.trainingSession.update({
      where: { id: trainingSessionId },
      data: { startsAt: new Date(now + 30 * 60_000), endsAt: new Date(now + 4 * 3_600_000) },
    });
  const codeOf = new Map<number, string>();
  for (const { trainingSessionId } of sessions)
    codeOf.set(trainingSessionId, (await ensureCheckInCode(database.prisma, trainingSessionId))!);
  const sessionOf = new Map(
    (
      await database.prisma.enrollment.findMany({
        select: { trainingSessionId: true, participant: { select: { identities: { select: { chatId: true } } } } },
      })
    ).flatMap((e) => (e.participant?.identities ?? []).map((i) => [i.chatId, e.trainingSessionId] as const)),
  );
  const measured = await runPool(async (i, timed) => {
    const chatId = String(1_000_000 + i);
    const result = await timed(() =>
      bot.runtime.handle({
        channel: "telegram",
        chatId,
        senderId: chatId,
        platformMessageId: `${chatId}-hadir`,
        receivedAt: new Date(),
        text: `HADIR ${codeOf.get(sessionOf.get(chatId)!)}`,
      }),
    );
    if (result.status !== "processed" || !result.outboxIds.length)
      throw new Error(`participant ${i}, check-in: ${result.status}`);
  });
  const attended = await database.prisma.enrollment.count({
    where: { status: "attended", checkedInAt: { not: null } },
  });
  if (attended !== participants)
    throw new Error(`ours on ${database.provider}: ${attended} of ${participants} checked in`);
  return measured;
}

/** The telegraf baseline: the same dialogue as Telegram updates through bot.handleUpdate. */
async function runTelegraf(database: Database, keyPrefix: string, sessions: "database" | "redis"): Promise<Measured> {
  const baseline = await createTelegrafBaseline({
    prisma: database.prisma,
    provider: database.provider,
    sessions,
    redisUrl,
    keyPrefix,
  });
  try {
    const programme = await database.prisma.programme.findFirstOrThrow({
      where: { active: true },
      orderBy: { id: "asc" },
    });
    const session = await database.prisma.trainingSession.findFirstOrThrow({
      where: { programmeId: programme.id, status: "scheduled", startsAt: { gt: new Date() } },
      orderBy: { id: "asc" },
    });
    const measured = await runPool(async (i, timed) => {
      const userId = 1_000_000 + i;
      for (const update of participantUpdates(userId, i * 100 + 1, session.id, programme.id))
        await timed(() => baseline.handleUpdate(update));
    });
    await verify(database, `telegraf on ${database.provider}`);
    return measured;
  } finally {
    await baseline.close();
  }
}

/** One side on one fresh database, with a progress line before and after. */
async function phase(
  provider: DatabaseProvider,
  side: string,
  run: (database: Database) => Promise<Measured>,
): Promise<Measured> {
  progress(`${side} on ${provider}: preparing a fresh database`);
  const { database, drop } = await freshDatabase(provider, side.replace(/\W+/g, "_"), seats);
  try {
    progress(`${side} on ${provider}: ${participants} participants, ${poolSize} at once`);
    const m = await run(database);
    const s = summarize(m);
    progress(
      `${side} on ${provider}: ${m.turns} turns in ${(m.wallMs / 1000).toFixed(1)} s, ${s.turnsPerS} turns/s, p50 ${s.p50} ms, p99 ${s.p99} ms`,
    );
    if (m.checkIn) {
      const c = summarize(m.checkIn);
      progress(
        `${side} on ${provider}: ${m.checkIn.turns} check-ins, ${c.turnsPerS}/s, p50 ${c.p50} ms, p99 ${c.p99} ms`,
      );
    }
    return m;
  } finally {
    await drop();
  }
}

function summarize(m: Measured): { turnsPerS: number; p50: number; p99: number } {
  const sorted = [...m.latencies].sort((a, b) => a - b);
  return {
    turnsPerS: round(m.turns / (m.wallMs / 1000)),
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
  };
}

async function run(): Promise<BenchResult> {
  /** BENCH_INBOUND_DATABASES=sqlite (or postgresql) runs one side only. */
  const databases = benchDatabases("BENCH_INBOUND_DATABASES");
  const prefix = `sapa-bench-${crypto.randomBytes(4).toString("hex")}`;
  const redis = createRedis(redisUrl);
  const metrics: Record<string, number> = {};
  try {
    const results: Record<string, Measured> = {};
    for (const provider of databases) {
      const kind = provider === "sqlite" ? "sqlite" : "postgres";
      if (sides.has("ours"))
        results[kind] = await phase(provider, "ours", (db) => runOurs(db, redis, `${prefix}:${kind}`));
      // The peer the issue names: its session on the same database. Then the same with its
      // session in Redis, for reference (the comparison before 2026-12-03).
      if (sides.has("telegraf"))
        results[`telegraf_${kind}`] = await phase(provider, "telegraf", (db) =>
          runTelegraf(db, `${prefix}:telegraf-${kind}:`, "database"),
        );
      if (sides.has("telegraf_redis"))
        results[`telegraf_redis_${kind}`] = await phase(provider, "telegraf, session in Redis", (db) =>
          runTelegraf(db, `${prefix}:telegraf-redis-${kind}:`, "redis"),
        );
    }
    for (const [label, m] of Object.entries(results)) {
      const s = summarize(m);
      metrics[`${label}_turns_per_s`] = s.turnsPerS;
      metrics[`${label}_p50_ms`] = s.p50;
      metrics[`${label}_p99_ms`] = s.p99;
      if (m.checkIn) {
        // The turn that records a check-in, beside the registration and enrollment turns above.
        const c = summarize(m.checkIn);
        metrics[`${label}_checkin_p50_ms`] = c.p50;
        metrics[`${label}_checkin_p99_ms`] = c.p99;
      }
    }
    const ratio = (ours: string, peer: string) =>
      round(metrics[`${ours}_turns_per_s`]! / metrics[`${peer}_turns_per_s`]!);
    if (results.sqlite && withPeers) {
      metrics.ratio_vs_telegraf = ratio("sqlite", "telegraf_sqlite");
      metrics.ratio_vs_telegraf_redis_session = ratio("sqlite", "telegraf_redis_sqlite");
    }
    if (results.postgres && withPeers) {
      metrics.ratio_vs_telegraf_postgres = ratio("postgres", "telegraf_postgres");
      metrics.ratio_vs_telegraf_redis_session_postgres = ratio("postgres", "telegraf_redis_postgres");
    }
  } finally {
    const deleted = await deleteKeys(redis, prefix).catch((err: unknown) => {
      progress(`could not delete the Redis keys ${prefix}*: ${(err as Error).message}`);
      return 0;
    });
    progress(`deleted ${deleted} Redis keys under ${prefix}`);
    await redis.quit();
  }
  return {
    name: "inbound",
    date: new Date().toISOString(),
    node: process.version,
    database: databases.join("+"),
    metrics,
  };
}

export const inbound: Benchmark = {
  name: "inbound",
  description: `${participants} participants register and enroll: our inbound path vs a telegraf WizardScene, on SQLite and PostgreSQL`,
  run,
};
