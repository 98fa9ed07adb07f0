/**
 * Cancelling a training session on both databases, with the bot's real reminder queue and
 * outbox on Redis: the session, its seats, waiting-list places and pending reminders are
 * cancelled together, the reminder jobs go, and everyone enrolled or waiting is told once, in
 * their language.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../../src/bot.js";
import type { ChannelAdapter, SendResult } from "../../src/channels/channel.js";
import { runAtomically } from "../../src/db/raw-sql.js";
import { cancelTrainingSession } from "../../src/domain/cancel-training-session.js";
import { createRemindersForManyPlan } from "../../src/domain/reminders.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { waitForQuiet } from "../support/quiet.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { waitFor } from "../support/wait-for.js";

class RecordingChannel implements ChannelAdapter {
  readonly name = "web";
  readonly buttons = true;
  readonly sent: { chatId: string; text: string }[] = [];
  async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
    this.sent.push({ chatId, text: message.text });
    return {};
  }
}

describe.each(providers)("cancelling a training session on %s", (provider) => {
  let db: TestDatabase;
  let testBot: TestBot;
  let bot: Bot;
  const channel = new RecordingChannel();
  let programmeId: number;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    const programme = await db.prisma.programme.create({
      data: {
        slug: "uji-batal",
        sector: "konveksi",
        titleId: "Uji Batal",
        titleEn: "Cancel Test",
        descriptionId: "-",
        descriptionEn: "-",
        timeZone: "Asia/Makassar",
        reminderOffsets: [
          { kind: "day-before", at: "09:00" },
          { kind: "before", minutes: 120 },
        ],
      },
    });
    programmeId = programme.id;
    testBot = await startTestBot(db, { web: channel });
    ({ bot } = testBot);
  });

  afterAll(async () => {
    await testBot?.stop();
    await db?.destroy();
  });

  /** A participant with a web chat of their own, in a seat or waiting, or with no seat (null). */
  async function person(chat: string, language: string, seat: { sessionId: number; status: string } | null) {
    const participant = await db.prisma.participant.create({
      data: {
        name: `Peserta ${chat}`,
        language,
        registeredAt: new Date(),
        consentAt: new Date(),
        ...(chat.endsWith("stop") ? { optedOutAt: new Date() } : {}),
      },
    });
    await db.prisma.channelIdentity.create({
      data: { channel: "web", platformUserId: chat, chatId: chat, participantId: participant.id },
    });
    if (!seat) return null;
    return db.prisma.enrollment.create({
      data: {
        participantId: participant.id,
        trainingSessionId: seat.sessionId,
        status: seat.status as "enrolled" | "waitlisted" | "cancelled",
        waitlistPosition: seat.status === "waitlisted" ? 1 : null,
        cancelledAt: seat.status === "cancelled" ? new Date("2026-01-01T00:00:00Z") : null,
      },
    });
  }

  it("cancels the session, its seats and reminders, removes the jobs and tells everyone enrolled or waiting", async () => {
    const startsAt = new Date(Date.now() + 3 * 24 * 3_600_000);
    const session = await db.prisma.trainingSession.create({
      data: {
        code: `uji-batal-${provider}`,
        programmeId,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 6 * 3_600_000),
        venue: "Gedung Serba Guna",
        address: "Jl. Merdeka 1, Tanjung Pandan",
        regency: "Kabupaten Belitung",
        capacity: 3,
      },
    });
    const ani = (await person(`${provider}-ani`, "id", { sessionId: session.id, status: "enrolled" }))!;
    const ben = (await person(`${provider}-ben`, "en", { sessionId: session.id, status: "enrolled" }))!;
    const citra = (await person(`${provider}-citra`, "id", { sessionId: session.id, status: "waitlisted" }))!;
    const dedi = (await person(`${provider}-dedi-stop`, "id", { sessionId: session.id, status: "enrolled" }))!;
    const eko = (await person(`${provider}-eko`, "id", { sessionId: session.id, status: "cancelled" }))!;
    const seated = [ani.id, ben.id, dedi.id];
    const reminders = await runAtomically(db, () => createRemindersForManyPlan(provider, seated, new Date()));
    expect(reminders).toHaveLength(6);
    await bot.reminders.schedule(reminders);
    expect(await bot.reminders.queue.getJob(bot.reminders.jobId(reminders[0]!))).toBeDefined();

    const outcome = await cancelTrainingSession(
      { database: db, reminders: bot.reminders, outbox: bot.outbox },
      session.id,
    );
    expect(outcome.kind).toBe("cancelled");
    if (outcome.kind !== "cancelled") return;
    expect(outcome.enrollmentIds.sort()).toEqual([ani.id, ben.id, citra.id, dedi.id].sort());
    // Dedi typed BERHENTI: his seat goes, but no message.
    expect(outcome.notices).toHaveLength(3);

    expect((await db.prisma.trainingSession.findUniqueOrThrow({ where: { id: session.id } })).status).toBe("cancelled");
    const seats = await db.prisma.enrollment.findMany({
      where: { trainingSessionId: session.id },
      orderBy: { id: "asc" },
    });
    expect(seats.map((s) => s.status)).toEqual(["cancelled", "cancelled", "cancelled", "cancelled", "cancelled"]);
    expect(seats.every((s) => s.waitlistPosition === null && s.cancelledAt)).toBe(true);
    // Eko had cancelled before: his date stays.
    expect(seats.find((s) => s.id === eko.id)!.cancelledAt!.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    const rows = await db.prisma.reminder.findMany({ where: { enrollmentId: { in: seated } } });
    expect(rows.map((r) => [r.status, r.reason])).toEqual(Array(6).fill(["cancelled", "session cancelled"]));
    for (const r of reminders) expect(await bot.reminders.queue.getJob(bot.reminders.jobId(r))).toBeUndefined();

    const told = await waitFor(() => (channel.sent.length >= 3 ? channel.sent : null));
    const to = (chat: string) => told.filter((m) => m.chatId === `${provider}-${chat}`).map((m) => m.text);
    expect(to("ani")).toHaveLength(1);
    expect(to("ani")[0]).toMatch(
      /^❌ Mohon maaf, jadwal \*Uji Batal\* pada \w+, \d+ \w+ \d{4} pukul \d\d\.\d\d WITA di Gedung Serba Guna dibatalkan oleh penyelenggara\. Pendaftaran Anda/,
    );
    expect(to("ben")[0]).toMatch(
      /^❌ We are sorry: the \*Cancel Test\* session on .+ WITA at Gedung Serba Guna has been cancelled/,
    );
    expect(to("citra")[0]).toContain("daftar tunggunya juga ditutup");
    expect(to("dedi-stop")).toEqual([]);
    const outbox = await db.prisma.outboxItem.findMany({ where: { kind: "notice" } });
    expect(outbox).toHaveLength(3);
  });

  it("cancels once: a second try changes and sends nothing; an unknown session is not found", async () => {
    const startsAt = new Date(Date.now() + 5 * 24 * 3_600_000);
    const session = await db.prisma.trainingSession.create({
      data: {
        code: `uji-batal-dua-${provider}`,
        programmeId,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 3_600_000),
        venue: "Aula",
        address: "Jl. Sudirman",
        regency: "Kabupaten Belitung",
        capacity: 10,
      },
    });
    await person(`${provider}-fajar`, "id", { sessionId: session.id, status: "enrolled" });
    const deps = { database: db, reminders: bot.reminders, outbox: bot.outbox };
    expect((await cancelTrainingSession(deps, session.id)).kind).toBe("cancelled");
    await waitFor(() => channel.sent.some((m) => m.chatId === `${provider}-fajar`));
    expect(await cancelTrainingSession(deps, session.id)).toEqual({ kind: "already_cancelled" });
    expect(await cancelTrainingSession(deps, 999_999)).toEqual({ kind: "not_found" });
    await waitForQuiet(bot, { database: db, channels: ["web"] });
    expect(channel.sent.filter((m) => m.chatId === `${provider}-fajar`)).toHaveLength(1);
  });
});
