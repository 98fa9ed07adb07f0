/**
 * Two worker processes (APP_ROLE=worker) and a web process (APP_ROLE=web) on one PostgreSQL
 * database and one Redis prefix, working the same queues during a broadcast to 400 Telegram
 * participants and a burst of 30 people writing to the bot (long polling: one worker holds the
 * poll, both send). Nobody crashes, so every message goes exactly once: each row is claimed by
 * one worker before it is sent. Pacing holds overall, not per process: the fake Telegram refuses
 * sends beyond 100 a second (its flood limit), the bulk lane is set to 50 a second and replies
 * are capped at 30 a second, so at most a handful of 429s may come back, not one per send of a
 * second worker going at full speed too. Both workers' /metrics show sends, so both worked.
 *
 * PostgreSQL, as the README's several-process layout; see webhook-duplicates.test.ts on SQLite.
 */
import { afterAll, describe, expect, it } from "vitest";
import { addParticipants } from "../support/population.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import {
  appEnv,
  broadcastDone,
  countsPerChat,
  duplicates,
  messagesOut,
  sendBroadcastNow,
  staffToken,
} from "./support/fixtures.js";
import { killAllChildren, runScenario } from "./support/scenario.js";

const recipients = 400;
const writers = 30;
const bulkPerSecond = 50;
const floodLimit = 100;
const regency = "Kabupaten Bangka Selatan";
const text = "Uji siaran: dua pekerja, satu antrean.";

afterAll(killAllChildren);

/** Sends counted by a process's sapa_messages_out_total, over every kind. */
const sendsOf = (url: string) => messagesOut(url, 'channel="telegram"');

describe("two workers on the same queues", { timeout: 90_000 }, () => {
  it("send every message exactly once and keep the pace overall", () =>
    runScenario("two workers", async (s) => {
      const fake = await s.fakeTelegram({ ratePerSecond: floodLimit });
      const database = await s.database("postgresql");
      const db = database.prisma;
      const queues = s.redis();

      const firstChatId = 840_000;
      await addParticipants(db, recipients, { channel: "telegram", firstChatId, regency });
      const token = await staffToken(db);
      const common = appEnv({ database, redis: queues, telegram: fake, bulkPerSecond });
      const [web, ...workers] = await Promise.all([
        s.spawn("web", { ...common, APP_ROLE: "web", PORT: String(await freePort()) }),
        s.spawn("worker 1", { ...common, APP_ROLE: "worker", PORT: String(await freePort()) }),
        s.spawn("worker 2", { ...common, APP_ROLE: "worker", PORT: String(await freePort()) }),
      ]);

      const started = Date.now();
      const broadcastId = await sendBroadcastNow(web!.url, token, { title: "Uji dua pekerja", text, regency });
      // The burst: thirty people write at once while the broadcast goes out.
      const writerIds = Array.from({ length: writers }, (_, i) => firstChatId + 10_000 + i);
      await Promise.all(writerIds.map((id) => fake.userMessage({ id, first_name: `Penulis ${id}` }, "halo")));
      s.note(`broadcast ${broadcastId} sent now; ${writers} people wrote to the bot`);

      await waitFor(
        async () =>
          (await broadcastDone(db, broadcastId)) &&
          (await db.outboxItem.count({ where: { kind: "reply" } })) >= writers &&
          (await db.outboxItem.count({ where: { status: { not: "sent" } } })) === 0,
        60_000,
        "the broadcast done and every reply sent",
      );
      const seconds = (Date.now() - started) / 1000;
      s.note(`everything sent in ${seconds.toFixed(1)} s`);
      // A moment for anything that would go twice to show up.
      await new Promise((r) => setTimeout(r, 1_500));

      const broadcast = countsPerChat(fake, (m) => m.text === text);
      const twice = duplicates(broadcast);
      s.note(`broadcast: ${broadcast.size} chats, duplicates ${twice.length}`);
      expect(broadcast.size).toBe(recipients);
      expect(twice).toEqual([]);
      // Every chat got exactly as many messages as it has outbox rows, all sent.
      const rows = await db.outboxItem.findMany({ select: { chatId: true, status: true, attempts: true } });
      expect(rows.filter((r) => r.status !== "sent" || r.attempts !== 1)).toEqual([]);
      const expected = new Map<number, number>();
      for (const r of rows) expected.set(Number(r.chatId), (expected.get(Number(r.chatId)) ?? 0) + 1);
      const got = countsPerChat(fake, () => true);
      const wrong = [...new Set([...expected.keys(), ...got.keys()])]
        .filter((c) => expected.get(c) !== got.get(c))
        .map((c) => `${c}: ${got.get(c) ?? 0} received for ${expected.get(c) ?? 0} rows`);
      expect(wrong).toEqual([]);
      expect(writerIds.filter((c) => !got.has(c))).toEqual([]);

      // The pace held overall: the fake's flood limit hardly ever had to refuse, and the broadcast
      // took as long as 50 a second allows.
      const sends = await Promise.all(workers.map((w) => sendsOf(w.url)));
      s.note(`sends per worker (their /metrics): ${sends.join(", ")}; 429s from the flood limit: ${fake.http429}`);
      expect(sends.reduce((a, b) => a + b, 0)).toBe(rows.length);
      expect(Math.min(...sends)).toBeGreaterThan(0);
      expect(fake.http429).toBeLessThanOrEqual(5);
      const times = fake.sent.filter((m) => m.text === text).map((m) => m.at);
      const span = (Math.max(...times) - Math.min(...times)) / 1000;
      s.note(`the broadcast went out over ${span.toFixed(1)} s (${(recipients / span).toFixed(0)} a second)`);
      // BullMQ's limiter lets 50 through per 1 s window: 400 need 8 windows, so the first and the
      // last send are at least 7 s apart (with each worker pacing itself alone it would be 3.5 s).
      expect(span).toBeGreaterThanOrEqual((recipients / bulkPerSecond - 1) * 0.95);
    }));
});
