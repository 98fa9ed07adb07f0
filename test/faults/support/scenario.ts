/**
 * What every fault scenario needs around the application processes: a timeline printed at the
 * end (the first thing to read when a run fails), clean-up steps run in reverse order whatever
 * happened, the child processes started, so none outlives its file, and what they run against
 * (a fake Telegram, a database, a Redis key prefix), each removed again at the end.
 */
import type { Redis } from "ioredis";
import { openDatabase, type Database, type DatabaseProvider } from "../../../src/db/database.js";
import { createRedis } from "../../../src/redis.js";
import { createTestDatabaseUrl, removeTestDatabase } from "../../support/databases.js";
import { startFakeTelegram, type FakeTelegram, type FakeTelegramOptions } from "../../support/fake-telegram.js";
import { deletePrefix, redisUrl, testPrefix } from "../../support/redis.js";
import { spawnApp, type AppProcess } from "./app-process.js";

/** A database of the scenario's own, with the test's connection to it. */
export type ScenarioDatabase = Database & { url: string };

/** A Redis key prefix of the scenario's own, on the server at `url`, and the test's connection to it. */
export type ScenarioRedis = { connection: Redis; prefix: string; url: string };

/** Every child started by any scenario of this test file (for an afterAll that kills them all). */
const everyChild = new Set<AppProcess>();

/** SIGKILLs every application process still running; for afterAll. */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...everyChild].map((c) => c.kill()));
}

export class Scenario {
  private readonly started = Date.now();
  private readonly lines: string[] = [];
  private readonly steps: (() => unknown)[] = [];
  readonly children: AppProcess[] = [];

  /** Adds a line to the timeline, stamped with the seconds since the scenario started. */
  note(line: string): void {
    this.lines.push(`${((Date.now() - this.started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  }

  /** Seconds since the scenario started. */
  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Runs `step` at the end, before the steps deferred earlier (like nested try/finally). */
  defer(step: () => unknown): void {
    this.steps.unshift(step);
  }

  /** A fake Telegram Bot API (test/support/fake-telegram.ts), closed at the end. */
  async fakeTelegram(options?: FakeTelegramOptions): Promise<FakeTelegram> {
    const fake = await startFakeTelegram(options);
    this.defer(() => fake.close());
    return fake;
  }

  /**
   * A fresh, migrated database of the kind, and a connection of the test's own to it; at the end
   * the connection is closed and the database removed.
   */
  async database(provider: DatabaseProvider): Promise<ScenarioDatabase> {
    const url = await createTestDatabaseUrl(provider);
    this.defer(() => removeTestDatabase(url));
    const database = openDatabase(url);
    this.defer(() => database.close());
    return { ...database, url };
  }

  /**
   * A fresh key prefix and a connection of the test's own to Redis: the shared server, or the one
   * at `url`. At the end every key of the prefix is deleted and the connection closed. With
   * `mayGoAway` (a server the test may stop), the connection's errors are ignored and a QUIT
   * that fails becomes a disconnect.
   */
  redis(options: { url?: string; mayGoAway?: boolean } = {}): ScenarioRedis {
    const prefix = testPrefix();
    const url = options.url ?? redisUrl();
    const connection = createRedis(url);
    if (options.mayGoAway) {
      connection.on("error", () => {});
      this.defer(() => connection.quit().catch(() => connection.disconnect()));
    } else this.defer(() => connection.quit());
    this.defer(() => deletePrefix(connection, prefix));
    return { connection, prefix, url };
  }

  /** Starts the application and waits until it answers /healthz. */
  async spawn(label: string, env: Record<string, string>): Promise<AppProcess> {
    const child = spawnApp(env);
    everyChild.add(child);
    this.children.push(child);
    if (this.children.length === 1) this.defer(() => Promise.all(this.children.map((c) => c.kill())));
    await child.ready();
    this.note(`${label} (pid ${child.pid}) is up`);
    return child;
  }

  /** The output of every child, for a failure report. */
  outputs(): string {
    return this.children.map((c, i) => `--- child ${i + 1} (pid ${c.pid}):\n${c.output().slice(-6000)}`).join("\n");
  }

  async cleanUp(): Promise<void> {
    for (const step of this.steps)
      await Promise.resolve()
        .then(step)
        .catch((err: unknown) => console.error(err));
    this.steps.length = 0;
  }

  timeline(): string {
    return this.lines.join("\n");
  }
}

/** Runs `body` with a fresh Scenario; cleans up and prints the timeline however it ends. */
export async function runScenario<T>(title: string, body: (s: Scenario) => Promise<T>): Promise<T> {
  const s = new Scenario();
  let failed = false;
  try {
    return await body(s);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await s.cleanUp();
    console.info(`${title}:\n${s.timeline()}`);
    if (failed) console.info(`${title}, output of the application processes:\n${s.outputs()}`);
  }
}
