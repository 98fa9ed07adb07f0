/**
 * Broadcasts end to end on real Redis and both databases: to 2,000 participants through the fake
 * Telegram Bot API; pause, resume and cancel on a slow channel; a send scheduled for later; the
 * two-person rule; the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { Bot } from "../../src/bot.js";
import type { ChannelAdapter, SendResult } from "../../src/channels/channel.js";
import { BroadcastError } from "../../src/domain/broadcast-types.js";
import { createBroadcastService } from "../../src/domain/broadcasts.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import type { Pacing } from "../../src/outbox/pacing.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addParticipants, addStaff } from "../support/population.js";
import { waitForQuiet } from "../support/quiet.js";
import { waitFor } from "../support/wait-for.js";

/** Counts texts per chat; each send takes `delayMs`. */
class SlowChannel implements ChannelAdapter {
  readonly name = "web";
  readonly buttons = true;
  readonly sent: { chatId: string; text: string }[] = [];
  constructor(private readonly delayMs: number) {}
  async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
    // Real time: a slow platform, so a pause or cancel lands while the broadcast is under way.
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.sent.push({ chatId, text: message.text });
    return {};
  }
  countTo(chatIds: Set<string>): Map<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.sent) if (chatIds.has(s.chatId)) counts.set(s.chatId, (counts.get(s.chatId) ?? 0) + 1);
    return counts;
  }
}

const slowPacing: Pacing = {
  replyPerSecond: 50,
  bulk: { max: 40, durationMs: 1000, jitter: false, chatGapMs: 0, dailyCap: null },
  concurrency: { reply: 2, bulk: 2 },
};

describe.each(providers)("broadcasts through Telegram on %s", (provider) => {
  let fake: FakeTelegram;
  let testApp: TestApp;
  let app: App;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    testApp = await startTestApp({
      provider,
      env: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        TELEGRAM_BULK_PER_SECOND: "1000",
        QUIET_HOURS: "off",
      },
    });
    app = testApp.app;
  });

  afterAll(async () => {
    await testApp.stop();
    await fake.close();
  });

  it("reaches 2,000 participants once each, in their language, leaving out the opted-out and blocked", async () => {
    const db = app.database.prisma;
    const first = 500_000;
    const ids = await addParticipants(db, 2050, {
      channel: "telegram",
      firstChatId: first,
      regency: "Kabupaten Belitung Timur",
      shape: (i) => ({
        optedOut: i >= 2000 && i < 2030,
        blocked: i >= 2030,
        language: i % 20 === 0 ? "en" : "id",
      }),
    });
    // Someone elsewhere, not in the segment.
    await addParticipants(db, 5, { channel: "telegram", firstChatId: 600_000, regency: "Kota Pangkalpinang" });
    const staffId = await addStaff(db, "Rina");
    const filter = { regencies: ["Kabupaten Belitung Timur"] };
    expect(await app.bot.broadcasts.preview(filter)).toEqual({
      matched: 2050,
      recipients: 2000,
      leftOut: { optedOut: 30, blocked: 20 },
    });

    const draft = await app.bot.broadcasts.create(staffId, {
      title: "Jadwal baru",
      textId: "Jadwal bimtek berubah.",
      textEn: "The training schedule has changed.",
      filter,
    });
    expect(draft.status).toBe("draft");
    await app.bot.broadcasts.schedule(staffId, draft.id, null);
    const done = await waitFor(
      async () => {
        const b = await app.bot.broadcasts.get(draft.id);
        return b?.status === "done" ? b : null;
      },
      60_000,
      "broadcast done",
    );
    expect(done.progress).toMatchObject({ recipients: 2000, sent: 2000, failed: 0, pending: 0, queued: 0 });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();

    // Once each, to exactly the recipients; English where chosen.
    const sent = new Map<number, string[]>();
    for (const m of fake.sent)
      if (m.chatId >= first && m.chatId < first + 3000) sent.set(m.chatId, [...(sent.get(m.chatId) ?? []), m.text]);
    expect(sent.size).toBe(2000);
    expect([...sent.values()].every((texts) => texts.length === 1)).toBe(true);
    expect(sent.get(first)).toEqual(["The training schedule has changed."]);
    expect(sent.get(first + 1)).toEqual(["Jadwal bimtek berubah."]);
    for (let i = 2000; i < 2050; i++) expect(sent.has(first + i)).toBe(false);
    expect(fake.sentTo(600_000)).toEqual([]);

    // The ledger: one row per recipient, each with its message.
    const ledger = await db.broadcastRecipient.findMany({ where: { broadcastId: draft.id } });
    expect(ledger).toHaveLength(2000);
    expect(new Set(ledger.map((r) => r.participantId))).toEqual(new Set(ids.slice(0, 2000)));
    expect(ledger.every((r) => r.status === "queued" && r.messageId !== null)).toBe(true);

    const actions = await db.auditLog.findMany({ where: { target: `broadcast:${draft.id}` }, orderBy: { id: "asc" } });
    expect(actions.map((a) => [a.staffId, a.action])).toEqual([
      [staffId, "broadcast.create"],
      [staffId, "broadcast.schedule"],
    ]);
    expect(actions[1]!.detail).toMatchObject({ recipients: 2000 });
  });
});

