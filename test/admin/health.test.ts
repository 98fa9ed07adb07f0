import { listMigrations } from "../../src/db/migrations.js";
import { spawnSync } from "node:child_process";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../../src/admin/server.js";
import { startApp, type App } from "../../src/app.js";
import type { ChannelStatus } from "../../src/channels/channel.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createRedis } from "../../src/redis.js";
import {
  createTestDatabaseUrl,
  openTestDatabase,
  removeTestDatabase,
  type TestDatabase,
} from "../support/databases.js";
import { connectRedis } from "../support/redis.js";
import { freePort, startPrivateRedis, type PrivateRedis } from "../support/redis-server.js";

describe("/healthz", () => {
  let redis: PrivateRedis;
  let app: App;
  let dbUrl: string;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    dbUrl = await createTestDatabaseUrl("sqlite");
    const config = loadConfig({
      DATABASE_URL: dbUrl,
      REDIS_URL: redis.url,
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
    });
    app = await startApp(config, createLogger({ level: "silent" }));
  });
  afterAll(async () => {
    await app.stop();
    await redis.stop();
    await removeTestDatabase(dbUrl);
  });

  it("answers 200 when the database and Redis are up, and 503 naming Redis once it stops", async () => {
    const up = await fetch(`${app.url}/healthz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ status: "ok", failing: [] });

    await redis.stop();
    let body: { failing: string[] } | undefined;
    let status = 0;
    // The client notices the closed socket within moments; poll until it has.
    for (let i = 0; i < 50 && status !== 503; i++) {
      const res = await fetch(`${app.url}/healthz`);
      status = res.status;
      body = (await res.json()) as { failing: string[] };
      if (status !== 503) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: "error", failing: ["redis"], checks: { database: { status: "ok" } } });
  });
});

describe("/readyz", () => {
  let db: TestDatabase;
  let redis: Redis;
  let server: FastifyInstance | undefined;
  const statuses: Record<string, ChannelStatus> = {};
  const since = new Date("2026-11-27T03:00:00Z");

  beforeAll(async () => {
    db = await openTestDatabase("sqlite");
    redis = connectRedis();
    await redis.ping();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const name of Object.keys(statuses)) delete statuses[name];
  });
  afterAll(async () => {
    await redis.quit();
    await db.destroy();
  });

  const serve = async (queueRedis: Redis) => {
    server = await buildServer({
      database: db,
      redis: queueRedis,
      logger: createLogger({ level: "silent" }),
      channelStatus: () => ({ ...statuses }),
    });
    return server;
  };
  const get = async (app: FastifyInstance, url: string) => {
    const res = await app.inject({ method: "GET", url });
    return { status: res.statusCode, body: res.json() as Record<string, unknown>, cache: res.headers["cache-control"] };
  };

  it("is 503 naming WhatsApp while it waits for a QR scan, 200 once every channel is ready", async () => {
    const app = await serve(redis);
    statuses.telegram = { state: "ready", since };
    statuses.whatsapp = { state: "waiting_for_qr", since, qr: "2@secret-pairing-code" };
    const waiting = await get(app, "/readyz");
    expect(waiting.status).toBe(503);
    expect(waiting.cache).toBe("no-store");
    expect(waiting.body).toEqual({
      status: "error",
      failing: ["whatsapp"],
      checks: {
        database: { status: "ok" },
        redis: { status: "ok" },
        telegram: { status: "ok" },
        whatsapp: { status: "error", error: "waiting for a QR scan" },
      },
      channels: {
        telegram: { state: "ready", since: since.toISOString() },
        whatsapp: { state: "waiting_for_qr", since: since.toISOString() },
      },
    });
    // The pairing code never leaves the process.
    expect(JSON.stringify(waiting.body)).not.toContain("secret-pairing-code");
    // /healthz shows the channel but stays 200: the process and its services are fine.
    expect(await get(app, "/healthz")).toMatchObject({ status: 200, body: { status: "ok", failing: [] } });

    statuses.whatsapp = { state: "disconnected", since, detail: "the phone unlinked this device" };
    expect((await get(app, "/readyz")).body).toMatchObject({
      failing: ["whatsapp"],
      checks: { whatsapp: { status: "error", error: "disconnected: the phone unlinked this device" } },
    });

    statuses.whatsapp = { state: "ready", since };
    expect(await get(app, "/readyz")).toMatchObject({
      status: 200,
      body: { status: "ok", failing: [], checks: { whatsapp: { status: "ok" }, telegram: { status: "ok" } } },
    });
  });

  it("is 200 with no channel that reports a state (the web chat only)", async () => {
    const app = await serve(redis);
    expect(await get(app, "/readyz")).toEqual({
      status: 200,
      cache: "no-store",
      body: {
        status: "ok",
        failing: [],
        checks: { database: { status: "ok" }, redis: { status: "ok" } },
        channels: {},
      },
    });
  });

  it("is 503 naming Redis and the channel when Redis cannot be reached", async () => {
    const down = createRedis(`redis://127.0.0.1:${await freePort()}`);
    down.on("error", () => {});
    try {
      const app = await serve(down);
      statuses.whatsapp = { state: "connecting", since };
      const res = await get(app, "/readyz");
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        status: "error",
        failing: ["redis", "whatsapp"],
        checks: {
          database: { status: "ok" },
          redis: { status: "error", error: expect.stringMatching(/^not connected \((connecting|reconnecting)\)$/) },
          whatsapp: { status: "error", error: "connecting" },
        },
      });
      expect((await get(app, "/healthz")).body).toMatchObject({ status: "error", failing: ["redis"] });
    } finally {
      down.disconnect();
    }
  });
});

describe("npm start without Redis", () => {
  it("exits with one line saying where it looked and how to fix it", async () => {
    const port = await freePort();
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, PORT: String(await freePort()) },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      `Cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED). Start Redis (on Debian or Ubuntu: sudo apt install redis-server) or set REDIS_URL to a running one.`,
    );
  });
});

describe("npm start on a database that is not migrated", () => {
  it("says to run npm run db:migrate instead of a stack trace", async () => {
    const url = await createTestDatabaseUrl("sqlite", false);
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { ...process.env, DATABASE_URL: url, PORT: String(await freePort()) },
      encoding: "utf8",
      timeout: 20_000,
    });
    await removeTestDatabase(url);
    expect(result.status).toBe(1);
    const migrations = listMigrations("sqlite").length;
    expect(migrations).toBeGreaterThan(1);
    expect(result.stderr.trim()).toMatch(
      new RegExp(`^The database at .+ is not migrated \\(${migrations} migrations pending\\): run npm run db:migrate$`),
    );
  });
});
