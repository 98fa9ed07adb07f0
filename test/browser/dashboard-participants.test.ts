/// <reference lib="dom" />
/**
 * The dashboard's participants pages against the real application (SQLite, real Redis), in
 * Debian's Chromium on a phone-sized screen, signed in as an ordinary staff member: search,
 * a profile with its conversation, the CSV export, and an import refused for a bad row, then
 * accepted. Screenshots go to docs/screenshots/.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createStaff } from "../../src/domain/staff.js";
import { launchBrowser, phoneViewport, screenshot, signIn } from "../support/browser.js";
import { startTestApp, type TestApp } from "../support/app.js";

const officer = { email: "rina@disperindag.example", name: "Rina Wulandari", password: "reparasi-ac-pangkal-2026" };

describe("the dashboard's participants pages", () => {
  let testApp: TestApp;
  let app: App;
  let browser: Browser;
  let page: Page;
  let sitiId: number;

  beforeAll(async () => {
    testApp = await startTestApp();
    app = testApp.app;
    const prisma = app.database.prisma;
    await createStaff(prisma, { ...officer, role: "staff" });
    const registeredAt = new Date("2026-11-02T02:30:00Z");
    const siti = await prisma.participant.create({
      data: {
        name: "Siti Aminah",
        businessName: "Lada Putih Sejahtera",
        sector: "lada",
        regency: "Kabupaten Bangka Tengah",
        phone: "6281234567890",
        nib: "1234567890123",
        registeredAt,
        consentAt: registeredAt,
        consentVersion: "2026-11",
      },
    });
    sitiId = siti.id;
    await prisma.participant.create({
      data: {
        name: "Budi Santoso",
        businessName: "Konveksi Budi",
        sector: "konveksi",
        regency: "Kabupaten Belitung",
        phone: "6281377778888",
        registeredAt,
        consentAt: registeredAt,
        optedOutAt: registeredAt,
      },
    });
    // A name a spreadsheet would run as a formula, to see the export defuse it.
    await prisma.participant.create({
      data: {
        name: '=HYPERLINK("http://contoh.example")',
        businessName: "Lada Jahat",
        sector: "lada",
        regency: "Kabupaten Bangka",
        phone: "6281399990000",
        registeredAt,
        consentAt: registeredAt,
      },
    });
    const identity = await prisma.channelIdentity.create({
      data: {
        channel: "telegram",
        platformUserId: "5001",
        chatId: "5001",
        participantId: siti.id,
        displayName: "Siti A",
      },
    });
    const conversation = [
      { direction: "inbound", text: "halo", status: "received" },
      { direction: "outbound", text: "Selamat datang di Sapa IKM.", status: "read" },
      // What she typed is shown as typed; the bot's markup as she saw it.
      { direction: "inbound", text: "Kapan *pelatihan* <b>lada</b> dimulai?", status: "received" },
      { direction: "outbound", text: "Pelatihan *lada* dimulai Selasa pukul 09.00 WIB.", status: "failed" },
    ] as const;
    for (const [i, m] of conversation.entries())
      await prisma.message.create({
        data: {
          ...m,
          channel: "telegram",
          chatId: "5001",
          identityId: identity.id,
          createdAt: new Date(registeredAt.getTime() + i * 60_000),
          ...(m.status === "failed" ? { error: "Forbidden: bot was blocked by the user" } : {}),
        },
      });
    const session = await prisma.trainingSession.findFirstOrThrow({ orderBy: { startsAt: "asc" } });
    await prisma.enrollment.create({
      data: { participantId: siti.id, trainingSessionId: session.id, status: "enrolled", rsvp: "confirmed" },
    });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: phoneViewport })).newPage();
    await signIn(page, app.url, officer.email, officer.password);
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.stop();
  });

  it("finds a participant by name, whatever the case, and by phone digits", async () => {
    await page.goto(`${app.url}/dashboard/peserta`);
    expect(await page.locator("h1").innerText()).toBe("Peserta");
    expect(await page.locator("[data-figure=matched]").innerText()).toBe("3 peserta terdaftar.");
    await page.fill("input[name=q]", "siti");
    await Promise.all([page.waitForEvent("load"), page.click(".filters button[type=submit]")]);
    expect(await page.locator("[data-figure=matched]").innerText()).toBe("1 peserta cocok dari 3 peserta terdaftar.");
    expect(await page.locator("table.participants tbody tr").count()).toBe(1);
    expect(await page.locator("table.participants tbody td").first().innerText()).toBe("Siti Aminah");
    await screenshot(page, "participants");

    await page.goto(`${app.url}/dashboard/peserta?q=0813-7777`);
    expect(await page.locator("table.participants tbody td a").allInnerTexts()).toEqual(["Budi Santoso"]);
    await page.goto(`${app.url}/dashboard/peserta?status=berhenti&sektor=konveksi`);
    expect(await page.locator("table.participants tbody td a").allInnerTexts()).toEqual(["Budi Santoso"]);
    await page.goto(`${app.url}/dashboard/peserta?kanal=telegram`);
    expect(await page.locator("table.participants tbody td a").allInnerTexts()).toEqual(["Siti Aminah"]);
  });

  it("shows a profile with the conversation, newest last, and delivery status", async () => {
    await page.goto(`${app.url}/dashboard/peserta?q=Aminah`);
    await Promise.all([page.waitForEvent("load"), page.click("text=Siti Aminah")]);
    expect(new URL(page.url()).pathname).toBe(`/dashboard/peserta/${sitiId}`);
    expect(await page.locator("h1").innerText()).toBe("Siti Aminah");
    const details = await page.locator(".details").innerText();
    expect(details).toContain("0812-3456-7890");
    expect(details).toContain("versi 2026-11");
    expect(await page.locator(".channels").innerText()).toContain("Siti A");
    expect(await page.locator("#riwayat + p + ol, .conversation").first().isVisible()).toBe(true);
    const texts = await page.locator(".conversation .message-text").allInnerTexts();
    expect(texts).toEqual([
      "halo",
      "Selamat datang di Sapa IKM.",
      "Kapan *pelatihan* <b>lada</b> dimulai?",
      "Pelatihan lada dimulai Selasa pukul 09.00 WIB.",
    ]);
    expect(await page.locator(".conversation .message-text strong").allInnerTexts()).toEqual(["lada"]);
    expect(await page.locator(".conversation .message-text b").count()).toBe(0);
    const last = page.locator(".conversation .message").last();
    expect(await last.locator(".message-meta").innerText()).toContain("Gagal");
    expect(await last.innerText()).toContain("bot was blocked");
    expect(await page.locator("section[aria-labelledby=pendaftaran] tbody").innerText()).toContain("Konfirmasi hadir");
    await screenshot(page, "participant-profile");

    const missing = await page.goto(`${app.url}/dashboard/peserta/999999`);
    expect(missing?.status()).toBe(404);
  });

  it("exports the filtered list as CSV with a BOM, and defuses formulas", async () => {
    const res = await page.request.get(`${app.url}/dashboard/peserta/csv?sektor=lada`);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-type"]).toBe("text/csv; charset=utf-8");
    expect(res.headers()["content-disposition"]).toMatch(/^attachment; filename="peserta-\d{4}-\d{2}-\d{2}\.csv"$/);
    const body = (await res.body()).toString("utf8");
    expect(body.startsWith("\uFEFF")).toBe(true);
    const rows = body.slice(1).trimEnd().split("\r\n");
    expect(rows[0]).toBe(
      "id,nama,nama usaha,sektor,kabupaten/kota,nomor HP,NIB,bahasa,terdaftar pada,berhenti berlangganan,kanal",
    );
    expect(rows).toHaveLength(3);
    expect(rows).toContain(
      `${sitiId},Siti Aminah,Lada Putih Sejahtera,Lada (pengolahan lada),Kabupaten Bangka Tengah,081234567890,1234567890123,id,2026-11-02 09:30,,telegram`,
    );
    expect(rows.find((r) => r.includes("HYPERLINK"))).toContain(`"'=HYPERLINK(""http://contoh.example"")"`);
    const log = await app.database.prisma.auditLog.findMany({ where: { action: "participants.exported" } });
    expect(log.map((l) => l.detail)).toEqual([{ count: 2, filters: ["sector"] }]);
  });

  it("refuses an import with a bad row, naming it, and imports nothing", async () => {
    const before = await app.database.prisma.participant.count();
    await page.goto(`${app.url}/dashboard/peserta/impor`);
    await page.setInputFiles("input[name=berkas]", {
      name: "peserta-baru.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(
        "\uFEFFnama;nama usaha;sektor;kabupaten/kota;nomor HP\r\n" +
          "Ahmad Fauzi;Konveksi Fauzi;konveksi;Kabupaten Bangka Barat;081311112222\r\n" +
          "Hendra;Servis Hendra;reparasi-ac;Kota Pangkalpinang;08123\r\n" +
          "Dewi Lestari;;lada;Bangka Tengah;0812-3456-7890\r\n",
      ),
    });
    await Promise.all([page.waitForEvent("load"), page.click(".import-form button[type=submit]")]);
    const problems = await page.locator(".import-problems li").allInnerTexts();
    expect(problems).toEqual([
      'Baris 3: nomor HP "08123" terlalu pendek',
      `Baris 4: nomor HP 0812-3456-7890 sudah terdaftar (peserta #${sitiId}); data yang ada tidak diubah`,
    ]);
    expect(await page.locator(".import-problems").innerText()).toContain("Tidak ada yang diimpor.");
    expect(await app.database.prisma.participant.count()).toBe(before);
    await screenshot(page, "participant-import-errors");
  });

  it("refuses a file over 2 MB in words, without reading past the limit", async () => {
    await page.goto(`${app.url}/dashboard/peserta/impor`);
    const row = "Siti Aminah,Lada Putih,lada,Kabupaten Bangka,081234567890\n";
    await page.setInputFiles("input[name=berkas]", {
      name: "besar.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(`nama,nama usaha,sektor,kabupaten/kota,nomor HP\n${row.repeat(40_000)}`),
    });
    const [response] = await Promise.all([page.waitForNavigation(), page.click(".import-form button[type=submit]")]);
    expect(response!.status()).toBe(413);
    expect(await page.locator("h1").innerText()).toBe("Berkas terlalu besar");
    expect(await page.locator("main").innerText()).toContain(
      "Berkas CSV untuk impor paling besar 2 MB, dengan satu berkas per kiriman. Tidak ada yang diimpor.",
    );
  });

  it("refuses an upload without the form's security code", async () => {
    const res = await page.request.post(`${app.url}/dashboard/peserta/impor`, {
      multipart: { teks: "nama,nomor HP,kabupaten/kota\nSiti Rahma,081390001111,Kabupaten Bangka\n" },
    });
    expect(res.status()).toBe(403);
    expect(await app.database.prisma.participant.count({ where: { phone: "6281390001111" } })).toBe(0);
  });

  it("imports a good CSV pasted into the page, in one go", async () => {
    await page.goto(`${app.url}/dashboard/peserta/impor`);
    await page.fill(
      "textarea[name=teks]",
      [
        "nama,nama usaha,sektor,kabupaten/kota,nomor HP,bahasa",
        "Ahmad Fauzi,Konveksi Fauzi,konveksi,Kabupaten Bangka Barat,081311112222,id",
        "Hendra Gunawan,Servis Hendra,Reparasi AC,Kota Pangkalpinang,+62 813 2222 3333,en",
      ].join("\n"),
    );
    await Promise.all([page.waitForEvent("load"), page.click(".import-form button[type=submit]")]);
    expect(new URL(page.url()).pathname).toBe("/dashboard/peserta");
    expect(await page.locator(".flash").innerText()).toBe("2 peserta berhasil diimpor.");
    const imported = await app.database.prisma.participant.findMany({
      where: { consentVersion: "import" },
      orderBy: { id: "asc" },
    });
    expect(imported.map((p) => [p.name, p.sector, p.phone, p.language])).toEqual([
      ["Ahmad Fauzi", "konveksi", "6281311112222", "id"],
      ["Hendra Gunawan", "reparasi-ac", "6281322223333", "en"],
    ]);
    const staff = await app.database.prisma.staff.findUniqueOrThrow({ where: { email: officer.email } });
    const log = await app.database.prisma.auditLog.findMany({ where: { action: "participants.imported" } });
    expect(log.map((l) => [l.staffId, l.detail])).toEqual([[staff.id, { count: 2 }]]);
  });

  it("marks a phone number another participant gave too, filters by it, and links them", async () => {
    const prisma = app.database.prisma;
    const at = new Date("2026-11-03T02:30:00Z");
    const twice = await prisma.participant.create({
      data: { name: "Siti Aminah Lada", regency: "Kabupaten Bangka Tengah", phone: "6281234567890", registeredAt: at },
    });
    await page.goto(`${app.url}/dashboard/peserta`);
    const marked = page.locator("table.participants tbody tr", { has: page.locator(".shared-phone") });
    expect(await marked.locator("td a:not(.shared-phone)").allInnerTexts()).toEqual([
      "Siti Aminah Lada",
      "Siti Aminah",
    ]);
    expect(await marked.first().locator(".shared-phone").innerText()).toBe("Sama dengan peserta lain");

    await page.locator(".filters-more summary").click();
    await page.check("input[name=hp]");
    await Promise.all([page.waitForEvent("load"), page.click(".filters button[type=submit]")]);
    expect(new URL(page.url()).searchParams.get("hp")).toBe("sama");
    expect(await page.locator("[data-figure=matched]").innerText()).toMatch(
      /^2 peserta cocok dari \d+ peserta terdaftar\.$/,
    );
    expect(await page.locator("input[name=hp]").isChecked()).toBe(true);
    await screenshot(page, "participants-shared-phone");
    const csv = await page.request.get(`${app.url}/dashboard/peserta/csv?hp=sama`);
    expect((await csv.text()).trimEnd().split("\r\n")).toHaveLength(3);

    await Promise.all([
      page.waitForEvent("load"),
      page.click(`a[href="/dashboard/peserta/${sitiId}"]:not(.shared-phone)`),
    ]);
    const note = page.locator("#nomor-hp .shared-phone");
    expect(await note.innerText()).toContain("Nomor ini juga dipakai oleh Siti Aminah Lada.");
    await Promise.all([page.waitForEvent("load"), note.locator("a").click()]);
    expect(new URL(page.url()).pathname).toBe(`/dashboard/peserta/${twice.id}`);
    expect(await page.locator("#nomor-hp .shared-phone a").innerText()).toBe("Siti Aminah");

    // Once the second record is gone, neither is marked.
    await prisma.participant.update({ where: { id: twice.id }, data: { deletedAt: new Date() } });
    await page.goto(`${app.url}/dashboard/peserta/${sitiId}`);
    expect(await page.locator("#nomor-hp .shared-phone").count()).toBe(0);
    await page.goto(`${app.url}/dashboard/peserta?hp=sama`);
    expect(await page.locator("table.participants tbody tr").count()).toBe(0);
  });

  it("shows the pages in English too", async () => {
    await page.goto(`${app.url}/bahasa?ke=en&next=${encodeURIComponent("/dashboard/peserta?status=aktif")}`);
    expect(await page.locator("h1").innerText()).toBe("Participants");
    expect(await page.locator("[data-figure=matched]").innerText()).toBe("4 of 5 registered participants match.");
    await page.goto(`${app.url}/dashboard/peserta/${sitiId}`);
    expect(await page.locator("#riwayat").innerText()).toBe("Conversation history");
    await page.goto(`${app.url}/dashboard/peserta/impor`);
    expect(await page.locator("h1").innerText()).toBe("Import participants from CSV");
    await page.goto(`${app.url}/bahasa?ke=id&next=%2Fdashboard`);
  });
});
