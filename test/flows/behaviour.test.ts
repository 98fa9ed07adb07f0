/**
 * Behaviour across turns that the golden transcripts do not show: expiry, overlap warnings,
 * waitlist promotion, what data deletion leaves behind, and wait timeouts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createHarness, register, registrationAnswers, type Harness } from "../support/harness.js";
import { providers } from "../support/databases.js";

describe.each(providers)("flows on %s", (provider) => {
  let h: Harness;
  afterEach(() => h.close());

  const identityOf = (chatId: string) =>
    h.db.prisma.channelIdentity.findFirstOrThrow({ where: { chatId }, include: { conversation: true } });

  it("starts again from the menu, with a short note, after 24 idle hours", async () => {
    h = await createHarness(provider);
    await register(h, "idle");
    await h.send("idle", "profil");
    h.clock.now = new Date(h.clock.now.getTime() + 25 * 3_600_000);
    const replies = await h.send("idle", "1");
    expect(replies[0]!.text).toBe("Percakapan kita sebelumnya sudah lama berhenti, jadi kita mulai lagi dari menu.");
    expect(replies[1]!.text).toBe("Menu utama. Silakan pilih:");
  });

  it("warns about a session that overlaps one the participant already has", async () => {
    h = await createHarness(provider);
    await register(h, "overlap");
    const [first, other] = await h.db.prisma.programme.findMany({ orderBy: { id: "asc" }, take: 2 });
    const mine = await h.db.prisma.trainingSession.findFirstOrThrow({
      where: { programmeId: first!.id },
      orderBy: { startsAt: "asc" },
    });
    await h.db.prisma.enrollment.create({
      data: {
        participantId: (await identityOf("overlap")).participantId!,
        trainingSessionId: mine.id,
        status: "enrolled",
      },
    });
    const clash = await h.db.prisma.trainingSession.create({
      data: {
        code: "clash",
        programmeId: other!.id,
        startsAt: new Date(mine.startsAt.getTime() + 3_600_000),
        endsAt: new Date(mine.endsAt.getTime() + 3_600_000),
        venue: "Aula Lain",
        address: "Koba",
        regency: "Kabupaten Bangka Tengah",
        capacity: 20,
      },
    });
    const identity = await identityOf("overlap");
    await h.db.prisma.conversation.update({
      where: { identityId: identity.id },
      data: { flow: "enrollment", node: "choose_session", variables: { programmeId: other!.id } },
    });
    const replies = await h.send("overlap", { choice: `s${clash.id}` });
    expect(replies[0]!.text).toContain(
      `⚠️ Perhatian: waktunya bentrok dengan ${first!.titleId} yang sudah Anda ikuti.`,
    );
    expect(replies[0]!.choices).toEqual(["Ya, daftarkan saya", "Pilih jadwal lain", "Batal"]);
  });

  it("gives a freed seat to the first on the waiting list, and tells them", async () => {
    h = await createHarness(provider);
    const session = await h.db.prisma.trainingSession.findFirstOrThrow({ orderBy: { id: "asc" } });
    await h.db.prisma.trainingSession.update({ where: { id: session.id }, data: { capacity: 1 } });
    const enroll = async (chatId: string) => {
      const identity = await identityOf(chatId);
      await h.db.prisma.conversation.update({
        where: { identityId: identity.id },
        data: {
          flow: "enrollment",
          node: "confirm",
          variables: { programmeId: session.programmeId, sessionId: session.id },
        },
      });
      return h.send(chatId, "ya");
    };
    await register(h, "first", registrationAnswers("Ani", "081200000001"));
    await register(h, "second", registrationAnswers("Budi", "081200000002"));
    await register(h, "third", registrationAnswers("Citra", "081200000003"));
    expect((await enroll("first"))[0]!.text).toMatch(/^✅ Anda terdaftar/);
    expect((await enroll("second"))[0]!.text).toMatch(/daftar tunggu nomor 1\./);
    expect((await enroll("third"))[0]!.text).toMatch(/daftar tunggu nomor 2\./);

    await h.send("first", "jadwal");
    const cancelled = await h.send("first", "1");
    expect(cancelled[0]!.text).toMatch(/^Batalkan pendaftaran Anda/);
    const done = await h.send("first", "ya");
    expect(done[0]!.text).toMatch(/sudah dibatalkan\.$/);

    const statuses = await h.db.prisma.enrollment.findMany({
      where: { trainingSessionId: session.id },
      include: { participant: true },
      orderBy: { id: "asc" },
    });
    expect(statuses.map((e) => [e.participant!.name, e.status])).toEqual([
      ["Ani", "cancelled"],
      ["Budi", "enrolled"],
      ["Citra", "waitlisted"],
    ]);
    const notice = await h.db.prisma.message.findFirstOrThrow({
      where: { chatId: "second", direction: "outbound", outbox: { kind: "notice" } },
    });
    expect(notice.text).toMatch(/^🎉 Kabar baik! Ada kursi kosong, dan Anda sekarang terdaftar di /);
    // Citra moved up the list.
    const third = await h.send("third", "jadwal");
    expect(third[0]!.text).toContain("⏳ Daftar tunggu nomor 1");
  });

  it("erases personal data on request, keeping only an anonymous enrollment", async () => {
    h = await createHarness(provider);
    await register(h, "erase");
    const participantId = (await identityOf("erase")).participantId!;
    const session = await h.db.prisma.trainingSession.findFirstOrThrow({ orderBy: { id: "asc" } });
    const enrollment = await h.db.prisma.enrollment.create({
      data: { participantId, trainingSessionId: session.id, status: "enrolled" },
    });
    await h.db.prisma.reminder.create({
      data: { enrollmentId: enrollment.id, offsetKey: "before-120m", dueAt: session.startsAt },
    });
    for (const text of ["privasi", "hapus data saya"]) await h.send("erase", text);
    const replies = await h.send("erase", "ya");
    expect(replies.map((r) => r.text)).toEqual([
      "Data Anda sudah dihapus. Terima kasih telah memakai Sapa IKM. Jika ingin mendaftar lagi, kirim pesan apa saja.",
    ]);
    expect(await h.db.prisma.participant.count({ where: { id: participantId } })).toBe(0);
    expect(await h.db.prisma.channelIdentity.count({ where: { chatId: "erase" } })).toBe(0);
    expect(await h.db.prisma.message.count({ where: { chatId: "erase", direction: "inbound" } })).toBe(0);
    const kept = await h.db.prisma.enrollment.findUniqueOrThrow({ where: { id: enrollment.id } });
    expect(kept).toMatchObject({ participantId: null, status: "cancelled" });
    expect(await h.db.prisma.reminder.findFirst({ where: { enrollmentId: enrollment.id } })).toMatchObject({
      status: "cancelled",
    });
  });

  it("nudges once when someone stops at the registration summary, then keeps their answers", async () => {
    h = await createHarness(provider);
    const answers = registrationAnswers();
    for (const a of answers.slice(0, -1)) await h.send("nudge", a);
    const identity = await identityOf("nudge");
    expect(identity.conversation).toMatchObject({ flow: "registration", node: "summary" });
    const last = h.turns.get("nudge")!.at(-1)!;
    expect(last.events).toContainEqual({ type: "wait_timeout_scheduled", minutes: 60 });

    const result = await h.runtime.handleTimeout(identity.id, identity.conversation!.version);
    expect(result.status).toBe("processed");
    const after = await identityOf("nudge");
    expect(after.conversation).toMatchObject({ flow: "registration", node: "summary_nudge" });
    const nudge = await h.db.prisma.message.findFirstOrThrow({
      where: { chatId: "nudge", direction: "outbound" },
      orderBy: { id: "desc" },
    });
    expect(nudge.text).toBe(
      "Data pendaftaran Anda belum tersimpan. Balas Ya untuk menyimpannya, atau pilih bagian yang ingin diubah.",
    );
    // A stale timeout (the conversation moved on) does nothing.
    expect((await h.runtime.handleTimeout(identity.id, identity.conversation!.version)).status).toBe("duplicate");
    expect((await h.send("nudge", "ya")).map((r) => r.text)).toContain("Menu utama. Silakan pilih:");
  });
});
