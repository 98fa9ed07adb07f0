/**
 * The outbox's pacing and delivery as a participant or an operator would notice them: WhatsApp
 * bulk spaced at random, the daily cap, replies ahead of bulk, a platform's 429, retried and
 * permanent failures, exactly once under duplicate jobs, and the reconcile pass after Redis lost
 * its queues. A recording channel stands in for the platform; Redis and the database are real.
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createBot, type Bot } from "../../src/bot.js";
import { SendError, type ChannelAdapter, type SendResult } from "../../src/channels/channel.js";
import type { Database } from "../../src/db/database.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { reconcileOutbox } from "../../src/outbox/reconcile.js";
import type { Pacing } from "../../src/outbox/pacing.js";
import { createLogger } from "../../src/logger.js";
import { queueOutbound } from "../../src/outbox/queue-outbound.js";
import { priorities, type OutboundKind } from "../../src/outbox/types.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { queuesIdle, waitForQuiet } from "../support/quiet.js";
import { waitFor } from "../support/wait-for.js";

type Send = { chatId: string; text: string; at: number };

/** A channel that records each send (chat, text, time); `failNext` makes the next sends throw. */
class RecordingChannel implements ChannelAdapter {
  readonly buttons = true;
  /** Every call of send, including those that threw. */
  readonly calls: (Send & { error?: SendError })[] = [];
  /** The sends that went through. */
  readonly sent: Send[] = [];
  private readonly failures: { error: SendError; chatId?: string }[] = [];

  constructor(readonly name: string) {}

  /** The next `times` sends (to `chatId` only, if given) throw `error`. */
  failNext(error: SendError, times = 1, chatId?: string): void {
    for (let i = 0; i < times; i++) this.failures.push(chatId === undefined ? { error } : { error, chatId });
  }

  async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
    const send: Send = { chatId, text: message.text, at: Date.now() };
    const i = this.failures.findIndex((f) => f.chatId === undefined || f.chatId === chatId);
    const error = i < 0 ? undefined : this.failures.splice(i, 1)[0]!.error;
    if (error) {
      // A failure comes back after a round trip, like a platform's; it is recorded when it does,
      // so the calls after it are the ones made once the worker could know.
      await sleep(5);
      this.calls.push({ ...send, at: Date.now(), error });
      throw error;
    }
    this.calls.push(send);
    this.sent.push(send);
    return { platformMessageId: `${this.name}-${this.sent.length}` };
  }

  texts(): string[] {
    return this.sent.map((s) => s.text);
  }
}

/** Pacing with a fast reply lane and the given bulk lane. */
const pacing = (bulk: Partial<Pacing["bulk"]>, concurrency = { reply: 4, bulk: 4 }): Pacing => ({
  replyPerSecond: 1000,
  bulk: { max: 1000, durationMs: 1000, jitter: false, chatGapMs: 0, dailyCap: null, ...bulk },
  concurrency,
});

const chats = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${i + 1}`);
const textOf = (kind: OutboundKind, chatId: string) => `${kind} to ${chatId}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes and enqueues one message of `kind` to each chat; returns the outbox ids. */
const queue = (database: Database, bot: Bot, channel: string, to: string[], kind: OutboundKind = "broadcast") =>
  queueOutbound(
    database,
    bot.outbox,
    to.map((chatId) => ({ channel, chatId, identityId: null, message: { text: textOf(kind, chatId) }, kind })),
  );

/** How many times each text went out, for "exactly once" checks. */
const tally = (texts: string[]) => {
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
};
const expectEachOnce = (channel: RecordingChannel, texts: string[]) => {
  const counts = tally(channel.texts());
  expect(texts.map((t) => [t, counts.get(t) ?? 0])).toEqual(texts.map((t) => [t, 1]));
};

/** Waits until no outbox row of the channel is pending or sending. */
const settled = (database: Database, channel: string, timeoutMs = 10_000) =>
  waitFor(
    async () =>
      (await database.prisma.outboxItem.count({ where: { channel, status: { in: ["pending", "sending"] } } })) === 0,
    timeoutMs,
    `the ${channel} outbox to settle`,
  );

