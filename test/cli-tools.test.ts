/**
 * The operator commands that write and enqueue for the running bot: `npm run motivation:send`
 * and `npm run session:move`, as processes against a test database and Redis.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/db/database.js";
import { seedDatabase } from "../src/domain/seed-database.js";
import { createTestDatabaseUrl, removeTestDatabase } from "./support/databases.js";
import { addParticipants } from "./support/population.js";
import { connectRedis, deletePrefix, redisUrl, testPrefix } from "./support/redis.js";

describe("operator commands", () => {
  let url: string;
  let database: Database;
  const prefix = testPrefix();

  beforeAll(async () => {
    url = await createTestDatabaseUrl("sqlite");
    database = openDatabase(url);
    await seedDatabase(database.prisma);
    await addParticipants(database.prisma, 3, { channel: "web", firstChatId: 1 });
  });

  afterAll(async () => {
    await database.close();
    await removeTestDatabase(url);
    const redis = connectRedis();
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      env: { ...process.env, DATABASE_URL: url, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, LOG_LEVEL: "warn" },
      encoding: "utf8",
      timeout: 60_000,
    });

  it("queues today's motivation round once", async () => {
    const first = run("motivation-round");
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/^Motivation round \d{4}-\d{2}-\d{2}: 3 messages queued/);
    expect(await database.prisma.motivationDelivery.count()).toBe(3);
    const second = run("motivation-round");
    expect(second.stdout).toMatch(/: 0 messages queued .*3 had this round's message already/);
    expect(await database.prisma.outboxItem.count({ where: { kind: "motivation" } })).toBe(3);
  });

  it("moves a session and says how many were told; refuses a time that has passed", async () => {
    const session = await database.prisma.trainingSession.findFirstOrThrow({ orderBy: { id: "asc" } });
    const moved = run("move-session", session.code, "2030-01-15T10:00");
    expect(moved.stderr).toBe("");
    expect(moved.stdout).toMatch(new RegExp(`^Moved ${session.code} to 2030-01-15 10:00 \\(Asia/Jakarta\\)`));
    const after = await database.prisma.trainingSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(after.startsAt.toISOString()).toBe("2030-01-15T03:00:00.000Z");
    const past = run("move-session", session.code, "2020-01-01T10:00");
    expect(past.status).toBe(1);
    expect(past.stderr.trim()).toBe("2020-01-01 10:00 has already passed.");
  });
});
