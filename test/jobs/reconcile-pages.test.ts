/**
 * The reconcile passes read rows and jobs a page at a time (so their memory does not grow with a
 * backlog); with a page of two, a backlog of a few rows spans several pages. Each pass must still
 * repair every row: re-add every lost reminder and campaign job, remove every orphan job however the removals shift the pages, and re-add every
 * scheduled or sending broadcast's job. On both databases with a real Redis.
 */
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BroadcastQueue, reconcileBroadcasts } from "../../src/jobs/broadcasts.js";
import { CampaignScheduler } from "../../src/jobs/campaigns.js";
import { ReminderScheduler } from "../../src/jobs/reminders.js";
import { addRemindersDueAt } from "../faults/support/fixtures.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { addParticipants } from "../support/population.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";

const pageSize = 2;
const minute = 60_000;

let redis: Redis;
beforeAll(() => {
  redis = connectRedis();
});
afterAll(async () => {
  await redis.quit();
});

describe.each(providers)("reconcile passes over more rows than one page (%s)", (provider) => {
  let db: TestDatabase;
  let prefix: string;
  beforeEach(async () => {
    db = await openTestDatabase(provider);
    prefix = testPrefix();
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
    await db.destroy();
  });

  /** Enrollments with one pending reminder each, due in an hour; their ids and the reminders'. */
  const enrollments = async (count: number, firstChatId: number) => {
    const participants = await addParticipants(db.prisma, count, {
      channel: "telegram",
      firstChatId,
      regency: "Kota Pangkalpinang",
    });
    const reminderIds = await addRemindersDueAt(db.prisma, participants, new Date(Date.now() + 60 * minute));
    return db.prisma.reminder.findMany({ where: { id: { in: reminderIds } }, orderBy: { id: "asc" } });
  };

  it("re-adds every lost reminder job and removes every orphan, across pages", async () => {
    const scheduler = new ReminderScheduler(redis, prefix, db, "ns1");
    try {
      const reminders = await enrollments(6, 970_001);
      // Two still have their jobs; one is cancelled, its job left behind.
      await scheduler.schedule(reminders.slice(0, 3));
      const cancelled = reminders[2]!;
      await db.prisma.reminder.update({ where: { id: cancelled.id }, data: { status: "cancelled" } });
      // Jobs another database left, before and after this one's in the delayed set: the first
      // page to be read holds only such jobs, so removing them moves the ids still to come.
      const others = [10, 120, 150, 180].map((m, i) => ({ id: `rem-${900 + i}-x.other`, delay: m * minute }));
      for (const { id, delay } of others) await scheduler.queue.add("remind", { reminderId: 0 }, { jobId: id, delay });

      expect(await scheduler.reconcile(pageSize)).toEqual({ added: 3, removed: 1 + others.length });
      const pending = reminders.filter((r) => r.id !== cancelled.id);
      const delayed = await scheduler.queue.getRanges(["delayed"], 0, -1);
      expect(delayed.sort()).toEqual(pending.map((r) => scheduler.jobId(r)).sort());
      expect(await scheduler.reconcile(pageSize)).toEqual({ added: 0, removed: 0 });
    } finally {
      await scheduler.close();
    }
  });

  it("re-adds every lost campaign job and removes every orphan, across pages", async () => {
    const scheduler = new CampaignScheduler(redis, prefix, db, "ns1");
    try {
      const reminders = await enrollments(5, 980_001);
      const statuses = ["pending", "offered", "pending", "sent", "pending"] as const;
      await db.prisma.campaignMessage.createMany({
        data: reminders.map((r, i) => ({
          enrollmentId: r.enrollmentId,
          eventKey: "feedback",
          flow: "feedback",
          dueAt: new Date(Date.now() + (30 + i * 30) * minute),
          status: statuses[i]!,
        })),
      });
      const rows = await db.prisma.campaignMessage.findMany({ orderBy: { id: "asc" } });
      // The sent one's job was left behind.
      await scheduler.schedule(rows.slice(3, 4));

      expect(await scheduler.reconcile(pageSize)).toEqual({ added: 4, removed: 1 });
      const open = rows.filter((r) => r.status !== "sent");
      const delayed = await scheduler.queue.getRanges(["delayed"], 0, -1);
      expect(delayed.sort()).toEqual(open.map((r) => scheduler.jobId(r)).sort());
      expect(await scheduler.reconcile(pageSize)).toEqual({ added: 0, removed: 0 });
    } finally {
      await scheduler.close();
    }
  });

  it("re-adds the job of every scheduled and sending broadcast, across pages", async () => {
    const queue = new BroadcastQueue(redis, prefix, "ns1");
    try {
      const later = new Date(Date.now() + 60 * minute);
      const made = [];
      for (const status of ["scheduled", "done", "sending", "scheduled", "sending"] as const)
        made.push(
          await db.prisma.broadcast.create({
            data: { title: "Uji", textId: "Halo", filter: {}, status, scheduledAt: later },
          }),
        );
      expect(await reconcileBroadcasts(db, queue, new Date(), 1)).toBe(4);
      const ids = await queue.queue.getRanges(["delayed"], 0, -1);
      const live = made.filter((b) => b.status !== "done");
      expect(ids).toHaveLength(live.length);
      for (const b of live)
        expect(ids.some((id) => id.startsWith(b.status === "sending" ? `bc-check-${b.id}-` : `bc-${b.id}-at-`))).toBe(
          true,
        );
    } finally {
      await queue.close();
    }
  });
});
