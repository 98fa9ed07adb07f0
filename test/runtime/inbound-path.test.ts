import crypto from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBot, type Bot } from "../../src/bot.js";
import { SendError, type ChannelAdapter } from "../../src/channels/channel.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { Engine } from "../../src/engine/engine.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { createLogger } from "../../src/logger.js";
import type { InboundMessage } from "../../src/runtime/inbound-message.js";
import { InboundRuntime } from "../../src/runtime/inbound-runtime.js";
import { flowSet } from "../../flows/index.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { waitForQuiet } from "../support/quiet.js";
import { waitFor } from "../support/wait-for.js";
import { startTestBot, type TestBot } from "../support/bot.js";

/** A channel that records what it sends; `fail` decides per message whether to throw. */
function recordingChannel(name: string, fail?: (text: string, attempt: number) => SendError | null) {
  const sent: { chatId: string; message: OutgoingMessage }[] = [];
  const attempts = new Map<string, number>();
  const adapter: ChannelAdapter = {
    name,
    buttons: true,
    async send(chatId, message) {
      const n = (attempts.get(message.text) ?? 0) + 1;
      attempts.set(message.text, n);
      const error = fail?.(message.text, n);
      if (error) throw error;
      sent.push({ chatId, message });
      return { platformMessageId: `${chatId}:${sent.length}` };
    },
  };
  return { adapter, sent };
}

let counter = 0;
const inbound = (chatId: string, text: string, channel = "web"): InboundMessage => ({
  channel,
  chatId,
  senderId: chatId,
  platformMessageId: `p${++counter}-${crypto.randomUUID()}`,
  receivedAt: new Date(),
  text,
});