/**
 * How long a lane is still held by the worker (a 429, the daily cap, the jitter): BullMQ's
 * rateLimit() sets the limiter's count to the largest safe integer, which the limiter's own
 * window never reaches, so only such a hold counts. 0 when not held.
 */
const holdLeft = async (lane: Queue) => Math.max(0, await lane.getRateLimitTtl(Number.MAX_SAFE_INTEGER));

let redis: Redis;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  redis = connectRedis();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await redis.quit();
});

type BotSetup = { prefix?: string; pacing?: Pacing; workers?: boolean; timeZone?: string; now?: () => Date };

/** A bot with just this channel; closed (and its Redis keys deleted) after the test. */
async function startBot(database: Database, channel: RecordingChannel, setup: BotSetup = {}) {
  const prefix = setup.prefix ?? testPrefix();
  const bot = await createBot({
    database,
    redis,
    queuePrefix: prefix,
    logger: createLogger({ level: "silent" }),
    channels: { [channel.name]: channel },
    conversationTtlHours: 24,
    defaultLanguage: "id",
    receive: false,
    ...(setup.workers === false ? { workers: false } : {}),
    ...(setup.pacing ? { pacing: { [channel.name]: setup.pacing } } : {}),
    ...(setup.timeZone ? { timeZone: setup.timeZone } : {}),
    ...(setup.now ? { now: setup.now } : {}),
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= bot.close());
  cleanups.push(async () => {
    await close();
    await deletePrefix(redis, prefix);
  });
  return { bot, prefix, close };
}

describe("bulk pacing (sqlite)", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase("sqlite");
  });

  afterAll(async () => {
    await db?.destroy();
  });

  // How far apart the sends came (half to one and a half times the 100 ms mean gap, and not
  // evenly) is measured by the timing benchmark (jitter_*_gap_ms); here, that the lane is held
  // between sends and every message goes out once.
  it("spaces WhatsApp-style bulk by holding the lane between sends, and sends each once", async () => {
    const wa = new RecordingChannel("wa-jitter");
    const { bot } = await startBot(db, wa, {
      pacing: pacing({ max: 10, durationMs: 1000, jitter: true }, { reply: 4, bulk: 1 }),
    });
    const bulk = bot.outbox.queue(wa.name, "bulk");
    const to = chats("jitter", 8);
    await queue(db, bot, wa.name, to);
    // While they go out, the lane is seen held (the hold is a state in Redis, not a guess from times).
    let seenHeld = 0;
    await waitFor(
      async () => {
        if ((await holdLeft(bulk)) > 0 && wa.sent.length < to.length) seenHeld++;
        return wa.sent.length === to.length;
      },
      10_000,
      "the jittered sends",
    );
    await settled(db, wa.name);
    expect(seenHeld).toBeGreaterThan(0);
    expectEachOnce(
      wa,
      to.map((c) => textOf("broadcast", c)),
    );
  });

  it("sends no more bulk a day than the cap, lets notices through and sends the rest after midnight", async () => {
    const capped = new RecordingChannel("wa-capped");
    // A second before midnight in Makassar (UTC+8): the cap holds the lane until then.
    let clock = new Date("2030-06-14T23:59:59+08:00");
    const { bot, prefix } = await startBot(db, capped, {
      pacing: pacing({ dailyCap: 3 }),
      timeZone: "Asia/Makassar",
      now: () => clock,
    });
    const to = chats("cap", 6);
    const ids = await queue(db, bot, capped.name, to);
    const bulk = bot.outbox.queue(capped.name, "bulk");
    // The lane is held once the fourth job finds today's cap used up.
    // Held, and no send under way: a fourth send could only come once the lane is let go.
    await waitFor(
      async () => capped.sent.length === 3 && (await bulk.getRateLimitTtl()) > 0 && (await bulk.getActiveCount()) === 0,
      10_000,
      "the cap",
    );
    expect(capped.sent).toHaveLength(3);
    const rows = await db.prisma.outboxItem.findMany({ where: { id: { in: ids } }, orderBy: { id: "asc" } });
    expect(rows.filter((r) => r.status === "sent")).toHaveLength(3);
    expect(rows.filter((r) => r.status === "pending")).toHaveLength(3);
    expect(await redis.get(`${prefix}:pace:${capped.name}:day:2030-06-14`)).toBe("3");

    // Notices are not bulk: they go out at once to the chats that got today's broadcast.
    const reached = capped.sent.map((s) => s.chatId);
    await queue(db, bot, capped.name, reached, "notice");
    await waitFor(() => capped.sent.length === 6, 5_000, "the notices");
    expect(capped.texts().slice(3).sort()).toEqual(reached.map((c) => textOf("notice", c)).sort());

    // Midnight: the other three broadcasts go out, counted on the new day.
    clock = new Date("2030-06-15T00:00:01+08:00");
    await settled(db, capped.name);
    expectEachOnce(capped, [...to.map((c) => textOf("broadcast", c)), ...reached.map((c) => textOf("notice", c))]);
    expect(await redis.get(`${prefix}:pace:${capped.name}:day:2030-06-15`)).toBe("3");
  });

  // The reply lane leaves bulk rows to the paced lane: a notice never carries a held broadcast.
  it("does not let a notice carry a broadcast the cap holds", async () => {
    const capped = new RecordingChannel("wa-carried");
    const { bot } = await startBot(db, capped, {
      pacing: pacing({ dailyCap: 1 }, { reply: 4, bulk: 1 }),
      now: () => new Date("2030-06-14T12:00:00+07:00"),
    });
    const to = chats("carried", 2);
    const ids = await queue(db, bot, capped.name, to);
    const bulk = bot.outbox.queue(capped.name, "bulk");
    await waitFor(async () => capped.sent.length === 1 && (await bulk.getRateLimitTtl()) > 0, 10_000, "the cap");
    const held = to.find((c) => !capped.sent.some((s) => s.chatId === c))!;
    await queue(db, bot, capped.name, [held], "notice");
    await waitFor(() => capped.texts().includes(textOf("notice", held)), 5_000, "the notice");
    // The reply lane has nothing left to do and the held bulk lane sends nothing.
    const reply = bot.outbox.queue(capped.name, "reply");
    await waitFor(
      async () =>
        (await queuesIdle([reply], [reply])) &&
        (await bulk.getRateLimitTtl()) > 0 &&
        (await bulk.getActiveCount()) === 0,
      5_000,
      "the reply lane idle and the bulk lane held",
    );
    expect(capped.texts().filter((t) => t.startsWith("broadcast"))).toHaveLength(1);
    const rows = await db.prisma.outboxItem.findMany({ where: { id: { in: ids }, chatId: held } });
    expect(rows.map((r) => r.status)).toEqual(["pending"]);
  });

  it("sends a notice ahead of broadcasts waiting in a slow bulk lane", async () => {
    const slow = new RecordingChannel("tg-slow");
    const { bot, close } = await startBot(db, slow, { pacing: pacing({ max: 2, durationMs: 1000 }) });
    await queue(db, bot, slow.name, chats("slow", 10));
    await queue(db, bot, slow.name, ["slow-11"], "notice");
    await waitFor(() => slow.sent.some((s) => s.chatId === "slow-11"), 5_000, "the notice");
    const before = slow.sent.findIndex((s) => s.chatId === "slow-11");
    // At most two (this second's) broadcasts went before it; the 4th comes a second later at the earliest.
    expect(before).toBeLessThan(3);
    await close();
    // Not waiting for the rest: an operator cancels the broadcast.
    await db.prisma.outboxItem.updateMany({
      where: { channel: slow.name, status: "pending" },
      data: { status: "cancelled" },
    });
  });

  it("sends reminders ahead of the broadcast still waiting for the same people, one message per slot", async () => {
    const slow = new RecordingChannel("tg-remind");
    const { bot, close } = await startBot(db, slow, { pacing: pacing({ max: 2, durationMs: 1000 }) });
    const to = chats("remind", 6);
    await queue(db, bot, slow.name, to);
    await queue(db, bot, slow.name, to, "reminder");
    await waitFor(() => slow.sent.length >= 8, 10_000, "eight sends");
    // Two slots a second: the first second may have taken two broadcasts before the reminders
    // were queued; then the six reminders, each alone, before the rest of the broadcast.
    const kinds = slow.sent.slice(0, 8).map((s) => s.text.split(" ")[0]);
    const firstReminder = kinds.indexOf("reminder");
    expect(firstReminder).toBeLessThanOrEqual(2);
    expect(kinds.slice(firstReminder, firstReminder + 6)).toEqual(Array(6).fill("reminder"));
    await close();
    await db.prisma.outboxItem.updateMany({
      where: { channel: slow.name, status: "pending" },
      data: { status: "cancelled" },
    });
  });
});

