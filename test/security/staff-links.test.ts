/**
 * Staff link codes against guessing (issue 15, item 2). The probe made a new web chat id every
 * five guesses and reached 268 guesses a second at 8-digit codes, since wrong codes were counted
 * per chat. Now every attempt counts against every live code, whoever makes it (a code is void
 * after five), and against the hour's attempts across all chats (linking pauses after twenty,
 * raised once as a security event); and the web chat links nothing at all.
 */
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLinkCode, linkAttemptsPerHour, linkCodeMaxFailures } from "../../src/domain/staff.js";
import { createLogger } from "../../src/logger.js";
import { providers } from "../support/databases.js";
import { createHarness, registrationAnswers, type Harness } from "../support/harness.js";
import { addStaff } from "../support/population.js";

describe.each(providers)("staff link codes on %s", (provider) => {
  let h: Harness;
  /** Every line the runtime logged, parsed. */
  let logLines: Record<string, unknown>[];
  beforeEach(async () => {
    logLines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n")) if (line.trim()) logLines.push(JSON.parse(line));
        done();
      },
    });
    h = await createHarness(provider, {
      channels: { web: { buttons: true }, telegram: { buttons: true }, whatsapp: { buttons: false } },
      logger: createLogger({ level: "info" }, sink),
    });
  });
  afterEach(() => h.close());

  const reply = async (chatId: string, input: string, channel: string) =>
    (await h.send(chatId, input, channel)).map((r) => r.text).join("\n");
  /** A wrong 8-digit code, never one of `live`. */
  const wrong = (i: number, live: string[]) => {
    for (let n = i; ; n += 7919) {
      const guess = String(10_000_000 + ((n * 104_729) % 90_000_000));
      if (!live.includes(guess)) return guess;
    }
  };

  it("voids a live code after five wrong codes from five fresh Telegram and WhatsApp chats", async () => {
    const staffId = await addStaff(h.db.prisma, "Rina");
    const { code } = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    for (let i = 0; i < linkCodeMaxFailures; i++) {
      const channel = i % 2 ? "telegram" : "whatsapp";
      expect(await reply(`fresh-${i}`, `/tautkan ${wrong(i, [code])}`, channel)).toContain(
        "Kode tidak dikenal atau sudah kedaluwarsa",
      );
    }
    // The right code, from yet another chat: refused in the same words as a wrong one.
    expect(await reply("fresh-right", `/tautkan ${code}`, "telegram")).toContain(
      "Kode tidak dikenal atau sudah kedaluwarsa",
    );
    expect(await h.db.prisma.staffIdentity.count()).toBe(0);
    // A new code is not hurt by the old guesses.
    const next = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    expect(await reply("rina-tg", `/tautkan ${next.code}`, "telegram")).toContain("terhubung dengan akun staf Rina");
  });

  it("pauses linking for everyone after twenty wrong codes an hour, even sent all at once, and raises it once", async () => {
    const staffId = await addStaff(h.db.prisma, "Andi");
    const { code } = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    const guesses = Array.from({ length: 2 * linkAttemptsPerHour }, (_, i) => wrong(i, [code]));
    // Each guess from a chat of its own, all at once: counts checked before they are written would let them all through.
    const answers = await Promise.all(
      guesses.map((g, i) => reply(`burst-${i}`, `TAUTKAN ${g}`, i % 2 ? "telegram" : "whatsapp")),
    );
    expect(answers.filter((a) => a.includes("Kode tidak dikenal"))).toHaveLength(linkAttemptsPerHour);
    expect(answers.filter((a) => a.includes("dihentikan sementara"))).toHaveLength(linkAttemptsPerHour);
    expect(await h.db.prisma.auditLog.count({ where: { action: "staff.link_failed" } })).toBe(linkAttemptsPerHour);

    // A right code, fresh, is refused too while linking is paused.
    const fresh = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    expect(await reply("andi-wa", `/tautkan ${fresh.code}`, "whatsapp")).toContain(
      "Penautan akun chat sedang dihentikan sementara",
    );
    expect(await h.db.prisma.staffIdentity.count()).toBe(0);

    // One security event: a warning with its own event name, and an audit entry; no code in either.
    const events = logLines.filter((l) => l.event === "staff_link_paused");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ level: 40, attemptsPerHour: linkAttemptsPerHour });
    const security = await h.db.prisma.auditLog.findMany({ where: { action: "security.staff_link_paused" } });
    expect(security).toHaveLength(1);
    const logged = JSON.stringify(logLines) + JSON.stringify(await h.db.prisma.auditLog.findMany());
    for (const secret of [code, fresh.code, ...guesses]) expect(logged).not.toContain(secret);

    // The next hour, linking works again.
    h.clock.now = new Date(h.clock.now.getTime() + 61 * 60_000);
    const later = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    expect(await reply("andi-wa", `/tautkan ${later.code}`, "whatsapp")).toContain("terhubung dengan akun staf Andi");
  });

  it("links nothing from the web chat: answers politely, uses no code, counts nothing, keeps the participant's place", async () => {
    const staffId = await addStaff(h.db.prisma, "Dewi");
    const { code } = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    const answer = await reply("web-visitor", `/tautkan ${code.slice(0, 4)} ${code.slice(4)}`, "web");
    expect(answer).toContain("hanya dapat dipakai di Telegram atau WhatsApp");
    expect(await h.db.prisma.staffIdentity.count()).toBe(0);
    expect(await h.db.prisma.staffLinkCode.findFirstOrThrow()).toMatchObject({ usedAt: null, failedAttempts: 0 });
    expect(await h.db.prisma.staffLinkAttemptWindow.count()).toBe(0);
    expect(await h.db.prisma.auditLog.count({ where: { action: { startsWith: "staff.link" } } })).toBe(0);

    // Midway through registration, a participant keeps their place.
    const answers = registrationAnswers();
    for (const text of answers.slice(0, 2)) await h.send("web-budi", text, "web");
    const before = await h.db.prisma.conversation.findFirstOrThrow({
      where: { identity: { platformUserId: "web-budi" } },
    });
    expect(await reply("web-budi", "/siaran", "web")).toContain("hanya dapat dipakai di Telegram atau WhatsApp");
    const after = await h.db.prisma.conversation.findFirstOrThrow({
      where: { identity: { platformUserId: "web-budi" } },
    });
    expect(`${after.flow}.${after.node}`).toBe(`${before.flow}.${before.node}`);

    // The code still works from WhatsApp.
    expect(await reply("dewi-wa", `/tautkan ${code}`, "whatsapp")).toContain("terhubung dengan akun staf Dewi");
  });

  it("never treats a web chat account as staff, even with a row linked before", async () => {
    const staffId = await addStaff(h.db.prisma, "Rina");
    await h.db.prisma.staffIdentity.create({ data: { staffId, channel: "web", platformUserId: "old-web-link" } });
    for (const command of ["/siaran", "/status", "statistik"])
      expect(await reply("old-web-link", command, "web")).toContain("hanya dapat dipakai di Telegram atau WhatsApp");
    expect(await reply("old-web-link", "Pengumuman palsu untuk semua peserta", "web")).not.toContain("Siaran");
    expect(await h.db.prisma.broadcast.count()).toBe(0);
    const conversation = await h.db.prisma.conversation.findFirst({
      where: { identity: { platformUserId: "old-web-link" } },
    });
    expect(conversation?.flow).not.toBe("staff");
  });
});
