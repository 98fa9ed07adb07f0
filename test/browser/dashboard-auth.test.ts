/// <reference lib="dom" />
/**
 * The staff dashboard against the real application (SQLite, real Redis): signing in and out,
 * the lockout and the rate limit, redirects when signed out, CSRF, roles and the language
 * switch, in Debian's Chromium on a phone-sized screen. Screenshots go to docs/screenshots/.
 */
import http from "node:http";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { dashboardPages, signInAttemptsPerMinute } from "../../src/admin/dashboard/index.js";
import { maxFailedLogins } from "../../src/admin/dashboard/sign-in.js";
import { createStaff } from "../../src/domain/staff.js";
import { launchBrowser, phoneViewport, screenshot, signIn } from "../support/browser.js";
import { startTestApp, type TestApp } from "../support/app.js";

const admin = { email: "siti@disperindag.example", name: "Siti Aminah", password: "lada-putih-bangka-2026" };
const lockedOut = { email: "budi@disperindag.example", name: "Budi Santoso", password: "konveksi-belitung-2026" };
const officer = { email: "rina@disperindag.example", name: "Rina Wulandari", password: "reparasi-ac-pangkal-2026" };

/** The `name=value` of the session cookie a response sets, if it sets one. */
function sessionCookie(res: Response): string | undefined {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith("sapa_session="));
}

/** The `name=value` of the CSRF cookie that the sign-in form sets. */
function csrfCookie(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith("sapa_csrf="))!;
}

const formHeaders = (cookie: string) => ({ cookie, "content-type": "application/x-www-form-urlencoded" });