describe.each(providers)("outbox delivery on %s", (provider) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  /** A 429 on one of 10 broadcasts, then a notice while the channel is held. */
  const after429 = async (bulkConcurrency: number) => {
    const tg = new RecordingChannel(`tg-429-${bulkConcurrency}`);
    const { bot } = await startBot(db, tg, {
      pacing: pacing({ max: 30, durationMs: 1000 }, { reply: 4, bulk: bulkConcurrency }),
    });
    tg.failNext(new SendError("Telegram 429: Too Many Requests", false, 1500));
    const to = chats(`limited-${bulkConcurrency}`, 10);
    const ids = await queue(db, bot, tg.name, to);
    // The 429 holds both lanes of the channel (a state in Redis); how long the first send after
    // it waited is measured by the timing benchmark (after_429_first_send_ms).
    const lanes = [bot.outbox.queue(tg.name, "reply"), bot.outbox.queue(tg.name, "bulk")];
    /** The least time the lanes are still held for (0: not both held). */
    const held = async () => Math.min(...(await Promise.all(lanes.map(holdLeft))));
    await waitFor(async () => tg.calls.some((c) => c.error) && (await held()) > 0, 5_000, "the 429 and the hold");
    const limited = tg.calls.findIndex((c) => c.error);
    // A notice written during the pause waits too: the whole channel is held.
    const notice = `notice-${bulkConcurrency}`;
    await queue(db, bot, tg.name, [notice], "notice");
    // No send starts after the 429 came back while the hold lasts: the calls counted before each
    // look at the hold are still those up to the 429. (The process's own gate opens a few ms
    // before Redis's hold runs out: the last 50 ms are not looked at.)
    await waitFor(
      async () => {
        const calls = tg.calls.length;
        const left = await held();
        if (left === 0) return true;
        if (left > 50) expect(calls).toBe(limited + 1);
        return false;
      },
      5_000,
      "the hold to end",
    );
    await settled(db, tg.name);
    expectEachOnce(tg, [...to.map((c) => textOf("broadcast", c)), textOf("notice", notice)]);
    expect(tg.calls).toHaveLength(to.length + 2);
    // The 429 was the platform's, not the row's: its attempt does not count.
    const row = await db.prisma.outboxItem.findFirstOrThrow({
      where: { id: { in: ids }, chatId: tg.calls[limited]!.chatId },
    });
    expect(row).toMatchObject({ status: "sent", attempts: 1, lastError: null });
  };

  it("after a 429 sends nothing on the channel for retry_after, then everything once", () => after429(1));

  // Several bulk sends in flight: one that was claiming its row when the 429 came does not send.
  it("after a 429 starts no send with several bulk sends in flight", () => after429(4));

  it("retries a transient failure until it is sent, and gives up on a permanent one at once", async () => {
    const tg = new RecordingChannel("tg-fail");
    const { bot } = await startBot(db, tg);
    tg.failNext(new SendError("network error", false), 1, "flaky-1");
    tg.failNext(new SendError("Telegram 400: Bad Request", true), 1, "broken-1");
    const [flakyId, brokenId] = await queue(db, bot, tg.name, ["flaky-1", "broken-1"]);
    await settled(db, tg.name);

    expectEachOnce(tg, [textOf("broadcast", "flaky-1")]);
    const flaky = await db.prisma.outboxItem.findUniqueOrThrow({ where: { id: flakyId! }, include: { message: true } });
    expect(flaky).toMatchObject({ status: "sent", attempts: 2, lastError: null, message: { status: "sent" } });

    const broken = await db.prisma.outboxItem.findUniqueOrThrow({
      where: { id: brokenId! },
      include: { message: true },
    });
    expect(broken).toMatchObject({
      status: "failed",
      attempts: 1,
      lastError: "Telegram 400: Bad Request",
      message: { status: "failed", error: "Telegram 400: Bad Request" },
    });
    // Never tried again, not even by the reconcile pass.
    expect(await reconcileOutbox(db, bot.outbox, 0)).toBe(0);
    await waitForQuiet(bot, { database: db, channels: [tg.name] });
    expect(tg.calls.filter((c) => c.chatId === "broken-1")).toHaveLength(1);
  });

  it("sends a broadcast to many chats in a few jobs: each once, a chat still in its gap later, a failed send alone again", async () => {
    const tg = new RecordingChannel("tg-group");
    const { bot } = await startBot(db, tg, { pacing: pacing({ chatGapMs: 1500 }) });
    // A reminder to one of them just before: its gap has not passed when the broadcast comes.
    await queue(db, bot, tg.name, ["group-7"], "reminder");
    await waitFor(() => tg.sent.length === 1, 5_000, "the reminder");
    tg.failNext(new SendError("network error", false), 1, "group-30");
    const to = chats("group", 45);
    const ids = await queue(db, bot, tg.name, to);
    await settled(db, tg.name);
    await waitForQuiet(bot, { database: db, channels: [tg.name] });

    const broadcast = to.map((c) => textOf("broadcast", c));
    expectEachOnce(tg, [textOf("reminder", "group-7"), ...broadcast]);
    // The failed send was tried again, alone: nobody else of its job got the broadcast twice.
    expect(tg.calls).toHaveLength(1 + 45 + 1);
    const flaky = await db.prisma.outboxItem.findFirstOrThrow({ where: { id: { in: ids }, chatId: "group-30" } });
    expect(flaky).toMatchObject({ status: "sent", attempts: 2 });
    // group-7 got the broadcast once its gap after the reminder had passed; the others of its
    // job did not wait for it.
    const at = (text: string) => tg.sent.find((m) => m.text === text)!.at;
    expect(at(textOf("broadcast", "group-7")) - at(textOf("reminder", "group-7"))).toBeGreaterThanOrEqual(1400);
    const others = to.filter((c) => c !== "group-7" && c !== "group-30");
    expect(Math.max(...others.map((c) => at(textOf("broadcast", c))))).toBeLessThan(at(textOf("broadcast", "group-7")));
    // The reminder's job, and three for the 45 chats at 1,000 a second (20, 20 and 5), not 45.
    const bulk = bot.outbox.queue(tg.name, "bulk");
    expect(await bulk.getJobs(["completed", "failed", "active", "wait", "prioritized", "delayed"])).toHaveLength(4);
  });

  it("counts every row of a job of several chats as having its job: the reconcile pass adds none", async () => {
    const tg = new RecordingChannel("tg-grouped-reconcile");
    const writer = await startBot(db, tg, { workers: false });
    await queue(db, writer.bot, tg.name, chats("grouped", 45));
    expect(await reconcileOutbox(db, writer.bot.outbox, 0)).toBe(0);
    const jobs = await writer.bot.outbox.queue(tg.name, "bulk").getJobs(["prioritized", "wait"]);
    expect(jobs.map((j) => j.data.chats?.length).sort((a, b) => a! - b!)).toEqual([5, 20, 20]);
    // Never sent here: out of the way of the other tests' reconcile passes.
    await db.prisma.outboxItem.updateMany({ where: { channel: tg.name }, data: { status: "cancelled" } });
  });

  it("sends each message once when its rows are enqueued twice and two processes work the queue", async () => {
    const tg = new RecordingChannel("tg-dup");
    const prefix = testPrefix();
    const writer = await startBot(db, tg, { prefix, workers: false });
    const to = chats("dup", 10);
    // Two broadcasts and a notice to each chat.
    const first = await queue(db, writer.bot, tg.name, to);
    const second = await queue(db, writer.bot, tg.name, to, "reminder");
    const notices = await queue(db, writer.bot, tg.name, to, "notice");
    const batches = [
      ...[...first, ...second].map((id) => ({ id, priority: priorities.bulk })),
      ...notices.map((id) => ({ id, priority: priorities.notice })),
    ];
    // The same rows again, under other job ids, as the reconcile pass would add them.
    const rows = await db.prisma.outboxItem.findMany({
      where: { channel: tg.name },
      select: { id: true, chatId: true },
    });
    const chatOf = new Map(rows.map((r) => [r.id, r.chatId]));
    for (const { id, priority } of batches)
      await writer.bot.outbox.enqueue({ channel: tg.name, chatId: chatOf.get(id)!, ids: [id], priority }, `r${id}`);

    await startBot(db, tg, { prefix });
    await startBot(db, tg, { prefix });
    await waitForQuiet(writer.bot, { database: db, channels: [tg.name] });
    expectEachOnce(tg, [
      ...to.map((c) => textOf("broadcast", c)),
      ...to.map((c) => textOf("reminder", c)),
      ...to.map((c) => textOf("notice", c)),
    ]);
    expect(tg.calls).toHaveLength(30);
  });

  it("leaves a batch of one chat to its job while the job waits out a failure, and counts each attempt once", async () => {
    const tg = new RecordingChannel("tg-batch");
    const { bot } = await startBot(db, tg);
    tg.failNext(new SendError("Telegram 502: Bad Gateway", false), 2, "batch-1");
    // Two notices to one chat in one call: one job, o<first>, for both rows.
    const [firstId, secondId] = await queueOutbound(
      db,
      bot.outbox,
      ["satu", "dua"].map((text) => ({
        channel: tg.name,
        chatId: "batch-1",
        identityId: null,
        message: { text },
        kind: "notice" as const,
      })),
    );
    // While the job waits out its backoff, the reconcile pass finds both rows in it.
    for (const failures of [1, 2]) {
      await waitFor(() => tg.calls.length >= failures, 10_000, `failure ${failures}`);
      expect(await reconcileOutbox(db, bot.outbox, 0)).toBe(0);
    }
    await waitForQuiet(bot, { database: db, channels: [tg.name] });
    expect(tg.texts()).toEqual(["satu", "dua"]);
    const rows = await db.prisma.outboxItem.findMany({
      where: { id: { in: [firstId!, secondId!] } },
      orderBy: { id: "asc" },
    });
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ["sent", 3],
      ["sent", 1],
    ]);
  });

  it("re-enqueues rows Redis lost, once, and leaves rows still waiting in a slow lane alone", async () => {
    const tg = new RecordingChannel("tg-lost");
    const prefix = testPrefix();
    const paced = pacing({ max: 2, durationMs: 1000 });
    const writer = await startBot(db, tg, { prefix, workers: false, pacing: paced });
    const to = chats("lost", 5);
    await queue(db, writer.bot, tg.name, to);
    await writer.close();
    // Redis loses everything.
    await deletePrefix(redis, prefix);

    const { bot } = await startBot(db, tg, { prefix, pacing: paced });
    // Its start-up pass has run and queued nothing: no job, so nothing can be sent.
    const lanes = [bot.outbox.queue(tg.name, "reply"), bot.outbox.queue(tg.name, "bulk")];
    expect(await queuesIdle(lanes, lanes)).toBe(true);
    expect(tg.calls).toEqual([]);
    // Rows this fresh may still be on their way to the queue: the periodic pass leaves them be.
    expect(await bot.reconcile()).toBe(0);
    expect(await reconcileOutbox(db, bot.outbox, 0)).toBe(5);
    // Their new jobs are waiting in the slow lane: nothing more to add.
    expect(await reconcileOutbox(db, bot.outbox, 0)).toBe(0);
    await settled(db, tg.name);
    expect(await reconcileOutbox(db, bot.outbox, 0)).toBe(0);
    await waitForQuiet(bot, { database: db, channels: [tg.name] });
    expectEachOnce(
      tg,
      to.map((c) => textOf("broadcast", c)),
    );
    expect(tg.calls).toHaveLength(5);
  });
});
