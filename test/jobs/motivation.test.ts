/**
 * Motivation rounds, quiet hours and the weekly cap, end to end: participants register through
 * the inbound path, rounds write and send through the outbox on the bot's clock (set by the
 * test), on real Redis and both databases.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Bot } from "../../src/bot.js";
import type { ChannelAdapter, SendResult } from "../../src/channels/channel.js";
import { pickMessage } from "../../src/domain/motivation.js";
import { parseQuietHours, quietUntil } from "../../src/domain/quiet-hours.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { queueOutbound } from "../../src/outbox/queue-outbound.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { registrationAnswers } from "../support/harness.js";
import { waitForQuiet } from "../support/quiet.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { waitFor } from "../support/wait-for.js";

class RecordingChannel implements ChannelAdapter {
  readonly name = "web";
  readonly buttons = true;
  readonly sent: { chatId: string; text: string }[] = [];
  async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
    this.sent.push({ chatId, text: message.text });
    return {};
  }
  motivation(chatId: string) {
    return this.sent.filter((s) => s.chatId === chatId && s.text.startsWith("💡")).map((s) => s.text);
  }
  reminders(chatId: string) {
    return this.sent.filter((s) => s.chatId === chatId && s.text.startsWith("🔔")).map((s) => s.text);
  }
}

const quiet = parseQuietHours("20:00-07:00")!;

describe("quiet hours", () => {
  it("say when they end, across midnight and in each time zone", () => {
    // 21:30 WIB on 1 December is 14:30 UTC: quiet until 07:00 WIB on 2 December (00:00 UTC).
    expect(quietUntil(new Date("2026-12-01T14:30:00Z"), "Asia/Jakarta", quiet)?.toISOString()).toBe(
      "2026-12-02T00:00:00.000Z",
    );
    // 05:00 WIT is quiet until 07:00 WIT the same day (22:00 UTC the day before).
    expect(quietUntil(new Date("2026-12-01T20:00:00Z"), "Asia/Jayapura", quiet)?.toISOString()).toBe(
      "2026-12-01T22:00:00.000Z",
    );
    // 08:00 WIB and 19:59 WITA are not quiet; 20:00 is.
    expect(quietUntil(new Date("2026-12-01T01:00:00Z"), "Asia/Jakarta", quiet)).toBeNull();
    expect(quietUntil(new Date("2026-12-01T11:59:00Z"), "Asia/Makassar", quiet)).toBeNull();
    expect(quietUntil(new Date("2026-12-01T12:00:00Z"), "Asia/Makassar", quiet)).not.toBeNull();
    // Off, and hours that do not span midnight.
    expect(quietUntil(new Date("2026-12-01T14:30:00Z"), "Asia/Jakarta", null)).toBeNull();
    expect(
      quietUntil(new Date("2026-12-01T06:00:00Z"), "Asia/Jakarta", parseQuietHours("12:00-14:00")!)?.toISOString(),
    ).toBe("2026-12-01T07:00:00.000Z");
    expect(parseQuietHours("off")).toBeNull();
    expect(parseQuietHours("25:00-07:00")).toBeUndefined();
    expect(parseQuietHours("07:00-07:00")).toBeUndefined();
  });
});

describe("choosing a motivational message", () => {
  it("takes one not had yet, and repeats only once the library is used up", () => {
    const library = ["a", "b", "c"].map((slug) => ({ slug, language: "id", text: slug }));
    const had = new Map<string, number>();
    const picked: string[] = [];
    for (let i = 0; i < 7; i++) {
      const entry = pickMessage(library, had)!;
      picked.push(entry.slug);
      had.set(entry.slug, (had.get(entry.slug) ?? 0) + 1);
    }
    expect(picked).toEqual(["a", "b", "c", "a", "b", "c", "a"]);
    expect(pickMessage([], had)).toBeNull();
  });
});

describe.each(providers)("motivation on %s", (provider) => {
  let db: TestDatabase;
  let bot: Bot;
  let testBot: TestBot;
  const channel = new RecordingChannel();
  // Tuesday 1 December 2026, 08:00 WIB: the bot's clock, moved by the tests.
  const start = new Date("2026-12-01T01:00:00Z");
  let clock = start;
  let counter = 0;
  const week = 7 * 86_400_000;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    // A small library: three messages in Indonesian, two in English.
    for (const [slug, id, en] of [
      ["satu", "Pesan satu.", "Message one."],
      ["dua", "Pesan dua.", "Message two."],
      ["tiga", "Pesan tiga.", null],
    ] as const) {
      await db.prisma.motivationalMessage.create({ data: { slug, language: "id", topic: "uji", text: id } });
      if (en) await db.prisma.motivationalMessage.create({ data: { slug, language: "en", topic: "uji", text: en } });
    }
    await db.prisma.motivationalMessage.create({
      data: { slug: "mati", language: "id", topic: "uji", text: "Pesan nonaktif.", active: false },
    });
    await db.prisma.programme.create({
      data: {
        slug: "uji-pagi",
        sector: "lada",
        titleId: "Uji Pagi",
        titleEn: "Morning Test",
        descriptionId: "-",
        descriptionEn: "-",
        timeZone: "Asia/Jakarta",
        reminderOffsets: [{ kind: "before", minutes: 120 }],
        // A participant takes both of its sessions in the quiet-hours test.
        seatsPerParticipant: 2,
      },
    });
    testBot = await startTestBot(
      db,
      { web: channel },
      {
        timeZone: "Asia/Jakarta",
        schedule: { motivationCron: "0 8 * * 2", quietHours: quiet, weeklyCap: 2 },
        now: () => clock,
      },
    );
    ({ bot } = testBot);
  });

  afterAll(async () => {
    await testBot.stop();
    await db.destroy();
  });

  beforeEach(() => {
    clock = start;
  });

  const say = (chatId: string, fields: { text?: string; choiceId?: string; deepLink?: string }) =>
    bot.runtime.handle({
      channel: "web",
      chatId,
      senderId: chatId,
      platformMessageId: `${chatId}-${++counter}`,
      receivedAt: clock,
      ...fields,
    });

  /** What the bot answered to one message, in order (read from the outbox, not the channel). */
  const answer = async (chatId: string, fields: { text?: string; choiceId?: string }) => {
    const result = await say(chatId, fields);
    if (result.status !== "processed") return [];
    const items = await db.prisma.outboxItem.findMany({
      where: { id: { in: result.outboxIds } },
      include: { message: true },
      orderBy: { id: "asc" },
    });
    return items.map((i) => i.message.text ?? "");
  };

  async function register(chatId: string, language: "id" | "en" = "id") {
    for (const text of registrationAnswers(`Peserta ${chatId}`, "081234500000")) await say(chatId, { text });
    if (language === "en") {
      await say(chatId, { text: "BAHASA" });
      await say(chatId, { choiceId: "en" });
    }
    return (await db.prisma.channelIdentity.findFirstOrThrow({ where: { platformUserId: chatId } })).participantId!;
  }

  /** Leaves only these participants eligible, so each test counts its own. */
  async function onlyThese(ids: number[]) {
    await db.prisma.participant.updateMany({ where: { id: { notIn: ids } }, data: { optedOutAt: clock } });
  }

  it("installs the weekly round in Redis, at the scheduled local time", async () => {
    const next = await bot.motivation.next();
    expect(next).not.toBeNull();
    const local = new Intl.DateTimeFormat("en-US", {
      timeZone: "Asia/Jakarta",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(next!);
    expect(local).toBe("Tue 08:00");
    expect(next!.getTime()).toBeGreaterThan(Date.now());
  });

  it("sends each participant a message in their language, with no repeat until the library is used up", async () => {
    const ani = await register("mot-ani");
    const ben = await register("mot-ben", "en");
    await onlyThese([ani, ben]);
    for (let round = 0; round < 4; round++) {
      clock = new Date(start.getTime() + round * week);
      const result = await bot.sendMotivationRound();
      expect(result).toMatchObject({ queued: 2, atCap: 0, noMessage: 0 });
      await waitFor(
        () => channel.motivation("mot-ani").length === round + 1 && channel.motivation("mot-ben").length === round + 1,
      );
    }
    const ani4 = channel.motivation("mot-ani");
    expect(ani4.slice(0, 3).map((t) => t.split("\n")[0])).toEqual([
      "💡 Pesan satu.",
      "💡 Pesan dua.",
      "💡 Pesan tiga.",
    ]);
    // The fourth round starts the library again; the inactive message never comes.
    expect(ani4[3]).toContain("Pesan satu.");
    expect(ani4.join()).not.toContain("nonaktif");
    expect(ani4[0]).toContain("MOTIVASI OFF");
    // English, from the English library only (two messages).
    expect(channel.motivation("mot-ben").map((t) => t.split("\n")[0])).toEqual([
      "💡 Message one.",
      "💡 Message two.",
      "💡 Message one.",
      "💡 Message two.",
    ]);
    expect(channel.motivation("mot-ben")[0]).toContain("MOTIVATION OFF");
  });

  it("sends nothing twice when a round runs again", async () => {
    const cici = await register("mot-cici");
    await onlyThese([cici]);
    clock = new Date(start.getTime() + 10 * week);
    expect(await bot.sendMotivationRound()).toMatchObject({ queued: 1, alreadyInRound: 0 });
    expect(await bot.sendMotivationRound()).toMatchObject({ queued: 0, alreadyInRound: 1 });
    // The scheduler's job of the same day (a retry, a second process) is the same round.
    await bot.motivation.queue.add("round", {}, { timestamp: clock.getTime() });
    await waitFor(async () => (await bot.motivation.queue.getCompletedCount()) > 0);
    await waitFor(() => channel.motivation("mot-cici").length === 1);
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    expect(channel.motivation("mot-cici")).toHaveLength(1);
    expect(await db.prisma.motivationDelivery.count({ where: { participantId: cici } })).toBe(1);
  });

  it("runs a round from the queue, as the scheduler does", async () => {
    const dedi = await register("mot-dedi");
    await onlyThese([dedi]);
    clock = new Date(start.getTime() + 20 * week);
    await bot.motivation.queue.add("round", { round: "from-queue" });
    await waitFor(() => channel.motivation("mot-dedi").length === 1);
    expect(await db.prisma.motivationDelivery.findFirst({ where: { participantId: dedi } })).toMatchObject({
      round: "from-queue",
      slug: "satu",
    });
  });

  it("leaves out whoever typed MOTIVASI OFF or STOP, and takes them back after MOTIVASI ON", async () => {
    const eka = await register("mot-eka");
    const fajar = await register("mot-fajar");
    await onlyThese([eka, fajar]);
    clock = new Date(start.getTime() + 30 * week);
    // (Their last conversation ended weeks ago: the bot says so first.)
    const off = (await answer("mot-eka", { text: "motivasi off" })).join("\n");
    expect(off).toContain("tidak akan menerima pesan motivasi lagi");
    expect(off).toContain("Pengingat pelatihan dan pengumuman tetap");
    await say("mot-fajar", { text: "BERHENTI" });
    expect(await bot.sendMotivationRound()).toMatchObject({ queued: 0 });

    clock = new Date(start.getTime() + 31 * week);
    const on = (await answer("mot-eka", { text: "Motivasi ON dong" })).join("\n");
    expect(on).toContain("akan menerima pesan motivasi lagi");
    expect(await db.prisma.participant.findUniqueOrThrow({ where: { id: eka } })).toMatchObject({
      motivationOptOutAt: null,
    });
    expect(await bot.sendMotivationRound()).toMatchObject({ queued: 1 });
    await waitFor(() => channel.motivation("mot-eka").length === 1);
    expect(channel.motivation("mot-fajar")).toEqual([]);
  });

  it("keeps a participant's place when they switch motivation in the middle of a question", async () => {
    const gita = await register("mot-gita");
    await say("mot-gita", { text: "menu" });
    const asked = await answer("mot-gita", { text: "1" });
    const [switched, ...again] = await answer("mot-gita", { text: "stop motivasi" });
    expect(switched).toContain("tidak akan menerima pesan motivasi lagi");
    // Asked again where they were; STOP (all messages) was not what they meant.
    expect(again).toEqual(asked);
    expect(await db.prisma.participant.findUniqueOrThrow({ where: { id: gita } })).toMatchObject({
      optedOutAt: null,
      motivationOptOutAt: clock,
    });
  });

  it("stops at the weekly cap of motivation and broadcasts", async () => {
    const hana = await register("mot-hana");
    const identity = await db.prisma.channelIdentity.findFirstOrThrow({ where: { platformUserId: "mot-hana" } });
    await onlyThese([hana]);
    clock = new Date(start.getTime() + 40 * week);
    // Two announcements this week already.
    await queueOutbound(
      db,
      bot.outbox,
      [1, 2].map((n) => ({
        channel: "web",
        chatId: "mot-hana",
        identityId: identity.id,
        message: { text: `Pengumuman ${n}` },
        kind: "broadcast" as const,
      })),
      clock,
    );
    expect(await bot.sendMotivationRound()).toMatchObject({ queued: 0, atCap: 1 });
    // A week later the count starts again.
    clock = new Date(clock.getTime() + week + 60_000);
    expect(await bot.sendMotivationRound()).toMatchObject({ queued: 1, atCap: 0 });
  });

  it("holds motivation through quiet hours where the participant is, and sends it when they end", async () => {
    const indah = await register("mot-indah");
    await onlyThese([indah]);
    // 21:00 WIB.
    clock = new Date(start.getTime() + 50 * week + 13 * 3_600_000);
    expect(await bot.sendMotivationRound()).toMatchObject({ queued: 1 });
    const bulk = bot.outbox.queue("web", "bulk");
    const [held] = await waitFor(async () => {
      const delayed = await bulk.getDelayed();
      return delayed.length ? delayed : null;
    });
    // Held for the ten hours to 07:00 WIB, on the bot's clock.
    expect(held!.delay).toBeGreaterThan(9.9 * 3_600_000);
    expect(held!.delay).toBeLessThanOrEqual(10 * 3_600_000);
    expect(channel.motivation("mot-indah")).toEqual([]);
    const row = await db.prisma.outboxItem.findFirstOrThrow({ where: { chatId: "mot-indah", kind: "motivation" } });
    expect(row).toMatchObject({ status: "pending", timeZone: "Asia/Jakarta", attempts: 0 });

    // 07:00 WIB: the job comes back and the message goes.
    clock = new Date(start.getTime() + 50 * week + 23 * 3_600_000);
    await held!.promote();
    await waitFor(() => channel.motivation("mot-indah").length === 1);
  });

  it("holds a reminder due in quiet hours until they end, unless that would be too close to the session", async () => {
    const joko = await register("mot-joko");
    const programme = await db.prisma.programme.findUniqueOrThrow({ where: { slug: "uji-pagi" } });
    clock = new Date(start.getTime() + 60 * week); // 08:00 WIB
    const day = 86_400_000;
    // Tomorrow at 08:00 WIB (reminder due 06:00, held to 07:00) and the day after at 07:15 WIB
    // (due 05:15; 07:00 is too close, so it goes at 05:15).
    const sessions = [];
    for (const [i, startsAt] of [
      new Date(clock.getTime() + day),
      new Date(clock.getTime() + 2 * day - 45 * 60_000),
    ].entries())
      sessions.push(
        await db.prisma.trainingSession.create({
          data: {
            code: `uji-pagi-${i}-${provider}`,
            programmeId: programme.id,
            startsAt,
            endsAt: new Date(startsAt.getTime() + 3 * 3_600_000),
            venue: "Aula",
            address: "Pangkalpinang",
            regency: "Kota Pangkalpinang",
            capacity: 5,
          },
        }),
      );
    for (const s of sessions) {
      await say("mot-joko", { deepLink: "daftar-uji-pagi" });
      await say("mot-joko", { choiceId: `s${s.id}` });
      await say("mot-joko", { choiceId: "yes" });
    }
    const reminders = await db.prisma.reminder.findMany({
      where: { enrollment: { participantId: joko } },
      orderBy: { dueAt: "asc" },
    });
    expect(reminders).toHaveLength(2);
    const queue = bot.reminders.queue;
    const jobOf = async (reminderId: number) =>
      (await queue.getJobs(["delayed", "waiting", "prioritized"])).find((j) => j.data.reminderId === reminderId);

    // 06:00 WIB tomorrow: the first is due, and held.
    clock = reminders[0]!.dueAt;
    await (await jobOf(reminders[0]!.id))!.promote();
    const held = await waitFor(async () => {
      const job = await jobOf(reminders[0]!.id);
      return job && (await job.isDelayed()) && job.delay > 0 && job.delay <= 3_600_000 ? job : null;
    });
    expect(held.delay).toBeGreaterThan(59 * 60_000);
    expect(held.delay).toBeLessThanOrEqual(60 * 60_000);
    expect(channel.reminders("mot-joko")).toEqual([]);
    clock = new Date(reminders[0]!.dueAt.getTime() + 3_600_000);
    await held.promote();
    await waitFor(() => channel.reminders("mot-joko").length === 1);

    // 05:15 WIB the day after: sent at once, quiet or not.
    clock = reminders[1]!.dueAt;
    await (await jobOf(reminders[1]!.id))!.promote();
    await waitFor(() => channel.reminders("mot-joko").length === 2);
  });
});
