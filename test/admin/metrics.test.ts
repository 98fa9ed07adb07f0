/**
 * GET /metrics after real work: a participant registers and enrolls through the inbound path,
 * the replies and then a reminder go out through the outbox worker on a recording channel, and
 * sends fail in each of the ways the worker tells apart. The exposition must count exactly what
 * happened, with the right labels. Real Redis and database.
 */
import { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../../src/admin/server.js";
import type { Bot } from "../../src/bot.js";
import { SendError, type ChannelAdapter, type SendResult } from "../../src/channels/channel.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { OutboxQueue } from "../../src/outbox/queue.js";
import { maxSendAttempts } from "../../src/outbox/worker.js";
import { createLogger } from "../../src/logger.js";
import { recordInbound } from "../../src/metrics.js";
import { priorities } from "../../src/outbox/types.js";
import { queueOutbound } from "../../src/outbox/queue-outbound.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { openTestDatabase, type TestDatabase } from "../support/databases.js";
import { registrationAnswers } from "../support/harness.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

/** A channel that records every send; sends to a chat given in `failures` throw its errors first. */
class RecordingChannel implements ChannelAdapter {
  readonly name = "web";
  readonly buttons = true;
  calls = 0;
  readonly sent: { chatId: string; text: string }[] = [];
  readonly failures = new Map<string, SendError[]>();

  async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
    this.calls++;
    const error = this.failures.get(chatId)?.shift();
    if (error) throw error;
    this.sent.push({ chatId, text: message.text });
    return {};
  }
}

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and exactly these labels (undefined: none). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
  if (found.length > 1) throw new Error(`${name} ${want} appears ${found.length} times`);
  return found[0]?.value;
}

