/**
 * Issue 15, item 7 (one error handler) and item 8 (the webhook secret): a failure on our side,
 * on the API, the web chat or the Telegram webhook, is logged once with the request id and
 * answered as application/problem+json (type, title, status, requestId) saying nothing of what
 * failed; the dashboard's error page logs it too and shows the id. Fastify's own refusals (bad
 * JSON, too large, wrong content type) are 4xx problems. A webhook secret with non-ASCII
 * characters is refused with 401, not a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaff, createApiToken } from "../../src/domain/staff.js";
import { createLogger } from "../../src/logger.js";
import { buildServer } from "../../src/admin/server.js";
import { openDatabase } from "../../src/db/database.js";
import { databaseUrl } from "../support/postgres.js";
import { connectRedis } from "../support/redis.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { DashboardClient } from "../support/dashboard-client.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";

/** Words of an internal failure that must never reach a client. */
const internals = 'SELECT "secret_column" FROM "Participant" WHERE nib = 9999';
const leaks = [/secret_column/, /Participant/, /SELECT/, /at .*\.ts:\d+/, /stack/i];

const webhookSecret = "errors-test-webhook-secret-0001";
const admin = { email: "siti@disperindag.example", name: "Siti Aminah", password: "lada-putih-bangka-2026" };

type LogLine = { level: number; msg: string; requestId?: string; err?: { message?: string } };

