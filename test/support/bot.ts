/**
 * A bot with its workers on a test database and the shared Redis, under a key prefix of its own
 * that stop() deletes.
 */
import type { Redis } from "ioredis";
import { createBot, type Bot, type BotOptions } from "../../src/bot.js";
import type { ChannelAdapter } from "../../src/channels/channel.js";
import type { Database } from "../../src/db/database.js";
import { createLogger } from "../../src/logger.js";
import { connectRedis, deletePrefix, testPrefix } from "./redis.js";

export type TestBot = { bot: Bot; redis: Redis; prefix: string; stop(): Promise<void> };

export async function startTestBot(
  database: Database,
  channels: Record<string, ChannelAdapter>,
  options: Partial<Pick<BotOptions, "schedule" | "timeZone" | "now" | "pacing">> = {},
): Promise<TestBot> {
  const redis = connectRedis();
  const prefix = testPrefix();
  const bot = await createBot({
    database,
    redis,
    queuePrefix: prefix,
    logger: createLogger({ level: "silent" }),
    channels,
    conversationTtlHours: 24,
    defaultLanguage: "id",
    ...options,
  });
  return {
    bot,
    redis,
    prefix,
    async stop() {
      await bot.close();
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
}
