/**
 * Issue 15, item 10, at the level of the reconcile passes and the job namespace, on both
 * databases with a real Redis: a pending row whose only job has finished is not covered by it
 * (the pass gives it a new job), a sent row is left alone, a job added for a row that is sent
 * meanwhile sends nothing, and a database that went back in time (a restored backup) gets a new
 * namespace for its job ids while a plain restart keeps its own. The whole path, with the
 * application as a process, is in test/faults/fresh-database.test.ts.
 */
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChannelAdapter, SendResult } from "../../src/channels/channel.js";
import { loadInstallation } from "../../src/db/installation.js";
import type { OutgoingMessage } from "../../src/engine/types.js";
import { loadJobNamespace } from "../../src/jobs/job-namespace.js";
import { OutboxQueue, outboxQueueName } from "../../src/outbox/queue.js";
import { reconcileOutbox } from "../../src/outbox/reconcile.js";
import { createOutboxWorkers, outboxSentKey } from "../../src/outbox/worker.js";
import { reminderQueueName, ReminderScheduler } from "../../src/jobs/reminders.js";
import { createLogger } from "../../src/logger.js";
import { queueOutbound } from "../../src/outbox/queue-outbound.js";
import { addRemindersDueAt } from "../faults/support/fixtures.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { addParticipants } from "../support/population.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

const channel = "tg-reconcile";
const logger = createLogger({ level: "silent" });

let redis: Redis;
beforeAll(() => {
  redis = connectRedis();
});
afterAll(async () => {
  await redis.quit();
});

/** Runs every job waiting in the queue to completion without doing anything (a worker of another database). */
async function completeAll(name: string, prefix: string): Promise<void> {
  const queue = new Queue(name, { connection: redis, prefix });
  const worker = new Worker(name, async () => {}, { connection: redis, prefix });
  try {
    await waitFor(
      async () =>
        (await queue.getJobCounts("waiting", "prioritized", "active", "delayed")).active === 0 &&
        (await queue.getWaitingCount()) + (await queue.getPrioritizedCount()) === 0,
      10_000,
      "every job completed",
    );
  } finally {
    await worker.close();
    await queue.close();
  }
}