describe("errors on the non-dashboard routes and the dashboard", () => {
  let fake: FakeTelegram;
  let testApp: TestApp;
  let url = "";
  let token = "";
  const logLines: LogLine[] = [];
  const failWith = () => {
    throw new Error(internals);
  };

  beforeAll(async () => {
    fake = await startFakeTelegram();
    const logger = createLogger({ level: "info" }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    testApp = await startTestApp({
      logger,
      env: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        PUBLIC_URL: "http://127.0.0.1:9",
        TELEGRAM_WEBHOOK_SECRET: webhookSecret,
      },
    });
    url = testApp.app.url;
    const staff = await createStaff(testApp.app.database.prisma, { ...admin, role: "admin" });
    token = (await createApiToken(testApp.app.database.prisma, staff.id, "errors test")).token;
    // Every way in fails inside, with a message full of internals.
    testApp.app.bot.runtime.handle = failWith;
    testApp.app.bot.broadcasts.list = failWith;
  });

  afterAll(async () => {
    await testApp?.stop();
    await fake?.close();
  });

  /** Checks a 500 answer and its one log line; returns the request id. */
  async function expectHidden500(res: Response): Promise<string> {
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const text = await res.text();
    for (const leak of leaks) expect(text).not.toMatch(leak);
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toMatchObject({ type: "about:blank", title: "Internal Server Error", status: 500 });
    const requestId = res.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    expect(body.requestId).toBe(requestId);
    const logged = logLines.filter((l) => l.level >= 50 && l.requestId === requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.err?.message).toBe(internals);
    return requestId!;
  }

  it("on an API route: logged once with the request id, answered without internals", async () => {
    const res = await fetch(`${url}/api/broadcasts`, { headers: { authorization: `Bearer ${token}` } });
    await expectHidden500(res);
  });

  it("on a web chat route", async () => {
    const chat = (await (await fetch(`${url}/api/webchat/sessions`, { method: "POST" })).json()) as {
      chatId: string;
      token: string;
    };
    const res = await fetch(`${url}/api/webchat/${chat.chatId}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${chat.token}` },
      body: JSON.stringify({ text: "halo" }),
    });
    await expectHidden500(res);
  });

  it("on the Telegram webhook", async () => {
    const res = await fetch(`${url}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": webhookSecret },
      body: JSON.stringify({
        update_id: 1,
        message: {
          message_id: 1_000_001,
          from: { id: 501, first_name: "Sari", is_bot: false },
          chat: { id: 501, first_name: "Sari", type: "private" },
          date: Math.floor(Date.now() / 1000),
          text: "halo",
        },
      }),
    });
    await expectHidden500(res);
  });

  it("on a dashboard page: logged once with the request id, which the page shows", async () => {
    const client = new DashboardClient(url);
    expect((await client.signIn(admin.email, admin.password)).status).toBe(303);
    const res = await client.get("/dashboard/siaran");
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const requestId = res.headers.get("x-request-id")!;
    const html = await res.text();
    expect(html).toContain(requestId);
    for (const leak of leaks) expect(html).not.toMatch(leak);
    const logged = logLines.filter((l) => l.level >= 50 && l.requestId === requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.err?.message).toBe(internals);
  });

  it("keeps a plain request id a proxy sends, and replaces one that could forge a log line", async () => {
    const kept = await fetch(`${url}/healthz`, { headers: { "x-request-id": "proxy-7f3a.42" } });
    expect(kept.headers.get("x-request-id")).toBe("proxy-7f3a.42");
    for (const given of ["x".repeat(65), 'a" "level":60', "a\tb"]) {
      const res = await fetch(`${url}/healthz`, { headers: { "x-request-id": given } });
      const id = res.headers.get("x-request-id")!;
      expect(id).not.toBe(given);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("answers Fastify's own refusals (bad JSON, too large, wrong type) as 4xx problems", async () => {
    const bearer = { authorization: `Bearer ${token}` };
    for (const [path, headers] of [
      ["/api/webchat/sessions", {}],
      ["/api/broadcasts", bearer],
      ["/api/segments/preview", bearer],
    ] as const) {
      const send = (contentType: string, body: string) =>
        fetch(`${url}${path}`, { method: "POST", headers: { ...headers, "content-type": contentType }, body });
      for (const [res, status] of [
        [await send("application/json", '{"text": "halo"'), 400],
        [await send("application/json", JSON.stringify({ text: "x".repeat(70 * 1024) })), 413],
        [await send("application/xml", "<text>halo</text>"), 415],
      ] as const) {
        expect(res.status, `${path}: ${status}`).toBe(status);
        expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        const body = (await res.json()) as Record<string, unknown>;
        expect(body.status).toBe(status);
        expect(body.requestId).toBe(res.headers.get("x-request-id"));
      }
    }
  });

  it("refuses a webhook secret with non-ASCII characters with 401, never a 500", async () => {
    for (const given of ["é".repeat(webhookSecret.length), `${webhookSecret.slice(0, -1)}ü`, "ß", ""]) {
      const res = await testApp.app.server.inject({
        method: "POST",
        url: "/telegram/webhook",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": given },
        payload: { update_id: 2 },
      });
      expect(res.statusCode).toBe(401);
    }
    expect(logLines.filter((l) => l.level >= 50 && /timingSafeEqual|byte length/i.test(JSON.stringify(l)))).toEqual([]);
  });
});

describe("the open health endpoint when the database fails", () => {
  it("names the failure without the driver's message, which goes to the log once", async () => {
    const lines: { level: number; msg: string; err?: { message?: string } }[] = [];
    const logger = createLogger({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    // A database that does not exist: PostgreSQL refuses with a message naming it.
    const database = openDatabase(databaseUrl("sapa_health_missing_db"));
    const redis = connectRedis();
    await redis.ping();
    const server = await buildServer({ database, redis, logger });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await server.inject({ method: "GET", url: "/healthz" });
        expect(res.statusCode).toBe(503);
        expect(res.body).not.toContain("sapa_health_missing_db");
        expect(res.json()).toMatchObject({
          failing: ["database"],
          checks: { database: { status: "error", error: "refused the query (see the log)" } },
        });
      }
      const logged = lines.filter((l) => l.msg === "health check: the database failed");
      expect(logged).toHaveLength(1);
      expect(logged[0]!.err?.message).toContain("sapa_health_missing_db");
    } finally {
      await server.close();
      await redis.quit();
      await database.close();
    }
  });
});
