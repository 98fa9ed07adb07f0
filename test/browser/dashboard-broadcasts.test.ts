/// <reference lib="dom" />
/**
 * Broadcasts and the motivation library in the dashboard, in Chromium on a phone-sized screen,
 * against the real application (SQLite, Redis, the outbox) and the fake Telegram Bot API: a
 * staff member composes a broadcast to one regency (the live count says how many, and who is
 * left out), saves it, sends it, and watches its page count up to 100% on its own; Telegram
 * gets it for every recipient and for nobody else. Then a motivational message is added and
 * one disabled. Screenshots go to docs/screenshots/.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { DateTime } from "luxon";
import { createStaff } from "../../src/domain/staff.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, phoneViewport, screenshot, signIn } from "../support/browser.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addParticipants } from "../support/population.js";
import { waitFor } from "../support/wait-for.js";

const admin = { email: "siti@disperindag.example", name: "Siti Aminah", password: "lada-putih-bangka-2026" };
const officer = { email: "dewi@disperindag.example", name: "Dewi Anggraini", password: "siaran-lada-bangka-2026" };
const regency = "Kabupaten Bangka Tengah";
/** With formatting, and a "<" that must stay text. */
const message =
  "Yth. Bapak/Ibu pelaku IKM lada,\nbimtek pengolahan lada putih diadakan *Kamis depan* di Koba. Mohon membawa contoh produk (<1 kg).";
const messageEn = "Dear pepper producers,\nthe white pepper processing training is next Thursday in Koba.";
/** What participants read: the formatting shown, its markers gone. */
const messageSeen =
  "Yth. Bapak/Ibu pelaku IKM lada,\nbimtek pengolahan lada putih diadakan Kamis depan di Koba. Mohon membawa contoh produk (<1 kg).";

