/**
 * A broadcast survives its worker being killed with SIGKILL mid-way: the real application runs
 * as a child process against the fake Telegram Bot API, is killed when about a third has gone
 * out, and a new one with the same settings finishes the job. Everybody gets the message, at
 * most the sends that were in flight go twice, nobody outside the segment gets it, and the
 * ledger has one row per recipient.
 *
 * The sends in flight at the kill stay with BullMQ jobs the dead process left "active", which
 * BullMQ's stalled check would release only a minute or more later; the reconcile pass puts
 * their rows back to pending after OUTBOX_STUCK_SECONDS (5 s here) and gives them jobs of their
 * own at once, so the broadcast is done about 12 s after the kill.
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database, type DatabaseProvider } from "../../src/db/database.js";
import { createApiToken } from "../../src/domain/staff.js";
import { outboxQueueName } from "../../src/jobs/outbox-queue.js";
import { createTestDatabaseUrl, providers, removeTestDatabase } from "../support/databases.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addParticipants, addStaff } from "../support/population.js";
import { connectRedis, deletePrefix, redisUrl, testPrefix } from "../support/redis.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import { spawnApp, type AppProcess } from "./support/app-process.js";
import { startLatencyProxy } from "./support/latency-proxy.js";

const recipients = 600;
const firstChatId = 700_000;
const outsiders = 5;
const outsiderChatId = 800_000;
const regency = "Kabupaten Bangka Barat";
const text = "Uji siaran: pekerja dimatikan di tengah jalan.";
const bulkPerSecond = 50;
/** Sends in flight in the killed process: telegramPacing's bulk concurrency at 50 a second. */
const bulkConcurrency = Math.min(64, Math.max(4, Math.ceil(bulkPerSecond / 10)));
/** Telegram's answer to a send reaches the bot this late, so the kill finds sends in flight. */
const answerDelayMs = 100;

/** Every child started, so none outlives the file even if a scenario is abandoned. */
const children: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
});

/** Runs `steps` in order, each whatever became of the ones before. */
async function cleanUp(steps: (() => unknown)[]): Promise<void> {
  for (const step of steps)
    await Promise.resolve()
      .then(step)
      .catch((err: unknown) => console.error(err));
}

