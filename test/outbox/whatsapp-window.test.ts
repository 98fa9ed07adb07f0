/**
 * The outbox on a channel with a customer-service window (the WhatsApp Cloud API): free-form
 * inside the 24 hours, the template of the row's kind outside them (with its parameters, and the
 * name kept on the message), a readable failure when there is no template, Meta's 131047 falling
 * back to the template once (at send time and from a status webhook), opt-in, the daily
 * messaging limit, rate limits that use no attempt and permanent errors kept with their code.
 * A recording stand-in plays the Cloud API; Redis and both databases are real.
 */
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SendError, type ChannelAdapter, type SendResult, type TemplateMessage } from "../../src/channels/channel.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { createLogger } from "../../src/logger.js";
import { tierWait } from "../../src/outbox/messaging-tier.js";
import { cloudPacing, type Pacing } from "../../src/outbox/pacing.js";
import { OutboxQueue } from "../../src/outbox/queue.js";
import { queueOutbound } from "../../src/outbox/queue-outbound.js";
import { fallBackToTemplate } from "../../src/outbox/template-fallback.js";
import type { OutboundKind } from "../../src/outbox/types.js";
import { createOutboxWorkers } from "../../src/outbox/worker.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

type Sent = { chatId: string; text?: string; template?: TemplateMessage };

/** The Cloud API as the outbox sees it: records free-form and template sends; `failNext` makes sends throw. */
class CloudChannel implements ChannelAdapter {
  readonly buttons = true;
  readonly serviceWindowHours = 24;
  readonly sent: Sent[] = [];
  readonly calls: Sent[] = [];
  private readonly failures: { error: SendError; chatId: string; on: "send" | "template" }[] = [];

  constructor(readonly name: string) {}

  failNext(error: SendError, chatId: string, on: "send" | "template" = "send"): void {
    this.failures.push({ error, chatId, on });
  }

  private take(chatId: string, on: "send" | "template") {
    const i = this.failures.findIndex((f) => f.chatId === chatId && f.on === on);
    return i < 0 ? undefined : this.failures.splice(i, 1)[0]!.error;
  }

  async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
    this.calls.push({ chatId, text: message.text });
    const error = this.take(chatId, "send");
    if (error) throw error;
    this.sent.push({ chatId, text: message.text });
    return { platformMessageId: `wamid.${this.name}.${this.calls.length}` };
  }

  async sendTemplate(chatId: string, template: TemplateMessage): Promise<SendResult> {
    this.calls.push({ chatId, template });
    const error = this.take(chatId, "template");
    if (error) throw error;
    this.sent.push({ chatId, template });
    return { platformMessageId: `wamid.${this.name}.${this.calls.length}` };
  }
}

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
const outsideWindow = (code = "131047") =>
  new SendError("WhatsApp 131047: Re-engagement message", true, undefined, false, { code, outsideWindow: true });

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

