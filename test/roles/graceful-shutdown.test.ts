/**
 * A rolling restart loses nothing and sends nothing twice: a web and a worker process (the real
 * application, APP_ROLE=web and APP_ROLE=worker) run a broadcast through a slow fake Telegram;
 * the worker gets SIGTERM in the middle. It stops taking jobs, lets the sends under way finish,
 * and exits 0 well within 20 s, leaving no job "active" without a lock and no row in "sending".
 * A new worker then finishes the broadcast: everyone gets it exactly once. The web process exits
 * 0 on SIGTERM too, and every process warned at start that the test Redis has no persistence.
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database, type DatabaseProvider } from "../../src/db/database.js";
import { createApiToken } from "../../src/domain/staff.js";
import { outboxQueueName } from "../../src/outbox/queue.js";
import { createTestDatabaseUrl, providers, removeTestDatabase } from "../support/databases.js";
import { startFakeTelegram } from "../support/fake-telegram.js";
import { addParticipants, addStaff } from "../support/population.js";
import { connectRedis, deletePrefix, redisUrl, testPrefix } from "../support/redis.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import { spawnApp, type AppProcess } from "../faults/support/app-process.js";
import { startLatencyProxy } from "../faults/support/latency-proxy.js";

const recipients = 400;
const firstChatId = 710_000;
const text = "Uji siaran: pekerja dihentikan dengan sopan.";

const children: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
});

/** Sends SIGTERM and resolves with the exit code and how long the exit took. */
async function terminate(child: AppProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  process.kill(child.pid, "SIGTERM");
  await waitFor(() => child.exitCode() !== null, 30_000, "the process to exit after SIGTERM");
  return { code: child.exitCode(), ms: Date.now() - started };
}

async function scenario(provider: DatabaseProvider): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const timeline: string[] = [];
  const started = Date.now();
  const note = (line: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  try {
    const fake = await startFakeTelegram();
    cleanups.unshift(() => fake.close());
    // Each send is answered 150 ms late, so SIGTERM finds sends under way.
    const proxy = await startLatencyProxy({ target: fake.url, methods: ["sendMessage"], delayMs: 150 });
    cleanups.unshift(() => proxy.close());
    const dbUrl = await createTestDatabaseUrl(provider);
    cleanups.unshift(() => removeTestDatabase(dbUrl));
    const database: Database = openDatabase(dbUrl);
    cleanups.unshift(() => database.close());
    const db = database.prisma;
    const prefix = testPrefix();
    const redis: Redis = connectRedis();
    cleanups.unshift(() => redis.quit());
    cleanups.unshift(() => deletePrefix(redis, prefix));
    const bulkQueue = new Queue(outboxQueueName("telegram", "bulk"), { connection: redis, prefix });
    cleanups.unshift(() => bulkQueue.close());
    const mine: AppProcess[] = [];
    cleanups.unshift(() => Promise.all(mine.map((c) => c.kill())));

    await addParticipants(db, recipients, { channel: "telegram", firstChatId, regency: "Kabupaten Belitung" });
    const { token } = await createApiToken(db, await addStaff(db, "Sari"), "shutdown test");
    const common = {
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      HOST: "127.0.0.1",
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: proxy.url,
      TELEGRAM_BULK_PER_SECOND: "40",
      QUIET_HOURS: "off",
      MOTIVATION_SCHEDULE: "off",
      LOG_LEVEL: "warn",
      RECONCILE_INTERVAL_SECONDS: "2",
      OUTBOX_STUCK_SECONDS: "5",
    };
    const start = async (role: "web" | "worker") => {
      const child = spawnApp({ ...common, APP_ROLE: role, PORT: String(await freePort()) });
      children.push(child);
      mine.push(child);
      await child.ready();
      note(`${role} (pid ${child.pid}) is up`);
      return child;
    };
    const deliveries = () => {
      const counts = new Map<number, number>();
      for (const m of fake.sent)
        if (m.method === "sendMessage" && m.text === text) counts.set(m.chatId, (counts.get(m.chatId) ?? 0) + 1);
      return counts;
    };
    /** Active jobs whose lock is gone: what a process that did not finish its jobs leaves behind. */
    const activeWithoutLock = async () => {
      const active = await bulkQueue.getRanges(["active"], 0, -1);
      const locked = await Promise.all(
        active.map((id) => redis.exists(`${prefix}:${bulkQueue.name}:${id}:lock`).then((n) => n === 1)),
      );
      return active.filter((_, i) => !locked[i]);
    };

    const web = await start("web");
    const worker = await start("worker");
    for (const p of [web, worker]) expect(p.output()).toContain("Redis persistence is off");

    const api = async (path: string, body: unknown) => {
      const response = await fetch(`${web.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as { id: number; status: string };
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const created = await api("/api/broadcasts", {
      title: "Uji berhenti sopan",
      textId: text,
      filter: { regencies: ["Kabupaten Belitung"] },
    });
    await api(`/api/broadcasts/${created.id}/schedule`, {});
    await waitFor(() => deliveries().size >= recipients / 4, 30_000, "a quarter delivered");

    const stopped = await terminate(worker);
    note(`worker stopped by SIGTERM: exit ${stopped.code} after ${stopped.ms} ms; ${deliveries().size} delivered`);
    if (stopped.code !== 0) note(`worker output:\n${worker.output()}`);
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(20_000);
    expect(await activeWithoutLock()).toEqual([]);
    expect(await db.outboxItem.count({ where: { status: "sending" } })).toBe(0);
    // It really stopped in the middle.
    expect(deliveries().size).toBeLessThan(recipients);

    await start("worker");
    await waitFor(
      async () =>
        deliveries().size === recipients &&
        (await db.broadcast.findUnique({ where: { id: created.id } }))?.status === "done",
      60_000,
      "the broadcast finished by the new worker",
    );
    const counts = deliveries();
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    note(`broadcast done: ${counts.size} chats, each once`);

    const webStopped = await terminate(web);
    note(`web stopped by SIGTERM: exit ${webStopped.code} after ${webStopped.ms} ms`);
    expect(webStopped.code).toBe(0);
  } finally {
    for (const step of cleanups)
      await Promise.resolve()
        .then(step)
        .catch((err: unknown) => console.error(err));
    console.info(`graceful shutdown on ${provider}:\n${timeline.join("\n")}`);
  }
}

describe.concurrent("a worker stopped with SIGTERM in the middle of a broadcast", { timeout: 120_000 }, () => {
  it.each(providers)("on %s exits 0 in time, leaves no stalled job, and the next worker sends the rest once", scenario);
});
