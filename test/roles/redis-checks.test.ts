/**
 * The Redis checks at start: one warn line each when maxmemory-policy is not noeviction or
 * persistence is off, saying what is at risk, and a line saying it could not check when CONFIG is
 * refused (managed Redis). The shared test Redis runs without persistence, so its warning must
 * appear; a private redis-server is reconfigured for the other cases.
 */
import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { checkRedisSettings, createRedis } from "../../src/redis.js";
import { connectRedis } from "../support/redis.js";
import { startPrivateRedis } from "../support/redis-server.js";

function capturedLogger() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return {
    logger: createLogger({ level: "info" }, destination),
    lines,
    warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg),
  };
}

describe("checkRedisSettings", () => {
  it("warns that persistence is off on the test Redis, and what is at risk", async () => {
    const redis = connectRedis();
    try {
      const { logger, warnings } = capturedLogger();
      const settings = await checkRedisSettings(redis, logger);
      expect(settings.persistence).toBe("off");
      const persistence = warnings().filter((m) => m.includes("persistence is off"));
      expect(persistence).toHaveLength(1);
      expect(persistence[0]).toContain("a Redis restart loses queued jobs");
      expect(persistence[0]).toContain("delayed reminders wait until then");
      if (settings.maxmemoryPolicy === "noeviction") expect(warnings()).toHaveLength(1);
    } finally {
      await redis.quit();
    }
  });

  it("warns about an evicting memory policy, and not about persistence once AOF is on", async () => {
    const server = await startPrivateRedis();
    const redis: Redis = createRedis(server.url);
    try {
      await redis.config("SET", "maxmemory-policy", "allkeys-lru");
      await redis.config("SET", "appendonly", "yes");
      const { logger, warnings } = capturedLogger();
      const settings = await checkRedisSettings(redis, logger);
      expect(settings).toEqual({ maxmemoryPolicy: "allkeys-lru", persistence: "aof", configAllowed: true });
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toContain("BullMQ may lose jobs: set maxmemory-policy noeviction");
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  it("says it could not check when CONFIG is refused, and reads what INFO tells", async () => {
    const refused = new Error("NOPERM this user has no permissions to run the 'config|get' command");
    const managed = {
      config: async () => {
        throw refused;
      },
      info: async (section: string) =>
        section === "persistence"
          ? "# Persistence\r\naof_enabled:1\r\n"
          : "# Memory\r\nmaxmemory_policy:volatile-lru\r\n",
    } as unknown as Redis;
    const { logger, warnings } = capturedLogger();
    const settings = await checkRedisSettings(managed, logger);
    expect(settings).toEqual({ maxmemoryPolicy: "volatile-lru", persistence: "aof", configAllowed: false });
    expect(warnings()[0]).toContain("Could not check the Redis configuration (CONFIG GET refused: NOPERM");
    expect(warnings().some((m) => m.includes("maxmemory-policy is volatile-lru"))).toBe(true);
  });
});
