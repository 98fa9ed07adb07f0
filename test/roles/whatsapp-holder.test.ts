/**
 * WhatsApp Web is one session per number, so exactly one worker runs it: two bots with the
 * WhatsApp channel held under a lease in Redis; only one starts a client and only that one
 * sends WhatsApp messages; when the holder stops, the other takes over. A lease left by a
 * process that died (never released) is taken over once it expires.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBot, type Bot } from "../../src/bot.js";
import { createWhatsAppAdapter } from "../../src/channels/whatsapp.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { createLogger } from "../../src/logger.js";
import { openTestDatabase, type TestDatabase } from "../support/databases.js";
import { FakeWhatsApp } from "../support/fake-whatsapp.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

const redis = connectRedis();
let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase("sqlite");
  await seedDatabase(db.prisma);
});
afterAll(async () => {
  await db.destroy();
  await redis.quit();
});

const lease = { ttlMs: 1_000, renewMs: 300, retryMs: 400 };

async function workerBot(prefix: string, fake: FakeWhatsApp): Promise<Bot> {
  const logger = createLogger({ level: "silent" });
  return createBot({
    database: db,
    redis,
    queuePrefix: prefix,
    logger,
    channels: {
      whatsapp: createWhatsAppAdapter({
        createClient: fake.createClient,
        logger,
        printQr: false,
        notReadyRetryMs: 200,
      }),
    },
    conversationTtlHours: 24,
    defaultLanguage: "id",
    exclusive: { whatsapp: { sendsHere: true } },
    lease,
  });
}

describe("the WhatsApp lease", () => {
  it("lets one of two workers start WhatsApp and send, and the other take over when it stops", async () => {
    const prefix = testPrefix();
    const fakes = [new FakeWhatsApp(), new FakeWhatsApp()];
    const bots = [await workerBot(prefix, fakes[0]!), await workerBot(prefix, fakes[1]!)];
    try {
      // The first took the lease at start; the second waits.
      expect(fakes[0]!.clients).toHaveLength(1);
      fakes[0]!.current.ready();
      await new Promise((r) => setTimeout(r, lease.retryMs * 2));
      expect(fakes[1]!.clients).toHaveLength(0);
      expect(await redis.get(`${prefix}:whatsapp:holder`)).toMatch(new RegExp(`^${process.pid}:`));
      // The holder publishes WhatsApp's status in Redis; the other reports it from there.
      const seen = await waitFor(
        async () => {
          const status = (await bots[1]!.sharedChannelStatus()).whatsapp;
          return status?.state === "ready" ? status : null;
        },
        5_000,
        "the holder's status seen by the other worker",
      );
      expect(seen.runner).toMatchObject({ here: false, pid: process.pid });
      expect((await bots[0]!.sharedChannelStatus()).whatsapp?.runner?.here).toBe(true);

      // A message comes in on the holder's client and the reply goes out through it alone.
      fakes[0]!.current.incoming("6281234500001", "halo");
      await waitFor(() => fakes[0]!.sentTo("6281234500001@c.us").length > 0, 10_000, "the reply");
      expect(fakes[1]!.sent).toEqual([]);

      // The holder stops (a rolling restart). While it drains, here longer than a lease, it still
      // holds WhatsApp: the other must not start a second client on the same session.
      await bots[0]!.drain();
      await new Promise((r) => setTimeout(r, lease.ttlMs * 3));
      expect(fakes[1]!.clients).toHaveLength(0);
      // Once it has closed, the other starts WhatsApp.
      await bots[0]!.close();
      await waitFor(() => fakes[1]!.clients.length === 1, 5_000, "the second worker's client");
      fakes[1]!.current.ready();
      fakes[1]!.current.incoming("6281234500002", "halo");
      await waitFor(() => fakes[1]!.sentTo("6281234500002@c.us").length > 0, 10_000, "the reply from the new holder");
      expect((await bots[1]!.sharedChannelStatus()).whatsapp).toMatchObject({ state: "ready", runner: { here: true } });
      expect(fakes[0]!.clients).toHaveLength(1);
    } finally {
      await Promise.all(bots.map((b) => b.close()));
      await deletePrefix(redis, prefix);
    }
  });

  it("takes over a lease a dead process left once it expires", async () => {
    const prefix = testPrefix();
    // A worker that died holding the lease: nobody renews or releases it.
    await redis.set(`${prefix}:whatsapp:holder`, "4242:dead", "PX", 800);
    const fake = new FakeWhatsApp();
    const bot = await workerBot(prefix, fake);
    try {
      expect(fake.clients).toHaveLength(0);
      const started = Date.now();
      await waitFor(() => fake.clients.length === 1, 5_000, "the client after the dead holder's lease expired");
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await redis.get(`${prefix}:whatsapp:holder`)).not.toBe("4242:dead");
    } finally {
      await bot.close();
      await deletePrefix(redis, prefix);
    }
  });
});