async function scenario(provider: DatabaseProvider): Promise<void> {
  const started = Date.now();
  const timeline: string[] = [];
  const note = (line: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  const cleanups: (() => unknown)[] = [];
  try {
    const fake: FakeTelegram = await startFakeTelegram();
    cleanups.unshift(() => fake.close());
    const proxy = await startLatencyProxy({ target: fake.url, methods: ["sendMessage"], delayMs: answerDelayMs });
    cleanups.unshift(() => proxy.close());
    const dbUrl = await createTestDatabaseUrl(provider);
    cleanups.unshift(() => removeTestDatabase(dbUrl));
    const database: Database = openDatabase(dbUrl);
    cleanups.unshift(() => database.close());
    const prefix = testPrefix();
    const redis: Redis = connectRedis();
    cleanups.unshift(() => redis.quit());
    cleanups.unshift(() => deletePrefix(redis, prefix));
    const bulkQueue = new Queue(outboxQueueName("telegram", "bulk"), { connection: redis, prefix });
    cleanups.unshift(() => bulkQueue.close());
    const mine: AppProcess[] = [];
    cleanups.unshift(() => Promise.all(mine.map((c) => c.kill())));

    const db = database.prisma;
    const participantIds = await addParticipants(db, recipients, { channel: "telegram", firstChatId, regency });
    await addParticipants(db, outsiders, {
      channel: "telegram",
      firstChatId: outsiderChatId,
      regency: "Kota Pangkalpinang",
    });
    const staffId = await addStaff(db, "Sari");
    const { token } = await createApiToken(db, staffId, "crash test");
    const env = {
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: proxy.url,
      TELEGRAM_BULK_PER_SECOND: String(bulkPerSecond),
      QUIET_HOURS: "off",
      MOTIVATION_SCHEDULE: "off",
      LOG_LEVEL: "warn",
      RECONCILE_INTERVAL_SECONDS: "2",
      OUTBOX_STUCK_SECONDS: "5",
    };

    /** How many times each chat got the broadcast's text. */
    const deliveries = () => {
      const counts = new Map<number, number>();
      for (const m of fake.sent)
        if (m.method === "sendMessage" && m.text === text) counts.set(m.chatId, (counts.get(m.chatId) ?? 0) + 1);
      return counts;
    };

    const start = async () => {
      const child = spawnApp(env);
      children.push(child);
      mine.push(child);
      await child.ready();
      note(`application ${mine.length} (pid ${child.pid}) is up`);
      return child;
    };

    /** One line on where the rows and the paced queue's jobs are. */
    const snapshot = async (label: string) => {
      const outbox = await db.outboxItem.groupBy({ by: ["status"], _count: { _all: true } });
      const ledger = await db.broadcastRecipient.groupBy({ by: ["status"], _count: { _all: true } });
      const jobs = await bulkQueue.getJobCounts("active", "prioritized", "wait", "delayed", "completed", "failed");
      // Active jobs whose lock has expired belong to the dead process; BullMQ's stalled check
      // moves them back only once it has seen them in its "stalled" set on an earlier pass.
      const active = await bulkQueue.getRanges(["active"], 0, -1);
      const key = (id: string) => `${prefix}:${bulkQueue.name}:${id}`;
      const dead = (await Promise.all(active.map(async (id) => ((await redis.exists(`${key(id)}:lock`)) ? [] : [id]))))
        .flat()
        .sort();
      const stalled = (await redis.smembers(`${prefix}:${bulkQueue.name}:stalled`)).sort();
      const counts = (groups: { status: string; _count: { _all: number } }[]) =>
        groups.map((g) => `${g.status} ${g._count._all}`).join(", ");
      note(
        `${label}: delivered to ${deliveries().size}; outbox {${counts(outbox)}}; ledger {${counts(ledger)}}; ` +
          `bulk jobs ${JSON.stringify(jobs)}; active without a lock [${dead.join(" ")}]; ` +
          `in the stalled set [${stalled.join(" ")}]`,
      );
    };

    const api = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${mine.at(-1)!.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as { id: number; status: string };
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };

    const first = await start();
    const created = await api("POST", "/api/broadcasts", {
      title: "Uji mati mendadak",
      textId: text,
      filter: { regencies: [regency] },
    });
    expect(created.status).toBe("draft");
    const scheduled = await api("POST", `/api/broadcasts/${created.id}/schedule`, {});
    // Sending now: the job that starts it may or may not have run yet.
    expect(["scheduled", "sending"]).toContain(scheduled.status);
    note(`broadcast ${created.id} scheduled`);

    // Kill the worker when about a third has gone out.
    await waitFor(() => deliveries().size >= recipients / 3, 30_000, "a third delivered");
    await first.kill();
    const killedAt = Date.now();
    note("application 1 killed with SIGKILL");
    const atKill = deliveries();
    const sending = await db.outboxItem.findMany({ where: { status: "sending" }, select: { id: true, chatId: true } });
    note(
      `at the kill: ${atKill.size} chats had it; outbox rows in "sending": ` +
        `${sending.map((r) => `${r.id}→${r.chatId}`).join(" ") || "none"}` +
        ` (${sending.filter((r) => atKill.has(Number(r.chatId))).length} of them had reached Telegram)`,
    );
    await snapshot("after the kill");
    // The run really was interrupted.
    expect(atKill.size).toBeGreaterThan(0);
    expect(atKill.size).toBeLessThan(recipients);

    const second = await start();
    let nextSnapshot = Date.now();
    let allDelivered = false;
    await waitFor(
      async () => {
        if (Date.now() >= nextSnapshot) {
          nextSnapshot = Date.now() + 10_000;
          await snapshot("recovering");
        }
        if (!allDelivered && deliveries().size === recipients) {
          allDelivered = true;
          note("every recipient has it");
        }
        if (!allDelivered) return false;
        const b = await db.broadcast.findUnique({ where: { id: created.id }, select: { status: true } });
        return b?.status === "done";
      },
      // OUTBOX_STUCK_SECONDS (5) and RECONCILE_INTERVAL_SECONDS (2), then the rest at 50 a second.
      60_000,
      "every recipient served and the broadcast done",
    ).catch(async (err: unknown) => {
      await snapshot("gave up");
      note(`application 2 output:\n${second.output()}`);
      throw err;
    });
    note(`the broadcast is done, ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);

    const counts = deliveries();
    const chats = Array.from({ length: recipients }, (_, i) => firstChatId + i);
    // Everybody at least once.
    expect(chats.filter((c) => !counts.has(c))).toEqual([]);
    // Twice at most, and only as many as there were sends in flight when it was killed.
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([chatId, n]) => `${chatId}×${n}`);
    note(`duplicates (${duplicates.length}, at most ${bulkConcurrency}): ${duplicates.join(" ") || "none"}`);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    expect(duplicates.length).toBeLessThanOrEqual(bulkConcurrency);
    // Nobody outside the segment.
    const segment = new Set(chats);
    expect([...counts.keys()].filter((c) => !segment.has(c))).toEqual([]);
    expect(fake.sent.filter((m) => m.chatId >= outsiderChatId && m.chatId < outsiderChatId + outsiders)).toEqual([]);

    // The ledger: one row per recipient, each with its message, sent.
    const ledger = await db.broadcastRecipient.findMany({
      where: { broadcastId: created.id },
      select: { participantId: true, status: true, messageId: true },
    });
    expect(ledger).toHaveLength(recipients);
    expect(new Set(ledger.map((r) => r.participantId))).toEqual(new Set(participantIds));
    expect(ledger.filter((r) => r.status !== "queued" || r.messageId === null)).toEqual([]);
    const messages = await db.message.groupBy({
      by: ["status"],
      where: { id: { in: ledger.map((r) => r.messageId!) } },
      _count: { _all: true },
    });
    expect(messages.map((m) => [m.status, m._count._all])).toEqual([["sent", recipients]]);
  } finally {
    await cleanUp(cleanups);
    console.info(`broadcast-crash on ${provider}:\n${timeline.join("\n")}`);
  }
}

// Both databases at once, to keep the file short.
describe.concurrent("a broadcast whose worker is killed with SIGKILL", { timeout: 120_000 }, () => {
  it.each(providers)("on %s reaches everyone, at most the in-flight sends twice, after a restart", scenario);
});
