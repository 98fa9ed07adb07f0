/**
 * The shared Redis for tests: each test file uses its own key prefix and deletes it afterwards.
 */
import crypto from "node:crypto";
import type { Redis } from "ioredis";
import { createRedis } from "../../src/redis.js";

export const redisUrl = () => process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function testPrefix(): string {
  return `sapa-test-${crypto.randomBytes(4).toString("hex")}`;
}

export function connectRedis(): Redis {
  return createRedis(redisUrl());
}

/** Deletes every key under a prefix. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
}
