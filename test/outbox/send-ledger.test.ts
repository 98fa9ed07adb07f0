/**
 * The outbox's reads, claims and records go to the database in batches across the sends under
 * way (send-ledger.ts). What a participant notices stays as it was: each message arrives once,
 * a chat's messages arrive in order, and each is recorded as sent with the platform's id, with
 * many chats sending at once; two processes claiming the same rows send each once. Both
 * databases, real Redis; the channel is a recording stand-in that takes a moment per send.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelAdapter, SendResult } from "../../src/channels/channel.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { createLogger } from "../../src/logger.js";
import { OutboxQueue } from "../../src/outbox/queue.js";
import { queueOutbound } from "../../src/outbox/queue-outbound.js";
import { SendLedger } from "../../src/outbox/send-ledger.js";
import { createOutboxWorkers } from "../../src/outbox/worker.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

let redis: Redis;
beforeAll(() => {
  redis = connectRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe.each(providers)("sends recorded in batches (%s)", (provider) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(provider);
  });
  afterAll(async () => {
    await db.destroy();
  });

  it("sends 300 messages to 100 chats once each, in each chat's order, and records every one with its id", async () => {
    const prefix = testPrefix();
    const received = new Map<string, string[]>();
    let calls = 0;
    const channel: ChannelAdapter = {
      name: "tg-ledger",
      buttons: true,
      async send(chatId: string, message: OutgoingMessage): Promise<SendResult> {
        calls++;
        await new Promise((r) => setTimeout(r, 1 + (calls % 5)));
        received.set(chatId, [...(received.get(chatId) ?? []), message.text]);
        return { platformMessageId: `p-${chatId}-${message.text}` };
      },
    };
    const queue = new OutboxQueue(redis, prefix, "test");
    // One process's workers (reply and bulk lanes): a chat's order is kept within a process.
    const workers = createOutboxWorkers({
      connection: redis,
      prefix,
      database: db,
      channel,
      queue,
      logger: createLogger({ level: "silent" }),
    });
    try {
      const chats = Array.from({ length: 100 }, (_, i) => String(5000 + i));
      // Three waves, each one message to every chat: two notices (the lane of replies), then a
      // reminder (the paced lane, which never overtakes what was queued before it).
      const kinds = ["notice", "notice", "reminder"] as const;
      for (const [wave, kind] of kinds.entries())
        await queueOutbound(
          db,
          queue,
          chats.map((chatId) => ({
            channel: channel.name,
            chatId,
            identityId: null,
            message: { text: `pesan-${wave + 1}` },
            kind,
          })),
        );
      const sent = () => db.prisma.outboxItem.count({ where: { channel: channel.name, status: "sent" } });
      await waitFor(async () => (await sent()) === 300, 30_000, "every message recorded as sent");

      expect(calls).toBe(300);
      for (const chatId of chats) expect(received.get(chatId)).toEqual(["pesan-1", "pesan-2", "pesan-3"]);
      const messages = await db.prisma.message.findMany({
        where: { outbox: { channel: channel.name } },
        select: {
          text: true,
          status: true,
          platformMessageId: true,
          outbox: { select: { chatId: true, attempts: true } },
        },
      });
      expect(messages).toHaveLength(300);
      for (const m of messages) {
        expect(m.status).toBe("sent");
        expect(m.platformMessageId).toBe(`p-${m.outbox!.chatId}-${m.text}`);
        expect(m.outbox!.attempts).toBe(1);
      }
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
      await deletePrefix(redis, prefix);
    }
  });

  it("claims each row for one sender only when two processes ask for the same rows at once, some twice", async () => {
    const prefix = testPrefix();
    const queue = new OutboxQueue(redis, prefix, "test");
    try {
      const ids = await queueOutbound(
        db,
        new OutboxQueue(redis, `${prefix}:unworked`, "test"),
        Array.from({ length: 60 }, (_, i) => ({
          channel: "tg-claim",
          chatId: String(9000 + (i % 20)),
          identityId: null,
          message: { text: `m${i}` },
          kind: "broadcast" as const,
        })),
      );
      const query = { select: "o.id", joins: "", dates: [], json: [] };
      const [a, b] = [new SendLedger(db, query), new SendLedger(db, query)];
      // Each asks for every row, in its own order, all at once; the first asks for some twice.
      const asked = await Promise.all([
        ...ids.map((id) => a.claim(id).then((won) => ({ id, won }))),
        ...ids.slice(0, 10).map((id) => a.claim(id).then((won) => ({ id, won }))),
        ...[...ids].reverse().map((id) => b.claim(id).then((won) => ({ id, won }))),
      ]);
      for (const id of ids) expect(asked.filter((x) => x.id === id && x.won)).toHaveLength(1);
      // A claimed row is no longer due; the other chats' reads are not mixed up.
      const due = await Promise.all(
        ["9000", "9001"].map((chatId) => a.due({ channel: "tg-claim", chatId, last: Math.max(...ids), upTo: 20 })),
      );
      expect(due).toEqual([[], []]);
      const rows = await db.prisma.outboxItem.findMany({ where: { id: { in: ids } } });
      expect(rows.every((r) => r.status === "sending" && r.attempts === 1)).toBe(true);
    } finally {
      await queue.close();
      await deletePrefix(redis, prefix);
    }
  });

  it("reads each chat's due rows in order, up to the job's last row and priority, for several jobs at once", async () => {
    const prefix = testPrefix();
    const unworked = new OutboxQueue(redis, `${prefix}:unworked`, "test");
    try {
      const item = (chatId: string, text: string, kind: "notice" | "broadcast") => ({
        channel: "tg-read",
        chatId,
        identityId: null,
        message: { text },
        kind,
      });
      const ids = await queueOutbound(db, unworked, [
        item("1", "a1", "broadcast"),
        item("2", "b1", "notice"),
        item("1", "a2", "notice"),
        item("2", "b2", "broadcast"),
        item("1", "a3", "notice"),
      ]);
      const ledger = new SendLedger<{ id: number; text: string }>(db, {
        select: "o.id, m.text",
        joins: `JOIN "Message" m ON m.id = o."messageId"`,
        dates: [],
        json: [],
      });
      const [one, two, replyLane] = await Promise.all([
        ledger.due({ channel: "tg-read", chatId: "1", last: ids[2]!, upTo: 20 }),
        ledger.due({ channel: "tg-read", chatId: "2", last: ids[4]!, upTo: 20 }),
        ledger.due({ channel: "tg-read", chatId: "1", last: ids[4]!, upTo: 5 }),
      ]);
      expect(one.map((r) => r.text)).toEqual(["a1", "a2"]);
      expect(two.map((r) => r.text)).toEqual(["b1", "b2"]);
      expect(replyLane.map((r) => r.text)).toEqual(["a2", "a3"]);
    } finally {
      await unworked.close();
      await deletePrefix(redis, prefix);
    }
  });
});