describe("the staff dashboard: signing in, security and the overview", () => {
  let testApp: TestApp;
  let app: App;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** POSTs to /masuk from 127.0.0.1 so far, to stay under the rate limit until it is tested. */
  let signInPosts = 0;

  /** The programme of the session the participants below are enrolled in. */
  let enrolledProgramme = "";

  beforeAll(async () => {
    testApp = await startTestApp();
    app = testApp.app;
    const prisma = app.database.prisma;
    await createStaff(prisma, { ...admin, role: "admin" });
    await createStaff(prisma, { ...lockedOut, role: "staff" });
    await createStaff(prisma, { ...officer, role: "staff" });
    // Something for the overview to count: two registered participants (one opted out), one
    // enrolled with attendance confirmed and one on the waiting list, and today's messages.
    const session = await prisma.trainingSession.findFirstOrThrow({
      where: { status: "scheduled", startsAt: { gt: new Date() } },
      orderBy: { startsAt: "asc" },
      include: { programme: true },
    });
    // Which programme that is depends on the hour (the seeded sessions count from today in WIB).
    enrolledProgramme = session.programme.titleId;
    const ahmad = await prisma.participant.create({
      data: { name: "Ahmad Fauzi", registeredAt: new Date(), consentAt: new Date() },
    });
    const dewi = await prisma.participant.create({
      data: { name: "Dewi Lestari", registeredAt: new Date(), consentAt: new Date(), optedOutAt: new Date() },
    });
    await prisma.participant.create({ data: { name: "Belum Selesai" } });
    await prisma.enrollment.create({
      data: { participantId: ahmad.id, trainingSessionId: session.id, status: "enrolled", rsvp: "confirmed" },
    });
    await prisma.enrollment.create({
      data: { participantId: dewi.id, trainingSessionId: session.id, status: "waitlisted", waitlistPosition: 1 },
    });
    for (const status of ["sent", "delivered", "read", "failed"] as const)
      await prisma.message.create({
        data: { direction: "outbound", channel: "web", chatId: "uji", text: "Halo", status },
      });
    await prisma.message.create({
      data: { direction: "inbound", channel: "web", chatId: "uji", text: "Hai", status: "sent" },
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: phoneViewport });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.stop();
  });

  /** GET /masuk for a fresh CSRF cookie and token, then POST the form. */
  async function postSignIn(email: string, password: string): Promise<{ res: Response; cookie: string }> {
    const form = await fetch(`${app.url}/masuk`);
    const cookie = csrfCookie(form);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    signInPosts++;
    const res = await fetch(`${app.url}/masuk`, {
      method: "POST",
      redirect: "manual",
      headers: formHeaders(cookie),
      body: new URLSearchParams({ _csrf: csrf, email, password }),
    });
    const session = sessionCookie(res);
    return { res, cookie: session ? `${cookie}; ${session}` : cookie };
  }

  async function auditActions(email: string): Promise<string[]> {
    const staff = await app.database.prisma.staff.findUniqueOrThrow({ where: { email } });
    const rows = await app.database.prisma.auditLog.findMany({ where: { staffId: staff.id }, orderBy: { id: "asc" } });
    return rows.map((r) => r.action);
  }

  it("refuses a wrong password and records the attempt, never the password", async () => {
    const { res } = await postSignIn(admin.email, "bukan-kata-sandinya");
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("Email atau kata sandi salah.");
    const staff = await app.database.prisma.staff.findUniqueOrThrow({ where: { email: admin.email } });
    const log = await app.database.prisma.auditLog.findMany({ where: { staffId: staff.id } });
    expect(log.map((r) => r.action)).toEqual(["staff.login_failed"]);
    expect(JSON.stringify(log)).not.toContain("bukan-kata-sandinya");
  });

  it("pauses tries for an email from this address for 15 minutes after five wrong passwords, even the right one", async () => {
    for (let i = 1; i <= 4; i++)
      expect((await postSignIn(lockedOut.email, `salah-${i}-kata-sandi`)).res.status).toBe(401);
    const fifth = await postSignIn(lockedOut.email, "salah-5-kata-sandi");
    expect(fifth.res.status).toBe(423);
    expect(await fifth.res.text()).toMatch(
      /dari sini dihentikan sementara\. Silakan coba lagi setelah pukul \d\d\.\d\d WIB/,
    );
    const minutes = Number(fifth.res.headers.get("retry-after")) / 60;
    expect(minutes).toBeGreaterThan(14);
    expect(minutes).toBeLessThanOrEqual(15);

    const right = await postSignIn(lockedOut.email, lockedOut.password);
    expect(right.res.status).toBe(423);
    expect(await right.res.text()).toMatch(/coba lagi setelah pukul \d\d\.\d\d WIB \(sekitar 1[45] menit lagi\)/);
    const stillOut = await fetch(`${app.url}/dashboard`, { headers: { cookie: right.cookie }, redirect: "manual" });
    expect(stillOut.status).toBe(302);
    const actions = await auditActions(lockedOut.email);
    expect(actions.filter((a) => a === "staff.login_failed")).toHaveLength(5);
    expect(actions).toContain("staff.login_locked");
    expect(actions.at(-1)).toBe("staff.login_refused_locked");
  });

  it("signs in with the right password and shows the overview on a phone", async () => {
    await page.goto(`${app.url}/`);
    expect(new URL(page.url()).pathname).toBe("/masuk");
    expect(await page.locator("h1").innerText()).toBe("Masuk ke dasbor staf");
    await screenshot(page, "dashboard-login");

    signInPosts++;
    await signIn(page, app.url, admin.email, admin.password);
    expect(new URL(page.url()).pathname).toBe("/dashboard");
    expect(await page.locator("h1").innerText()).toBe("Ringkasan");
    expect(await page.locator(".flash").innerText()).toBe("Selamat datang, Siti Aminah.");
    expect(await page.locator(".staff-name").innerText()).toBe("Siti Aminah");
    expect(await page.locator(".main-nav a").allInnerTexts()).toEqual([
      "Ringkasan",
      "Program & Jadwal",
      "Peserta",
      "Siaran",
      "Motivasi",
      "Kanal",
      "Antrean",
      "Staf",
      "Akses saya",
      "Log audit",
      "Coba bot",
    ]);
    expect(await page.locator("[data-figure=registered]").innerText()).toBe("2");
    expect(await page.locator("[data-figure=opted-out]").innerText()).toBe("1");
    expect(await page.locator("[data-figure=sent-today]").innerText()).toBe("3");
    const programme = page.locator("article.programme", { has: page.locator("h3", { hasText: enrolledProgramme }) });
    expect(await programme.locator("td.num").first().innerText()).toMatch(/^1 \/ \d+$/);
    expect(await page.locator("section:has(#antrean)").innerText()).toContain("reminders");
    expect(await page.locator(".channels").innerText()).toContain("Obrolan web");
    // The page's own stylesheet and script load under the Content Security Policy.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector(".top-bar")!).display)).toBe("flex");
    await screenshot(page, "dashboard-overview");

    const staff = await app.database.prisma.staff.findUniqueOrThrow({ where: { email: admin.email } });
    expect(staff.failedLogins).toBe(0);
    expect(staff.lastLoginAt).not.toBeNull();
    expect((await auditActions(admin.email)).at(-1)).toBe("staff.login_succeeded");
    // Signed in, the front page leads to the overview; the web chat stays public.
    await page.goto(`${app.url}/`);
    expect(new URL(page.url()).pathname).toBe("/dashboard");
    await page.goto(`${app.url}/dashboard/coba-bot`);
    await expect.poll(() => page.frameLocator("iframe.chat-frame").locator("#input").count()).toBe(1);
  });

  it("sends every dashboard page to /masuk when signed out, and back after signing in", async () => {
    const paths = dashboardPages
      .filter((p) => (p.method ?? "GET") === "GET" && !p.path.includes(":"))
      .map((p) => p.path);
    expect(paths).toContain("/dashboard");
    for (const path of [...paths, "/dashboard/tidak-ada"]) {
      const res = await fetch(`${app.url}${path}`, { redirect: "manual" });
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toBe(`/masuk?next=${encodeURIComponent(path)}`);
    }
    const front = await fetch(`${app.url}/`, { redirect: "manual" });
    expect(front.headers.get("location")).toBe("/masuk");
    expect((await fetch(`${app.url}/chat`)).status).toBe(200);
    // A signed-out POST does nothing either.
    const post = await fetch(`${app.url}/keluar`, { method: "POST", redirect: "manual" });
    expect(post.status).toBe(303);
    expect(post.headers.get("location")).toBe("/masuk");
  });

  it("refuses a form sent without its CSRF token, or with a wrong one, with a 403 page", async () => {
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    for (const body of ["", "_csrf=palsu"]) {
      const res = await fetch(`${app.url}/keluar`, {
        method: "POST",
        redirect: "manual",
        headers: formHeaders(cookie),
        body,
      });
      expect(res.status).toBe(403);
      const html = await res.text();
      expect(html).toContain("Formulir tidak dapat diproses");
      expect(html).toContain("Tidak ada yang diubah.");
    }
    // Still signed in: the refused sign-out changed nothing.
    expect((await fetch(`${app.url}/dashboard`, { headers: { cookie }, redirect: "manual" })).status).toBe(200);
    // The sign-in form is protected the same way.
    const noToken = await fetch(`${app.url}/masuk`, {
      method: "POST",
      redirect: "manual",
      headers: formHeaders(""),
      body: new URLSearchParams({ email: admin.email, password: admin.password }),
    });
    signInPosts++;
    expect(noToken.status).toBe(403);
  });

  it("keeps admin pages from staff (403) and signs out a deactivated account at once", async () => {
    const { res, cookie } = await postSignIn(officer.email, officer.password);
    expect(res.status).toBe(303);
    const overview = await (await fetch(`${app.url}/dashboard`, { headers: { cookie } })).text();
    expect(overview).toContain("Rina Wulandari");
    expect(overview).not.toContain("Log audit");
    const adminOnly = await fetch(`${app.url}/dashboard/staf`, { headers: { cookie } });
    expect(adminOnly.status).toBe(403);
    expect(await adminOnly.text()).toContain("Halaman ini hanya untuk admin.");

    await app.database.prisma.staff.update({ where: { email: officer.email }, data: { active: false } });
    const after = await fetch(`${app.url}/dashboard`, { headers: { cookie }, redirect: "manual" });
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toBe("/masuk?next=%2Fdashboard");
    const told = await fetch(`${app.url}/masuk?next=%2Fdashboard`, { headers: { cookie: sessionCookie(after)! } });
    // The new session only carries that message: signed out, nothing else is stored.
    expect(await told.text()).toContain("Sesi Anda berakhir karena akun Anda tidak aktif lagi.");
  });

  it("switches to English, and remembers it", async () => {
    await page.goto(`${app.url}/dashboard`);
    await Promise.all([page.waitForEvent("load"), page.click(".language-switch a[hreflang=en]")]);
    expect(new URL(page.url()).pathname).toBe("/dashboard");
    expect(await page.locator("h1").innerText()).toBe("Overview");
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(await page.locator(".main-nav a").first().innerText()).toBe("Overview");
    expect(await page.locator(".card-label").first().innerText()).toBe("Registered participants");
    await page.reload();
    expect(await page.locator("h1").innerText()).toBe("Overview");
    await screenshot(page, "dashboard-overview-en");
  });

  it("changes one's own password on the account page, linked from the header", async () => {
    await page.goto(`${app.url}/dashboard`);
    await Promise.all([page.waitForEvent("load"), page.click(".account-link")]);
    expect(new URL(page.url()).pathname).toBe("/dashboard/akun");
    expect(await page.locator("h1").innerText()).toBe("My account");
    await page.click(".language-switch a[hreflang=id]");
    await page.waitForURL(/\/dashboard\/akun$/);
    expect(await page.locator("h1").innerText()).toBe("Akun saya");
    await page.fill("#field-current", admin.password);
    await page.fill("#field-password", "lada-hitam-mentok-2027");
    await page.fill("#field-repeat", "lada-hitam-mentok-2027");
    await Promise.all([page.waitForEvent("load"), page.click("form[action='/dashboard/akun/kata-sandi'] button")]);
    expect(await page.locator(".flash").innerText()).toContain("Kata sandi Anda sudah diganti.");
    await screenshot(page, "dashboard-account");
    expect((await auditActions(admin.email)).at(-1)).toBe("staff.password_changed");
    // Still signed in here, in English again for the next test.
    await page.goto(`${app.url}/bahasa?ke=en&next=/dashboard`);
    expect(await page.locator("h1").innerText()).toBe("Overview");
  });

  it("signs out, and the old session cookie no longer works", async () => {
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    await Promise.all([page.waitForEvent("load"), page.click("form.logout button")]);
    expect(new URL(page.url()).pathname).toBe("/masuk");
    expect(await page.locator(".notice").innerText()).toBe("You have signed out. Goodbye!");
    expect((await auditActions(admin.email)).at(-1)).toBe("staff.logout");
    const reused = await fetch(`${app.url}/dashboard`, { headers: { cookie }, redirect: "manual" });
    expect(reused.status).toBe(302);
    expect(reused.headers.get("location")).toBe("/masuk?next=%2Fdashboard");
  });

  it("answers an unknown email like a wrong password, and limits sign-in attempts per address", async () => {
    expect(signInPosts).toBeLessThanOrEqual(signInAttemptsPerMinute);
    // From another loopback address, which has its own count.
    const form = await fetch(`${app.url}/masuk`);
    const cookie = csrfCookie(form);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const body = new URLSearchParams({ _csrf: csrf, email: "siapa@disperindag.example", password: "tebak-saja" });
    const statuses: number[] = [];
    let limited: { status: number; retryAfter: string | undefined; html: string } | undefined;
    for (let i = 0; i <= signInAttemptsPerMinute; i++) {
      const res = await postFrom("127.0.0.2", `${app.url}/masuk`, formHeaders(cookie), body.toString());
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else if (res.status === 423) expect(res.html).toContain("dari sini dihentikan sementara");
      else expect(res.html).toContain("Email atau kata sandi salah.");
    }
    // Like any email: paused after five wrong tries from this address, then the address's limit.
    expect(statuses).toEqual([
      ...Array<number>(maxFailedLogins - 1).fill(401),
      ...Array<number>(signInAttemptsPerMinute - maxFailedLogins + 1).fill(423),
      429,
    ]);
    expect(Number(limited!.retryAfter)).toBeGreaterThan(0);
    expect(limited!.html).toContain("Terlalu banyak percobaan masuk dari alamat ini.");
  });
});

/** A POST sent from `localAddress` (fetch cannot choose it). */
function postFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; retryAfter: string | undefined; html: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", headers, localAddress }, (res) => {
      let html = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (html += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"], html }));
    });
    request.on("error", reject);
    request.end(body);
  });
}