describe.each(providers)("the WhatsApp service window on %s", (provider) => {
  let db: TestDatabase;
  let seq = 0;
  beforeAll(async () => {
    db = await openTestDatabase(provider);
    const template = (name: string, usedFor: string | null, parameters: string[], language = "id") =>
      db.prisma.whatsAppTemplate.create({
        data: { name, language, category: "utility", body: "{{1}} {{2}}", parameters, usedFor },
      });
    await template("sapa_pengingat", "reminder", ["name", "text", "department"]);
    await template("sapa_reminder", "reminder", ["name", "text", "department"], "en");
    await template("sapa_pemberitahuan", "notice", ["text"]);
    await template("sapa_siaran_khusus", null, ["name", "text"]);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  /** A participant with a chat on the channel; returns the identity's id. */
  const person = async (
    channel: string,
    chatId: string,
    o: { lastInboundAt?: Date | null; consent?: boolean; optedOut?: boolean; language?: string } = {},
  ) => {
    const participant = await db.prisma.participant.create({
      data: {
        name: `Ibu ${chatId}`,
        language: o.language ?? "id",
        consentAt: o.consent === false ? null : new Date(),
        optedOutAt: o.optedOut ? new Date() : null,
      },
    });
    const identity = await db.prisma.channelIdentity.create({
      data: {
        channel,
        platformUserId: chatId,
        chatId,
        participantId: participant.id,
        lastInboundAt: o.lastInboundAt === undefined ? hoursAgo(1) : o.lastInboundAt,
      },
    });
    return identity.id;
  };

  /** Workers for a new Cloud channel; stopped and their Redis keys deleted after the test. */
  const start = (pacing: Pacing = cloudPacing({ perSecond: 80, dailyLimit: null })) => {
    const channel = new CloudChannel(`cloud-${provider}-${++seq}`);
    const prefix = testPrefix();
    const queue = new OutboxQueue(redis, prefix, "test");
    const workers = createOutboxWorkers({
      connection: redis,
      prefix,
      database: db,
      channel,
      queue,
      logger: createLogger({ level: "silent" }),
      pacing,
      departmentName: "Dinas Koperasi dan UKM",
    });
    cleanups.push(async () => {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
      await deletePrefix(redis, prefix);
    });
    const send = (chatId: string, identityId: number, text: string, kind: OutboundKind = "reminder") =>
      queueOutbound(db, queue, [{ channel: channel.name, chatId, identityId, message: { text }, kind }]).then(
        ([id]) => id!,
      );
    return { channel, queue, prefix, send };
  };

  const row = (id: number) => db.prisma.outboxItem.findUniqueOrThrow({ where: { id }, include: { message: true } });
  const done = (id: number, what = `row ${id} to finish`) =>
    waitFor(
      async () => {
        const r = await row(id);
        return r.status === "sent" || r.status === "failed" ? r : null;
      },
      10_000,
      what,
    );

  it("sends free-form inside the window and the reminder template with its parameters outside it", async () => {
    const { channel, send } = start();
    const inside = await person(channel.name, "in-1", { lastInboundAt: hoursAgo(23) });
    const outside = await person(channel.name, "out-1", { lastInboundAt: hoursAgo(25) });
    const never = await person(channel.name, "never-1", { lastInboundAt: null, language: "en" });
    const a = await send("in-1", inside, "Pelatihan besok jam 9");
    const b = await send("out-1", outside, "Pelatihan besok jam 9");
    const c = await send("never-1", never, "Training tomorrow at 9");
    const [ra, rb, rc] = [await done(a), await done(b), await done(c)];
    expect(ra).toMatchObject({ status: "sent", message: { template: null } });
    expect(rb).toMatchObject({ status: "sent", message: { template: "sapa_pengingat" } });
    expect(rc).toMatchObject({ status: "sent", message: { template: "sapa_reminder" } });
    expect(channel.sent).toEqual(
      expect.arrayContaining([
        { chatId: "in-1", text: "Pelatihan besok jam 9" },
        {
          chatId: "out-1",
          template: {
            name: "sapa_pengingat",
            language: "id",
            parameters: ["Ibu out-1", "Pelatihan besok jam 9", "Dinas Koperasi dan UKM"],
          },
        },
        {
          chatId: "never-1",
          template: {
            name: "sapa_reminder",
            language: "en",
            parameters: ["Ibu never-1", "Training tomorrow at 9", "Dinas Koperasi dan UKM"],
          },
        },
      ]),
    );
    expect(channel.calls).toHaveLength(3);
  });

  it("fails a row outside the window that has no template, saying what to do", async () => {
    const { channel, send } = start();
    const id = await send(
      "nomot-1",
      await person(channel.name, "nomot-1", { lastInboundAt: null }),
      "Semangat!",
      "motivation",
    );
    expect(await done(id)).toMatchObject({
      status: "failed",
      lastError:
        "outside WhatsApp's 24-hour window and no approved template for motivation messages: add one on the Kanal page",
      message: { status: "failed", template: null },
    });
    expect(channel.calls).toEqual([]);
  });

  it("falls back to the template once when the platform says the window has closed", async () => {
    const { channel, send } = start();
    const ok = await send("late-1", await person(channel.name, "late-1"), "Jadwal berubah");
    channel.failNext(outsideWindow(), "late-1");
    const bad = await send("late-2", await person(channel.name, "late-2"), "Jadwal berubah");
    channel.failNext(outsideWindow(), "late-2");
    channel.failNext(
      new SendError("WhatsApp 132001: Template does not exist", true, undefined, false, { code: "132001" }),
      "late-2",
      "template",
    );
    expect(await done(ok)).toMatchObject({ status: "sent", attempts: 1, message: { template: "sapa_pengingat" } });
    expect(await done(bad)).toMatchObject({ status: "failed", message: { errorCode: "132001" } });
    // One free-form try and one template each: no second fallback.
    expect(channel.calls.filter((c) => c.chatId === "late-1").map((c) => c.template?.name ?? "free-form")).toEqual([
      "free-form",
      "sapa_pengingat",
    ]);
    expect(channel.calls.filter((c) => c.chatId === "late-2").map((c) => c.template?.name ?? "free-form")).toEqual([
      "free-form",
      "sapa_pengingat",
    ]);
  });

  it("sends a message the status webhook failed with 131047 again as its template, once", async () => {
    const { channel, queue, send } = start();
    const id = await send("hook-1", await person(channel.name, "hook-1"), "Sertifikat siap", "notice");
    const sent = await done(id);
    expect(sent).toMatchObject({ status: "sent", message: { template: null } });
    const wamid = sent.message.platformMessageId!;
    expect(await fallBackToTemplate(db, queue, channel.name, wamid)).toBe(true);
    // The same report again (a redelivered webhook) does nothing more.
    expect(await fallBackToTemplate(db, queue, channel.name, wamid)).toBe(false);
    await waitFor(() => channel.sent.some((s) => s.template), 10_000, "the template");
    const copy = await db.prisma.message.findFirstOrThrow({
      where: { channel: channel.name, chatId: "hook-1", template: { not: null } },
      include: { outbox: true },
    });
    await done(copy.outbox!.id);
    expect(copy).toMatchObject({ text: "Sertifikat siap", template: "sapa_pemberitahuan", outbox: { kind: "notice" } });
    expect(await db.prisma.message.findUniqueOrThrow({ where: { id: sent.messageId } })).toMatchObject({
      status: "failed",
      errorCode: "131047",
    });
    // The copy went as a template: its own failure never falls back again.
    const copySent = await db.prisma.message.findUniqueOrThrow({ where: { id: copy.id } });
    expect(await fallBackToTemplate(db, queue, channel.name, copySent.platformMessageId!)).toBe(false);
    expect(channel.sent.map((s) => s.template?.name ?? s.text)).toEqual(["Sertifikat siap", "sapa_pemberitahuan"]);
    expect(channel.sent[1]!.template!.parameters).toEqual(["Sertifikat siap"]);
  });

  it("sends messages the bot starts only to people who consented and did not opt out; replies still go", async () => {
    const { channel, send } = start();
    const refused = await person(channel.name, "noconsent-1", { consent: false });
    const a = await send("noconsent-1", refused, "Pengingat");
    const b = await send("optout-1", await person(channel.name, "optout-1", { optedOut: true }), "Pengingat");
    const reply = await send("noconsent-1", refused, "Apakah Anda setuju?", "reply" as OutboundKind);
    expect(await done(a)).toMatchObject({
      status: "failed",
      lastError: "not sent: the person has not agreed to receive messages from the bot",
    });
    expect(await done(b)).toMatchObject({
      status: "failed",
      lastError: "not sent: the person has opted out (BERHENTI)",
    });
    expect(await done(reply)).toMatchObject({ status: "sent" });
    expect(channel.sent).toEqual([{ chatId: "noconsent-1", text: "Apakah Anda setuju?" }]);
  });

  it("waits for the daily messaging limit for a new person, not for someone already reached, and says so", async () => {
    const { channel, queue, prefix, send } = start(cloudPacing({ perSecond: 80, dailyLimit: 3 }));
    const ids: Record<string, number> = {};
    for (const chat of ["tier-a", "tier-b", "tier-c", "tier-d"])
      ids[chat] = await person(channel.name, chat, { lastInboundAt: null });
    for (const chat of ["tier-a", "tier-b", "tier-c"]) await done(await send(chat, ids[chat]!, "Pengingat 1"));
    expect(await tierWait(redis, prefix)).toBeNull();
    const fourth = await send("tier-d", ids["tier-d"]!, "Pengingat 1");
    const again = await send("tier-a", ids["tier-a"]!, "Pengingat 2");
    expect(await done(again)).toMatchObject({ status: "sent", message: { template: "sapa_pengingat" } });
    // The fourth person's job is set aside (delayed, no attempt used) until the oldest entry leaves the window.
    const bulk = queue.queue(channel.name, "bulk");
    await waitFor(async () => (await bulk.getDelayedCount()) === 1, 10_000, "the job to wait");
    expect(await row(fourth)).toMatchObject({ status: "pending", attempts: 0 });
    const wait = await tierWait(redis, prefix);
    expect(wait).toMatchObject({ reached: 3, limit: 3 });
    expect(wait!.until.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect(channel.sent.filter((s) => s.chatId === "tier-d")).toEqual([]);
  });

  it("holds only the chat Meta's pair rate limit (131056) is about, without using an attempt", async () => {
    const { channel, send } = start();
    channel.failNext(
      new SendError("WhatsApp 131056: Pair rate limit hit", false, 3_000, false, { code: "131056" }),
      "pair-a",
    );
    const a = await send("pair-a", await person(channel.name, "pair-a"), "Pengingat");
    const b = await send("pair-b", await person(channel.name, "pair-b"), "Pengingat");
    expect(await done(b)).toMatchObject({ status: "sent", attempts: 1 });
    expect(await done(a)).toMatchObject({ status: "sent", attempts: 1, lastError: null });
    // The other chat went while the first one waited: the channel itself was not held.
    const chats = channel.calls.map((c) => c.chatId);
    expect(chats.filter((c) => c === "pair-a")).toHaveLength(2);
    expect(chats.indexOf("pair-b")).toBeLessThan(chats.lastIndexOf("pair-a"));
  });

  it("uses no attempt on a rate limit (130429) and fails an undeliverable message (131026) with its code", async () => {
    const { channel, send } = start();
    channel.failNext(new SendError("WhatsApp 130429: Rate limit hit", false, 300, false, { code: "130429" }), "rl-1");
    channel.failNext(
      new SendError("WhatsApp 131026: Message undeliverable", true, undefined, false, { code: "131026" }),
      "gone-1",
    );
    const limited = await send("rl-1", await person(channel.name, "rl-1"), "Pengingat");
    const gone = await send("gone-1", await person(channel.name, "gone-1"), "Pengingat");
    expect(await done(limited)).toMatchObject({ status: "sent", attempts: 1, lastError: null });
    expect(await done(gone)).toMatchObject({
      status: "failed",
      attempts: 1,
      lastError: "WhatsApp 131026: Message undeliverable",
      message: { status: "failed", errorCode: "131026" },
    });
    expect(channel.calls.filter((c) => c.chatId === "rl-1")).toHaveLength(2);
  });
});
