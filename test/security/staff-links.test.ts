/**
 * Staff link codes against guessing (issue 15, item 2). The probe made a new web chat id every
 * five guesses and reached 268 guesses a second at 8-digit codes, since wrong codes were counted
 * per chat. Now every attempt counts against every live code, whoever makes it (a code is void
 * after five), and against the hour's attempts across all chats (linking pauses after twenty,
 * raised once as a security event); and the web chat links nothing at all.
 */
import { Writable } from "node:stream";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createLinkCode, createStaff, linkAttemptsPerHour, linkCodeMaxFailures } from "../../src/domain/staff.js";
import { createLogger } from "../../src/logger.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, phoneViewport, signIn } from "../support/browser.js";
import { providers } from "../support/databases.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { createHarness, registrationAnswers, type Harness } from "../support/harness.js";
import { addStaff } from "../support/population.js";
import { person } from "../support/telegram-person.js";
import { waitFor } from "../support/wait-for.js";

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

/**
 * Linked chats on the dashboard, in Debian's Chromium against the whole application with Telegram
 * on the fake Bot API server: a staff member sees their own linked chats (channel, a masked id,
 * since when) on "Akses saya" and removes one; an admin removes anyone's on the staff page; a
 * removed chat's staff commands stop at once.
 */
describe.each(providers)("linked chats on the dashboard on %s", (provider) => {
  const password = "lada-putih-bangka-2026";
  let fake: FakeTelegram;
  let testApp: TestApp;
  let app: App;
  let browser: Browser;
  let ids: { rina: number; siti: number };

  beforeAll(async () => {
    fake = await startFakeTelegram();
    testApp = await startTestApp({ provider, env: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url } });
    app = testApp.app;
    const db = app.database.prisma;
    ids = {
      rina: (await createStaff(db, { email: "rina@disperindag.example", name: "Rina", role: "staff", password })).id,
      siti: (await createStaff(db, { email: "siti@disperindag.example", name: "Siti", role: "admin", password })).id,
    };
    browser = await launchBrowser();
    await waitFor(() => app.bot.channelStatus().telegram?.state === "ready", 10_000, "telegram ready");
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await testApp?.stop();
    await fake?.close();
  });

  /** A browser page signed in as `email`, answering the dashboard's confirmations with yes. */
  const signedIn = async (email: string): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: phoneViewport })).newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    await signIn(page, app.url, email, password);
    return page;
  };
  const texts = (messages: { text?: string }[]) => messages.map((m) => m.text ?? "").join("\n");
  const notStaff = "Kata yang bisa diketik kapan saja";

  it("lists a staff member's own linked chats, removes them, and the removed chats' staff commands stop", async () => {
    const rina = await signedIn("rina@disperindag.example");
    const phone = person(fake, app, 700_123_456, "Rina");
    const laptop = person(fake, app, 700_123_999, "Rina");
    for (const chat of [phone, laptop]) {
      await rina.goto(`${app.url}/dashboard/akses-saya`);
      await Promise.all([rina.waitForEvent("load"), rina.click("form[action$='/kode-tautan'] button")]);
      const code = await rina.locator("[data-secret=link-code]").innerText();
      expect(texts(await chat.say(`/tautkan ${code}`))).toContain("terhubung dengan akun staf Rina");
      expect(texts(await chat.say("/status"))).toContain("Belum ada siaran");
    }

    await rina.goto(`${app.url}/dashboard/akses-saya`);
    const rows = rina.locator(".chat-table tbody tr");
    expect(await rows.count()).toBe(2);
    const first = await rows.first().innerText();
    expect(first).toContain("Telegram");
    expect(first).toContain("•••••3456");
    expect(first).not.toContain("700123456");

    // Rina removes her phone's chat.
    const phoneRow = rina.locator(".chat-table tbody tr", { hasText: "3456" });
    await Promise.all([rina.waitForEvent("load"), phoneRow.locator("button").click()]);
    expect(await rina.locator(".flash").innerText()).toContain("Akun chat dilepas");
    expect(await rows.count()).toBe(1);
    expect(texts(await phone.say("/status"))).toContain(notStaff);
    expect(texts(await laptop.say("/status"))).toContain("Belum ada siaran");

    // Her own page removes only her own chats: another's id is not found.
    const other = await app.database.prisma.staffIdentity.create({
      data: { staffId: ids.siti, channel: "telegram", platformUserId: "700555111" },
    });
    const csrf = await rina.locator("input[name=_csrf]").first().inputValue();
    const forged = await rina.request.post(`${app.url}/dashboard/akses-saya/chat/${other.id}/lepas`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(404);
    expect(await app.database.prisma.staffIdentity.count({ where: { id: other.id } })).toBe(1);

    // An admin sees Rina's remaining chat on her page and removes it.
    const siti = await signedIn("siti@disperindag.example");
    await siti.goto(`${app.url}/dashboard/staf/${ids.rina}`);
    const adminRows = siti.locator(".chat-table tbody tr");
    expect(await adminRows.count()).toBe(1);
    expect(await adminRows.first().innerText()).toContain("•••••3999");
    await Promise.all([siti.waitForEvent("load"), adminRows.first().locator("button").click()]);
    expect(await siti.locator(".flash").innerText()).toContain("Akun chat dilepas");
    expect(texts(await laptop.say("/status"))).toContain(notStaff);
    expect(await app.database.prisma.staffIdentity.count({ where: { staffId: ids.rina } })).toBe(0);

    const unlinked = await app.database.prisma.auditLog.findMany({
      where: { action: "staff.chat_unlinked" },
      orderBy: { id: "asc" },
    });
    expect(unlinked.map((e) => [e.staffId, (e.detail as { staffId: number }).staffId])).toEqual([
      [ids.rina, ids.rina],
      [ids.siti, ids.rina],
    ]);
  });
});