describe.each(providers)("pausing, resuming and cancelling on %s", (provider) => {
  let db: TestDatabase;
  let testBot: TestBot;
  let bot: Bot;
  const channel = new SlowChannel(5);
  let staffId: number;
  let next = 10_000;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    testBot = await startTestBot(db, { web: channel }, { pacing: { web: slowPacing } });
    ({ bot } = testBot);
    staffId = await addStaff(db.prisma, "Andi");
  });

  afterAll(async () => {
    await testBot.stop();
    await db.destroy();
  });

  /** `count` participants in a regency of their own; returns their chat ids. */
  async function audience(count: number, regency: string): Promise<Set<string>> {
    const firstChatId = next;
    next += count;
    await addParticipants(db.prisma, count, { channel: "web", firstChatId, regency });
    return new Set(Array.from({ length: count }, (_, i) => String(firstChatId + i)));
  }

  it("pause holds the rest; resume sends each remaining one once", async () => {
    const chats = await audience(200, "Pause");
    const b = await bot.broadcasts.create(staffId, {
      title: "Uji jeda",
      textId: "Uji jeda.",
      filter: { regencies: ["Pause"] },
    });
    await bot.broadcasts.schedule(staffId, b.id, null);
    await waitFor(() => channel.countTo(chats).size >= 20, 20_000, "first sends");
    const paused = await bot.broadcasts.pause(staffId, b.id);
    expect(paused.status).toBe("paused");
    // What was in flight may still finish; after that, nothing: no row left to send and no job
    // running (the jobs of the withdrawn rows may still wait in the slow lane: they find nothing).
    await waitForQuiet(bot, { database: db, channels: ["web"], outboxJobs: "idle" });
    const atPause = channel.countTo(chats).size;
    expect(atPause).toBeLessThan(200);
    const view = (await bot.broadcasts.get(b.id))!;
    expect(view.progress.pending).toBe(200 - atPause);
    expect(view.progress.sent).toBe(atPause);

    await expect(bot.broadcasts.pause(staffId, b.id)).rejects.toThrow(BroadcastError);
    expect((await bot.broadcasts.resume(staffId, b.id)).status).toBe("sending");
    await waitFor(async () => (await bot.broadcasts.get(b.id))?.status === "done", 30_000, "done after resume");
    const counts = channel.countTo(chats);
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it("cancel stops new sends for good", async () => {
    const chats = await audience(200, "Batal");
    const b = await bot.broadcasts.create(staffId, {
      title: "Uji batal",
      textId: "Uji batal.",
      filter: { regencies: ["Batal"] },
    });
    await bot.broadcasts.schedule(staffId, b.id, null);
    await waitFor(() => channel.countTo(chats).size >= 10, 20_000, "first sends");
    const cancelled = await bot.broadcasts.cancel(staffId, b.id);
    expect(cancelled.status).toBe("cancelled");
    await waitForQuiet(bot, { database: db, channels: ["web"], outboxJobs: "idle" });
    const atCancel = channel.countTo(chats).size;
    expect(atCancel).toBeLessThan(200);
    const view = (await bot.broadcasts.get(b.id))!;
    expect(view.progress).toMatchObject({ sent: atCancel, skipped: 200 - atCancel, pending: 0, queued: 0 });
    expect(view.progress.failures).toEqual([{ reason: "broadcast cancelled", count: 200 - atCancel }]);
    await expect(bot.broadcasts.resume(staffId, b.id)).rejects.toThrow(/cancelled/);
  });

  it("sends a scheduled broadcast at its time, not before", async () => {
    const chats = await audience(3, "Nanti");
    const b = await bot.broadcasts.create(staffId, {
      title: "Nanti",
      textId: "Nanti.",
      filter: { regencies: ["Nanti"] },
    });
    const at = new Date(Date.now() + 1500);
    const scheduled = await bot.broadcasts.schedule(staffId, b.id, at);
    expect(scheduled).toMatchObject({ status: "scheduled", scheduledAt: at });
    // Not before: its run waits in the queue, delayed until then.
    const delayed = await bot.broadcastQueue.queue.getDelayed();
    const run = delayed.find((j) => j.name === "run" && j.data.broadcastId === b.id);
    expect(Math.abs(run!.timestamp + run!.delay - at.getTime())).toBeLessThan(50);
    expect(channel.countTo(chats).size).toBe(0);
    await waitFor(() => channel.countTo(chats).size === 3, 10_000, "sent at its time");
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
  });

  it("after Redis lost the broadcast's jobs, the reconcile pass finishes it", async () => {
    const chats = await audience(30, "Hilang");
    const b = await bot.broadcasts.create(staffId, {
      title: "Hilang",
      textId: "Hilang.",
      filter: { regencies: ["Hilang"] },
    });
    // Scheduled in the database, but its job never reached Redis.
    await db.prisma.broadcast.update({ where: { id: b.id }, data: { status: "scheduled", scheduledAt: new Date() } });
    await bot.reconcile();
    await waitFor(async () => (await bot.broadcasts.get(b.id))?.status === "done", 30_000, "done after reconcile");
    expect(channel.countTo(chats).size).toBe(30);
  });
});

