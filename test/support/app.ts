/**
 * The whole application (HTTP server, bot, outbox worker) on a seeded SQLite database and the
 * shared Redis under a key prefix of its own, for tests that talk to it over HTTP.
 */
import { startApp, type App, type StartOptions } from "../../src/app.js";
import type { DatabaseProvider } from "../../src/db/database.js";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { createTestDatabaseUrl, removeTestDatabase } from "./databases.js";
import { connectRedis, deletePrefix, redisUrl, testPrefix } from "./redis.js";
import { freePort } from "./redis-server.js";

export type TestApp = { app: App; stop(): Promise<void> };

export type TestAppOptions = {
  provider?: DatabaseProvider;
  /** More settings, as environment variables (TELEGRAM_BOT_TOKEN, ...). */
  env?: Record<string, string>;
  /** Where the app logs (default: nowhere). */
  logger?: Logger;
};

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dbUrl = await createTestDatabaseUrl(options.provider ?? "sqlite");
  const db = openDatabase(dbUrl);
  await seedDatabase(db.prisma);
  await db.close();
  const prefix = testPrefix();
  const config = loadConfig({
    DATABASE_URL: dbUrl,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    HOST: "127.0.0.1",
    PORT: String(await freePort()),
    ...options.env,
  });
  const app = await startApp(config, options.logger ?? createLogger({ level: "silent" }));
  return {
    app,
    async stop() {
      await app.stop();
      const redis = connectRedis();
      await deletePrefix(redis, prefix);
      await redis.quit();
      await removeTestDatabase(dbUrl);
    },
  };
}

/**
 * Apps of several roles on one database and one Redis prefix, like the processes of one
 * installation: `prepare()` makes and seeds the database, `start(env)` starts a process on it.
 */
export function testInstallation(provider: DatabaseProvider = "sqlite") {
  const prefix = testPrefix();
  const apps: App[] = [];
  let dbUrl = "";
  return {
    prefix,
    /** `seedAt`: the day the seeded sessions count from (default today). */
    async prepare(seedAt?: Date) {
      dbUrl = await createTestDatabaseUrl(provider);
      const db = openDatabase(dbUrl);
      await seedDatabase(db.prisma, seedAt);
      await db.close();
    },
    async start(env: Record<string, string> = {}, options: StartOptions = {}): Promise<App> {
      const config = loadConfig({
        DATABASE_URL: dbUrl,
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: prefix,
        HOST: "127.0.0.1",
        PORT: String(await freePort()),
        ...env,
      });
      const app = await startApp(config, createLogger({ level: "silent" }), options);
      apps.push(app);
      return app;
    },
    async stop() {
      await Promise.all(apps.map((a) => a.stop()));
      const redis = connectRedis();
      await deletePrefix(redis, prefix);
      await redis.quit();
      if (dbUrl) await removeTestDatabase(dbUrl);
    },
  };
}
