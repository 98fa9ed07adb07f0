/**
 * Check-in in chat through the runtime: "HADIR <code>" typed on any channel, the poster's
 * Telegram link (/start hadir-<code>), a newcomer who registers first and is checked in right
 * after, someone in the middle of a flow who goes back to it, and a wrong code that changes nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ensureCheckInCode } from "../../src/domain/check-in-code.js";
import { createHarness, register, registrationAnswers, type Harness } from "../support/harness.js";
import { providers } from "../support/databases.js";

describe.each(providers)("check-in in chat on %s", (provider) => {
  let h: Harness;
  afterEach(() => h.close());

  /** A session of the first programme that starts in 30 minutes (check-in is open), with its code. */
  async function sessionStartingSoon() {
    const programme = await h.db.prisma.programme.findFirstOrThrow({ orderBy: { id: "asc" } });
    const startsAt = new Date(h.clock.now.getTime() + 30 * 60_000);
    const session = await h.db.prisma.trainingSession.create({
      data: {
        code: "hari-ini",
        programmeId: programme.id,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 6 * 3_600_000),
        venue: "Aula Koba",
        address: "Jl. Raya Koba",
        regency: "Kabupaten Bangka Tengah",
        capacity: 20,
      },
    });
    return { session, programme, code: (await ensureCheckInCode(h.db.prisma, session.id))! };
  }

  const participantOf = async (chatId: string) =>
    (await h.db.prisma.channelIdentity.findFirstOrThrow({ where: { chatId } })).participantId!;

  it("checks in an enrolled participant who types HADIR and the code, once", async () => {
    h = await createHarness(provider);
    const { session, programme, code } = await sessionStartingSoon();
    await register(h, "ani", registrationAnswers("Ani Lestari", "081200000011"));
    const seat = await h.db.prisma.enrollment.create({
      data: { participantId: await participantOf("ani"), trainingSessionId: session.id, status: "enrolled" },
    });
    const typed = `hadir ${code.slice(0, 3).toLowerCase()}-${code.slice(3).toLowerCase()}`;
    const replies = await h.send("ani", typed);
    // Then back to where they were: the menu.
    expect(replies.map((r) => r.text)).toEqual([
      `✅ Terima kasih, kehadiran Anda di *${programme.titleId}* sudah tercatat pukul 10.00 WIB. Selamat mengikuti pelatihan!`,
      "Menu utama. Silakan pilih:",
    ]);
    expect(await h.db.prisma.enrollment.findUniqueOrThrow({ where: { id: seat.id } })).toMatchObject({
      status: "attended",
      checkInMethod: "code",
      checkedInAt: h.clock.now,
    });
    h.clock.now = new Date(h.clock.now.getTime() + 20 * 60_000);
    const again = await h.send("ani", `HADIR ${code}`);
    expect(again[0]!.text).toBe(
      `Anda sudah tercatat hadir pukul 10.00 WIB di *${programme.titleId}*. Tidak perlu check-in lagi.`,
    );
  });

  it("answers a wrong code clearly and returns to the step the participant was at", async () => {
    h = await createHarness(provider);
    await register(h, "budi");
    const question = await h.send("budi", "profil");
    const replies = await h.send("budi", "HADIR 2222AA");
    expect(replies[0]!.text).toMatch(/^Maaf, kode check-in itu tidak kami kenal\./);
    // Back at the profile question, asked again.
    expect(replies.at(-1)!.text).toBe(question.at(-1)!.text);
    expect(await h.db.prisma.walkIn.count()).toBe(0);
    expect(await h.db.prisma.enrollment.count({ where: { status: "attended" } })).toBe(0);
  });

  it("registers a newcomer from the poster's Telegram link, then records them as a walk-in", async () => {
    h = await createHarness(provider);
    const { session, programme, code } = await sessionStartingSoon();
    const first = await h.send("tg-citra", { deepLink: `hadir-${code}` }, "telegram");
    expect(first[0]!.text).toMatch(/^Selamat datang di Sapa IKM/);
    // Why registering comes first, before the consent question.
    expect(first[1]!.text).toMatch(/^Untuk check-in di lokasi pelatihan, mohon daftar dulu/);
    expect(first.at(-1)!.text).toMatch(/^Sebelum mendaftar, kami perlu izin Anda/);
    let last = first;
    for (const answer of registrationAnswers("Citra Dewi", "081200000012").slice(1))
      last = await h.send("tg-citra", answer, "telegram");
    expect(last.map((r) => r.text)).toEqual([
      "Terima kasih, Citra Dewi! Pendaftaran Anda sudah tersimpan.",
      `Terima kasih sudah datang ke *${programme.titleId}*. Anda belum terdaftar di jadwal ini, jadi kehadiran Anda kami catat sebagai peserta tanpa pendaftaran; panitia akan mengonfirmasinya.`,
    ]);
    const walkIn = await h.db.prisma.walkIn.findFirstOrThrow();
    expect(walkIn).toMatchObject({
      trainingSessionId: session.id,
      participantId: await participantOf("tg-citra"),
      status: "pending",
    });
  });

  it("checks in an enrolled participant from the Telegram link, and says when a later session opens", async () => {
    h = await createHarness(provider);
    const { session, code } = await sessionStartingSoon();
    for (const answer of registrationAnswers("Dedi Kurnia", "081200000013"))
      await h.send("tg-dedi", answer, "telegram");
    await h.db.prisma.enrollment.create({
      data: { participantId: await participantOf("tg-dedi"), trainingSessionId: session.id, status: "enrolled" },
    });
    const replies = await h.send("tg-dedi", { deepLink: `hadir-${code}` }, "telegram");
    expect(replies[0]!.text).toMatch(/^✅ Terima kasih, kehadiran Anda di /);
    // The seeded sessions are days away: not open yet, nothing recorded.
    const later = await h.db.prisma.trainingSession.findFirstOrThrow({ where: { code: { not: "hari-ini" } } });
    const laterCode = (await ensureCheckInCode(h.db.prisma, later.id))!;
    const early = await h.send("tg-dedi", `cek in ${laterCode}`, "telegram");
    expect(early[0]!.text).toMatch(/^Check-in untuk .* belum dibuka\. Check-in dibuka .* pukul \d\d\.\d\d WI/);
    expect(await h.db.prisma.walkIn.count()).toBe(0);
  });
});
