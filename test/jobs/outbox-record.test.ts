/**
 * A message the platform took while the database could not record it is not sent again. The
 * database refuses the "sent" write (a trigger stands in for a database that went away right
 * after the send); the worker notes the send in Redis, keeps trying to record it, and gives up
 * leaving the row in "sending". When the row comes back (the reconcile pass, as after a crash),
 * the note says it went: it is recorded as sent, with the platform's message id, and the person
 * gets it once. Both databases; the channel is a recording stand-in, Redis is real.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelAdapter, SendResult } from "../../src/channels/channel.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { OutboxQueue } from "../../src/outbox/queue.js";
import { reconcileOutbox } from "../../src/outbox/reconcile.js";
import { createOutboxWorkers, outboxSentKey } from "../../src/outbox/worker.js";
import { createLogger } from "../../src/logger.js";
import { queueOutbound } from "../../src/outbox/queue-outbound.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

const refuse = {
  sqlite: [
    `CREATE TRIGGER refuse_sent BEFORE UPDATE OF status ON "OutboxItem" WHEN NEW.status = 'sent'
     BEGIN SELECT RAISE(ABORT, 'the database is away'); END`,
  ],
  postgresql: [
    `CREATE OR REPLACE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql AS
     $$ BEGIN RAISE EXCEPTION 'the database is away'; END $$`,
    `CREATE TRIGGER refuse_sent BEFORE UPDATE ON "OutboxItem" FOR EACH ROW WHEN (NEW.status = 'sent')
     EXECUTE FUNCTION refuse_sent()`,
  ],
};
const allow = { sqlite: [`DROP TRIGGER refuse_sent`], postgresql: [`DROP TRIGGER refuse_sent ON "OutboxItem"`] };

let redis: Redis;
beforeAll(() => {
  redis = connectRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe.each(providers)("a send the database could not record (%s)", (provider) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(provider);
  });
  afterAll(async () => {
    await db.destroy();
  });

  it("is recorded from Redis's note when the row comes back, not sent again", async () => {
    const prefix = testPrefix();
    const run = async (sql: string[]) => {
      for (const statement of sql) await db.prisma.$executeRawUnsafe(statement);
    };
    const sent: string[] = [];
    const channel: ChannelAdapter = {
      name: "tg-record",
      buttons: true,
      async send(_chatId: string, message: OutgoingMessage): Promise<SendResult> {
        sent.push(message.text);
        // The platform has the message; the database goes away before it is recorded.
        await run(refuse[provider]);
        return { platformMessageId: `platform-${sent.length}` };
      },
    };
    const queue = new OutboxQueue(redis, prefix, "test");
    const workers = createOutboxWorkers({
      connection: redis,
      prefix,
      database: db,
      channel,
      queue,
      logger: createLogger({ level: "silent" }),
      recordRetryMs: [20, 20],
    });
    try {
      const [id] = await queueOutbound(db, queue, [
        { channel: channel.name, chatId: "77", identityId: null, message: { text: "Pengingat" }, kind: "notice" },
      ]);
      const row = () => db.prisma.outboxItem.findUniqueOrThrow({ where: { id: id! }, include: { message: true } });
      // The worker gave up recording it: the row stays in "sending", noted in Redis.
      await waitFor(
        async () => (await redis.exists(outboxSentKey(prefix, queue.namespace, id!))) === 1,
        10_000,
        "the note",
      );
      const replies = queue.queue(channel.name);
      await waitFor(async () => (await replies.getActiveCount()) === 0, 10_000, "the job to give up");
      expect((await row()).status).toBe("sending");

      // The database is back; the reconcile pass finds the row stuck in "sending".
      await run(allow[provider]);
      expect(await reconcileOutbox(db, queue, 0, 0)).toBe(1);
      await waitFor(async () => (await row()).status === "sent", 10_000, "the row recorded as sent");
      const after = await row();
      expect(after).toMatchObject({ attempts: 2, message: { status: "sent", platformMessageId: "platform-1" } });
      expect(sent).toEqual(["Pengingat"]);
      expect(await redis.exists(outboxSentKey(prefix, queue.namespace, id!))).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
      await deletePrefix(redis, prefix);
    }
  });
});
