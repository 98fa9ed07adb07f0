/**
 * What is sent after a session (src/domain/campaigns.ts) on BullMQ: a delayed job per
 * CampaignMessage row, with an id made of the enrollment and the event key, added by the
 * reconcile pass (every 5 minutes, with the reminders': the rows are made with an enrollment's
 * reminders, hours to months before they fall due) or by `schedule`. The worker claims the row
 * and, in the same transaction, starts the survey for someone idle (src/runtime/start-flow.ts;
 * its first question, the conversation waiting there), offers it to someone busy, or issues the
 * certificate; a retried or duplicated job sends nothing twice. A job that comes early (a moved
 * session, an offer put off until the next day, quiet hours) waits for the row's time itself.
 */
import { DelayedError, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import type { Plan } from "../db/plan.js";
import { prepareStatements, queryRows, runAtomically } from "../db/raw-sql.js";
import {
  claimCampaignPlan,
  fireCampaignPlan,
  markOfferedPlan,
  reofferAfterMs,
  type CampaignDelivery,
  type ScheduledCampaign,
} from "../domain/campaigns.js";
import type { QuietHours } from "../domain/quiet-hours.js";
import type { Logger } from "../logger.js";
import type { OutboxBatch, OutboxSink } from "../outbox/types.js";
import { FlowStarts, type FlowStart } from "../runtime/start-flow.js";
import { deadWorkerRecovery } from "./dead-worker-recovery.js";
import { namespaced } from "./job-ids.js";
import { reconcileRowJobs } from "./job-pages.js";
import { followUpQuestionsOf } from "../../flows/followup.js";
import { restsIdle, surveyOffer, surveyOpening } from "../../flows/survey.js";
import { feedbackQuestions } from "../../flows/survey-questions.js";

export const campaignQueueName = "campaigns";

type CampaignJob = { campaignMessageId: number };

/** The job id of a campaign row: its enrollment and event key, in this database's namespace. */
export const campaignJobId = (r: { enrollmentId: number; eventKey: string }, namespace: string) =>
  namespaced(`cmp-${r.enrollmentId}-${r.eventKey.replace(/[^A-Za-z0-9-]/g, "_")}`, namespace);

const jobOptions = (r: ScheduledCampaign, now: Date, namespace: string) => ({
  jobId: campaignJobId(r, namespace),
  delay: Math.max(0, r.dueAt.getTime() - now.getTime()),
  attempts: 5,
  backoff: { type: "exponential" as const, delay: 2000 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
});

/** How long a survey started for someone idle waits for their answers. */
export const surveyWaitMs = 48 * 3_600_000;

function forDatabase(database: Database) {
  const inList = database.provider === "sqlite" ? "IN (SELECT value FROM json_each($1))" : "= ANY($1::int[])";
  const s = prepareStatements(
    {
      ofEnrollments: `SELECT "enrollmentId", "eventKey" FROM "CampaignMessage" WHERE "enrollmentId" ${inList}`,
      openOfEnrollments: `SELECT "enrollmentId", "eventKey" FROM "CampaignMessage"
        WHERE status IN ('pending', 'offered') AND "enrollmentId" ${inList}`,
      open: `SELECT id, "enrollmentId", "eventKey", "dueAt" FROM "CampaignMessage"
        WHERE status IN ('pending', 'offered') AND id > $1 ORDER BY id LIMIT $2`,
    },
    database.provider,
  );
  const list = (ids: number[]) => (database.provider === "sqlite" ? JSON.stringify(ids) : ids);
  return { s, list };
}

export class CampaignScheduler {
  readonly queue: Queue<CampaignJob>;
  private readonly sql: ReturnType<typeof forDatabase>;

  constructor(
    private readonly connection: Redis,
    prefix: string,
    private readonly database: Database,
    /** This database's part of every job id (job-namespace.ts). */
    readonly namespace: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.queue = new Queue<CampaignJob>(campaignQueueName, { connection, prefix });
    this.sql = forDatabase(database);
  }

  jobId(r: { enrollmentId: number; eventKey: string }): string {
    return campaignJobId(r, this.namespace);
  }

  /** Adds the jobs of rows (a job that exists already is left as it is). */
  async schedule(rows: ScheduledCampaign[]): Promise<void> {
    if (!rows.length) return;
    const now = this.now();
    await this.queue.addBulk(
      rows.map((r) => ({
        name: "campaign",
        data: { campaignMessageId: r.id },
        opts: jobOptions(r, now, this.namespace),
      })),
    );
  }

  /** Removes the jobs of these enrollments' rows (a moved session: the reconcile pass adds them again at the new time). */
  async removeForEnrollments(enrollmentIds: number[]): Promise<void> {
    if (!enrollmentIds.length) return;
    const rows = await queryRows<{ enrollmentId: number; eventKey: string }>(
      this.database,
      this.database.prisma,
      this.sql.s.ofEnrollments,
      [this.sql.list(enrollmentIds)],
    );
    await Promise.all(rows.map((r) => this.queue.remove(this.jobId(r)).catch(() => 0)));
  }

  /**
   * As ReminderScheduler.reconcile: re-adds the job of every pending or offered row that has no
   * live job of this database, and removes waiting jobs whose row is not open any more; a page of
   * `pageSize` rows and jobs at a time.
   */
  reconcile(pageSize = 1000): Promise<{ added: number; removed: number }> {
    return reconcileRowJobs({
      connection: this.connection,
      queue: this.queue,
      namespace: this.namespace,
      kind: "cmp-",
      pageSize,
      openRows: (after, take) =>
        queryRows<ScheduledCampaign>(this.database, this.database.prisma, this.sql.s.open, [after, take], {
          dates: ["dueAt"],
        }),
      openJobIdsOf: async (enrollmentIds) =>
        new Set(
          (
            await queryRows<{ enrollmentId: number; eventKey: string }>(
              this.database,
              this.database.prisma,
              this.sql.s.openOfEnrollments,
              [this.sql.list(enrollmentIds)],
            )
          ).map((r) => this.jobId(r)),
        ),
      jobId: (r) => this.jobId(r),
      schedule: (rows) => this.schedule(rows),
    });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/**
 * What a survey's job starts: its first question for someone idle (the conversation waits there
 * for two days), or the offer for someone in the middle of something.
 */
export function surveyStart(d: CampaignDelivery, now: Date): FlowStart {
  const questions = d.flow === "followup" ? followUpQuestionsOf(d.followUpQuestions) : feedbackQuestions;
  const opening = surveyOpening({
    flow: d.flow,
    round: d.round,
    enrollmentId: d.enrollmentId,
    programmeTitle: d.programmeTitle,
    questions,
    language: d.language,
  });
  return {
    to: d,
    flow: d.flow,
    node: opening.node,
    vars: (current) => ({ ...(current?.vars.language ? { language: current.vars.language } : {}), ...opening.vars }),
    expiresAt: new Date(now.getTime() + surveyWaitMs),
    messages: opening.messages,
    kind: "survey",
    offer: { idle: restsIdle, messages: [surveyOffer(d.campaignMessageId, d.language)] },
  };
}

/** One row fired: the batch to enqueue, and when its job comes back (an offer, quiet hours). */
export type Fired = { batch: OutboxBatch | null; again: Date | null };

/**
 * Fires one row in a transaction of its own: claimed and the survey started or offered (or the
 * certificate issued), or skipped, or left for later. The caller enqueues the batch.
 */
export function fireCampaign(
  database: Database,
  campaignMessageId: number,
  at: Date,
  quiet: QuietHours | null = null,
  starts: FlowStarts = new FlowStarts(database.provider),
): Promise<Fired> {
  const provider = database.provider;
  return runAtomically(database, function* (): Plan<Fired> {
    const what = yield* fireCampaignPlan(provider, campaignMessageId, at, quiet);
    if (!what) return { batch: null, again: null };
    if ("wait" in what) return { batch: null, again: what.wait };
    if (what.kind === "certificate") return { batch: what.batch, again: null };
    if (!(yield* claimCampaignPlan(provider, campaignMessageId, at))) return { batch: null, again: null };
    const started = yield* starts.start(surveyStart(what.delivery, at), at);
    if (started.outcome === "started") return { batch: started.batch, again: null };
    const nextAt = new Date(at.getTime() + reofferAfterMs);
    yield* markOfferedPlan(provider, campaignMessageId, nextAt, at);
    return { batch: started.batch, again: nextAt };
  });
}

/**
 * Fires campaign rows: the row claimed and the survey started or offered (or the certificate
 * issued) in one transaction, then the batch enqueued. An offered survey's job comes back the
 * next day; one that came early, or in quiet hours, comes back at the row's time.
 */
export function createCampaignWorker(options: {
  connection: Redis;
  prefix: string;
  database: Database;
  namespace: string;
  outbox: OutboxSink;
  logger: Logger;
  quietHours?: QuietHours | null;
  now?: () => Date;
}): Worker<CampaignJob> {
  const { database, logger } = options;
  const now = options.now ?? (() => new Date());
  const starts = new FlowStarts(database.provider);
  return new Worker<CampaignJob>(
    campaignQueueName,
    async (job, token) => {
      const at = now();
      const fired = await fireCampaign(database, job.data.campaignMessageId, at, options.quietHours ?? null, starts);
      // If Redis fails here the rows stay pending in the outbox and its reconcile pass sends them.
      if (fired.batch)
        await options.outbox
          .enqueue(fired.batch)
          .catch((err: unknown) => logger.warn({ err }, "enqueueing a campaign message failed"));
      if (fired.again) {
        await job.moveToDelayed(Date.now() + Math.max(1000, fired.again.getTime() - at.getTime()), token);
        throw new DelayedError();
      }
    },
    { connection: options.connection, prefix: options.prefix, concurrency: 8, ...deadWorkerRecovery },
  );
}
