/**
 * The Telegram Bot API misbehaving for a while, then recovering, while the application (a real
 * child process, APP_ROLE=all, long polling) has a broadcast and replies to send:
 *
 * - 5xx: every sendMessage answers 500 for 30 s (the figure). Each failed send goes back
 *   to pending and its job is retried with exponential backoff from 1 s (1, 2, 4, 8, 16 s: the
 *   sixth attempt comes 31 s after the first), well inside the 10 attempts after which a row is
 *   given up. After recovery every row is sent exactly once (a 5xx means Telegram did not take
 *   the message, so nothing may go twice), none failed, and the attempts are counted.
 * - 429: every sendMessage answers 429 with retry_after 3 for 10 s. A 429 pauses the channel
 *   (both lanes, in Redis) for retry_after, so Telegram sees a burst of refused sends (those in
 *   flight) every retry_after at most, never a stream; then everything goes once, and the
 *   refused attempts do not count.
 *
 * Each case takes about 40 s (the 5xx one) and 20 s; they run side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.js";
import type { FakeTelegram } from "../support/fake-telegram.js";
import { addParticipants } from "../support/population.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import {
  appEnv,
  broadcastDone,
  bulkConcurrencyAt,
  countsPerChat,
  sendBroadcastNow,
  staffToken,
  telegramPacingAt,
} from "./support/fixtures.js";
import { killAllChildren, runScenario, type Scenario } from "./support/scenario.js";

const recipients = 100;
/** People who write to the bot during the outage, each expecting replies. */
const writers = 10;
const bulkPerSecond = 50;
const bulkConcurrency = bulkConcurrencyAt(bulkPerSecond);
/** telegramPacing's reply lane concurrency. */
const replyConcurrency = telegramPacingAt(bulkPerSecond).concurrency.reply;
const outageMs = 30_000;
const pauseMs = 10_000;
const retryAfter = 3;

afterAll(killAllChildren);

/** The application against a fresh fake Telegram, database and Redis prefix, with participants. */
async function setUp(s: Scenario, firstChatId: number) {
  const fake = await s.fakeTelegram();
  const database = await s.database("sqlite");
  const db = database.prisma;
  const queues = s.redis();
  const regency = "Kabupaten Belitung Timur";
  await addParticipants(db, recipients, { channel: "telegram", firstChatId, regency });
  const token = await staffToken(db);
  const app = await s.spawn("application", {
    ...appEnv({ database, redis: queues, telegram: fake, bulkPerSecond }),
    APP_ROLE: "all",
    PORT: String(await freePort()),
  });
  /** A broadcast to everyone, and a first message from each writer (their replies follow). */
  const startTraffic = async (text: string) => {
    const id = await sendBroadcastNow(app.url, token, { title: "Uji gangguan Telegram", text, regency });
    for (let i = 0; i < writers; i++)
      await fake.userMessage({ id: firstChatId + 50_000 + i, first_name: `Penulis ${i}` }, "halo");
    s.note(`broadcast ${id} sent now; ${writers} people wrote to the bot`);
    return id;
  };
  return { fake, db, startTraffic };
}

/** Waits until every outbox row is sent or failed and the broadcast is done. */
async function settled(db: Db, broadcastId: number, timeoutMs: number): Promise<void> {
  await waitFor(
    async () =>
      (await db.outboxItem.count({ where: { status: { in: ["pending", "sending"] } } })) === 0 &&
      (await db.outboxItem.count()) >= recipients + writers &&
      (await broadcastDone(db, broadcastId)),
    timeoutMs,
    "every outbox row settled and the broadcast done",
  );
}

type Row = { id: number; chatId: string; status: string; attempts: number; kind: string; lastError: string | null };

/** What a run left: the outbox rows and how many messages each chat got. */
type Outcome = { rows: Row[]; got: Map<number, number> };

