/**
 * Phone numbers at registration, as participants see it: typed in any form, a landline told
 * apart from a mobile, a number from abroad taken with its country code, and the number
 * WhatsApp gives used only when it is a mobile one.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createHarness, registrationAnswers, type Harness } from "../support/harness.js";

/** The phone question, asked again (its wording depends on the channel's share-my-number button). */
const askPhone = /^Berapa nomor HP Anda\?/;
const askNib = "Apakah usaha Anda sudah punya NIB (Nomor Induk Berusaha)? Ini tidak wajib.";

describe("phone numbers at registration", () => {
  let h: Harness;
  afterEach(() => h.close());

  /** The answers up to the phone question. */
  const beforePhone = registrationAnswers().slice(0, 6);

  it("refuses a landline with a reason, and takes a number from abroad", async () => {
    h = await createHarness("sqlite");
    for (const a of beforePhone) await h.send("abroad", a);

    const landline = await h.send("abroad", "(0717) 421234");
    expect(landline.map((r) => r.text)).toEqual([
      "Sepertinya itu nomor telepon rumah atau kantor. Mohon tulis nomor HP/WhatsApp Anda, bukan telepon rumah. Contoh: 081234567890.",
      expect.stringMatching(askPhone),
    ]);
    const wrong = await h.send("abroad", "0812 34");
    expect(wrong[0]!.text).toBe("Nomor HP belum sesuai. Contoh yang benar: 081234567890.");

    expect((await h.send("abroad", "+60 12-345 6789"))[0]!.text).toBe(askNib);
    await h.send("abroad", "2");
    const summary = await h.send("abroad", "ya");
    expect(summary.map((r) => r.text).join("\n")).toContain("Terima kasih, Budi Santoso!");
    const participant = await h.db.prisma.participant.findFirstOrThrow({ where: { name: "Budi Santoso" } });
    expect(participant.phone).toBe("60123456789");
  });

  it("stores a mobile number the same way whatever its form", async () => {
    h = await createHarness("sqlite");
    for (const [chat, phone] of [
      ["dots", "(0812) 3456.7890"],
      ["plus", "+62 812-3456-7891"],
      ["sixtytwo", "6281234567892"],
    ] as const)
      for (const a of registrationAnswers(`Peserta ${chat}`, phone)) await h.send(chat, a);
    const phones = await h.db.prisma.participant.findMany({ orderBy: { id: "asc" }, select: { phone: true } });
    expect(phones.map((p) => p.phone)).toEqual(["6281234567890", "6281234567891", "6281234567892"]);
  });

  it("uses the number WhatsApp gives when it is a mobile one, and asks otherwise", async () => {
    h = await createHarness("sqlite");
    const sendAll = async (chatId: string, senderPhone: string) => {
      let last: string[] = [];
      for (const text of beforePhone)
        last = (await h.send(chatId, { text, senderPhone }, "whatsapp")).map((r) => r.text);
      return last;
    };
    // Straight on to the NIB question: the number came with the message.
    expect(await sendAll("6281234567890@c.us", "+6281234567890")).toContain(askNib);
    // A business account on a landline: the bot asks for a mobile number.
    expect(await sendAll("62717421234@c.us", "+62717421234")).toContainEqual(expect.stringMatching(askPhone));
  });
});
