/**
 * The production build (`npm run build`): the compiled program runs with plain `node`, no tsx,
 * and finds what it reads beside its modules (dashboard views and assets, the web chat page,
 * the understanding data) and in the project folder (Prisma's configs and migrations). Built
 * into a folder of its own under dist/ (inside the project, so that node_modules is found),
 * without type-checking, which `npm run typecheck` does.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/database.js";
import { listMigrations } from "../src/db/migrations.js";
import { seedDatabase } from "../src/domain/seed-database.js";
import { createTestDatabaseUrl, removeTestDatabase } from "./support/databases.js";
import { connectRedis, deletePrefix, redisUrl, testPrefix } from "./support/redis.js";
import { freePort } from "./support/redis-server.js";
import { waitFor } from "./support/wait-for.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("the compiled program", () => {
  let out: string;
  const urls: string[] = [];
  const prefix = testPrefix();

  beforeAll(() => {
    fs.mkdirSync(path.join(root, "dist"), { recursive: true });
    out = fs.mkdtempSync(path.join(root, "dist", "build-test-"));
    const build = spawnSync(process.execPath, ["scripts/build.mjs", "--out-dir", out, "--no-check"], {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
  }, 150_000);

  afterAll(async () => {
    fs.rmSync(out, { recursive: true, force: true });
    for (const url of urls) await removeTestDatabase(url);
    const redis = connectRedis();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  const database = async (migrated: boolean) => {
    const url = await createTestDatabaseUrl("sqlite", migrated);
    urls.push(url);
    return url;
  };

  it("finds Prisma's config and the migrations: migrate-status on a migrated database", async () => {
    const url = await database(true);
    const status = spawnSync(process.execPath, [path.join(out, "src", "cli.js"), "migrate-status"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: "warn" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(status.stdout).toContain("Prisma schema loaded from prisma/sqlite/schema.prisma");
    expect(status.stdout).toContain(`${listMigrations("sqlite").length} migrations found in prisma/migrations`);
    expect(status.stdout).toContain("Database schema is up to date!");
    expect(status.status).toBe(0);
  }, 60_000);

  it("starts the bot, serves the web chat and the dashboard, and stops on SIGTERM", async () => {
    const url = await database(true);
    const db = openDatabase(url);
    await seedDatabase(db.prisma);
    await db.close();
    const port = await freePort();
    const env = { DATABASE_URL: url, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, HOST: "127.0.0.1" };
    const child = spawn(process.execPath, [path.join(out, "src", "main.js")], {
      cwd: root,
      env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: "error" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`the program exited with ${child.exitCode}:\n${output}`);
          return (await fetch(`${base}/healthz`).catch(() => null))?.status === 200;
        },
        30_000,
        "GET /healthz answering 200",
      );
      const chat = await fetch(`${base}/chat`);
      expect(chat.status).toBe(200);
      expect(await chat.text()).toContain("<title>Sapa IKM – Web chat</title>");
      const login = await fetch(`${base}/masuk`);
      expect(login.status).toBe(200);
      expect(await login.text()).toContain("Masuk ke dasbor staf");
      const css = await fetch(`${base}/dashboard/assets/dashboard.css`);
      expect(css.status).toBe(200);
      expect(await css.text()).toBe(
        fs.readFileSync(path.join(root, "src/admin/dashboard/assets/dashboard.css"), "utf8"),
      );
      // The impact page's scripts: Chart.js from node_modules, its own from beside the modules.
      for (const file of ["chart.umd.js", "impact-charts.js"]) {
        const script = await fetch(`${base}/dashboard/assets/${file}`);
        expect(script.status).toBe(200);
        expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      }
      // A conversation: the compiled flows and understanding answer, the outbox sends.
      const session = (await (await fetch(`${base}/api/webchat/sessions`, { method: "POST" })).json()) as {
        chatId: string;
        token: string;
      };
      const auth = { authorization: `Bearer ${session.token}` };
      const sent = await fetch(`${base}/api/webchat/${session.chatId}/messages`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ text: "halo" }),
      });
      expect(sent.status).toBe(202);
      const read = await fetch(`${base}/api/webchat/${session.chatId}/messages?after=0&wait=20`, { headers: auth });
      const { messages } = (await read.json()) as { messages: { text: string }[] };
      expect(messages[0]?.text).toMatch(/Sapa IKM/);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(output).toBe("");
  }, 60_000);
});