describe.each(providers)("the inbound path on %s", (provider) => {
  let db: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let bot: Bot;
  let testBot: TestBot;
  const web = recordingChannel("web");
  const broken = recordingChannel("broken", () => new SendError("400: chat not found", true));
  const flaky = recordingChannel("flaky", (_text, attempt) =>
    attempt === 1 ? new SendError("502: bad gateway", false) : null,
  );

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    await seedDatabase(db.prisma);
    testBot = await startTestBot(db, { web: web.adapter, broken: broken.adapter, flaky: flaky.adapter });
    ({ bot, redis, prefix } = testBot);
  });

  afterAll(async () => {
    await testBot.stop();
    await db.destroy();
  });

  const repliesTo = (chatId: string) => web.sent.filter((s) => s.chatId === chatId).map((s) => s.message.text);

  it("processes a message delivered twice only once", async () => {
    const message = inbound("dup-1", "halo");
    const results = await Promise.all([bot.runtime.handle(message), bot.runtime.handle(message)]);
    const again = await bot.runtime.handle(message);
    expect(results.map((r) => r.status).sort()).toEqual(["duplicate", "processed"]);
    expect(again.status).toBe("duplicate");
    expect(await db.prisma.message.count({ where: { chatId: "dup-1", direction: "inbound" } })).toBe(1);
    await waitFor(() => repliesTo("dup-1").length === 2, 10_000, "the two consent messages");
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    expect(repliesTo("dup-1")).toHaveLength(2);
  });

  it("handles two messages of one chat arriving together in order", async () => {
    await Promise.all([bot.runtime.handle(inbound("order-1", "halo")), bot.runtime.handle(inbound("order-1", "ya"))]);
    const conversation = await db.prisma.conversation.findFirst({ where: { identity: { chatId: "order-1" } } });
    expect(conversation).toMatchObject({ flow: "registration", node: "ask_name", version: 1 });
    await waitFor(() => repliesTo("order-1").length === 3, 10_000, "three replies");
    expect(repliesTo("order-1")[0]).toMatch(/^Selamat datang/);
    expect(repliesTo("order-1")[1]).toMatch(/Apakah Anda setuju\?$/);
    expect(repliesTo("order-1")[2]).toBe("Siapa nama lengkap Anda?");
    // The outbox recorded each delivery.
    await waitFor(
      async () => {
        const rows = await db.prisma.message.findMany({
          where: { chatId: "order-1", direction: "outbound" },
          select: { status: true, platformMessageId: true },
        });
        return rows.length === 3 && rows.every((r) => r.status === "sent" && r.platformMessageId);
      },
      10_000,
      "delivery recorded as sent, with the platform's message id",
    );
  });

  it("ends 50 participants racing for the last 10 seats as 10 enrolled and 40 waitlisted in order", async () => {
    const session = await db.prisma.trainingSession.findFirstOrThrow({ orderBy: { id: "asc" } });
    await db.prisma.trainingSession.update({ where: { id: session.id }, data: { capacity: 10 } });
    const chats = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    for (const [i, chatId] of chats.entries()) {
      const participant = await db.prisma.participant.create({
        data: {
          name: `Peserta ${i}`,
          businessName: "Usaha",
          sector: "lada",
          regency: "Kabupaten Bangka Tengah",
          phone: `62812000${String(i).padStart(5, "0")}`,
          registeredAt: new Date(),
          consentAt: new Date(),
          consentVersion: "test",
        },
      });
      await db.prisma.channelIdentity.create({
        data: {
          channel: "web",
          platformUserId: chatId,
          chatId,
          participantId: participant.id,
          conversation: {
            create: {
              flow: "enrollment",
              node: "confirm",
              variables: { programmeId: session.programmeId, sessionId: session.id },
              expiresAt: new Date(Date.now() + 3_600_000),
            },
          },
        },
      });
    }
    const results = await Promise.all(chats.map((chatId) => bot.runtime.handle(inbound(chatId, "ya"))));
    expect(results.every((r) => r.status === "processed")).toBe(true);

    const enrollments = await db.prisma.enrollment.findMany({ where: { trainingSessionId: session.id } });
    expect(enrollments.filter((e) => e.status === "enrolled")).toHaveLength(10);
    const waitlisted = enrollments.filter((e) => e.status === "waitlisted");
    expect(waitlisted).toHaveLength(40);
    expect(new Set(waitlisted.map((e) => e.waitlistPosition)).size).toBe(40);

    // Everyone was told their outcome; waiting-list numbers 1 to 40, each once.
    await waitFor(() => chats.every((c) => repliesTo(c).length >= 2), 20_000, "all outcomes sent");
    const outcomes = chats.map((c) => repliesTo(c)[0]!);
    expect(outcomes.filter((t) => t.startsWith("✅ Anda terdaftar"))).toHaveLength(10);
    const numbers = outcomes
      .map((t) => /daftar tunggu nomor (\d+)/.exec(t)?.[1])
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it("loses no update when two workers handle the same chat at once", async () => {
    const second = new InboundRuntime({
      database: db,
      engine: new Engine(flowSet),
      outbox: bot.outbox,
      channels: { web: { buttons: true } },
      conversationTtlHours: 24,
      defaultLanguage: "id",
      logger: createLogger({ level: "silent" }),
    });
    const chatId = "two-workers";
    for (const text of ["halo", "ya"]) await bot.runtime.handle(inbound(chatId, text));
    const before = await db.prisma.conversation.findFirstOrThrow({ where: { identity: { chatId } } });
    // Each runtime serialises its own chats only: these two race on the same conversation row.
    await Promise.all([
      bot.runtime.handle(inbound(chatId, "Siti Aminah")),
      second.handle(inbound(chatId, "Konveksi Berkah")),
    ]);
    const after = await db.prisma.conversation.findFirstOrThrow({ where: { identity: { chatId } } });
    expect(after.version).toBe(before.version + 2);
    const vars = after.variables as Record<string, unknown>;
    // Both answers landed, one after the other, whichever won the race.
    expect([vars.name, vars.businessName].sort()).toEqual(["Konveksi Berkah", "Siti Aminah"]);
    expect(after.node).toBe("ask_sector");
  });

  it("schedules a wait timeout as a delayed job and resumes the conversation when it fires", async () => {
    const chatId = "timeout-1";
    const answers = ["halo", "ya", "Dewi", "Dewi Jahit", "2", "1", "081311112222", "2"];
    for (const text of answers) await bot.runtime.handle(inbound(chatId, text));
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({
      where: { chatId },
      include: { conversation: true },
    });
    expect(identity.conversation).toMatchObject({ node: "summary" });
    const version = identity.conversation!.version;
    const job = await bot.timeouts.queue.getJob(bot.timeouts.jobId(identity.id, version));
    expect(job?.opts.delay).toBe(60 * 60_000);

    // The same job, due now: the worker resumes the conversation with a timeout.
    await job!.remove();
    await bot.timeouts.schedule(identity.id, version, 0);
    await waitFor(
      () => repliesTo(chatId).some((t) => t.startsWith("Data pendaftaran Anda belum tersimpan")),
      10_000,
      "the nudge",
    );
    const after = await db.prisma.conversation.findFirstOrThrow({ where: { identityId: identity.id } });
    expect(after).toMatchObject({ node: "summary_nudge", version: version + 1 });
  });

  it("leaves a channel's messages to the process that has that channel", async () => {
    // Like `npm run chat` next to `npm start`: another process, other channels, same Redis.
    const other = recordingChannel("console");
    const neighbour = await createBot({
      database: db,
      redis,
      queuePrefix: prefix,
      logger: createLogger({ level: "silent" }),
      channels: { console: other.adapter },
      conversationTtlHours: 24,
      defaultLanguage: "id",
    });
    try {
      for (let i = 0; i < 5; i++) await bot.runtime.handle(inbound(`shared-${i}`, "halo"));
      await waitFor(() => [0, 1, 2, 3, 4].every((i) => repliesTo(`shared-${i}`).length === 2), 10_000, "web replies");
      expect(other.sent).toEqual([]);
      expect(await db.prisma.message.count({ where: { chatId: { startsWith: "shared-" }, status: "failed" } })).toBe(0);
    } finally {
      await neighbour.close();
    }
  });

  it("records a permanent send failure with its reason and does not retry it", async () => {
    await bot.runtime.handle(inbound("b-1", "halo", "broken"));
    const failed = await waitFor(
      async () => {
        const rows = await db.prisma.message.findMany({ where: { chatId: "b-1", direction: "outbound" } });
        return rows.length && rows.every((r) => r.status === "failed") ? rows : null;
      },
      10_000,
      "failed messages",
    );
    expect(failed[0]!.error).toBe("400: chat not found");
    const items = await db.prisma.outboxItem.findMany({ where: { chatId: "b-1" } });
    expect(items[0]).toMatchObject({ status: "failed", attempts: 1, lastError: "400: chat not found" });
  });

  it("retries a temporary send failure until it goes through", async () => {
    await bot.runtime.handle(inbound("f-1", "halo", "flaky"));
    const items = await waitFor(
      async () => {
        const rows = await db.prisma.outboxItem.findMany({ where: { chatId: "f-1" }, orderBy: { id: "asc" } });
        return rows.length === 2 && rows.every((r) => r.status === "sent") ? rows : null;
      },
      15_000,
      "the retried messages",
    );
    expect(items[0]!.attempts).toBe(2);
    expect(flaky.sent.map((s) => s.chatId)).toEqual(["f-1", "f-1"]);
  });

  it("sends outbox rows the queue never got, through the reconcile pass", async () => {
    const old = new Date(Date.now() - 60_000);
    const message = await db.prisma.message.create({
      data: {
        direction: "outbound",
        channel: "web",
        chatId: "lost-1",
        text: "Pesan yang tertinggal",
        status: "queued",
      },
    });
    await db.prisma.outboxItem.create({
      data: { messageId: message.id, channel: "web", chatId: "lost-1", kind: "notice", createdAt: old },
    });
    expect(await bot.reconcile()).toBeGreaterThanOrEqual(1);
    await waitFor(() => repliesTo("lost-1").length === 1, 10_000, "the reconciled message");
    expect(repliesTo("lost-1")).toEqual(["Pesan yang tertinggal"]);
  });
});
