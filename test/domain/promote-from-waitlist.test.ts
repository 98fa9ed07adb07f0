/**
 * A seat freed by an erasure (in chat or from the dashboard) or by a declined reminder goes to
 * the first on the waiting list, who gets their reminders and one notice, in their language, on
 * the chat they used last; the next in line keeps waiting and hears nothing. Also: BERHENTI and
 * MULAI through the same turn.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineEvent } from "../../src/engine/types.js";
import { eraseParticipant } from "../../src/domain/erase-participant.js";
import { applyEvents, type Applied, type TurnScope } from "../../src/runtime/apply-events.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { addParticipant, addProgramme } from "../support/programme-sessions.js";

const now = new Date("2026-11-27T03:00:00Z");
const hour = 3_600_000;

describe.each(providers)("promotion from the waiting list on %s", (provider) => {
  let db: TestDatabase;
  let people = 0;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
  });
  afterAll(() => db?.destroy());

  /** A participant with one chat per entry of `chats` (the last one written from most recently). */
  async function person(name: string, options: { language?: "id" | "en"; chats?: number; blocked?: boolean } = {}) {
    const id = await addParticipant(db.prisma, name);
    await db.prisma.participant.update({ where: { id }, data: { language: options.language ?? "id" } });
    const chats: { identityId: number; chatId: string }[] = [];
    for (let i = 0; i < (options.chats ?? 1); i++) {
      const chatId = `${name.toLowerCase()}-${++people}`;
      const identity = await db.prisma.channelIdentity.create({
        data: {
          channel: "web",
          platformUserId: chatId,
          chatId,
          participantId: id,
          lastInboundAt: new Date(now.getTime() - (10 - i) * hour),
          blockedAt: options.blocked ? now : null,
        },
      });
      chats.push({ identityId: identity.id, chatId });
    }
    return { id, chats, lastChat: chats.at(-1)! };
  }

  /** A session of one seat, held by Ani, with Budi (in English, two chats) and Citra waiting in that order. */
  async function fullSession(options: { budiBlocked?: boolean } = {}) {
    const {
      sessionIds: [sessionId],
    } = await addProgramme(db.prisma, now, {
      title: { id: "Diversifikasi Produk Lada", en: "Pepper Product Diversification" },
      sessions: [{ daysAhead: 7, capacity: 1 }],
    });
    const ani = await person("Ani");
    const budi = await person("Budi", { language: "en", chats: 2, blocked: options.budiBlocked });
    const citra = await person("Citra");
    const enroll = async (participantId: number, status: "enrolled" | "waitlisted", waitlistPosition: number | null) =>
      (
        await db.prisma.enrollment.create({
          data: { participantId, trainingSessionId: sessionId!, status, waitlistPosition },
        })
      ).id;
    return {
      sessionId: sessionId!,
      ani: { ...ani, enrollmentId: await enroll(ani.id, "enrolled", null) },
      budi: { ...budi, enrollmentId: await enroll(budi.id, "waitlisted", 1) },
      citra: { ...citra, enrollmentId: await enroll(citra.id, "waitlisted", 2) },
    };
  }

  const turn = (who: { id: number; lastChat: { identityId: number; chatId: string } }, events: EngineEvent[]) => {
    const scope: TurnScope = {
      database: db,
      provider,
      now,
      channel: "web",
      chatId: who.lastChat.chatId,
      identityId: who.lastChat.identityId,
      participantId: who.id,
      language: "id",
    };
    return db.prisma.$transaction((tx) => applyEvents(tx, scope, events), { timeout: 20_000, maxWait: 20_000 });
  };
  const notices = (applied: Applied) => applied.outgoing.filter((o) => o.kind === "notice");
  const statusOf = async (enrollmentId: number) =>
    (await db.prisma.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } })).status;
  const budiNotice =
    "🎉 Good news! A seat freed up and you are now enrolled in *Pepper Product Diversification*, Friday, 4 December 2026 at 10:00 WIB at Aula 1. If you cannot come, please cancel under My schedule so someone else can take the seat.";

  it("after an erasure in chat: the first in line gets the seat, reminders and one notice on their last chat", async () => {
    const { ani, budi, citra } = await fullSession();
    const applied = await turn(ani, [{ type: "data_deletion_requested" }]);

    expect(notices(applied)).toEqual([
      {
        identityId: budi.lastChat.identityId,
        channel: "web",
        chatId: budi.lastChat.chatId,
        kind: "notice",
        message: { text: budiNotice },
      },
    ]);
    expect(applied.reminders.length).toBeGreaterThan(0);
    expect(applied.reminders.every((r) => r.enrollmentId === budi.enrollmentId)).toBe(true);
    expect(await statusOf(budi.enrollmentId)).toBe("enrolled");
    expect(await statusOf(citra.enrollmentId)).toBe("waitlisted");
    expect(await db.prisma.participant.count({ where: { id: ani.id } })).toBe(0);
  });

  it("after an erasure from the dashboard: the same notice, written once to the outbox, and nothing to the next in line", async () => {
    const { ani, budi, citra } = await fullSession();
    const done = await db.prisma.$transaction((tx) => eraseParticipant(tx, db, ani.id, now));

    const written = await db.prisma.message.findMany({
      where: { chatId: { in: [...budi.chats, ...citra.chats].map((c) => c.chatId) }, direction: "outbound" },
      include: { outbox: true },
    });
    expect(written.map((m) => [m.chatId, m.text, m.outbox?.kind])).toEqual([
      [budi.lastChat.chatId, budiNotice, "notice"],
    ]);
    expect(done.notices).toEqual([
      { channel: "web", chatId: budi.lastChat.chatId, ids: [written[0]!.outbox!.id], priority: expect.any(Number) },
    ]);
    expect(done.reminders.every((r) => r.enrollmentId === budi.enrollmentId)).toBe(true);
    expect(done.reminders.length).toBeGreaterThan(0);
    expect(done.cancelledEnrollmentIds).toEqual([ani.enrollmentId]);
    expect(await statusOf(budi.enrollmentId)).toBe("enrolled");
    expect(await statusOf(citra.enrollmentId)).toBe("waitlisted");
  });

  it("after a declined reminder: the seat goes on, once; a second answer changes nothing", async () => {
    const { ani, budi, citra } = await fullSession();
    const declined: EngineEvent = { type: "attendance_answered", enrollmentId: ani.enrollmentId, answer: "declined" };
    const applied = await turn(ani, [declined]);

    expect(applied.outgoing.map((o) => [o.chatId, o.kind, o.message.text])).toEqual([
      [
        ani.lastChat.chatId,
        "reply",
        "Terima kasih sudah memberi tahu. Pendaftaran Anda di *Diversifikasi Produk Lada* (Jumat, 4 Desember 2026 pukul 10.00 WIB) kami batalkan, dan kursinya kami berikan kepada peserta lain. Anda bisa mendaftar jadwal lain kapan saja lewat menu.",
      ],
      [budi.lastChat.chatId, "notice", budiNotice],
    ]);
    expect(applied.cancelledEnrollmentIds).toEqual([ani.enrollmentId]);
    expect(applied.reminders.every((r) => r.enrollmentId === budi.enrollmentId)).toBe(true);
    expect(await db.prisma.enrollment.findUniqueOrThrow({ where: { id: ani.enrollmentId } })).toMatchObject({
      status: "cancelled",
      rsvp: "declined",
    });
    expect(await statusOf(budi.enrollmentId)).toBe("enrolled");

    const again = await turn(ani, [declined]);
    expect(again.outgoing.map((o) => o.message.text)).toEqual([
      "Pendaftaran itu sudah tidak aktif, jadi tidak ada yang perlu dikonfirmasi.",
    ]);
    expect(again.reminders).toEqual([]);
    expect(await statusOf(citra.enrollmentId)).toBe("waitlisted");
  });

  it("gives the seat and reminders to someone every chat of whom blocked the bot, without a notice", async () => {
    const { ani, budi } = await fullSession({ budiBlocked: true });
    const applied = await turn(ani, [{ type: "enrollment_cancel_requested", enrollmentId: ani.enrollmentId }]);

    expect(applied.outgoing.map((o) => o.kind)).toEqual(["reply"]);
    expect(applied.reminders.length).toBeGreaterThan(0);
    expect(await statusOf(budi.enrollmentId)).toBe("enrolled");
  });

  it("BERHENTI cancels pending reminders of every enrollment; MULAI lets messages through again, reminders stay cancelled", async () => {
    const { ani } = await fullSession();
    const reminder = await db.prisma.reminder.create({
      data: { enrollmentId: ani.enrollmentId, offsetKey: "before-120m", dueAt: new Date(now.getTime() + 24 * hour) },
    });
    const out = await turn(ani, [{ type: "opted_out" }]);
    expect(out.cancelledEnrollmentIds).toEqual([ani.enrollmentId]);
    expect(await db.prisma.reminder.findUniqueOrThrow({ where: { id: reminder.id } })).toMatchObject({
      status: "cancelled",
      reason: "participant opted out",
    });
    expect((await db.prisma.participant.findUniqueOrThrow({ where: { id: ani.id } })).optedOutAt).toEqual(now);
    expect(await statusOf(ani.enrollmentId)).toBe("enrolled");

    await turn(ani, [{ type: "opted_in" }]);
    expect((await db.prisma.participant.findUniqueOrThrow({ where: { id: ani.id } })).optedOutAt).toBeNull();
    expect((await db.prisma.reminder.findUniqueOrThrow({ where: { id: reminder.id } })).status).toBe("cancelled");
  });
});
