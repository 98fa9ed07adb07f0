import { listMigrations } from "../../src/db/migrations.js";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createTestDatabaseUrl, removeTestDatabase } from "../support/databases.js";
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
