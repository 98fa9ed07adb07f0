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
import { afterAll, describe, expect, it } from "vitest";
import type { DatabaseProvider } from "../../src/db/database.js";
import { outboxQueueName } from "../../src/outbox/queue.js";
import { providers } from "../support/databases.js";
import { addParticipants } from "../support/population.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import {
  api,
  appEnv,
  bulkConcurrencyAt,
  chatRange,
  countsPerChat,
  duplicates,
  staffToken,
} from "./support/fixtures.js";
import { startLatencyProxy } from "./support/latency-proxy.js";
import { killAllChildren, runScenario } from "./support/scenario.js";

const recipients = 600;
const firstChatId = 700_000;
const outsiders = 5;
const outsiderChatId = 800_000;
const regency = "Kabupaten Bangka Barat";
const text = "Uji siaran: pekerja dimatikan di tengah jalan.";
const bulkPerSecond = 50;
/** Sends in flight in the killed process: telegramPacing's bulk concurrency at 50 a second. */
const bulkConcurrency = bulkConcurrencyAt(bulkPerSecond);
/** Telegram's answer to a send reaches the bot this late, so the kill finds sends in flight. */
const answerDelayMs = 100;

afterAll(killAllChildren);

function scenario(provider: DatabaseProvider): Promise<void> {
  return runScenario(`broadcast-crash on ${provider}`, async (s) => {
    const fake = await s.fakeTelegram();
    const proxy = await startLatencyProxy({ target: fake.url, methods: ["sendMessage"], delayMs: answerDelayMs });
    s.defer(() => proxy.close());
    const database = await s.database(provider);
    const queues = s.redis();
    const { connection: redis, prefix } = queues;
    const bulkQueue = new Queue(outboxQueueName("telegram", "bulk"), { connection: redis, prefix });
    s.defer(() => bulkQueue.close());

    const db = database.prisma;
    const participantIds = await addParticipants(db, recipients, { channel: "telegram", firstChatId, regency });
    await addParticipants(db, outsiders, {
      channel: "telegram",
      firstChatId: outsiderChatId,
      regency: "Kota Pangkalpinang",
    });
    const token = await staffToken(db);
    const env = {
      ...appEnv({ database, redis: queues, telegram: { token: fake.token, url: proxy.url }, bulkPerSecond }),
      PORT: String(await freePort()),
    };

    /** How many times each chat got the broadcast's text. */
    const deliveries = () => countsPerChat(fake, (m) => m.text === text);

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
      s.note(
        `${label}: delivered to ${deliveries().size}; outbox {${counts(outbox)}}; ledger {${counts(ledger)}}; ` +
          `bulk jobs ${JSON.stringify(jobs)}; active without a lock [${dead.join(" ")}]; ` +
          `in the stalled set [${stalled.join(" ")}]`,
      );
    };

    const first = await s.spawn("application 1", env);
    const created = await api(first.url, token, "POST", "/api/broadcasts", {
      title: "Uji mati mendadak",
      textId: text,
      filter: { regencies: [regency] },
    });
    expect(created.status).toBe("draft");
    const scheduled = await api(first.url, token, "POST", `/api/broadcasts/${created.id}/schedule`, {});
    // Sending now: the job that starts it may or may not have run yet.
    expect(["scheduled", "sending"]).toContain(scheduled.status);
    s.note(`broadcast ${created.id} scheduled`);

    // Kill the worker when about a third has gone out.
    await waitFor(() => deliveries().size >= recipients / 3, 30_000, "a third delivered");
    await first.kill();
    const killedAt = Date.now();
    s.note("application 1 killed with SIGKILL");
    const atKill = deliveries();
    const sending = await db.outboxItem.findMany({ where: { status: "sending" }, select: { id: true, chatId: true } });
    s.note(
      `at the kill: ${atKill.size} chats had it; outbox rows in "sending": ` +
        `${sending.map((r) => `${r.id}→${r.chatId}`).join(" ") || "none"}` +
        ` (${sending.filter((r) => atKill.has(Number(r.chatId))).length} of them had reached Telegram)`,
    );
    await snapshot("after the kill");
    // The run really was interrupted.
    expect(atKill.size).toBeGreaterThan(0);
    expect(atKill.size).toBeLessThan(recipients);

    const second = await s.spawn("application 2", env);
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
          s.note("every recipient has it");
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
      s.note(`application 2 output:\n${second.output()}`);
      throw err;
    });
    s.note(`the broadcast is done, ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);

    const counts = deliveries();
    const chats = chatRange(firstChatId, recipients);
    // Everybody at least once.
    expect(chats.filter((c) => !counts.has(c))).toEqual([]);
    // Twice at most, and only as many as there were sends in flight when it was killed.
    const twice = duplicates(counts);
    s.note(`duplicates (${twice.length}, at most ${bulkConcurrency}): ${twice.join(" ") || "none"}`);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    expect(twice.length).toBeLessThanOrEqual(bulkConcurrency);
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
  });
}

// Both databases at once, to keep the file short.
describe.concurrent("a broadcast whose worker is killed with SIGKILL", { timeout: 120_000 }, () => {
  it.each(providers)("on %s reaches everyone, at most the in-flight sends twice, after a restart", scenario);
});