describe("/metrics", () => {
  let db: TestDatabase;
  let testBot: TestBot;
  let bot: Bot;
  let server: FastifyInstance;
  let bare: FastifyInstance;
  let probe: Queue;
  const channel = new RecordingChannel();
  let programmeId: number;
  let counter = 0;

  beforeAll(async () => {
    db = await openTestDatabase("sqlite");
    await seedDatabase(db.prisma);
    programmeId = (
      await db.prisma.programme.create({
        data: {
          slug: "uji-metrik",
          sector: "lada",
          titleId: "Uji Metrik",
          titleEn: "Metrics Test",
          descriptionId: "-",
          descriptionEn: "-",
          timeZone: "Asia/Jakarta",
          reminderOffsets: [{ kind: "before", minutes: 120 }],
        },
      })
    ).id;
    testBot = await startTestBot(db, { web: channel });
    ({ bot } = testBot);
    // A queue no worker takes from, so its counts hold still.
    probe = new Queue("metrics-probe", { connection: testBot.redis, prefix: testBot.prefix });
    const logger = createLogger({ level: "silent" });
    server = await buildServer({
      database: db,
      redis: testBot.redis,
      logger,
      queues: () => [bot.outbox.queue("web", "reply"), bot.outbox.queue("web", "bulk"), bot.reminders.queue, probe],
    });
    // Without `queues` (until src/app.ts passes them) the queue gauge has no series from it.
    bare = await buildServer({ database: db, redis: testBot.redis, logger });
  });

  afterAll(async () => {
    await server?.close();
    await bare?.close();
    await probe?.close();
    await testBot?.stop();
    await db?.destroy();
  });

  const scrape = async (app: FastifyInstance) => {
    const res = await app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    return parseExposition(res.body);
  };

  const say = (chatId: string, fields: { text?: string; choiceId?: string; deepLink?: string }) =>
    bot.runtime.handle({
      channel: "web",
      chatId,
      senderId: chatId,
      platformMessageId: `${chatId}-${++counter}`,
      receivedAt: new Date(),
      ...fields,
    });

  it("counts messages out by kind, send times, failures by reason, reminder lateness and queue depths", async () => {
    // Recorded directly, as InboundRuntime.handle will once it calls recordInbound.
    recordInbound("telegram");
    recordInbound("telegram");

    // Registration and enrollment: replies, and a reminder due 3 seconds from now.
    const session = await db.prisma.trainingSession.create({
      data: {
        code: `uji-metrik-${Date.now()}`,
        programmeId,
        startsAt: new Date(Date.now() + 120 * 60_000 + 3000),
        endsAt: new Date(Date.now() + 240 * 60_000),
        venue: "Aula Disperindag",
        address: "Jl. Pulau Bangka, Pangkalpinang",
        regency: "Kota Pangkalpinang",
        capacity: 10,
      },
    });
    for (const text of registrationAnswers("Peserta Metrik", "081234500001")) await say("met-a", { text });
    await say("met-a", { deepLink: "daftar-uji-metrik" });
    await say("met-a", { choiceId: `s${session.id}` });
    await say("met-a", { choiceId: "yes" });
    const [reminder] = await db.prisma.reminder.findMany({ where: { enrollment: { trainingSessionId: session.id } } });
    expect(reminder?.status).toBe("pending");

    // Notices whose sends fail in each way the worker tells apart.
    channel.failures.set("met-permanent", [new SendError("Bad Request: chat not found", true)]);
    channel.failures.set("met-blocked", [
      new SendError("Forbidden: bot was blocked by the user", true, undefined, true),
    ]);
    channel.failures.set("met-429", [new SendError("Too Many Requests: retry after 1", false, 50)]);
    channel.failures.set("met-5xx", [new SendError("Bad Gateway", false)]);
    channel.failures.set("met-gave-up", [new SendError("Bad Gateway", false)]);
    const notice = (chatId: string) => ({
      channel: "web",
      chatId,
      identityId: null,
      message: { text: `notice to ${chatId}` },
      kind: "notice" as const,
    });
    await queueOutbound(db, bot.outbox, ["met-permanent", "met-blocked", "met-429", "met-5xx"].map(notice));
    // A row on its last allowed attempt: written with its job elsewhere, then enqueued here.
    const elsewhere = testPrefix();
    const [lastTry] = await queueOutbound(db, new OutboxQueue(testBot.redis, elsewhere, "elsewhere"), [
      notice("met-gave-up"),
    ]);
    await deletePrefix(testBot.redis, elsewhere);
    await db.prisma.outboxItem.update({ where: { id: lastTry! }, data: { attempts: maxSendAttempts - 1 } });
    await bot.outbox.enqueue({ channel: "web", chatId: "met-gave-up", ids: [lastTry!], priority: priorities.notice });

    // Jobs that stay where they are: one waiting, one prioritized (counted as waiting), one delayed.
    await probe.add("plain", {});
    await probe.add("prioritized", {}, { priority: 5 });
    await probe.add("later", {}, { delay: 600_000 });

    await waitFor(
      async () =>
        (await db.prisma.reminder.findUniqueOrThrow({ where: { id: reminder!.id } })).status === "sent" &&
        (await db.prisma.outboxItem.count({ where: { status: { in: ["pending", "sending"] } } })) === 0,
      20_000,
      "the reminder and every outbox row to be done",
    );

    const rows = await db.prisma.outboxItem.groupBy({ by: ["kind", "status"], _count: true });
    const count = (kind: string, status: string) =>
      rows.find((r) => r.kind === kind && r.status === status)?._count ?? 0;
    expect(count("reply", "sent")).toBeGreaterThan(5);
    expect(count("notice", "sent")).toBe(2);
    expect(count("notice", "failed")).toBe(3);
    expect(count("reminder", "sent")).toBe(1);

    const samples = await scrape(server);
    const out = (kind: string) => valueOf(samples, "sapa_messages_out_total", { channel: "web", kind });
    expect(out("reply")).toBe(count("reply", "sent"));
    expect(out("notice")).toBe(2);
    expect(out("reminder")).toBe(1);
    // Kinds not sent yet are there at 0, so rates and alerts work from the start.
    expect(out("motivation")).toBe(0);
    expect(out("broadcast")).toBe(0);
    expect(channel.sent.length).toBe(count("reply", "sent") + 3);

    const failures = (reason: string) => valueOf(samples, "sapa_send_failures_total", { channel: "web", reason });
    expect(["rate_limited", "blocked", "permanent", "transient", "gave_up"].map((r) => [r, failures(r)])).toEqual([
      ["rate_limited", 1],
      ["blocked", 1],
      ["permanent", 1],
      ["transient", 1],
      ["gave_up", 1],
    ]);

    // Every call of channel.send is timed, the failed ones too.
    expect(channel.calls).toBe(channel.sent.length + 5);
    expect(valueOf(samples, "sapa_send_duration_seconds_count", { channel: "web" })).toBe(channel.calls);
    expect(valueOf(samples, "sapa_send_duration_seconds_bucket", { channel: "web", le: "+Inf" })).toBe(channel.calls);

    expect(valueOf(samples, "sapa_messages_in_total", { channel: "telegram" })).toBe(2);
    // Each message the participant wrote in the web chat, once.
    const inbound = await db.prisma.message.count({ where: { channel: "web", direction: "inbound" } });
    expect(inbound).toBeGreaterThan(5);
    expect(valueOf(samples, "sapa_messages_in_total", { channel: "web" })).toBe(inbound);

    // The reminder was queued moments after its due time.
    expect(valueOf(samples, "sapa_reminder_lateness_seconds_count")).toBe(1);
    const lateness = valueOf(samples, "sapa_reminder_lateness_seconds_sum")!;
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(5);

    const jobs = (queue: string) =>
      Object.fromEntries(
        ["waiting", "active", "delayed", "failed"].map((state) => [
          state,
          valueOf(samples, "sapa_queue_jobs", { queue, state }),
        ]),
      );
    expect(jobs("metrics-probe")).toEqual({ waiting: 2, active: 0, delayed: 1, failed: 0 });
    expect(jobs("outbox-web")).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(jobs("outbox-web-bulk")).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(jobs("reminders")).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });

    // Node's process metrics, on the same registry.
    expect(valueOf(samples, "sapa_process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(valueOf(samples, "sapa_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
  });

  it("shows no queue series without queues, and drops a server's queues when it closes", async () => {
    await server.close();
    const samples = await scrape(bare);
    expect(samples.filter((s) => s.name === "sapa_queue_jobs")).toEqual([]);
    expect(valueOf(samples, "sapa_messages_in_total", { channel: "telegram" })).toBe(2);
  });
});
