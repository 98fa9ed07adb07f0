/**
 * The move offer, through the whole bot (createHarness): a participant who holds a session of a
 * programme and picks another of its sessions is asked to move instead of enrolling twice; yes
 * moves (and the seat left goes to the first on the waiting list, who is told), no keeps the old.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createHarness, register, registrationAnswers, type Harness } from "../support/harness.js";
import { providers } from "../support/databases.js";

describe.each(providers)("moving to another session of a programme on %s", (provider) => {
  let h: Harness;
  afterEach(() => h.close());

  /** Menu -> Daftar pelatihan -> the lada programme (first for a lada business) -> session n. */
  const pickLadaSession = async (chatId: string, n: number) => {
    for (const text of ["menu", "1", "1"]) await h.send(chatId, text);
    return h.send(chatId, String(n));
  };
  const ladaSessions = () =>
    h.db.prisma.trainingSession.findMany({
      where: { programme: { slug: "lada-bangka-tengah" } },
      orderBy: { startsAt: "asc" },
    });
  const statuses = async (chatId: string) => {
    const identity = await h.db.prisma.channelIdentity.findFirstOrThrow({ where: { chatId } });
    const rows = await h.db.prisma.enrollment.findMany({
      where: { participantId: identity.participantId },
      orderBy: { trainingSessionId: "asc" },
    });
    return rows.map((e) => [e.trainingSessionId, e.status]);
  };

  it("offers to move instead of enrolling twice, moves, and gives the seat left to the waiting list", async () => {
    h = await createHarness(provider);
    const [first, second] = await ladaSessions();
    await h.db.prisma.trainingSession.update({ where: { id: first!.id }, data: { capacity: 1 } });
    await register(h, "siti", registrationAnswers("Siti Aminah", "081234567890"));
    await register(h, "budi", registrationAnswers("Budi Santoso", "081377778888"));
    await pickLadaSession("siti", 1);
    expect((await h.send("siti", "ya"))[0]!.text).toMatch(/^✅ Anda terdaftar di \*Diversifikasi Produk Lada\*/);
    await pickLadaSession("budi", 1);
    expect((await h.send("budi", "ya"))[0]!.text).toMatch(/Anda masuk daftar tunggu nomor 1\./);

    const offer = await pickLadaSession("siti", 2);
    expect(offer).toEqual([
      {
        text: [
          "*Diversifikasi Produk Lada*",
          "Anda sudah terdaftar di jadwal Selasa, 8 Desember 2026 pukul 09.00 WIB untuk program ini.",
          "",
          "Jadwal baru:",
          "📅 Selasa, 29 Desember 2026, 09.00–15.00 WIB",
          "📍 Balai Pelatihan Namang, Namang, Kabupaten Bangka Tengah",
          "🗺️ https://www.google.com/maps/search/?api=1&query=Namang%2C%20Bangka%20Tengah",
          "Sisa kursi: 25 dari 25",
          "",
          "Pindah ke jadwal Selasa, 29 Desember 2026 pukul 09.00 WIB?",
        ].join("\n"),
        choices: ["Ya, pindah ke jadwal ini", "Tidak, tetap di jadwal lama"],
      },
    ]);

    const moved = await h.send("siti", "ya");
    expect(moved[0]!.text).toBe(
      "🔄 Jadwal Anda sudah dipindah. Anda sekarang terdaftar di *Diversifikasi Produk Lada*, Selasa, 29 Desember 2026 pukul 09.00 WIB di Balai Pelatihan Namang. Pendaftaran untuk jadwal Selasa, 8 Desember 2026 pukul 09.00 WIB sudah dibatalkan. Kami akan mengirim pengingat sebelum acara.",
    );
    expect(moved[1]!.text).toBe("Menu utama. Silakan pilih:");
    const oldEnrollment = await h.db.prisma.enrollment.findFirstOrThrow({
      where: { trainingSessionId: first!.id, participant: { name: "Siti Aminah" } },
    });
    expect(h.turns.get("siti")!.at(-1)!.events).toContainEqual({
      type: "enrollment_move_requested",
      enrollmentId: oldEnrollment.id,
      trainingSessionId: second!.id,
    });
    expect(await statuses("siti")).toEqual([
      [first!.id, "cancelled"],
      [second!.id, "enrolled"],
    ]);
    expect(await statuses("budi")).toEqual([[first!.id, "enrolled"]]);
    const notice = await h.db.prisma.message.findFirstOrThrow({
      where: { chatId: "budi", direction: "outbound", outbox: { kind: "notice" } },
    });
    expect(notice.text).toMatch(/^🎉 Kabar baik! Ada kursi kosong, dan Anda sekarang terdaftar di /);
    // Reminders follow: Siti's old ones cancelled, her new ones and Budi's pending.
    const reminders = await h.db.prisma.reminder.findMany({ include: { enrollment: true } });
    const of = (sessionId: number, status: string) =>
      reminders.filter((r) => r.enrollment.trainingSessionId === sessionId && r.enrollment.status === status);
    expect(of(first!.id, "cancelled").map((r) => r.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect(of(second!.id, "enrolled").map((r) => r.status)).toEqual(["pending", "pending", "pending"]);
    expect(of(first!.id, "enrolled").map((r) => r.status)).toEqual(["pending", "pending", "pending"]);
  });

  it("keeps the old session on no, and asks in English too", async () => {
    h = await createHarness(provider);
    const [first] = await ladaSessions();
    await register(h, "rina", registrationAnswers("Rina Wulandari", "081355556666"));
    await pickLadaSession("rina", 1);
    await h.send("rina", "ya");
    await h.db.prisma.participant.updateMany({ where: { name: "Rina Wulandari" }, data: { language: "en" } });

    const offer = await pickLadaSession("rina", 2);
    expect(offer[0]!.text).toMatch(
      /^\*Pepper Product Diversification\*\nYou are already enrolled in the session on Tuesday, 8 December 2026 at 09:00 WIB of this programme\.\n/,
    );
    expect(offer[0]!.text).toMatch(/\nMove to the session on Tuesday, 29 December 2026 at 09:00 WIB\?$/);
    expect(offer[0]!.choices).toEqual(["Yes, move to this session", "No, keep my old session"]);
    const kept = await h.send("rina", "no");
    expect(kept.map((r) => r.text)).toEqual([
      "All right, your session is not changed; your enrollment stands.",
      "Main menu. Please choose:",
    ]);
    expect(await statuses("rina")).toEqual([[first!.id, "enrolled"]]);
  });
});