describe("the dashboard: broadcasts and the motivation library", () => {
  let fake: FakeTelegram;
  let testApp: TestApp;
  let app: App;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let adminId: number;
  /** Chat ids in Bangka Tengah: the first two opted out, the third blocked the bot. */
  const inRegency = Array.from({ length: 24 }, (_, i) => 7100 + i);
  const elsewhere = Array.from({ length: 5 }, (_, i) => 7200 + i);
  const recipients = inRegency.slice(3);

  beforeAll(async () => {
    fake = await startFakeTelegram();
    testApp = await startTestApp({
      // 4 a second, so the progress is seen moving for about five seconds, even on a loaded machine.
      env: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        QUIET_HOURS: "off",
        TELEGRAM_BULK_PER_SECOND: "4",
        // Above 25 recipients a broadcast waits for an admin: the one to Bangka Tengah (21) does not.
        BROADCAST_APPROVAL_THRESHOLD: "25",
      },
    });
    app = testApp.app;
    const db = app.database.prisma;
    await addParticipants(db, inRegency.length, {
      channel: "telegram",
      firstChatId: inRegency[0]!,
      regency,
      shape: (i) => ({ optedOut: i < 2, blocked: i === 2, language: i % 4 === 3 ? "en" : "id" }),
    });
    await addParticipants(db, elsewhere.length, {
      channel: "telegram",
      firstChatId: elsewhere[0]!,
      regency: "Kota Pangkalpinang",
    });
    await createStaff(db, { ...officer, role: "staff" });
    adminId = (await createStaff(db, { ...admin, role: "admin" })).id;
    await waitFor(() => app.bot.channelStatus().telegram?.state === "ready", 10_000, "telegram ready");
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: phoneViewport });
    page = await context.newPage();
    await signIn(page, app.url, officer.email, officer.password);
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.stop();
    await fake?.close();
  });

  /**
   * A full-page screenshot with a screen as tall as the page, so the recipient count (which
   * sticks to the bottom of the screen) is drawn where it belongs, not over the form.
   */
  async function tallScreenshot(on: Page, name: string) {
    const height = await on.evaluate(() => document.documentElement.scrollHeight);
    await on.setViewportSize({ width: phoneViewport.width, height });
    await screenshot(on, name);
    await on.setViewportSize(phoneViewport);
  }

  const summary = () => page.locator("[data-count-summary]").innerText();

  it("composes a broadcast to one regency with a live count, errors next to the fields, and a chat preview", async () => {
    await page.goto(`${app.url}/dashboard/siaran`);
    expect(await page.locator("h1").innerText()).toBe("Siaran");
    await Promise.all([page.waitForEvent("load"), page.click("a[href='/dashboard/siaran/baru']")]);
    expect(await page.locator("h1").innerText()).toBe("Siaran baru");
    // Nothing ticked is everyone: 29 registered, 3 of them left out.
    await expect.poll(summary).toBe("26 penerima · 3 tidak ikut (2 berhenti berlangganan, 1 memblokir bot)");

    await page.check(`input[name=regencies][value="${regency}"]`);
    await expect.poll(summary).toBe("21 penerima · 3 tidak ikut (2 berhenti berlangganan, 1 memblokir bot)");
    expect(await page.locator("[data-count-segment]").innerText()).toBe(`Peserta: ${regency}`);

    // Saved with the texts empty (the browser's own check switched off): the server says which.
    await page.$eval("form[data-composer]", (form) => ((form as HTMLFormElement).noValidate = true));
    await Promise.all([page.waitForEvent("load"), page.click("button[value=save]")]);
    expect(await page.locator("#field-title-error").innerText()).toBe("Wajib diisi.");
    expect(await page.locator("#field-textId-error").innerText()).toBe("Wajib diisi.");
    // What was ticked is still ticked, and counted.
    expect(await page.isChecked(`input[name=regencies][value="${regency}"]`)).toBe(true);
    expect(await summary()).toBe("21 penerima · 3 tidak ikut (2 berhenti berlangganan, 1 memblokir bot)");

    // Filled in properly, from a fresh form.
    await page.goto(`${app.url}/dashboard/siaran/baru`);
    await page.check(`input[name=regencies][value="${regency}"]`);
    await expect.poll(summary).toBe("21 penerima · 3 tidak ikut (2 berhenti berlangganan, 1 memblokir bot)");
    await page.fill("input[name=title]", "Undangan bimtek lada putih");
    await page.fill("textarea[name=textId]", message);
    await page.fill("textarea[name=textEn]", messageEn);
    // The bubbles show the texts as participants get them: bold, without the stars.
    await expect.poll(() => page.locator("[data-bubble=id]").innerText()).toBe(messageSeen);
    expect(await page.locator("[data-bubble=id] strong").allInnerTexts()).toEqual(["Kamis depan"]);
    await expect.poll(() => page.locator("[data-bubble=en]").innerText()).toBe(messageEn);
    await tallScreenshot(page, "broadcast-composer");
    await Promise.all([page.waitForEvent("load"), page.click("button[value=save]")]);
    expect(new URL(page.url()).pathname).toMatch(/^\/dashboard\/siaran\/\d+$/);
    expect(await page.locator(".flash").innerText()).toContain("Draf siaran disimpan.");
    expect(await page.locator("[data-progress-status]").innerText()).toBe("Draf");
    // The saved message, as participants will read it.
    expect(await page.locator(".chat-bubble").first().innerText()).toBe(messageSeen);
    expect(await page.locator(".chat-bubble strong").first().innerText()).toBe("Kamis depan");
    expect(await page.locator("[data-forecast]").innerText()).toBe(
      "21 penerima · 3 tidak ikut (2 berhenti berlangganan, 1 memblokir bot)",
    );
    const broadcast = await app.database.prisma.broadcast.findFirstOrThrow({ orderBy: { id: "desc" } });
    expect(broadcast).toMatchObject({ status: "draft", textId: message, textEn: messageEn });
  });

  it("sends it now and the page follows the progress to 100% by itself", async () => {
    page.once("dialog", (dialog) => void dialog.accept());
    await Promise.all([page.waitForEvent("load"), page.click("button:has-text('Kirim sekarang')")]);
    expect(await page.locator(".flash").innerText()).toBe("Siaran mulai dikirim.");

    // No reload from here on: the page's script asks for the progress, and reloads itself once
    // the status changes. Every figure it showed on the way is kept.
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const shown = await page
          .locator("[data-progress-summary]")
          .innerText({ timeout: 500 })
          .catch(() => "");
        if (shown) seen.add(shown);
        const status = await page
          .locator("[data-progress-status]")
          .innerText({ timeout: 500 })
          .catch(() => "");
        return status === "Selesai" && shown === "21 dari 21 terkirim (100%)";
      },
      30_000,
      "the page to show the broadcast done",
    );
    expect([...seen].some((s) => /^\d+ dari 21 terkirim \((\d|[1-9]\d)%\)$/.test(s))).toBe(true);
    expect(await page.locator("progress[data-progress-bar]").evaluate((bar: HTMLProgressElement) => bar.value)).toBe(
      21,
    );
    await screenshot(page, "broadcast-progress");

    for (const chat of recipients) {
      const texts = fake.sentTo(chat).map((m) => m.text);
      expect(texts, `chat ${chat}`).toContain((chat - 7100) % 4 === 3 ? messageEn : messageSeen);
    }
    for (const chat of [...inRegency.slice(0, 3), ...elsewhere])
      expect(
        fake.sentTo(chat).filter((m) => m.text === messageSeen || m.text === messageEn),
        `chat ${chat}`,
      ).toEqual([]);

    await page.goto(`${app.url}/dashboard/siaran`);
    const row = page.locator("tr[data-broadcast]").first();
    expect(await row.locator(".badge").innerText()).toBe("Selesai");
    expect(await row.innerText()).toContain("21 dari 21 terkirim (100%)");
    const actions = await app.database.prisma.auditLog.findMany({ where: { action: { startsWith: "broadcast." } } });
    expect(actions.map((a) => a.action)).toEqual(["broadcast.create", "broadcast.schedule"]);
  });

  it("copies it, refuses a time that has passed, schedules it, pauses, resumes and cancels it", async () => {
    const db = app.database.prisma;
    const done = await db.broadcast.findFirstOrThrow({ where: { status: "done" } });
    await page.goto(`${app.url}/dashboard/siaran/${done.id}`);
    await Promise.all([page.waitForEvent("load"), page.click("a:has-text('Salin ke siaran baru')")]);
    expect(await page.inputValue("input[name=title]")).toBe("Undangan bimtek lada putih");
    expect(await page.inputValue("textarea[name=textId]")).toBe(message);
    expect(await page.isChecked(`input[name=regencies][value="${regency}"]`)).toBe(true);
    await page.fill("input[name=title]", "Pengingat bimtek lada putih");
    await Promise.all([page.waitForEvent("load"), page.click("button[value=save]")]);
    const id = Number(new URL(page.url()).pathname.split("/").at(-1));

    // The browser would refuse a past time itself (min); the server does too, next to the field.
    const local = (at: DateTime) => at.setZone("Asia/Jakarta").toFormat("yyyy-LL-dd'T'HH:mm");
    await page.$eval("form.schedule-form", (form) => ((form as HTMLFormElement).noValidate = true));
    await page.fill("input[name=at]", local(DateTime.now().minus({ hours: 2 })));
    await Promise.all([page.waitForEvent("load"), page.click("button:has-text('Jadwalkan')")]);
    expect(await page.locator("#field-at-error").innerText()).toBe(
      "Waktu ini sudah lewat. Pilih waktu yang akan datang, atau tekan Kirim sekarang.",
    );

    const tomorrow = DateTime.now()
      .setZone("Asia/Jakarta")
      .plus({ days: 1 })
      .set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    await page.fill("input[name=at]", local(tomorrow));
    await Promise.all([page.waitForEvent("load"), page.click("button:has-text('Jadwalkan')")]);
    expect(await page.locator(".flash").innerText()).toMatch(/^Siaran dijadwalkan pada \w+, .* pukul 09\.00 WIB\.$/);
    expect(await page.locator("[data-progress-status]").innerText()).toBe("Terjadwal");
    expect((await db.broadcast.findUniqueOrThrow({ where: { id } })).scheduledAt).toEqual(tomorrow.toJSDate());

    await Promise.all([page.waitForEvent("load"), page.click("button:has-text('Jeda')")]);
    expect(await page.locator("[data-progress-status]").innerText()).toBe("Dijeda");
    await Promise.all([page.waitForEvent("load"), page.click("button:has-text('Lanjutkan')")]);
    expect(await page.locator("[data-progress-status]").innerText()).toBe("Terjadwal");
    await Promise.all([page.waitForEvent("load"), page.click("a:has-text('Batalkan siaran')")]);
    expect(await page.locator("h1").innerText()).toBe("Batalkan siaran ini?");
    await Promise.all([page.waitForEvent("load"), page.click("button:has-text('Ya, batalkan siaran')")]);
    expect(await page.locator(".flash").innerText()).toBe(
      "Siaran dibatalkan. Pesan yang belum terkirim tidak akan dikirim.",
    );
    expect(await page.locator("[data-progress-status]").innerText()).toBe("Dibatalkan");
    expect(await page.locator(".broadcast-actions button").count()).toBe(0);

    const log = await db.auditLog.findMany({ where: { target: `broadcast:${id}` }, orderBy: { id: "asc" } });
    expect(log.map((r) => r.action)).toEqual([
      "broadcast.create",
      "broadcast.schedule",
      "broadcast.pause",
      "broadcast.resume",
      "broadcast.cancel",
    ]);
  });

  it("leaves approval to an admin other than the author, and says so", async () => {
    // Everyone (26) is over the threshold of 25: scheduled, it waits for approval.
    const draft = await app.bot.broadcasts.create(adminId, {
      title: "Kantor tutup",
      textId: "Kantor Disperindag tutup pada hari libur nasional.",
      filter: {},
    });
    expect((await app.bot.broadcasts.schedule(adminId, draft.id, null)).status).toBe("pending_approval");
    const approveUrl = `${app.url}/dashboard/siaran/${draft.id}/setujui`;

    // Staff see that it waits, without an approve button; the route refuses them.
    await page.goto(`${app.url}/dashboard/siaran/${draft.id}`);
    expect(await page.locator("[data-progress-status]").innerText()).toBe("Menunggu persetujuan");
    expect(await page.locator(".broadcast-actions").innerText()).toContain(
      "Siaran ini menunggu persetujuan seorang admin.",
    );
    expect(await page.locator("button:has-text('Setujui')").count()).toBe(0);
    const staffToken = await page.locator("input[name=_csrf]").first().inputValue();
    const refused = await page.request.post(approveUrl, { form: { _csrf: staffToken }, maxRedirects: 0 });
    expect(refused.status()).toBe(403);

    // The admin who wrote it (reading in English) is told another admin must approve it, and
    // approving anyway is refused by the service with its reason.
    const adminContext = await browser.newContext({ viewport: phoneViewport });
    try {
      const adminPage = await adminContext.newPage();
      await signIn(adminPage, app.url, admin.email, admin.password);
      await adminPage.goto(`${app.url}/bahasa?ke=en&next=${encodeURIComponent(`/dashboard/siaran/${draft.id}`)}`);
      expect(await adminPage.locator("[data-progress-status]").innerText()).toBe("Awaiting approval");
      expect(await adminPage.locator(".broadcast-actions").innerText()).toContain(
        "A broadcast needs the approval of an admin other than its author.",
      );
      expect(await adminPage.locator("[data-forecast]").innerText()).toBe(
        "26 recipients · 3 left out (2 unsubscribed, 1 blocked the bot)",
      );
      const adminToken = await adminPage.locator("input[name=_csrf]").first().inputValue();
      const own = await adminPage.request.post(approveUrl, { form: { _csrf: adminToken }, maxRedirects: 0 });
      expect(own.status()).toBe(303);
      await adminPage.goto(`${app.url}/dashboard/siaran/${draft.id}`);
      expect(await adminPage.locator(".flash").innerText()).toBe(
        "A broadcast needs the approval of someone other than its author and whoever submitted it.",
      );
      expect((await app.bot.broadcasts.get(draft.id))!.status).toBe("pending_approval");
    } finally {
      await adminContext.close();
    }
  });

  it("counts recipients without JavaScript too, with the button", async () => {
    const plain = await browser.newContext({ viewport: phoneViewport, javaScriptEnabled: false });
    try {
      const noScript = await plain.newPage();
      await signIn(noScript, app.url, officer.email, officer.password);
      await noScript.goto(`${app.url}/dashboard/siaran/baru`);
      await noScript.check(`input[name=regencies][value="Kota Pangkalpinang"]`);
      await Promise.all([noScript.waitForEvent("load"), noScript.click("button[value=count]")]);
      expect(await noScript.locator("[data-count-summary]").innerText()).toBe("5 penerima");
      expect(await noScript.isChecked(`input[name=regencies][value="Kota Pangkalpinang"]`)).toBe(true);
    } finally {
      await plain.close();
    }
  });

  it("adds a motivational message, shows how often each was sent, and disables one", async () => {
    const db = app.database.prisma;
    const first = await db.motivationalMessage.findFirstOrThrow({ where: { language: "id" }, orderBy: { id: "asc" } });
    const [someone] = await db.participant.findMany({ take: 1, orderBy: { id: "asc" } });
    await db.motivationDelivery.createMany({
      data: [
        { participantId: someone!.id, slug: first.slug, round: "2026-11-03" },
        { participantId: someone!.id, slug: first.slug, round: "2026-11-10" },
      ],
    });

    await page.goto(`${app.url}/dashboard/motivasi/baru`);
    await page.fill("input[name=slug]", "pameran-produk-daerah");
    await page.fill("input[name=topic]", "innovation");
    await page.selectOption("select[name=language]", "id");
    await page.fill(
      "textarea[name=text]",
      "Ikut pameran produk daerah membuka pasar baru. Siapkan contoh produk dan kartu nama Anda.",
    );
    await Promise.all([page.waitForEvent("load"), page.click("button[type=submit]:has-text('Tambah pesan')")]);
    expect(await page.locator(".flash").innerText()).toBe("Pesan motivasi ditambahkan.");
    const added = page.locator("#pesan-pameran-produk-daerah");
    expect(await added.locator("[data-language=id] .motivation-text").innerText()).toContain("Ikut pameran");
    expect(await added.locator("[data-language=en]").innerText()).toContain("Belum ada versi bahasa ini.");
    expect(
      await db.motivationalMessage.findUnique({
        where: { slug_language: { slug: "pameran-produk-daerah", language: "id" } },
      }),
    ).toMatchObject({ topic: "innovation", active: true });

    // Edited: the preview shows it as participants get it, with the line on how to stop.
    await Promise.all([page.waitForEvent("load"), added.locator("[data-language=id] a:has-text('Ubah')").click()]);
    await page.fill("textarea[name=text]", "Pameran produk daerah membuka pasar baru. Bawa contoh produk Anda.");
    await Promise.all([page.waitForEvent("load"), page.click("button[type=submit]:has-text('Simpan')")]);
    expect(await page.locator(".flash").innerText()).toBe("Pesan motivasi disimpan.");
    await Promise.all([page.waitForEvent("load"), added.locator("[data-language=id] a:has-text('Ubah')").click()]);
    expect(await page.locator(".chat-bubble").first().innerText()).toMatch(
      /^💡 Pameran produk daerah membuka pasar baru\. Bawa contoh produk Anda\.\s+Ketik MOTIVASI OFF/,
    );
    expect(await page.locator(".chat-bubble").first().locator("em").innerText()).toMatch(/^Ketik MOTIVASI OFF/);

    await page.goto(`${app.url}/dashboard/motivasi`);
    const card = page.locator(`#pesan-${first.slug}`);
    expect(await card.locator("[data-sent]").innerText()).toBe("Terkirim 2 kali");
    await Promise.all([
      page.waitForEvent("load"),
      card.locator("[data-language=id] button:has-text('Nonaktifkan')").click(),
    ]);
    expect(await page.locator(".flash").innerText()).toBe("Pesan dinonaktifkan dan tidak akan dikirim lagi.");
    expect(await page.locator(`#pesan-${first.slug} [data-language=id] .badge`).innerText()).toBe("Nonaktif");
    expect((await db.motivationalMessage.findUniqueOrThrow({ where: { id: first.id } })).active).toBe(false);
    // One topic, so the screenshot shows a page staff see, not the whole library.
    await page.goto(`${app.url}/dashboard/motivasi?topik=${first.topic}`);
    await screenshot(page, "motivation");

    const log = await db.auditLog.findMany({
      where: { action: { startsWith: "motivation." } },
      orderBy: { id: "asc" },
    });
    expect(log.map((r) => [r.action, r.target])).toEqual([
      ["motivation.create", expect.stringMatching(/^motivation:\d+$/)],
      ["motivation.update", expect.stringMatching(/^motivation:\d+$/)],
      ["motivation.disable", `motivation:${first.id}`],
    ]);
  });
});
