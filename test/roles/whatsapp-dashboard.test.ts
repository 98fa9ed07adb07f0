/**
 * The production layout: WhatsApp runs in a worker (it holds the lease), the dashboard in a web
 * process. The worker publishes WhatsApp's status (and its QR code while it waits for a scan) to
 * Redis; the web process's Kanal page shows it, and its log-out reaches the worker through Redis.
 * Without a worker, the page says that no worker runs WhatsApp. Two apps on one database and one
 * Redis prefix, the worker on the fake whatsapp-web.js client.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type App } from "../../src/app.js";
import { qrDataUrl } from "../../src/admin/dashboard/pages/channels-data.js";
import { channelStatusKey } from "../../src/channels/channel-board.js";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { createStaff } from "../../src/domain/staff.js";
import { createLogger } from "../../src/logger.js";
import { createTestDatabaseUrl, removeTestDatabase } from "../support/databases.js";
import { FakeWhatsApp } from "../support/fake-whatsapp.js";
import { connectRedis, deletePrefix, redisUrl, testPrefix } from "../support/redis.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import { DashboardClient } from "../support/dashboard-client.js";

const admin = { email: "siti@disperindag.example", name: "Siti Aminah", password: "lada-putih-bangka-2026" };
const redis = connectRedis();
const prefix = testPrefix();
const sessionDir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-wa-"));
/** Every log line of both processes (debug and up): the QR code must be in none. */
const logLines: string[] = [];
let dbUrl = "";
const apps: App[] = [];