describe.each(providers)("job ids and the reconcile passes on a Redis with finished jobs (%s)", (provider) => {
  let db: TestDatabase;
  let prefix: string;
  let queue: OutboxQueue;
  beforeEach(async () => {
    db = await openTestDatabase(provider);
    prefix = testPrefix();
    queue = new OutboxQueue(redis, prefix, "ns1");
  });
  afterEach(async () => {
    await queue.close();
    await deletePrefix(redis, prefix);
    await db.destroy();
  });

  const notice = (chatId: string) => ({
    channel,
    chatId,
    identityId: null,
    message: { text: `Pemberitahuan untuk ${chatId}` },
    kind: "notice" as const,
  });

  it("gives a pending row whose only job completed a new job, and leaves a sent row alone", async () => {
    const [pending, sent] = await queueOutbound(db, queue, [notice("1"), notice("2")]);
    await completeAll(outboxQueueName(channel), prefix);
    const replies = queue.queue(channel);
    expect(await replies.getJobState(queue.jobId(`o${pending}`))).toBe("completed");
    await db.prisma.outboxItem.update({ where: { id: sent! }, data: { status: "sent", sentAt: new Date() } });

    expect(await reconcileOutbox(db, queue, 0)).toBe(1);
    expect(await replies.getJobState(queue.jobId(`r${pending}`))).toBe("prioritized");
    expect(await replies.getJobState(queue.jobId(`r${sent}`))).toBe("unknown");
    // A second pass finds the new job alive and adds nothing.
    expect(await reconcileOutbox(db, queue, 0)).toBe(0);
  });

  it("sends nothing for a row that was sent between the pass reading it and its new job running", async () => {
    const [id] = await queueOutbound(db, queue, [notice("3")]);
    await completeAll(outboxQueueName(channel), prefix);
    expect(await reconcileOutbox(db, queue, 0)).toBe(1);
    // The send the first job made is recorded only now (its write was in flight).
    await db.prisma.outboxItem.update({ where: { id: id! }, data: { status: "sent", sentAt: new Date() } });
    const sent: string[] = [];
    const adapter: ChannelAdapter = {
      name: channel,
      buttons: true,
      async send(_chatId: string, message: OutgoingMessage): Promise<SendResult> {
        sent.push(message.text);
        return { platformMessageId: `platform-${sent.length}` };
      },
    } as ChannelAdapter;
    const workers = createOutboxWorkers({ connection: redis, prefix, database: db, channel: adapter, queue, logger });
    try {
      const replies = queue.queue(channel);
      await waitFor(
        async () => (await replies.getJobState(queue.jobId(`r${id}`))) === "completed",
        10_000,
        "the new job done",
      );
      expect(sent).toEqual([]);
      expect((await db.prisma.outboxItem.findUniqueOrThrow({ where: { id: id! } })).attempts).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  it("sends a retried row although another database left a note that its row of the same id went", async () => {
    const [id] = await queueOutbound(db, queue, [notice("7")]);
    await completeAll(outboxQueueName(channel), prefix);
    // Tried before here, and the other database's note says its row of this id was sent.
    await db.prisma.outboxItem.update({ where: { id: id! }, data: { attempts: 1 } });
    await redis.set(outboxSentKey(prefix, "other", id!), "platform-other", "EX", 600);
    // And as a version without namespaces wrote it.
    await redis.set(`${prefix}:outbox-sent:${id}`, "platform-older", "EX", 600);
    const sent: string[] = [];
    const adapter = {
      name: channel,
      buttons: true,
      async send(_chatId: string, message: OutgoingMessage): Promise<SendResult> {
        sent.push(message.text);
        return { platformMessageId: `platform-${sent.length}` };
      },
    } as ChannelAdapter;
    const workers = createOutboxWorkers({ connection: redis, prefix, database: db, channel: adapter, queue, logger });
    try {
      expect(await reconcileOutbox(db, queue, 0)).toBe(1);
      await waitFor(
        async () => (await db.prisma.outboxItem.findUniqueOrThrow({ where: { id: id! } })).status === "sent",
        10_000,
        "the row sent",
      );
      expect(sent).toEqual(["Pemberitahuan untuk 7"]);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  it("re-adds the job of a pending reminder whose job of the same id completed without firing it", async () => {
    const [participant] = await addParticipants(db.prisma, 1, {
      channel: "telegram",
      firstChatId: 990_001,
      regency: "Kota Pangkalpinang",
    });
    const dueAt = new Date(Date.now() + 3_600_000);
    const [reminderId] = await addRemindersDueAt(db.prisma, [participant!], dueAt);
    const row = await db.prisma.reminder.findUniqueOrThrow({ where: { id: reminderId! } });
    const scheduler = new ReminderScheduler(redis, prefix, db, "ns1");
    try {
      // A job of the same id ran and completed (kept, as another database's job may be).
      await scheduler.queue.add("remind", { reminderId: row.id }, { jobId: scheduler.jobId(row) });
      await completeAll(reminderQueueName, prefix);
      expect(await scheduler.queue.getJobState(scheduler.jobId(row))).toBe("completed");

      expect(await scheduler.reconcile()).toEqual({ added: 1, removed: 0 });
      expect(await scheduler.queue.getJobState(scheduler.jobId(row))).toBe("delayed");
      // Another database's waiting job of the same enrollment and offset is none of this one's.
      await scheduler.queue.add(
        "remind",
        { reminderId: row.id },
        { jobId: `rem-${row.enrollmentId}-x.other`, delay: 60_000 },
      );
      expect(await scheduler.reconcile()).toEqual({ added: 0, removed: 1 });
    } finally {
      await scheduler.close();
    }
  });

  it("keeps the namespace across a restart, and makes a new one when Redis holds jobs of rows the database has not made", async () => {
    const before = await loadInstallation(db.prisma);
    const load = () => loadJobNamespace({ database: db, connection: redis, prefix, channels: [channel], logger });
    // A restart: Redis holds the jobs of rows the database has.
    const own = new OutboxQueue(redis, prefix, before.installationId);
    try {
      await queueOutbound(db, own, [notice("4"), notice("5")]);
      await completeAll(outboxQueueName(channel), prefix);
      expect(await load()).toBe(before.installationId);

      // A restored backup: its rows and sequences are back where they were, Redis remembers more.
      await own.enqueue({ channel, chatId: "6", ids: [1_000], priority: 0 });
      const after = await load();
      expect(after).not.toBe(before.installationId);
      expect(await loadInstallation(db.prisma)).toEqual({ installationId: after, secret: before.secret });
      // Then it is stable again.
      expect(await load()).toBe(after);
    } finally {
      await own.close();
    }
  });
});
