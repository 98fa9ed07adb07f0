/**
 * Reminders on BullMQ: a delayed job per Reminder row, with an id made of the enrollment and the
 * offset, so scheduling twice adds one job. The worker claims the row and writes the message to
 * the outbox in one transaction (src/domain/reminders.ts), so a retried or duplicated job sends
 * nothing twice. The reconcile pass re-adds jobs Redis lost and removes jobs whose reminder is
 * no longer pending.
 */
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import { prepareStatements, queryRows, runAtomically } from "../db/raw-sql.js";
import { fireReminderPlan, type ScheduledReminder } from "../domain/reminders.js";
import type { Logger } from "../logger.js";
import { priorities, type OutboxSink } from "../runtime/inbound-runtime.js";
import { TurnWrites } from "../runtime/turn-writes.js";

export const reminderQueueName = "reminders";

type ReminderJob = { reminderId: number };

/** The job id of a reminder: its enrollment and offset (BullMQ ids may not hold ":"). */
export const reminderJobId = (r: { enrollmentId: number; offsetKey: string }) =>
  `rem-${r.enrollmentId}-${r.offsetKey.replace(/[^A-Za-z0-9-]/g, "_")}`;

const jobOptions = (r: ScheduledReminder, now: Date) => ({
  jobId: reminderJobId(r),
  delay: Math.max(0, r.dueAt.getTime() - now.getTime()),
  attempts: 5,
  backoff: { type: "exponential" as const, delay: 2000 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
});

/** Statements taking a list of ids: an int array on PostgreSQL, a JSON array on SQLite. */
function forDatabase(database: Database) {
  const inList = database.provider === "sqlite" ? "IN (SELECT value FROM json_each($1))" : "= ANY($1::int[])";
  const s = prepareStatements(
    {
      ofEnrollments: `SELECT id, "enrollmentId", "offsetKey", "dueAt" FROM "Reminder" WHERE "enrollmentId" ${inList}`,
      pending: `SELECT id, "enrollmentId", "offsetKey", "dueAt" FROM "Reminder" WHERE status = 'pending' AND id > $1
        ORDER BY id LIMIT 1000`,
      statusOf: `SELECT id, status FROM "Reminder" WHERE id ${inList}`,
    },
    database.provider,
  );
  const list = (ids: number[]) => (database.provider === "sqlite" ? JSON.stringify(ids) : ids);
  return { s, list };
}

export class ReminderScheduler {
  readonly queue: Queue<ReminderJob>;
  private readonly sql: ReturnType<typeof forDatabase>;

  constructor(
    connection: Redis,
    prefix: string,
    private readonly database: Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.queue = new Queue<ReminderJob>(reminderQueueName, { connection, prefix });
    this.sql = forDatabase(database);
  }

  /** Adds the jobs of reminders just created (a job that exists already is left as it is). */
  async schedule(reminders: ScheduledReminder[]): Promise<void> {
    if (!reminders.length) return;
    const now = this.now();
    await this.queue.addBulk(
      reminders.map((r) => ({ name: "remind", data: { reminderId: r.id }, opts: jobOptions(r, now) })),
    );
  }

  /** Removes the jobs of these enrollments' reminders (cancelled, opted out, data deleted). */
  async removeForEnrollments(enrollmentIds: number[]): Promise<void> {
    if (!enrollmentIds.length) return;
    const rows = await queryRows<{ enrollmentId: number; offsetKey: string }>(
      this.database,
      this.database.prisma,
      this.sql.s.ofEnrollments,
      [this.sql.list(enrollmentIds)],
    );
    await Promise.all(rows.map((r) => this.queue.remove(reminderJobId(r)).catch(() => 0)));
  }

  /**
   * Re-adds the job of every pending reminder that has none (Redis lost its data) and removes
   * waiting jobs whose reminder is not pending any more. Returns how many jobs were added.
   */
  async reconcile(): Promise<{ added: number; removed: number }> {
    const { s, list } = this.sql;
    let added = 0;
    for (let after = 0; ;) {
      const pending = await queryRows<ScheduledReminder>(this.database, this.database.prisma, s.pending, [after], {
        dates: ["dueAt"],
      });
      if (!pending.length) break;
      after = pending[pending.length - 1]!.id;
      const states = await Promise.all(pending.map((r) => this.queue.getJobState(reminderJobId(r))));
      const lost = pending.filter(
        (_, i) => states[i] === "unknown" || states[i] === "completed" || states[i] === "failed",
      );
      for (const r of lost) if (states[pending.indexOf(r)] !== "unknown") await this.queue.remove(reminderJobId(r));
      await this.schedule(lost);
      added += lost.length;
    }
    let removed = 0;
    const waiting = await this.queue.getJobs(["delayed", "waiting", "prioritized"]);
    for (let i = 0; i < waiting.length; i += 1000) {
      const chunk = waiting.slice(i, i + 1000);
      const rows = await queryRows<{ id: number; status: string }>(this.database, this.database.prisma, s.statusOf, [
        list(chunk.map((j) => j.data.reminderId)),
      ]);
      const pendingIds = new Set(rows.filter((r) => r.status === "pending").map((r) => r.id));
      for (const job of chunk) {
        if (pendingIds.has(job.data.reminderId)) continue;
        await job.remove().catch(() => {});
        removed++;
      }
    }
    return { added, removed };
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** Fires reminders: claims the row, writes the message to the outbox, enqueues it. */
export function createReminderWorker(options: {
  connection: Redis;
  prefix: string;
  database: Database;
  outbox: OutboxSink;
  logger: Logger;
  now?: () => Date;
}): Worker<ReminderJob> {
  const { database, logger } = options;
  const now = options.now ?? (() => new Date());
  const writes = new TurnWrites(database.provider);
  return new Worker<ReminderJob>(
    reminderQueueName,
    async (job) => {
      const at = now();
      const result = await runAtomically(database, function* () {
        const delivery = yield* fireReminderPlan(database.provider, job.data.reminderId, at);
        if (!delivery) return null;
        const ids = yield* writes.insertOutbound(
          [
            {
              channel: delivery.channel,
              chatId: delivery.chatId,
              identityId: delivery.identityId,
              text: delivery.message.text,
              choices: delivery.message.choices ?? null,
              requestPhone: false,
              kind: "reminder",
              priority: priorities.bulk,
            },
          ],
          at,
        );
        return { delivery, ids };
      });
      if (!result) return;
      // If Redis fails here the row stays pending and the outbox reconcile pass sends it.
      await options.outbox
        .enqueue({
          channel: result.delivery.channel,
          chatId: result.delivery.chatId,
          ids: result.ids,
          priority: priorities.bulk,
        })
        .catch((err: unknown) => logger.warn({ err }, "enqueueing a reminder failed"));
    },
    { connection: options.connection, prefix: options.prefix, concurrency: 8 },
  );
}
