/// <reference lib="dom" />
/**
 * The dashboard's operations pages against the real application (SQLite, real Redis, Telegram
 * on the fake Bot API server), in Debian's Chromium on a phone-sized screen: the channels,
 * the queues with bull-board behind the sign-in, staff accounts (inviting, roles, link codes,
 * API tokens) and the audit log. WhatsApp's QR code and log-out run on a second dashboard with
 * a fake WhatsApp status, since no real WhatsApp is linked in tests.
 */
import Fastify, { type FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { registerDashboard } from "../../src/admin/dashboard/index.js";
import { channelPages } from "../../src/admin/dashboard/pages/channels.js";
import { qrDataUrl } from "../../src/admin/dashboard/pages/channels-data.js";
import type { ChannelStatus } from "../../src/channels/channel.js";
import { createStaff, linkChatAccount } from "../../src/domain/staff.js";
import { createLogger } from "../../src/logger.js";
import { launchBrowser, phoneViewport, screenshot, signIn } from "../support/browser.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { waitFor } from "../support/wait-for.js";

const admin = { email: "siti@disperindag.example", name: "Siti Aminah", password: "lada-putih-bangka-2026" };
const invited = { email: "agus@disperindag.example", name: "Agus Pratama" };

function sessionCookie(res: Response): string | undefined {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith("sapa_session="));
}

/** The sign-in form's CSRF cookie (signed out, there is no session yet). */
const csrfCookie = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith("sapa_csrf="))!;

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

/** Signs in with fetch at `baseUrl` and returns the session cookie. */
async function fetchSignIn(baseUrl: string, email: string, password: string): Promise<string> {
  const form = await fetch(`${baseUrl}/masuk`);
  const cookie = csrfCookie(form);
  const res = await fetch(`${baseUrl}/masuk`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrfOf(await form.text()), email, password }),
  });
  expect(res.status).toBe(303);
  return `${cookie}; ${sessionCookie(res)!}`;
}