async function outcomeOf(s: Scenario, db: Db, fake: FakeTelegram): Promise<Outcome> {
  // A moment for anything that would go twice to show up.
  await new Promise((r) => setTimeout(r, 1_500));
  const rows = await db.outboxItem.findMany({
    select: { id: true, chatId: true, status: true, attempts: true, kind: true, lastError: true },
    orderBy: { id: "asc" },
  });
  const byStatus = rows.reduce<Record<string, number>>(
    (a, r) => ({ ...a, [`${r.kind} ${r.status}`]: (a[`${r.kind} ${r.status}`] ?? 0) + 1 }),
    {},
  );
  s.note(`outbox rows: ${JSON.stringify(byStatus)}`);
  const attempts = rows.map((r) => r.attempts);
  s.note(`attempts per row: ${Math.min(...attempts)} to ${Math.max(...attempts)}`);
  for (const r of rows.filter((r) => r.status !== "sent").slice(0, 3))
    s.note(`not sent: row ${r.id} (${r.kind} to ${r.chatId}) ${r.status}, ${r.attempts} attempts: ${r.lastError}`);
  return { rows, got: countsPerChat(fake, () => true) };
}

/** No chat got more messages than it has rows sent; with `all`, each got exactly that many. */
function expectNothingTwice(o: Outcome, rows: Row[], exact: boolean): void {
  const sent = new Map<number, number>();
  for (const r of rows) if (r.status === "sent") sent.set(Number(r.chatId), (sent.get(Number(r.chatId)) ?? 0) + 1);
  const chats = new Set(rows.map((r) => Number(r.chatId)));
  const wrong = [...chats]
    .filter((c) => (exact ? o.got.get(c) !== sent.get(c) : (o.got.get(c) ?? 0) > (sent.get(c) ?? 0)))
    .map((c) => `${c}: ${o.got.get(c) ?? 0} received for ${sent.get(c) ?? 0} rows sent`);
  expect(wrong).toEqual([]);
}

const broadcastRows = (o: Outcome) => o.rows.filter((r) => r.kind === "broadcast");
const replyRows = (o: Outcome) => o.rows.filter((r) => r.kind !== "broadcast");

/** The 5xx run: Telegram refuses every send for 30 s, then recovers. */
function serverErrors(): Promise<Outcome> {
  return runScenario("telegram 5xx", async (s) => {
    const { fake, db, startTraffic } = await setUp(s, 740_000);
    fake.failAll("sendMessage", { code: 500 });
    const outageStart = Date.now();
    s.note("Telegram answers 500 to every sendMessage from now");
    const broadcastId = await startTraffic("Uji siaran: Telegram sedang gangguan 5xx.");
    await new Promise((r) => setTimeout(r, outageStart + outageMs - Date.now()));
    fake.failAll("sendMessage", null);
    const refused = fake.requests.filter((r) => r.method === "sendMessage" && r.status === 500).length;
    s.note(`Telegram recovers; ${refused} sends were answered 500, ${fake.sent.length} went through`);
    expect(fake.sent).toEqual([]);
    expect(refused).toBeGreaterThan(recipients + writers);
    await settled(db, broadcastId, 45_000);
    s.note("everything settled");
    const writer = 740_000 + 50_000;
    const tries = fake.requests.filter((r) => r.method === "sendMessage" && Number(r.body.chat_id) === writer);
    s.note(
      `sends to writer ${writer}: ` +
        tries
          .map(
            (r) => `${((r.at - outageStart) / 1000).toFixed(1)} s ${r.status} "${String(r.body.text).slice(0, 12)}…"`,
          )
          .join(", "),
    );
    return outcomeOf(s, db, fake);
  });
}

