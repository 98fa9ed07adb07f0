/**
 * Staff in chat: linking a chat account with a one-time code from WhatsApp (once, not after it
 * expires, not by guessing), and what happens when someone who is not staff types a staff command.
 * Guessing from many chats and the web chat: test/security/staff-links.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLinkCode } from "../../src/domain/staff.js";
import { createHarness, registrationAnswers, type Harness } from "../support/harness.js";
import { addStaff } from "../support/population.js";

describe.each(["sqlite", "postgresql"] as const)("staff chat on %s", (provider) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(provider);
  });
  afterEach(() => h.close());

  const texts = async (chatId: string, input: string, channel = "whatsapp") =>
    (await h.send(chatId, input, channel)).map((r) => r.text).join("\n");

  it("links a chat account with a code once, then offers the staff commands", async () => {
    const staffId = await addStaff(h.db.prisma, "Rina");
    const { code } = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    // Before linking, /status is the ordinary help.
    expect(await texts("rina-tg", "/status")).toContain("Kata yang bisa diketik kapan saja");
    expect(await texts("rina-tg", `/tautkan ${code.slice(0, 4)} ${code.slice(4)}`)).toContain(
      "terhubung dengan akun staf Rina",
    );
    expect(await h.db.prisma.staffIdentity.findMany({ where: { staffId } })).toMatchObject([
      { channel: "whatsapp", platformUserId: "rina-tg" },
    ]);
    expect(await texts("rina-tg", "/status")).toContain("Belum ada siaran");
    // The code works once.
    expect(await texts("someone-else", `TAUTKAN ${code}`)).toContain("Kode tidak dikenal atau sudah kedaluwarsa");
    expect(await h.db.prisma.staffIdentity.count()).toBe(1);
  });

  it("refuses an expired code, and a live code after five wrong codes", async () => {
    const staffId = await addStaff(h.db.prisma, "Andi");
    const { code } = await createLinkCode(h.db.prisma, staffId, new Date(h.clock.now.getTime() - 16 * 60_000));
    expect(await texts("guesser", `/tautkan ${code}`)).toContain("kedaluwarsa");
    const fresh = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    for (let i = 0; i < 5; i++) expect(await texts("guesser", `/tautkan 1111000${i}`)).toContain("kedaluwarsa");
    expect(await texts("guesser", `/tautkan ${fresh.code}`)).toContain("kedaluwarsa");
    expect(await h.db.prisma.staffIdentity.count()).toBe(0);
    // A new code works.
    const later = await createLinkCode(h.db.prisma, staffId, h.clock.now);
    expect(await texts("guesser", `/tautkan ${later.code}`)).toContain("terhubung");
  });

  it("gives a participant who types a staff command the help, keeps their place and notes the attempt", async () => {
    for (const text of registrationAnswers()) await h.send("budi", text, "whatsapp");
    await h.send("budi", "profil", "whatsapp");
    const reply = await texts("budi", "/siaran");
    expect(reply).toContain("Kata yang bisa diketik kapan saja");
    const attempts = await h.db.prisma.auditLog.findMany({ where: { action: "staff.command_refused" } });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ staffId: null, detail: { command: "siaran", channel: "whatsapp" } });
    expect(await h.db.prisma.broadcast.count()).toBe(0);
    // Still in the profile, where they were.
    const identity = await h.db.prisma.channelIdentity.findFirstOrThrow({
      where: { platformUserId: "budi" },
      include: { conversation: true },
    });
    expect(identity.conversation?.flow).toBe("profile");
  });
});