describe.each(providers)("the two-person rule on %s", (provider) => {
  let db: TestDatabase;
  const started: number[] = [];

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    await addParticipants(db.prisma, 6, { channel: "web", firstChatId: 1, regency: "Kabupaten Bangka" });
  });

  afterAll(() => db.destroy());

  it("holds a broadcast to more than the threshold until someone else approves it", async () => {
    const service = createBroadcastService({
      database: db,
      jobs: { start: async (id) => void started.push(id) },
      settings: { approvalThreshold: 5, timeZone: "Asia/Jakarta" },
    });
    const author = await addStaff(db.prisma, "Penulis");
    const admin = await addStaff(db.prisma, "Kepala Bidang", "admin");
    const b = await service.create(author, { title: "Besar", textId: "Untuk semua.", filter: {} });
    const submitted = await service.schedule(author, b.id, null);
    expect(submitted.status).toBe("pending_approval");
    expect(started).toEqual([]);
    await expect(service.approve(author, b.id)).rejects.toMatchObject({ code: "same_approver" });
    const approved = await service.approve(admin, b.id);
    expect(approved).toMatchObject({ status: "scheduled", approvedBy: { id: admin, name: "Kepala Bidang" } });
    expect(started).toEqual([b.id]);
    await expect(service.approve(admin, b.id)).rejects.toMatchObject({ code: "invalid_state" });

    // Five or fewer go without approval.
    const small = await service.create(author, {
      title: "Kecil",
      textId: "Untuk Bangka, kecuali satu.",
      filter: { regencies: ["Kabupaten Bangka"], exclude: { channels: ["telegram"] } },
    });
    await db.prisma.channelIdentity.updateMany({ where: { platformUserId: "1" }, data: { channel: "telegram" } });
    expect((await service.preview(small.filter)).recipients).toBe(5);
    expect((await service.schedule(author, small.id, null)).status).toBe("scheduled");
    expect(started).toEqual([b.id, small.id]);
    const audit = await db.prisma.auditLog.findMany({ where: { target: `broadcast:${b.id}` }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.staffId, a.action])).toEqual([
      [author, "broadcast.create"],
      [author, "broadcast.submit"],
      [admin, "broadcast.approve"],
    ]);
  });
});