async function start(role: "web" | "worker", fake: FakeWhatsApp): Promise<App> {
  const config = loadConfig({
    APP_ROLE: role,
    DATABASE_URL: dbUrl,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    HOST: "127.0.0.1",
    PORT: String(await freePort()),
    WHATSAPP_ENABLED: "true",
    WHATSAPP_SESSION_DIR: sessionDir,
  });
  const logger = createLogger({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
  const app = await startApp(config, logger, { createWhatsAppClient: fake.createClient });
  apps.push(app);
  return app;
}

async function signIn(baseUrl: string): Promise<DashboardClient> {
  const client = new DashboardClient(baseUrl);
  expect((await client.signIn(admin.email, admin.password)).status).toBe(303);
  return client;
}

/** The WhatsApp section of the Kanal page. */
function whatsappSection(html: string): string {
  const from = html.indexOf('id="kanal-whatsapp"');
  expect(from, "the WhatsApp section").toBeGreaterThan(0);
  return html.slice(from, html.indexOf("</section>", from));
}

describe("the Kanal page of a web process, with WhatsApp in a worker", () => {
  const workerWhatsApp = new FakeWhatsApp();
  /** The web process has a WhatsApp adapter too, but must never start a client. */
  const webWhatsApp = new FakeWhatsApp();
  let web: App;
  let client: DashboardClient;
  const page = async () => {
    const res = await client.get("/dashboard/kanal");
    expect(res.status).toBe(200);
    return { res, html: await res.text() };
  };

  beforeAll(async () => {
    dbUrl = await createTestDatabaseUrl("sqlite");
    const db = openDatabase(dbUrl);
    await seedDatabase(db.prisma);
    await createStaff(db.prisma, { ...admin, role: "admin" });
    await db.close();
    web = await start("web", webWhatsApp);
    client = await signIn(web.url);
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await deletePrefix(redis, prefix);
    await redis.quit();
    if (dbUrl) await removeTestDatabase(dbUrl);
    fs.rmSync(sessionDir, { recursive: true, force: true });
  });

  it("says no worker runs WhatsApp while none does, and the web process stays ready", async () => {
    const { res, html } = await page();
    const section = whatsappSection(html);
    expect(section).toContain('data-state="disabled"');
    expect(section).toContain("Tidak berjalan");
    expect(section).toContain("Tidak ada worker yang menjalankan WhatsApp saat ini");
    expect(section).not.toContain("<img");
    // Reloads itself, so the worker's status shows once one starts.
    expect(res.headers.get("refresh")).toBe("5");
    // No worker: nothing to log out, and a log-out tried anyway says so.
    expect(section).not.toContain("/dashboard/kanal/whatsapp/keluar");
    const refused = await client.submit("/dashboard/kanal/whatsapp/keluar", {}, "/dashboard/kanal/whatsapp/keluar");
    expect(refused.status).toBe(303);
    expect((await page()).html).toContain("WhatsApp tidak berjalan di proses mana pun saat ini");

    // WhatsApp runs elsewhere: the web process's /readyz does not count it.
    const ready = await fetch(`${web.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks.whatsapp).toBeUndefined();
  });

  it("shows the worker's QR code as an image and its state, and logs it out through Redis", async () => {
    const worker = await start("worker", workerWhatsApp);
    await waitFor(() => workerWhatsApp.clients.length === 1, 5_000, "the worker's WhatsApp client");
    const code = workerWhatsApp.current.qr();
    const image = await qrDataUrl(code);

    // The QR code as an image on the web process's page, never as text.
    const waiting = await waitFor(
      async () => {
        const { res, html } = await page();
        return html.includes(image) ? { res, html } : null;
      },
      5_000,
      "the QR code on the web process's page",
    );
    const section = whatsappSection(waiting.html);
    expect(section).toContain('data-state="waiting_for_qr"');
    expect(section).toContain("Menunggu pindai kode QR");
    expect(section).toContain(`<img src="${image}"`);
    expect(section).toContain("Dijalankan oleh worker");
    expect(section).toContain(`(pid ${process.pid})`);
    expect(waiting.html).not.toContain(code);
    expect(waiting.res.headers.get("refresh")).toBe("5");
    expect(section).toContain("/dashboard/kanal/whatsapp/keluar");
    // In Redis for a short while only: the key runs out unless the worker keeps publishing.
    const ttl = await redis.pttl(channelStatusKey(prefix, "whatsapp"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(15_000);

    // /readyz keeps its meaning where WhatsApp runs: the worker waits for a scan, the web process is ready.
    const workerReady = await fetch(`${worker.url}/readyz`);
    expect(workerReady.status).toBe(503);
    expect(await workerReady.json()).toMatchObject({ failing: ["whatsapp"] });
    expect((await fetch(`${web.url}/readyz`)).status).toBe(200);

    // Scanned: the page says connected, without a code or a reload.
    workerWhatsApp.current.ready();
    const ready = await waitFor(
      async () => {
        const { res, html } = await page();
        return whatsappSection(html).includes('data-state="ready"') ? { res, html } : null;
      },
      5_000,
      "WhatsApp connected on the web process's page",
    );
    expect(whatsappSection(ready.html)).toContain("WhatsApp tersambung");
    expect(ready.html).not.toContain("data:image/png");
    expect(ready.res.headers.get("refresh")).toBeNull();
    expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);

    // Log-out from the web process: the worker's client logs out and a new one shows a new code.
    const _csrf = await client.token("/dashboard/kanal/whatsapp/keluar");
    const linked = workerWhatsApp.current;
    const done = await client.post("/dashboard/kanal/whatsapp/keluar", { _csrf });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/dashboard/kanal");
    const flash = (await page()).html;
    expect(flash).toContain("Perintah keluar sudah dikirim ke worker yang menjalankan WhatsApp");
    expect(flash).not.toContain("WhatsApp tidak berjalan");
    await waitFor(() => linked.loggedOut && linked.destroyed, 5_000, "the worker's client logged out");
    await waitFor(() => workerWhatsApp.clients.length === 2, 5_000, "a new client on the worker");
    const second = workerWhatsApp.current.qr();
    const secondImage = await qrDataUrl(second);
    await waitFor(async () => (await page()).html.includes(secondImage), 5_000, "the new QR code on the web page");
    const entry = await web.database.prisma.auditLog.findFirstOrThrow({
      where: { action: "channel.whatsapp_logout" },
    });
    expect(entry.target).toBe("channel:whatsapp");
    expect(entry.detail).toMatchObject({ via: "dashboard", worker: expect.stringContaining(`pid ${process.pid}`) });

    // The worker stops: its status leaves Redis with it, and the page says no worker runs WhatsApp.
    await worker.stop();
    const gone = whatsappSection((await page()).html);
    expect(gone).toContain("Tidak ada worker yang menjalankan WhatsApp saat ini");
    expect(gone).not.toContain("<img");
    expect(await redis.exists(channelStatusKey(prefix, "whatsapp"))).toBe(0);

    // Only the worker ever ran a client; neither process logged a QR code.
    expect(webWhatsApp.clients).toHaveLength(0);
    const logs = logLines.join("");
    expect(logs).toContain("this process runs whatsapp");
    for (const qr of [code, second]) expect(logs).not.toContain(qr);
    expect(logs).not.toContain("fake-qr");
  });
});
