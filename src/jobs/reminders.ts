/**
 * Reminders on BullMQ: a delayed job per Reminder row, with an id made of the enrollment and the
 * offset, so scheduling twice adds one job. The worker claims the row (src/domain/reminders.ts)
 * and starts the attendance question (src/runtime/start-flow.ts) in one transaction, so a retried
 * or duplicated job sends nothing twice. The reconcile pass re-adds jobs Redis lost and removes
 * jobs whose reminder is no longer pending.
 */
import { DelayedError, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import { rows } from "../db/plan.js";
import { prepareStatements, queryRows, runAtomically, sqlTime } from "../db/raw-sql.js";
import type { QuietHours } from "../domain/quiet-hours.js";
import { fireReminderPlan, type ReminderDelivery, type ScheduledReminder } from "../domain/reminders.js";
import type { Logger } from "../logger.js";
import { reminderLateness } from "../metrics.js";
import { deadWorkerRecovery } from "./dead-worker-recovery.js";
import { namespaced } from "./job-ids.js";
import { reconcileRowJobs } from "./job-pages.js";
import type { OutboxSink } from "../outbox/types.js";
import { FlowStarts, type FlowStart } from "../runtime/start-flow.js";
import { reminderNote, reminderQuestion, waitForAnswer } from "../../flows/attendance.js";

export const reminderQueueName = "reminders";

type ReminderJob = { reminderId: number };

/**
 * The job id of a reminder: its enrollment and offset (BullMQ ids may not hold ":"), in this
 * database's namespace (job-namespace.ts).
 */
export const reminderJobId = (r: { enrollmentId: number; offsetKey: string }, namespace: string) =>
  namespaced(`rem-${r.enrollmentId}-${r.offsetKey.replace(/[^A-Za-z0-9-]/g, "_")}`, namespace);

const jobOptions = (r: ScheduledReminder, now: Date, namespace: string) => ({
  jobId: reminderJobId(r, namespace),
  delay: Math.max(0, r.dueAt.getTime() - now.getTime()),
  attempts: 5,
  backoff: { type: "exponential" as const, delay: 2000 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
});

/** At most this many reminders fired by one job (its own and others already due), in one transaction. */
export const reminderBatchSize = 50;

/** Statements taking a list of ids: an int array on PostgreSQL, a JSON array on SQLite. */
function forDatabase(database: Database) {
  const inList = database.provider === "sqlite" ? "IN (SELECT value FROM json_each($1))" : "= ANY($1::int[])";
  const s = prepareStatements(
    {
      ofEnrollments: `SELECT id, "enrollmentId", "offsetKey", "dueAt" FROM "Reminder" WHERE "enrollmentId" ${inList}`,
      pendingOfEnrollments: `SELECT "enrollmentId", "offsetKey" FROM "Reminder"
        WHERE status = 'pending' AND "enrollmentId" ${inList}`,
      pending: `SELECT id, "enrollmentId", "offsetKey", "dueAt" FROM "Reminder" WHERE status = 'pending' AND id > $1
        ORDER BY id LIMIT $2`,
      overdue: `SELECT id, "enrollmentId", "offsetKey", "dueAt" FROM "Reminder" WHERE status = 'pending' AND "dueAt" <= $1::timestamp(3)
        ORDER BY "dueAt", id LIMIT 500`,
      // Others already due, for one job to fire with its own (see createReminderWorker). On
      // PostgreSQL rows another worker's batch holds are skipped, not waited for.
      dueOthers: `SELECT id, "enrollmentId", "offsetKey" FROM "Reminder"
        WHERE status = 'pending' AND "dueAt" <= $1::timestamp(3) AND id <> $2
        ORDER BY "dueAt", id LIMIT ${reminderBatchSize - 1}${database.provider === "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""}`,
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
    private readonly connection: Redis,
    prefix: string,
    private readonly database: Database,
    /** This database's part of every job id (job-namespace.ts). */
    readonly namespace: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.queue = new Queue<ReminderJob>(reminderQueueName, { connection, prefix });
    this.sql = forDatabase(database);
  }

  /** The id of a reminder's job. */
  jobId(r: { enrollmentId: number; offsetKey: string }): string {
    return reminderJobId(r, this.namespace);
  }

  /** Adds the jobs of reminders just created (a job that exists already is left as it is). */
  async schedule(reminders: ScheduledReminder[]): Promise<void> {
    if (!reminders.length) return;
    const now = this.now();
    // A turn's two or three go as single adds (pipelined on the connection); addBulk wraps its
    // jobs in a MULTI, worth it for many.
    if (reminders.length <= 10)
      await Promise.all(
        reminders.map((r) => this.queue.add("remind", { reminderId: r.id }, jobOptions(r, now, this.namespace))),
      );
    else
      await this.queue.addBulk(
        reminders.map((r) => ({
          name: "remind",
          data: { reminderId: r.id },
          opts: jobOptions(r, now, this.namespace),
        })),
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
    await Promise.all(rows.map((r) => this.queue.remove(this.jobId(r)).catch(() => 0)));
  }

  /**
   * Re-adds the job of every pending reminder that has no live job of this database (Redis lost
   * its data; a job of the same id ended without firing it) and removes waiting jobs whose
   * reminder is not pending any more, or that another database (or an older version without
   * namespaces) left. A job that completed or failed never counts for a pending reminder; the
   * worker claims the row (pending only) in the transaction that writes its message, so a new job
   * for a reminder fired meanwhile sends nothing. It reads `pageSize` rows and jobs at a time
   * (reconcileRowJobs), so it holds one page however many reminders there are.
   */
  reconcile(pageSize = 1000): Promise<{ added: number; removed: number }> {
    return reconcileRowJobs({
      connection: this.connection,
      queue: this.queue,
      namespace: this.namespace,
      kind: "rem-",
      pageSize,
      openRows: (after, take) =>
        queryRows<ScheduledReminder>(this.database, this.database.prisma, this.sql.s.pending, [after, take], {
          dates: ["dueAt"],
        }),
      openJobIdsOf: async (enrollmentIds) =>
        new Set(
          (
            await queryRows<{ enrollmentId: number; offsetKey: string }>(
              this.database,
              this.database.prisma,
              this.sql.s.pendingOfEnrollments,
              [this.sql.list(enrollmentIds)],
            )
          ).map((r) => this.jobId(r)),
        ),
      jobId: (r) => this.jobId(r),
      schedule: (rows) => this.schedule(rows),
    });
  }

  /**
   * Wakes the jobs of reminders overdue by more than `graceMs`: a delayed job whose time has
   * passed is promoted, a missing one added again. BullMQ's worker can miss a delayed job's time
   * after Redis went away and came back (its wake-up marker is lost with the blocking connection,
   * taskforcesh/bullmq#1658 and #2466), and then the reminder would wait for the next job of
   * the queue or for the 5-minute pass. A job held for quiet hours has a later time and is left
   * alone. Cheap when nothing is overdue: one indexed query (status, dueAt).
   */
  async wakeOverdue(graceMs = 10_000): Promise<number> {
    const overdue = await queryRows<ScheduledReminder>(
      this.database,
      this.database.prisma,
      this.sql.s.overdue,
      [sqlTime(new Date(this.now().getTime() - graceMs), this.database.provider)],
      { dates: ["dueAt"] },
    );
    // BullMQ keeps its own (real) clock.
    const cutoff = Date.now() - graceMs;
    let woken = 0;
    for (const r of overdue) {
      const job = await this.queue.getJob(this.jobId(r));
      if (!job) {
        await this.schedule([r]);
        woken++;
      } else if ((await job.getState()) === "delayed" && job.timestamp + (job.delay ?? 0) <= cutoff) {
        await job.promote().catch(() => {});
        woken++;
      }
    }
    return woken;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/**
 * What a reminder starts: the attendance question, asked by the reminder itself; the conversation
 * waits for the answer until the session starts, at most a day.
 */
const attendanceStart = (d: ReminderDelivery, now: Date): FlowStart => ({
  to: d,
  flow: "attendance",
  node: "answer",
  vars: waitForAnswer(d.enrollmentId),
  expiresAt: new Date(Math.min(d.session.startsAt.getTime(), now.getTime() + 24 * 3_600_000)),
  messages: [reminderQuestion(d.enrollmentId, d.session, d.place, d.language)],
  kind: "reminder",
});

/**
 * Fires reminders: claims the row, starts the attendance question (the conversation and the
 * message in the outbox, src/runtime/start-flow.ts), enqueues it. A job fires its own reminder
 * and, in the same transaction, up to reminderBatchSize - 1 others already due (oldest first),
 * then removes those others' jobs: when a few hundred fall due together (every participant of a
 * session), they cost one commit and one round of enqueues per fifty instead of one each, so they
 * keep up with the pace they fall due at even while a broadcast is sending.
 * A job whose reminder a batch fired meanwhile finds it claimed and sends nothing.
 */
export function createReminderWorker(options: {
  connection: Redis;
  prefix: string;
  database: Database;
  /** This database's part of every job id (job-namespace.ts). */
  namespace: string;
  outbox: OutboxSink;
  logger: Logger;
  quietHours?: QuietHours | null;
  now?: () => Date;
}): Worker<ReminderJob> {
  const { database, logger } = options;
  const now = options.now ?? (() => new Date());
  const starts = new FlowStarts(database.provider);
  const { s } = forDatabase(database);
  // To remove the jobs of reminders a batch fired (on the worker's connection).
  const queue = new Queue<ReminderJob>(reminderQueueName, { connection: options.connection, prefix: options.prefix });
  queue.on("error", (err: Error) => logger.warn({ err: { message: err.message } }, "reminder queue error"));
  /** One reminder: claimed and written to the outbox, or skipped, held, or already handled. */
  const fire = function* (reminderId: number, at: Date) {
    const delivery = yield* fireReminderPlan(database.provider, reminderId, at, options.quietHours ?? null);
    if (!delivery || "held" in delivery) return delivery;
    // Someone who already said they will come is reminded, not asked again: their conversation stays as it is.
    const batch = delivery.confirmed
      ? yield* starts.send(
          delivery,
          [reminderNote(delivery.session, delivery.place, delivery.language)],
          "reminder",
          at,
        )
      : yield* starts.startFlow(attendanceStart(delivery, at), at);
    return { delivery, batch };
  };
  const worker = new Worker<ReminderJob>(
    reminderQueueName,
    async (job, token) => {
      const at = now();
      const batch = (withOthers: boolean) =>
        runAtomically(database, function* () {
          const own = yield* fire(job.data.reminderId, at);
          // Quiet hours where the session is: this job waits (the others keep theirs).
          if (own && "held" in own) return own;
          const others = withOthers
            ? yield* rows<{ id: number; enrollmentId: number; offsetKey: string }>(s.dueOthers, [
                sqlTime(at, database.provider),
                job.data.reminderId,
              ])
            : [];
          const fired = own ? [own] : [];
          const handled: typeof others = [];
          for (const other of others) {
            const done = yield* fire(other.id, at);
            // A held one keeps its job, which waits out the quiet hours itself.
            if (done && "held" in done) continue;
            handled.push(other);
            if (done) fired.push(done);
          }
          return { fired, handled };
        });
      // A batch that fails (PostgreSQL ends one of two batches that wait for each other's
      // conversation rows, a person with two reminders due at once; or one reminder whose data
      // breaks it) is rolled back whole: this job then fires its own reminder alone, and each of
      // the others is left to its own job.
      const result = await batch(true).catch((err: unknown) => {
        logger.warn(
          { reminderId: job.data.reminderId, err: { message: (err as Error).message } },
          "a batch of reminders failed; firing this job's own reminder alone",
        );
        return batch(false);
      });
      if (result && "held" in result) {
        await job.moveToDelayed(Date.now() + Math.max(1000, result.held.getTime() - at.getTime()), token);
        throw new DelayedError();
      }
      // If Redis fails here the rows stay pending and the outbox reconcile pass sends them.
      await Promise.all(
        result.fired.map(({ batch }) =>
          options.outbox.enqueue(batch).catch((err: unknown) => logger.warn({ err }, "enqueueing a reminder failed")),
        ),
      );
      // Queued (or, if the enqueue failed, in the outbox for the reconcile pass): as late as they will be here.
      const queuedAt = now().getTime();
      for (const { delivery } of result.fired)
        reminderLateness.observe(Math.max(0, queuedAt - delivery.dueAt.getTime()) / 1000);
      // Their jobs have nothing left to do. One another worker has started already is left to
      // finish (it finds its reminder handled); removing it would fail anyway.
      await Promise.all(result.handled.map((r) => queue.remove(reminderJobId(r, options.namespace)).catch(() => 0)));
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 8,
      ...deadWorkerRecovery,
    },
  );
  worker.on("closed", () => void queue.close().catch(() => {}));
  return worker;
}