/** The 429 run: Telegram asks to wait 3 s at every send for 10 s. */
function rateLimited(): Promise<Outcome & { bursts: number[][] }> {
  return runScenario("telegram 429", async (s) => {
    const { fake, db, startTraffic } = await setUp(s, 760_000);
    fake.failAll("sendMessage", { code: 429, retryAfter });
    const pauseStart = Date.now();
    s.note(`Telegram answers 429 (retry_after ${retryAfter}) to every sendMessage from now`);
    const broadcastId = await startTraffic("Uji siaran: Telegram meminta pelan-pelan.");
    await new Promise((r) => setTimeout(r, pauseStart + pauseMs - Date.now()));
    fake.failAll("sendMessage", null);
    expect(fake.sent).toEqual([]);
    const refused = fake.requests.filter((r) => r.method === "sendMessage" && r.status === 429).map((r) => r.at);
    // Refused sends come in bursts: the sends in flight when the first 429 came back, then
    // nothing until retry_after has passed.
    const bursts: number[][] = [];
    for (const at of refused) {
      const last = bursts.at(-1);
      if (last && at - last[0]! < 1_000) last.push(at);
      else bursts.push([at]);
    }
    s.note(
      `Telegram recovers; ${refused.length} sends refused in ${bursts.length} bursts: ` +
        bursts.map((b) => `${((b[0]! - pauseStart) / 1000).toFixed(1)} s ×${b.length}`).join(", "),
    );
    await settled(db, broadcastId, 30_000);
    s.note("everything settled");
    return { ...(await outcomeOf(s, db, fake)), bursts };
  });
}

describe("the Telegram Bot API failing for a while", { timeout: 90_000 }, () => {
  // Both runs go side by side (each has its own processes, fake Telegram, database and Redis
  // keys); the tests below read what each left.
  let fiveHundred: Promise<Outcome>;
  let tooMany: Promise<Outcome & { bursts: number[][] }>;
  beforeAll(() => {
    fiveHundred = serverErrors();
    tooMany = rateLimited();
    // Awaited by the tests; a rejection must not count as unhandled before then.
    fiveHundred.catch(() => {});
    tooMany.catch(() => {});
  });

  it(`answering 500 to every send for ${outageMs / 1000} s: the broadcast goes to each once after recovery, attempts counted`, async () => {
    const o = await fiveHundred;
    const rows = broadcastRows(o);
    expect(rows).toHaveLength(recipients);
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    expectNothingTwice(o, rows, true);
    // Every row was refused at least once, and none used up its 10 attempts.
    expect(Math.min(...rows.map((r) => r.attempts))).toBeGreaterThanOrEqual(2);
    expect(Math.max(...rows.map((r) => r.attempts))).toBeLessThan(10);
    // Replies: whatever went, went once.
    expectNothingTwice(o, replyRows(o), false);
  });

  // A turn's replies are one job (o<first row>) for several rows; while it waits out its backoff
  // the reconcile pass counts the later rows as covered by it (reconcileOutbox), so no second job
  // drains the first row again and counts its attempts twice.
  it(`answering 500 to every send for ${outageMs / 1000} s: every reply goes once after recovery`, async () => {
    const o = await fiveHundred;
    const rows = replyRows(o);
    expect(rows.length).toBeGreaterThanOrEqual(writers);
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    expect(Math.max(...rows.map((r) => r.attempts))).toBeLessThan(10);
    expectNothingTwice(o, rows, true);
  });

  it(`answering 429 (retry_after ${retryAfter}) for ${pauseMs / 1000} s: only the sends in flight are refused each time, then each goes once`, async () => {
    const o = await tooMany;
    expect(o.bursts.length).toBeGreaterThanOrEqual(2);
    expect(o.bursts.length).toBeLessThanOrEqual(Math.ceil(pauseMs / (retryAfter * 1000)) + 1);
    for (const [i, burst] of o.bursts.entries()) {
      expect(burst.length).toBeLessThanOrEqual(bulkConcurrency + replyConcurrency);
      if (i > 0) expect(burst[0]! - o.bursts[i - 1]![0]!).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
    }
    expect(o.rows.filter((r) => r.status !== "sent")).toEqual([]);
    expect(broadcastRows(o)).toHaveLength(recipients);
    expectNothingTwice(o, o.rows, true);
    // A 429 is not the row's fault: the refused attempts are not counted.
    expect(new Set(o.rows.map((r) => r.attempts))).toEqual(new Set([1]));
  });
});