describe("the dashboard's operations pages: channels, queues, staff and the audit log", () => {
  let fake: FakeTelegram;
  let testApp: TestApp;
  let app: App;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The invited staff member's own browser. */
  let theirs: BrowserContext;
  let invitedPassword = "";
  /** Secrets shown once: none may reach the audit log. */
  const secrets: string[] = [];

  beforeAll(async () => {
    fake = await startFakeTelegram();
    testApp = await startTestApp({ env: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url } });
    app = testApp.app;
    await createStaff(app.database.prisma, { ...admin, role: "admin" });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: phoneViewport });
    page = await context.newPage();
    // The confirmations of dashboard.js (data-confirm) are answered yes.
    page.on("dialog", (dialog) => void dialog.accept());
    await waitFor(() => app.bot.channelStatus().telegram?.state === "ready", 10_000, "telegram ready");
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.stop();
    await fake?.close();
  });

  it("keeps the queue pages and bull-board behind the sign-in", async () => {
    for (const path of ["/dashboard/antrean", "/dashboard/antrean/papan/", "/dashboard/antrean/papan/api/queues"]) {
      const res = await fetch(`${app.url}${path}`, { redirect: "manual" });
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toBe(`/masuk?next=${encodeURIComponent(path)}`);
    }
    const retry = await fetch(`${app.url}/dashboard/antrean/papan/api/queues/reminders/retry/failed`, {
      method: "PUT",
      redirect: "manual",
    });
    expect(retry.status).toBe(303);
    expect(retry.headers.get("location")).toBe("/masuk");
  });

  it("shows the channels: the web chat, Telegram with its bot, and how to turn WhatsApp on", async () => {
    await signIn(page, app.url, admin.email, admin.password);
    await page.goto(`${app.url}/dashboard/kanal`);
    expect(await page.locator("h1").innerText()).toBe("Kanal");
    const web = page.locator("#kanal-web");
    expect(await web.innerText()).toContain("Obrolan web");
    expect(await web.locator(".badge").innerText()).toBe("Aktif");
    const telegram = page.locator("#kanal-telegram");
    expect(await telegram.locator(".badge").getAttribute("data-state")).toBe("ready");
    expect(await telegram.innerText()).toContain("long polling");
    expect(await telegram.innerText()).toContain("@sapa_ikm_test_bot");
    expect(await page.locator("#kanal-whatsapp").innerText()).toContain("WHATSAPP_ENABLED=true");
    expect(await page.locator("#kanal-whatsapp img").count()).toBe(0);
    await screenshot(page, "channels");
  });

  it("lists every queue, and opens bull-board for an admin under its own security policy", async () => {
    await page.goto(`${app.url}/dashboard/antrean`);
    expect(await page.locator("h1").innerText()).toBe("Antrean");
    const names = await page
      .locator(".queue-table tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-queue")));
    expect(names).toEqual([
      "outbox-web",
      "outbox-web-bulk",
      "outbox-telegram",
      "outbox-telegram-bulk",
      "reminders",
      "campaigns",
      expect.any(String),
      "broadcasts",
      expect.any(String),
    ]);

    const blocked: string[] = [];
    page.on("console", (message) => {
      // Its Google Fonts stylesheet is blocked on purpose; anything else blocked is a bug.
      if (/Content Security Policy/.test(message.text()) && !/fonts\.googleapis/.test(message.text()))
        blocked.push(message.text());
    });
    await Promise.all([page.waitForEvent("load"), page.click("a[href='/dashboard/antrean/papan/']")]);
    expect(new URL(page.url()).pathname).toBe("/dashboard/antrean/papan/");
    // bull-board's own React page lists the queues once its script has run.
    await page.getByText("outbox-telegram-bulk").first().waitFor({ timeout: 15_000 });
    for (const name of ["reminders", "broadcasts", "outbox-web"])
      expect(await page.getByText(name, { exact: true }).count(), name).toBeGreaterThan(0);
    const csp = (await page.request.get(`${app.url}/dashboard/antrean/papan/`)).headers()["content-security-policy"];
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("script-src 'self'");
    expect(blocked).toEqual([]);
    await screenshot(page, "queues");

    // Job ids carry the database's namespace (o<row>.<namespace>): the board opens a job by its id.
    const jobId = app.bot.outbox.jobId("o999999");
    await app.bot.outbox.enqueue({ channel: "web", chatId: "papan", ids: [999_999], priority: 1 });
    const opened = await page.evaluate(async (id) => {
      const res = await fetch(`api/queues/outbox-web/${encodeURIComponent(id)}`);
      return { status: res.status, id: ((await res.json()) as { job?: { id?: string } }).job?.id };
    }, jobId);
    expect(opened).toEqual({ status: 200, id: jobId });

    // A change from the board's own page works and is audited; the same call from elsewhere is refused.
    const status = await page.evaluate(async () => {
      const res = await fetch("api/queues/reminders/retry/failed", { method: "PUT" });
      return res.status;
    });
    expect(status).toBe(200);
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const forged = await fetch(`${app.url}/dashboard/antrean/papan/api/queues/reminders/retry/failed`, {
      method: "PUT",
      headers: { cookie, origin: "https://jahat.example" },
    });
    expect(forged.status).toBe(403);
    // The dashboard's own pages keep the strict policy.
    const strict = (await page.request.get(`${app.url}/dashboard/antrean`)).headers()["content-security-policy"];
    expect(strict).toMatch(/style-src 'self'(;|$)/);
  });

  it("invites a staff member with a temporary password shown once; they may not open admin pages", async () => {
    await page.goto(`${app.url}/dashboard/staf`);
    expect(await page.locator("h1").innerText()).toBe("Staf");
    await page.fill("#field-name", invited.name);
    await page.fill("#field-email", invited.email);
    await Promise.all([page.waitForEvent("load"), page.click("form[action='/dashboard/staf'] button[type=submit]")]);
    expect(await page.locator("h1").innerText()).toBe("Akun dibuat");
    invitedPassword = await page.locator("[data-secret=password]").innerText();
    expect(invitedPassword).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    secrets.push(invitedPassword);

    // The same email again is refused next to the field.
    await page.goto(`${app.url}/dashboard/staf`);
    await page.fill("#field-name", "Agus Lagi");
    await page.fill("#field-email", invited.email.toUpperCase());
    await Promise.all([page.waitForEvent("load"), page.click("form[action='/dashboard/staf'] button[type=submit]")]);
    expect(await page.locator(".field-error").innerText()).toBe("Sudah ada akun staf dengan email ini.");

    theirs = await browser.newContext({ viewport: phoneViewport });
    const them = await theirs.newPage();
    await signIn(them, app.url, invited.email, invitedPassword);
    // A temporary password: their own comes first, before any other page.
    expect(new URL(them.url()).pathname).toBe("/dashboard/akun");
    await them.fill("#field-current", invitedPassword);
    await them.fill("#field-password", "batik-cual-belitung-2026");
    await them.fill("#field-repeat", "batik-cual-belitung-2026");
    await Promise.all([them.waitForEvent("load"), them.click("form[action='/dashboard/akun/kata-sandi'] button")]);
    expect(await them.locator(".flash").innerText()).toContain("Kata sandi Anda sudah diganti.");
    expect(await them.locator(".staff-name").innerText()).toBe(invited.name);
    for (const path of ["/dashboard/staf", "/dashboard/audit", "/dashboard/kanal/whatsapp/keluar"]) {
      const res = await them.goto(`${app.url}${path}`);
      expect(res!.status(), path).toBe(403);
      expect(await them.locator("h1").innerText()).toBe("Tidak ada akses");
    }
    // Staff see the counts; bull-board sends them back to them with a word why.
    await them.goto(`${app.url}/dashboard/antrean/papan/`);
    expect(new URL(them.url()).pathname).toBe("/dashboard/antrean");
    expect(await them.locator(".flash").innerText()).toContain("Papan antrean lengkap hanya untuk admin.");
    const api = await them.request.get(`${app.url}/dashboard/antrean/papan/api/queues`);
    expect(api.status()).toBe(403);
  });

  it("lets a staff member make their own chat link code with the /tautkan instructions; admins see the linked account", async () => {
    const them = theirs.pages()[0]!;
    await them.goto(`${app.url}/dashboard/akses-saya`);
    expect(await them.locator("h1").innerText()).toBe("Akses saya");
    await Promise.all([them.waitForEvent("load"), them.click("form[action$='/kode-tautan'] button")]);
    const code = await them.locator("[data-secret=link-code]").innerText();
    expect(code).toMatch(/^\d{8}$/);
    secrets.push(code);
    const body = await them.locator("main").innerText();
    expect(body).toContain(`/tautkan ${code}`);
    expect(body).toContain(`TAUTKAN ${code}`);
    expect(body).toContain("berlaku 15 menit");
    expect(body).toContain("@sapa_ikm_test_bot");

    const linked = await linkChatAccount(app.database.prisma, code, { channel: "telegram", platformUserId: "7001" });
    expect(linked).toMatchObject({ kind: "linked", staff: { email: invited.email } });
    await page.goto(`${app.url}/dashboard/staf`);
    expect(await page.locator(`tr[data-staff="${invited.email}"]`).innerText()).toContain("Telegram");
    await screenshot(page, "staff");
  });

  it("lets a staff member make their own API token, which works on the API until an admin revokes it", async () => {
    const member = await app.database.prisma.staff.findUniqueOrThrow({ where: { email: invited.email } });
    const them = theirs.pages()[0]!;
    await them.goto(`${app.url}/dashboard/akses-saya`);
    await them.fill("#field-name", "laporan mingguan");
    await Promise.all([them.waitForEvent("load"), them.click("form[action$='/token'] button")]);
    const token = await them.locator("[data-secret=api-token]").innerText();
    expect(token).toMatch(/^sapa_[A-Za-z0-9_-]{43}$/);
    secrets.push(token);
    const call = () => fetch(`${app.url}/api/broadcasts`, { headers: { authorization: `Bearer ${token}` } });
    expect((await call()).status).toBe(200);

    await page.goto(`${app.url}/dashboard/staf/${member.id}`);
    const row = page.locator('tr[data-token="laporan mingguan"]');
    expect(await row.innerText()).not.toContain("Belum pernah");
    await Promise.all([page.waitForEvent("load"), row.locator("button").click()]);
    expect(await page.locator(".flash").innerText()).toBe('Token "laporan mingguan" dicabut dan tidak berlaku lagi.');
    expect(await row.innerText()).toContain("Dicabut");
    expect((await call()).status).toBe(401);
  });

  it("changes a role, and deactivates an account (ending its session) but never one's own", async () => {
    const member = await app.database.prisma.staff.findUniqueOrThrow({ where: { email: invited.email } });
    await page.goto(`${app.url}/dashboard/staf/${member.id}`);
    await page.selectOption("#field-role", "admin");
    await Promise.all([page.waitForEvent("load"), page.click("form[action$='/peran'] button")]);
    expect(await page.locator(".flash").innerText()).toBe("Peran Agus Pratama sekarang admin.");
    await page.selectOption("#field-role", "staff");
    await Promise.all([page.waitForEvent("load"), page.click("form[action$='/peran'] button")]);

    await Promise.all([page.waitForEvent("load"), page.click("form[action$='/status'] button")]);
    expect(await page.locator(".flash").innerText()).toContain("dinonaktifkan");
    const them = theirs.pages()[0]!;
    await them.goto(`${app.url}/dashboard`);
    expect(new URL(them.url()).pathname).toBe("/masuk");
    await Promise.all([page.waitForEvent("load"), page.click("form[action$='/status'] button")]);
    expect(await page.locator(".flash").innerText()).toBe("Akun Agus Pratama aktif kembali.");

    // Their own account has no role or status forms, and a hand-made POST is refused.
    const self = await app.database.prisma.staff.findUniqueOrThrow({ where: { email: admin.email } });
    await page.goto(`${app.url}/dashboard/staf/${self.id}`);
    expect(await page.locator("form[action$='/status']").count()).toBe(0);
    const csrf = await page.locator("input[name=_csrf]").first().inputValue();
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const res = await fetch(`${app.url}/dashboard/staf/${self.id}/status`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, active: "false" }),
    });
    expect(res.status).toBe(303);
    expect((await app.database.prisma.staff.findUniqueOrThrow({ where: { id: self.id } })).active).toBe(true);
  });

  it("shows the audit log newest first, filtered by action and by staff member, without secrets", async () => {
    await page.goto(`${app.url}/dashboard/audit`);
    expect(await page.locator("h1").innerText()).toBe("Log audit");
    const actions = await page
      .locator(".audit-table tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action")));
    for (const action of [
      "staff.create",
      "staff.link_code",
      "staff.chat_linked",
      "api_token.create",
      "api_token.revoke",
      "staff.role_change",
      "staff.deactivate",
      "staff.reactivate",
      "queue.retry",
    ])
      expect(actions, action).toContain(action);
    // Only the admin's retry from the board, not the signed-out or forged attempts.
    expect(actions.filter((a) => a === "queue.retry")).toHaveLength(1);
    // Newest first: the reactivation came after the deactivation.
    expect(actions.indexOf("staff.reactivate")).toBeLessThan(actions.indexOf("staff.deactivate"));
    const html = await page.content();
    for (const secret of secrets) expect(html).not.toContain(secret);
    const rows = await app.database.prisma.auditLog.findMany();
    for (const secret of secrets) expect(JSON.stringify(rows)).not.toContain(secret);

    await page.fill("#filter-aksi", "api_token.");
    await Promise.all([page.waitForEvent("load"), page.click(".ops-filters button")]);
    expect(new URL(page.url()).search).toBe("?aksi=api_token.&staf=");
    const filtered = await page
      .locator(".audit-table tbody tr")
      .evaluateAll((r) => r.map((row) => row.getAttribute("data-action")));
    expect(filtered).toEqual(["api_token.revoke", "api_token.create"]);
    expect(await page.locator(".audit-table tbody tr").first().innerText()).toContain("Siti Aminah");

    const member = await app.database.prisma.staff.findUniqueOrThrow({ where: { email: invited.email } });
    await page.goto(`${app.url}/dashboard/audit?staf=${member.id}`);
    const theirActions = await page
      .locator(".audit-table tbody tr")
      .evaluateAll((r) => r.map((row) => row.getAttribute("data-action")));
    expect(theirActions).toContain("staff.login_succeeded");
    expect(theirActions).toContain("staff.chat_linked");
    expect(theirActions).not.toContain("staff.create");
    await page.goto(`${app.url}/dashboard/audit`);
    await screenshot(page, "audit");
  });

  describe("WhatsApp waiting for a scan (a fake status, no real WhatsApp)", () => {
    let server: FastifyInstance;
    let base: string;
    let status: ChannelStatus;
    let logouts = 0;
    const pairing = "2@Zm9vYmFyYmF6,cXV4cXV1eA==,Y29yZ2U=,Z3JhdWx0";

    beforeAll(async () => {
      status = { state: "waiting_for_qr", since: new Date(), qr: pairing, detail: "waiting for a QR code scan" };
      server = Fastify();
      const fakeWhatsApp = {
        name: "whatsapp",
        buttons: false,
        send: async () => ({}),
        status: () => status,
        whatsapp: {
          logout: async () => {
            logouts++;
            status = { state: "waiting_for_qr", since: new Date(), qr: `${pairing}-baru` };
          },
        },
      };
      registerDashboard(
        server,
        {
          database: app.database,
          redis: app.redis,
          logger: createLogger({ level: "silent" }),
          config: { ...app.config, whatsapp: { ...app.config.whatsapp, enabled: true } },
          bot: {
            ...app.bot,
            channelStatus: () => ({ whatsapp: status }),
            sharedChannelStatus: async () => ({ whatsapp: status }),
          },
          channels: { whatsapp: fakeWhatsApp },
        },
        channelPages,
      );
      base = await server.listen({ host: "127.0.0.1", port: 0 });
    });

    afterAll(async () => {
      await server?.close();
    });

    it("shows the QR code as an image, reloads while waiting, and logs out after a confirmation", async () => {
      // On a phone, as staff would scan it from a laptop's screen or a colleague's phone.
      const own = await browser.newContext({ viewport: phoneViewport });
      const qrPage = await own.newPage();
      await signIn(qrPage, base, admin.email, admin.password);
      await qrPage.goto(`${base}/dashboard/kanal`);
      expect(await qrPage.locator("#kanal-whatsapp img").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(
        264,
      );
      await screenshot(qrPage, "channels-whatsapp-qr");
      await own.close();

      const cookie = await fetchSignIn(base, admin.email, admin.password);
      const res = await fetch(`${base}/dashboard/kanal`, { headers: { cookie } });
      expect(res.status).toBe(200);
      expect(res.headers.get("refresh")).toBe("5");
      const html = await res.text();
      const src = /<img src="(data:image\/png;base64,[^"]+)"/.exec(html)?.[1];
      expect(src).toBe(await qrDataUrl(pairing));
      expect(html).toContain("Menunggu pindai kode QR");
      expect(html).toContain("Perangkat tertaut");
      expect(html).not.toContain(pairing);

      // Connected: no code, no reload.
      status = { state: "ready", since: new Date() };
      const ready = await fetch(`${base}/dashboard/kanal`, { headers: { cookie } });
      expect(ready.headers.get("refresh")).toBeNull();
      const readyHtml = await ready.text();
      expect(readyHtml).not.toContain("data:image/png");
      expect(readyHtml).toContain("WhatsApp tersambung");

      const confirm = await fetch(`${base}/dashboard/kanal/whatsapp/keluar`, { headers: { cookie } });
      const confirmHtml = await confirm.text();
      expect(confirmHtml).toContain("Keluarkan WhatsApp?");
      const post = (csrf: string) =>
        fetch(`${base}/dashboard/kanal/whatsapp/keluar`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ _csrf: csrf }),
        });
      expect((await post("palsu")).status).toBe(403);
      expect(logouts).toBe(0);
      const done = await post(csrfOf(confirmHtml));
      expect(done.status).toBe(303);
      expect(done.headers.get("location")).toBe("/dashboard/kanal");
      expect(logouts).toBe(1);
      const after = await (await fetch(`${base}/dashboard/kanal`, { headers: { cookie } })).text();
      expect(after).toContain("WhatsApp sudah dikeluarkan.");
      expect(after).toContain(await qrDataUrl(`${pairing}-baru`));
      const entry = await app.database.prisma.auditLog.findFirstOrThrow({
        where: { action: "channel.whatsapp_logout" },
      });
      expect(entry.target).toBe("channel:whatsapp");
    });
  });
});
