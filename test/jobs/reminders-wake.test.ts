/**
 * The reconcile pass wakes reminders whose job should have fired by now: a delayed job whose
 * time has passed is promoted, a missing one is added again, and a job held to a later time
 * (quiet hours) is left alone. No worker runs on this key prefix, so a delayed job stays delayed
 * however late it gets: the state BullMQ can leave a job in after Redis went away and came back.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReminderScheduler } from "../../src/jobs/reminders.js";
import { addRemindersDueAt } from "../faults/support/fixtures.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { addParticipants } from "../support/population.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";

describe.each(providers)("waking overdue reminders on %s", (provider) => {
  let db: TestDatabase;
  let redis: Redis;
  let scheduler: ReminderScheduler;
  const prefix = testPrefix();

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    redis = connectRedis();
    scheduler = new ReminderScheduler(redis, prefix, db, "wake");
  });

  afterAll(async () => {
    await scheduler.close();
    await deletePrefix(redis, prefix);
    await redis.quit();
    await db.destroy();
  });

  it("promotes a delayed job past its time, re-adds a lost one, and leaves a later one alone", async () => {
    const ids = await addParticipants(db.prisma, 3, { channel: "telegram", firstChatId: 910_000 });
    const reminderIds = await addRemindersDueAt(db.prisma, ids, new Date(Date.now() + 300));
    const reminders = await db.prisma.reminder.findMany({ where: { id: { in: reminderIds } }, orderBy: { id: "asc" } });
    await scheduler.schedule(reminders);
    const [late, lost, held] = reminders.map((r) => scheduler.jobId(r));
    // The third is held to a later time, as a worker does during quiet hours.
    await (await scheduler.queue.getJob(held!))!.changeDelay(60_000);
    await scheduler.queue.remove(lost!);
    await new Promise((r) => setTimeout(r, 600));
    expect(await scheduler.queue.getJobState(late!)).toBe("delayed");

    // Nothing is overdue by more than the grace yet.
    expect(await scheduler.wakeOverdue(60_000)).toBe(0);
    expect(await scheduler.wakeOverdue(100)).toBe(2);
    expect(await scheduler.queue.getJobState(late!)).toBe("waiting");
    expect(await scheduler.queue.getJobState(lost!)).toBe("waiting");
    expect(await scheduler.queue.getJobState(held!)).toBe("delayed");
    // Done once: a second pass finds them waiting already.
    expect(await scheduler.wakeOverdue(100)).toBe(0);
  });
});
