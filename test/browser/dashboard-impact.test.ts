/// <reference lib="dom" />
/**
 * A programme's impact page against the real application (SQLite, real Redis), in Debian's
 * Chromium: with results written straight to the database, every chart is drawn by Chart.js
 * (served by this server, within the strict CSP: no violation), the tables hold the numbers
 * counted by hand, each CSV download returns them, and without JavaScript the tables are all
 * there. A session's feedback page lists the "most useful" answers as text. The programme form
 * edits the campaign timings and the follow-up questions, refuses bad JSON with the place of the
 * problem, and resets the questions to the defaults. Screenshots go to docs/screenshots/.
 */
import { parse } from "csv-parse/sync";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createStaff } from "../../src/domain/staff.js";
import { launchBrowser, phoneViewport, screenshot, signIn } from "../support/browser.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { impactExpected, seedImpact } from "../support/impact-seed.js";

const officer = { email: "yusuf@disperindag.example", name: "Yusuf Hidayat", password: "lada-putih-muntok-2026" };

describe("the impact page: charts, tables, CSV; a session's feedback; campaign settings", () => {
  let testApp: TestApp;
  let app: App;
  let browser: Browser;
  let page: Page;
  let seeded: Awaited<ReturnType<typeof seedImpact>>;
  const problems: string[] = [];

  beforeAll(async () => {
    testApp = await startTestApp();
    app = testApp.app;
    await createStaff(app.database.prisma, { ...officer, role: "staff" });
    seeded = await seedImpact(app.database.prisma);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    // A blocked script or a CSP violation shows here (a form sent back with errors is a 400: not a problem).
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
    });
    page.on("pageerror", (err) => problems.push(err.message));
    await signIn(page, app.url, officer.email, officer.password);
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.stop();
  });

  const cookie = async () => (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const impactUrl = () => `${app.url}/dashboard/program/${seeded.programmeId}/dampak`;
  /** A table's body rows as the reader sees them: each cell's text. */
  const tableRows = (p: Page, name: string) =>
    p.$$eval(`table[data-table="${name}"] tbody tr`, (rows) =>
      rows.map((r) => Array.from(r.querySelectorAll("th, td")).map((c) => (c as HTMLElement).innerText.trim())),
    );

  it("draws every chart with Chart.js from this server, with the numbers in tables beside them", async () => {
    await page.goto(`${app.url}/dashboard/program`);
    await Promise.all([
      page.waitForEvent("load"),
      page.locator(`#program-${seeded.programmeId} a`, { hasText: "Dampak" }).click(),
    ]);
    expect(new URL(page.url()).pathname).toBe(`/dashboard/program/${seeded.programmeId}/dampak`);
    expect(await page.locator("h1").innerText()).toContain("Dampak: Pengolahan Lada Putih");

    const figures = await page.locator("figure[data-chart]").count();
    // Registrations, funnel, attendance, ratings, three follow-up questions, delivery.
    expect(figures).toBe(8);
    await page.waitForFunction((n) => document.querySelectorAll("figure.has-chart canvas").length === n, figures, {
      timeout: 10_000,
    });
    const drawn = await page.$$eval("figure[data-chart] canvas", (canvases) =>
      canvases.map((canvas) => {
        const chart = (
          window as unknown as { Chart: { getChart(c: unknown): { config: { type: string } } | undefined } }
        ).Chart.getChart(canvas);
        const c = canvas as HTMLCanvasElement;
        const pixels = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        return {
          name: c.closest("figure")!.getAttribute("data-chart"),
          type: chart?.config.type,
          hidden: c.getAttribute("aria-hidden"),
          painted,
        };
      }),
    );
    expect(drawn.map((d) => d.name)).toEqual([
      "registrations",
      "funnel",
      "attendance",
      "ratings",
      "outcome-new_product",
      "outcome-sales_change",
      "outcome-sells_online",
      "delivery",
    ]);
    for (const d of drawn) {
      expect(d.type, d.name!).toBe(d.name === "registrations" ? "line" : "bar");
      expect(d.hidden).toBe("true");
      expect(d.painted, `${d.name} is drawn`).toBeGreaterThan(500);
    }
    // The scripts came from this server, and nothing broke the CSP.
    const scripts = await page.$$eval("script[src]", (s) => s.map((e) => (e as HTMLScriptElement).src));
    expect(scripts.every((src) => src.startsWith(app.url))).toBe(true);
    expect(scripts.some((src) => src.includes("/dashboard/assets/chart.umd.js"))).toBe(true);
    expect(problems).toEqual([]);

    expect(await tableRows(page, "registrations")).toEqual([
      ["2 Nov 2026", "3", "3"],
      ["9 Nov 2026", "0", "0"],
      ["16 Nov 2026", "5", "4"],
    ]);
    expect(await tableRows(page, "funnel")).toEqual([
      ["Terdaftar di bot", "8", "100%"],
      ["Mendapat kursi", "6", "75%"],
      ["Konfirmasi hadir", "4", "50%"],
      ["Hadir", "3", "38%"],
      ["Menerima sertifikat", "2", "25%"],
      ["Menjawab tindak lanjut", "3", "38%"],
    ]);
    expect((await tableRows(page, "attendance")).map((r) => r.slice(1))).toEqual(
      impactExpected.attendance.map((a) => [
        String(a.enrolled),
        String(a.attended),
        `${Math.round((a.attended / a.enrolled) * 100)}%`,
      ]),
    );
    expect(await tableRows(page, "ratings")).toEqual([
      ["1", "0"],
      ["2", "0"],
      ["3", "1"],
      ["4", "1"],
      ["5", "1"],
    ]);
    expect(await page.locator('table[data-table="ratings"] caption').innerText()).toContain(
      "rata-rata 4 dari 3 jawaban",
    );
    expect((await tableRows(page, "ratings-sessions")).map((r) => r.slice(1, 3))).toEqual([
      ["2", "4,5"],
      ["1", "3"],
    ]);
    expect(await tableRows(page, "outcome-sales_change")).toEqual([
      ["Naik", "1", "1"],
      ["Sama saja", "1", "0"],
      ["Turun", "0", "0"],
    ]);
    expect(await tableRows(page, "delivery")).toEqual([
      ["Telegram", "0", "1", "2", "1"],
      ["WhatsApp", "1", "2", "0", "0"],
    ]);
    await screenshot(page, "impact");
    await page.setViewportSize(phoneViewport);
    // Chart.js redraws on the resize; two frames later it is done.
    await page.evaluate(
      () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(null)))),
    );
    await screenshot(page, "impact-phone");
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it("gives each dataset as CSV, and a clear page for one that does not exist", async () => {
    const download = async (set: string) => {
      const href = await page.locator(`a[data-csv="${set}"]`).getAttribute("href");
      const res = await fetch(`${app.url}${href}`, { headers: { cookie: await cookie() } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      return parse(await res.text(), { bom: true }) as string[][];
    };
    expect(await download("funnel")).toEqual([
      ["tahap", "orang"],
      ...impactExpected.funnel.map((f, i) => [
        [
          "Terdaftar di bot",
          "Mendapat kursi",
          "Konfirmasi hadir",
          "Hadir",
          "Menerima sertifikat",
          "Menjawab tindak lanjut",
        ][i]!,
        String(f.count),
      ]),
    ]);
    expect(await download("registrations")).toEqual([
      ["minggu mulai", "pendaftaran jadwal", "peserta baru sektor ini"],
      ...impactExpected.registrations.map((r) => [r.week, String(r.enrollments), String(r.participants)]),
    ]);
    expect((await download("ratings")).at(-1)).toEqual(["semua jadwal", "", "3", "4", "0", "0", "1", "1", "1"]);
    expect((await download("delivery")).slice(1)).toEqual(
      impactExpected.delivery.map((d) => [d.channel, ...[d.sent, d.delivered, d.read, d.failed].map(String)]),
    );
    const outcomes = await download("outcomes");
    expect(outcomes).toContainEqual([
      "followup-30d",
      "new_product",
      "Sejak pelatihan, apakah Anda sudah membuat produk atau layanan baru?",
      "Ya",
      "1",
    ]);
    const bad = await fetch(`${impactUrl()}.csv?set=peserta`, { headers: { cookie: await cookie() } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("Data tidak dikenal");
    // Signed out: to the sign-in page, no figures.
    const signedOut = await fetch(`${impactUrl()}.csv?set=funnel`, { redirect: "manual" });
    expect(signedOut.status).toBe(302);
  });

  it("shows every table without JavaScript", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: phoneViewport });
    await context.addCookies(await page.context().cookies());
    const plain = await context.newPage();
    await plain.goto(impactUrl());
    expect(await plain.locator("canvas").count()).toBe(0);
    expect(await plain.locator("table caption").count()).toBe(9);
    expect(await tableRows(plain, "funnel")).toHaveLength(6);
    // And in English.
    await plain.goto(`${app.url}/bahasa?ke=en&next=${encodeURIComponent(new URL(impactUrl()).pathname)}`);
    expect(await plain.locator("h1").innerText()).toBe("Impact: White Pepper Processing 1");
    expect((await tableRows(plain, "funnel"))[0]).toEqual(["Registered", "8", "100%"]);
    expect((await tableRows(plain, "registrations"))[0]).toEqual(["2 Nov 2026", "3", "3"]);
    await context.close();
  });

  it("shows a session's feedback, the most useful answers as text", async () => {
    await page.goto(`${app.url}/dashboard/program/jadwal/${seeded.sessions.s1}`);
    await Promise.all([page.waitForEvent("load"), page.click("text=Umpan balik peserta")]);
    expect(await page.locator('[data-figure="respondents"]').innerText()).toBe("2");
    expect(await page.locator('[data-figure="mean-rating"]').innerText()).toBe("4,5");
    expect(await page.locator('[data-list="most-useful"] blockquote').allInnerTexts()).toEqual([
      "Pembukuan sederhana",
      "Cara menjemur <b>lada putih</b> & mengemasnya",
    ]);
    expect(await page.locator('[data-list="most-useful"] b').count()).toBe(0);
    expect(await tableRows(page, "next-training")).toContainEqual(["Kemasan dan merek", "1"]);
    expect(await tableRows(page, "next-training")).toContainEqual(["Lainnya", "1"]);
    // What was typed after "Lainnya", as text.
    expect(await page.locator('[data-list="other-training"] blockquote').allInnerTexts()).toEqual([
      "budidaya lada <i>organik</i>",
    ]);
    await screenshot(page, "impact-session-feedback");
  });

  it("edits the campaign timings and the follow-up questions on the programme form", async () => {
    const prisma = app.database.prisma;
    const submit = () =>
      Promise.all([
        page.waitForEvent("load"),
        page.locator("button[type=submit]", { hasText: "Simpan perubahan" }).click(),
      ]);
    await page.goto(`${app.url}/dashboard/program/${seeded.programmeId}/ubah`);
    // The defaults, as the form shows them.
    expect(await page.inputValue("#field-feedbackMinutes")).toBe("120");
    expect(await page.inputValue("#field-certificateMinutes")).toBe("180");
    expect(await page.inputValue("#field-followUpDays")).toBe("30, 90");
    const defaults = JSON.parse(await page.inputValue("#field-followUpQuestions")) as { key: string }[];
    expect(defaults.map((q) => q.key)).toEqual(["new_product", "sales_change", "sells_online"]);

    // A question with one choice is refused, with where the problem is; nothing is saved.
    const broken = structuredClone(defaults) as { key: string; choices?: unknown[] }[];
    broken[1]!.choices = broken[1]!.choices!.slice(0, 1);
    await page.fill("#field-followUpQuestions", JSON.stringify(broken, null, 2));
    await page.fill("#field-followUpDays", "30, 400");
    await submit();
    expect(await page.locator("#field-followUpQuestions-error").innerText()).toContain(
      "Ada masalah di pertanyaan ke-2 (sales_change), choices",
    );
    expect(await page.locator("#field-followUpDays-error").innerText()).toContain("1 sampai 365");
    await page.fill("#field-followUpQuestions", "[{");
    await submit();
    expect(await page.locator("#field-followUpQuestions-error").innerText()).toContain("Ini bukan JSON yang sah");
    expect(
      (await prisma.programme.findUniqueOrThrow({ where: { id: seeded.programmeId } })).followUpQuestions,
    ).toBeNull();

    // Feedback after an hour, follow-ups after 60 days, a question of the programme's own.
    const own = [
      ...defaults,
      {
        kind: "yesno",
        key: "halal_certified",
        text: { id: "Sudah punya sertifikat halal?", en: "Halal certified yet?" },
      },
    ];
    await page.fill("#field-feedbackMinutes", "60");
    await page.fill("#field-followUpDays", "60");
    await page.fill("#field-followUpQuestions", JSON.stringify(own, null, 2));
    await submit();
    expect(await page.locator(".flash").innerText()).toContain("disimpan");
    let saved = await prisma.programme.findUniqueOrThrow({ where: { id: seeded.programmeId } });
    expect(saved.campaignEvents).toEqual([
      { key: "feedback", flow: "feedback", minutesAfterEnd: 60 },
      { key: "certificate", action: "certificate", minutesAfterEnd: 180 },
      { key: "followup-60d", flow: "followup", daysAfterEnd: 60 },
    ]);
    expect((saved.followUpQuestions as { key: string }[]).map((q) => q.key)).toContain("halal_certified");
    const change = await prisma.auditLog.findFirstOrThrow({
      where: { action: "programme.updated" },
      orderBy: { id: "desc" },
    });
    expect(Object.keys(change.detail as object).sort()).toEqual(["campaignEvents", "followUpQuestions"]);
    await page.goto(`${app.url}/dashboard/program/${seeded.programmeId}/ubah`);
    expect(await page.inputValue("#field-followUpDays")).toBe("60");
    await screenshot(page, "impact-settings");

    // The impact page asks the new question too.
    await page.goto(impactUrl());
    expect(await page.locator('table[data-table="outcome-halal_certified"]').count()).toBe(1);

    // Back to the defaults: stored as none, so later changes to the defaults apply.
    await page.goto(`${app.url}/dashboard/program/${seeded.programmeId}/ubah`);
    await page.fill("#field-feedbackMinutes", "120");
    await page.fill("#field-followUpDays", "30, 90");
    await page.check("#field-followUpDefaults");
    await submit();
    saved = await prisma.programme.findUniqueOrThrow({ where: { id: seeded.programmeId } });
    expect(saved.campaignEvents).toBeNull();
    expect(saved.followUpQuestions).toBeNull();
    expect(problems).toEqual([]);
  });
});
