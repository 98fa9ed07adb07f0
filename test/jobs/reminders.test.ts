/**
 * Session reminders end to end: a participant enrolls through the inbound path, the reminder
 * row and its delayed BullMQ job are made, and the reminder goes out through the outbox once,
 * at its time. Real Redis, both databases; the session is set a few seconds past the offset.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../../src/bot.js";
import type { ChannelAdapter, SendResult } from "../../src/channels/channel.js";
import { cancelEnrollment } from "../../src/domain/cancel-enrollment.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { dueTime, upcomingReminders } from "../../src/domain/reminders.js";
import { moveTrainingSession } from "../../src/domain/move-training-session.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { reminderBatchSize } from "../../src/jobs/reminders.js";
import { addRemindersDueAt } from "../faults/support/fixtures.js";
import { addParticipants } from "../support/population.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { registrationAnswers } from "../support/harness.js";
import { waitForQuiet } from "../support/quiet.js";
import { waitFor } from "../support/wait-for.js";
import { startTestBot, type TestBot } from "../support/bot.js";

class RecordingChannel implements ChannelAdapter {
  readonly name = "web";
  readonly buttons = true;
  readonly sent: { chatId: string; text: string; at: number; choices: string[] }[] = [];
  async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
    this.sent.push({ chatId, text: message.text, at: Date.now(), choices: (message.choices ?? []).map((c) => c.id) });
    return {};
  }
  reminders(chatId: string) {
    return this.sent.filter((s) => s.chatId === chatId && s.text.startsWith("🔔"));
  }
}

describe("reminder times", () => {
  it("puts the day-before reminder at the local hour and skips offsets already past", () => {
    // 10:00 WITA on 3 December 2026 is 02:00 UTC.
    const startsAt = new Date("2026-12-03T02:00:00Z");
    expect(dueTime({ kind: "day-before", at: "09:00" }, startsAt, "Asia/Makassar").toISOString()).toBe(
      "2026-12-02T01:00:00.000Z",
    );
    expect(dueTime({ kind: "before", minutes: 120 }, startsAt, "Asia/Makassar").toISOString()).toBe(
      "2026-12-03T00:00:00.000Z",
    );
    const offsets = [
      { kind: "day-before" as const, at: "09:00" },
      { kind: "before" as const, minutes: 120 },
    ];
    // Enrolling 30 minutes before: no reminder at all.
    expect(upcomingReminders(offsets, startsAt, "Asia/Makassar", new Date("2026-12-03T01:30:00Z"))).toEqual([]);
    // The evening before: only the two-hours-before one.
    expect(
      upcomingReminders(offsets, startsAt, "Asia/Makassar", new Date("2026-12-02T12:00:00Z")).map((r) => r.offsetKey),
    ).toEqual(["before-120m"]);
  });
});

describe.each(providers)("reminders on %s", (provider) => {
  let db: TestDatabase;
  let bot: Bot;
  let testBot: TestBot;
  const channel = new RecordingChannel();
  let programmeId: number;
  let nudgingId: number;
  let counter = 0;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    await seedDatabase(db.prisma);
    const programme = await db.prisma.programme.create({
      data: {
        slug: "uji-pengingat",
        sector: "lada",
        titleId: "Uji Pengingat",
        titleEn: "Reminder Test",
        descriptionId: "-",
        descriptionEn: "-",
        timeZone: "Asia/Jakarta",
        reminderOffsets: [
          { kind: "day-before", at: "09:00" },
          { kind: "before", minutes: 120 },
        ],
      },
    });
    programmeId = programme.id;
    // Made before any turn: the bot keeps its list of programmes for a few seconds.
    const nudging = await db.prisma.programme.create({
      data: {
        slug: "uji-konfirmasi",
        sector: "lada",
        titleId: "Uji Konfirmasi",
        titleEn: "Confirmation Test",
        descriptionId: "-",
        descriptionEn: "-",
        reminderOffsets: [{ kind: "nudge", minutes: 120 }],
      },
    });
    nudgingId = nudging.id;
    testBot = await startTestBot(db, { web: channel });
    ({ bot } = testBot);
  });

  afterAll(async () => {
    await testBot.stop();
    await db.destroy();
  });

  /** A session whose two-hours-before reminder is due `seconds` from now. */
  const sessionDueIn = async (seconds: number, capacity = 10) =>
    db.prisma.trainingSession.create({
      data: {
        code: `uji-pengingat-${++counter}-${Date.now()}`,
        programmeId,
        startsAt: new Date(Date.now() + 120 * 60_000 + seconds * 1000),
        endsAt: new Date(Date.now() + 240 * 60_000),
        venue: "Aula Disperindag",
        address: "Jl. Pulau Bangka, Pangkalpinang",
        regency: "Kota Pangkalpinang",
        mapUrl: "https://maps.example.org/aula",
        capacity,
      },
    });

  const say = (chatId: string, fields: { text?: string; choiceId?: string; deepLink?: string }) =>
    bot.runtime.handle({
      channel: "web",
      chatId,
      senderId: chatId,
      platformMessageId: `${chatId}-${++counter}`,
      receivedAt: new Date(),
      ...fields,
    });

  /** Registers, then enrolls through a programme link, as a participant would. */
  async function enroll(chatId: string, sessionId: number) {
    for (const text of registrationAnswers(`Peserta ${chatId}`, "081234500000")) await say(chatId, { text });
    await say(chatId, { deepLink: "daftar-uji-pengingat" });
    await say(chatId, { choiceId: `s${sessionId}` });
    await say(chatId, { choiceId: "yes" });
    return db.prisma.enrollment.findFirstOrThrow({
      where: { trainingSessionId: sessionId, participant: { identities: { some: { platformUserId: chatId } } } },
      include: { reminders: true },
    });
  }

  it("sends a reminder once, at its time, with when and where; an offset already past gets none", async () => {
    const session = await sessionDueIn(3);
    const enrollment = await enroll("rem-a", session.id);
    expect(enrollment.status).toBe("enrolled");
    // The day-before reminder was already past when they enrolled.
    expect(enrollment.reminders.map((r) => [r.offsetKey, r.status])).toEqual([["before-120m", "pending"]]);
    const due = enrollment.reminders[0]!.dueAt.getTime();
    const [sent] = await waitFor(() => (channel.reminders("rem-a").length ? channel.reminders("rem-a") : null), 15_000);
    expect(sent!.at).toBeGreaterThanOrEqual(due - 50);
    expect(sent!.text).toMatch(/^🔔 Pengingat: sebentar lagi Anda mengikuti \*Uji Pengingat\*\./);
    expect(sent!.text).toContain("Tempat: Aula Disperindag, Jl. Pulau Bangka, Pangkalpinang");
    expect(sent!.text).toContain("Peta: https://maps.example.org/aula");
    expect(sent!.text).toMatch(/WIB/);
    // Enrolling again changes nothing, and a duplicated job sends nothing more.
    await say("rem-a", { deepLink: "daftar-uji-pengingat" });
    await say("rem-a", { choiceId: `s${session.id}` });
    await say("rem-a", { choiceId: "yes" });
    await bot.reminders.queue.add("remind", { reminderId: enrollment.reminders[0]!.id }, { jobId: "duplicate-1" });
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    expect(channel.reminders("rem-a")).toHaveLength(1);
    const reminder = await db.prisma.reminder.findUniqueOrThrow({ where: { id: enrollment.reminders[0]!.id } });
    expect(reminder.status).toBe("sent");
  });

  it("fires a burst of reminders due together in batches: each person gets theirs once, no job left", async () => {
    const count = 3 * reminderBatchSize + 7;
    const firstChatId = 930_000;
    const participantIds = await addParticipants(db.prisma, count, { channel: "web", firstChatId });
    const dueAt = new Date(Date.now() + 1_500);
    const ids = await addRemindersDueAt(db.prisma, participantIds, dueAt);
    const rows = await db.prisma.reminder.findMany({ where: { id: { in: ids } } });
    await bot.reminders.schedule(rows);
    const chats = Array.from({ length: count }, (_, i) => String(firstChatId + i));
    await waitFor(() => chats.every((c) => channel.reminders(c).length > 0), 30_000, "every reminder sent");
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    expect(chats.filter((c) => channel.reminders(c).length !== 1)).toEqual([]);
    const fired = await db.prisma.reminder.findMany({ where: { id: { in: ids } } });
    expect(new Set(fired.map((r) => r.status))).toEqual(new Set(["sent"]));
    // Fired in a few transactions of up to 50 (each stamps its reminders with one time), not one each.
    expect(new Set(fired.map((r) => r.sentAt!.getTime())).size).toBeLessThanOrEqual(count / 10);
    // The jobs of the reminders a batch fired were removed; the others completed.
    const jobs = await Promise.all(rows.map((r) => bot.reminders.queue.getJobState(bot.reminders.jobId(r))));
    expect(new Set(jobs)).toEqual(new Set(["unknown"]));
  });

  it("fires the rest of a burst when one reminder in it breaks every batch, and that one once it is mended", async () => {
    const count = 30;
    const firstChatId = 931_000;
    const participantIds = await addParticipants(db.prisma, count, { channel: "web", firstChatId });
    const ids = await addRemindersDueAt(db.prisma, participantIds, new Date(Date.now() + 1_500));
    const rows = await db.prisma.reminder.findMany({ where: { id: { in: ids } }, orderBy: { id: "asc" } });
    // The database refuses to mark the first one sent: any batch holding it fails whole.
    const broken = rows[0]!.id;
    const trigger =
      provider === "sqlite"
        ? [
            `CREATE TRIGGER broken_reminder BEFORE UPDATE OF status ON "Reminder"
             WHEN NEW.id = ${broken} AND NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'broken reminder'); END`,
          ]
        : [
            `CREATE OR REPLACE FUNCTION broken_reminder() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'broken reminder'; END $$`,
            `CREATE TRIGGER broken_reminder BEFORE UPDATE ON "Reminder" FOR EACH ROW
             WHEN (NEW.id = ${broken} AND NEW.status = 'sent') EXECUTE FUNCTION broken_reminder()`,
          ];
    for (const sql of trigger) await db.prisma.$executeRawUnsafe(sql);
    try {
      await bot.reminders.schedule(rows);
      const chats = Array.from({ length: count }, (_, i) => String(firstChatId + i));
      await waitFor(() => chats.slice(1).every((c) => channel.reminders(c).length > 0), 30_000, "the others sent");
      expect(channel.reminders(chats[0]!)).toHaveLength(0);
      expect((await db.prisma.reminder.findUniqueOrThrow({ where: { id: broken } })).status).toBe("pending");
    } finally {
      await db.prisma.$executeRawUnsafe(
        provider === "sqlite" ? `DROP TRIGGER broken_reminder` : `DROP TRIGGER broken_reminder ON "Reminder"`,
      );
    }
    // Mended: its own job's next attempt sends it, once; nobody got anything twice.
    await waitFor(() => channel.reminders(String(firstChatId)).length > 0, 30_000, "the mended one sent");
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    const chats = Array.from({ length: count }, (_, i) => String(firstChatId + i));
    expect(chats.filter((c) => channel.reminders(c).length !== 1)).toEqual([]);
  });

  it("sends nothing after a cancellation, and removes the job", async () => {
    const session = await sessionDueIn(3);
    const enrollment = await enroll("rem-b", session.id);
    const [reminder] = enrollment.reminders;
    expect(await bot.reminders.queue.getJobState(bot.reminders.jobId(reminder!))).toBe("delayed");
    await db.prisma.$transaction((tx) =>
      cancelEnrollment(tx, provider, enrollment.participantId!, enrollment.id, new Date()),
    );
    await bot.reminders.removeForEnrollments([enrollment.id]);
    expect(await bot.reminders.queue.getJobState(bot.reminders.jobId(reminder!))).toBe("unknown");
    // Real time: its due time passes (a few seconds away), and then the bot has nothing to do.
    await waitFor(() => Date.now() > reminder!.dueAt.getTime(), 10_000, "the due time");
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    expect(channel.reminders("rem-b")).toHaveLength(0);
    expect((await db.prisma.reminder.findUniqueOrThrow({ where: { id: reminder!.id } })).status).toBe("cancelled");
  });

  it("after Redis lost its jobs, reconcile makes each pending reminder fire exactly once", async () => {
    const session = await sessionDueIn(4);
    const enrollment = await enroll("rem-c", session.id);
    const [reminder] = enrollment.reminders;
    // Redis loses everything of this installation (FLUSHALL, or a restart without persistence).
    await bot.reminders.queue.obliterate({ force: true });
    expect(await bot.reminders.queue.getJobState(bot.reminders.jobId(reminder!))).toBe("unknown");
    const first = await bot.reminders.reconcile();
    expect(first.added).toBeGreaterThanOrEqual(1);
    // A second pass finds the job there and adds nothing.
    expect((await bot.reminders.reconcile()).added).toBe(0);
    await waitFor(() => channel.reminders("rem-c").length > 0, 15_000);
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    expect(channel.reminders("rem-c")).toHaveLength(1);
  });

  it("moves the reminders and tells the participant when staff move the session", async () => {
    const session = await sessionDueIn(600);
    const enrollment = await enroll("rem-d", session.id);
    const [before] = enrollment.reminders;
    const oldJob = await bot.reminders.queue.getJob(bot.reminders.jobId(before!));
    expect(oldJob!.timestamp + oldJob!.opts.delay!).toBeGreaterThan(Date.now() + 500_000);
    // Staff move it earlier: the two-hours-before reminder is now due in 3 seconds.
    const startsAt = new Date(Date.now() + 120 * 60_000 + 3000);
    const outcome = await moveTrainingSession(
      { database: db, reminders: bot.reminders, outbox: bot.outbox },
      session.id,
      startsAt,
      new Date(startsAt.getTime() + 3 * 3_600_000),
    );
    expect(outcome.kind).toBe("moved");
    const notice = await waitFor(() => channel.sent.find((m) => m.chatId === "rem-d" && m.text.startsWith("📅")));
    expect(notice.text).toMatch(/^📅 Jadwal berubah: \*Uji Pengingat\* sekarang .+ WIB di Aula Disperindag\./);
    const newJob = await bot.reminders.queue.getJob(bot.reminders.jobId(before!));
    expect(newJob!.timestamp + newJob!.opts.delay!).toBeLessThan(Date.now() + 10_000);
    const [sent] = await waitFor(() => (channel.reminders("rem-d").length ? channel.reminders("rem-d") : null), 15_000);
    const row = await db.prisma.reminder.findUniqueOrThrow({ where: { id: before!.id } });
    expect(row.dueAt.getTime()).toBe(startsAt.getTime() - 120 * 60_000);
    expect(sent!.at).toBeGreaterThanOrEqual(row.dueAt.getTime() - 50);
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    expect(channel.reminders("rem-d")).toHaveLength(1);
  });

  it("records a typed 1 after a reminder as confirmed attendance", async () => {
    const session = await sessionDueIn(3);
    const enrollment = await enroll("rem-e", session.id);
    const [reminder] = await waitFor(
      () => (channel.reminders("rem-e").length ? channel.reminders("rem-e") : null),
      15_000,
    );
    expect(reminder!.text).toContain("Balas 1 jika hadir, 2 jika tidak bisa hadir.");
    expect(reminder!.choices).toEqual([`hadir-${enrollment.id}`, `tidak-${enrollment.id}`]);
    await say("rem-e", { text: "1" });
    await waitFor(() =>
      channel.sent.find(
        (m) => m.chatId === "rem-e" && /^Terima kasih! Kehadiran Anda di \*Uji Pengingat\*/.test(m.text),
      ),
    );
    const row = await db.prisma.enrollment.findUniqueOrThrow({ where: { id: enrollment.id } });
    expect(row).toMatchObject({ status: "enrolled", rsvp: "confirmed" });
  });

  it("frees the seat when someone declines with the reminder's button, and promotes the first waiting", async () => {
    const session = await sessionDueIn(4, 1);
    const first = await enroll("rem-f", session.id);
    const second = await enroll("rem-g", session.id);
    expect([first.status, second.status]).toEqual(["enrolled", "waitlisted"]);
    await waitFor(() => channel.reminders("rem-f").length > 0, 15_000);
    // The button works even from the middle of something else.
    await say("rem-f", { text: "menu" });
    await say("rem-f", { text: "1" });
    await say("rem-f", { choiceId: `tidak-${first.id}` });
    const declined = await db.prisma.enrollment.findUniqueOrThrow({ where: { id: first.id } });
    expect(declined).toMatchObject({ status: "cancelled", rsvp: "declined" });
    const promoted = await db.prisma.enrollment.findUniqueOrThrow({ where: { id: second.id } });
    expect(promoted.status).toBe("enrolled");
    await waitFor(() => channel.sent.some((m) => m.chatId === "rem-g" && m.text.startsWith("🎉")));
    // Pressing it again changes nothing.
    await say("rem-f", { choiceId: `tidak-${first.id}` });
    const notActive = () =>
      channel.sent.filter((m) => m.chatId === "rem-f" && m.text.startsWith("Pendaftaran itu sudah tidak aktif"));
    await waitFor(() => notActive().length > 0);
    expect(notActive()).toHaveLength(1);
  });

  it("nudges only those who have not said whether they will come", async () => {
    const session = await db.prisma.trainingSession.create({
      data: {
        code: `uji-konfirmasi-${Date.now()}`,
        programmeId: nudgingId,
        startsAt: new Date(Date.now() + 120 * 60_000 + 4000),
        endsAt: new Date(Date.now() + 240 * 60_000),
        venue: "Aula",
        address: "Sungailiat",
        regency: "Kabupaten Bangka",
        capacity: 10,
      },
    });
    const enrollIn = async (chatId: string) => {
      for (const text of registrationAnswers(`Peserta ${chatId}`, "081234500001")) await say(chatId, { text });
      await say(chatId, { deepLink: "daftar-uji-konfirmasi" });
      await say(chatId, { choiceId: `s${session.id}` });
      await say(chatId, { choiceId: "yes" });
      return db.prisma.enrollment.findFirstOrThrow({
        where: { trainingSessionId: session.id, participant: { identities: { some: { platformUserId: chatId } } } },
      });
    };
    await enrollIn("nudge-a");
    const answered = await enrollIn("nudge-b");
    await db.prisma.enrollment.update({ where: { id: answered.id }, data: { rsvp: "confirmed", rsvpAt: new Date() } });
    const [nudge] = await waitFor(
      () => (channel.reminders("nudge-a").length ? channel.reminders("nudge-a") : null),
      15_000,
    );
    expect(nudge!.text).toMatch(
      /^🔔 Kami belum menerima jawaban Anda: apakah Anda akan mengikuti \*Uji Konfirmasi\*\?/,
    );
    await waitFor(async () => {
      const row = await db.prisma.reminder.findFirst({ where: { enrollmentId: answered.id } });
      return row?.status === "skipped" ? row : null;
    });
    expect(channel.reminders("nudge-b")).toHaveLength(0);
  });

  it("lets a participant say they will attend from My schedule", async () => {
    const session = await sessionDueIn(600);
    const enrollment = await enroll("rem-h", session.id);
    await say("rem-h", { text: "menu" });
    await say("rem-h", { choiceId: "schedule" });
    await say("rem-h", { choiceId: `h${enrollment.id}` });
    await waitFor(() =>
      channel.sent.find(
        (m) => m.chatId === "rem-h" && /^Terima kasih! Kehadiran Anda di \*Uji Pengingat\*/.test(m.text),
      ),
    );
    expect((await db.prisma.enrollment.findUniqueOrThrow({ where: { id: enrollment.id } })).rsvp).toBe("confirmed");
    await say("rem-h", { choiceId: "schedule" });
    const schedule = await waitFor(() =>
      channel.sent.find((m) => m.chatId === "rem-h" && m.text.includes("kehadiran dikonfirmasi")),
    );
    expect(schedule.text).toContain("✅ Terdaftar, kehadiran dikonfirmasi");
    // Confirmed already: the list offers no second confirmation.
    expect(schedule.choices).not.toContain(`h${enrollment.id}`);
  });
});
