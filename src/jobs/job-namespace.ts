/**
 * Job ids unique per database. Outbox, reminder, broadcast and timeout job ids derive from
 * database ids (`o<outbox id>`, `rem-<enrollment>-<offset>`, ...), and BullMQ treats adding a job
 * whose id it still keeps as a no-op. A database that starts over (data/sapa.db deleted, a second
 * deployment on the same Redis and prefix, a restored backup) gives out the same ids again, so
 * without more its first replies would be "added" onto completed jobs of the old one and never
 * sent. Every such id therefore ends in `.<namespace>` (job-ids.ts): the installation id of the
 * database (src/db/installation.ts), which a fresh database makes anew.
 *
 * A restored backup keeps its installation id, and its id sequences go back to where they were
 * when the backup was taken. At start-up each process compares what Redis remembers for this
 * namespace (the highest outbox row and enrollment that have a job) with the highest ids the
 * database has given out; a job for a row the database has not made yet means the database went
 * back in time, and the installation id is replaced (its secret stays: erasure hashes use it).
 * This was chosen over a per-restore epoch kept beside the backup because it needs no step from
 * whoever restores, and it looks at exactly what would collide: if Redis holds no job above the
 * database's ids, no new id can meet an old job. Redis is read before the database, so a job a
 * running process adds meanwhile (always after its row is committed) cannot look like one from
 * the future. A needless change (a false alarm) costs only duplicate jobs for a while, which the
 * claims make harmless (DESIGN.md section 5).
 */
import crypto from "node:crypto";
import { Queue, type JobType } from "bullmq";
import type { Redis } from "ioredis";
import type { Database } from "../db/database.js";
import { loadInstallation } from "../db/installation.js";
import type { Logger } from "../logger.js";
import { inNamespace } from "./job-ids.js";
import { forEachJobPage } from "./job-pages.js";
import { outboxQueueName } from "../outbox/queue.js";
import { reminderQueueName } from "./reminders.js";

// In the order a job goes through them, so one that moves on while they are read is found in a later one.
const states: JobType[] = ["delayed", "waiting-children", "prioritized", "waiting", "active", "completed", "failed"];

/**
 * The highest number `pattern` captures among the ids of `namespace` in these queues (0: none).
 * The ids are read a page at a time (a queue may hold tens of thousands of jobs at start-up). A
 * job that moves to a state already read while they are read may be missed; what matters is
 * whether any job is ahead of the database, and a database gone back in time leaves many.
 */
async function highestInRedis(
  connection: Redis,
  prefix: string,
  queueNames: string[],
  namespace: string,
  pattern: RegExp,
): Promise<number> {
  let highest = 0;
  for (const name of queueNames) {
    const queue = new Queue(name, { connection, prefix });
    try {
      await forEachJobPage(queue, states, 1000, async (ids) => {
        for (const id of ids) {
          const bare = inNamespace(id, namespace);
          const n = bare === null ? null : pattern.exec(bare)?.[1];
          if (n) highest = Math.max(highest, Number(n));
        }
      });
    } finally {
      await queue.close();
    }
  }
  return highest;
}

/** The highest id a table has ever given out: its sequence, or its largest row if that is higher. */
async function highestInDatabase(database: Database, table: "OutboxItem" | "Enrollment"): Promise<number> {
  const db = database.prisma;
  const sequence =
    database.provider === "sqlite"
      ? `SELECT seq AS n FROM sqlite_sequence WHERE name = '${table}'`
      : `SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM "${table}_id_seq"`;
  const [seq] = await db.$queryRawUnsafe<{ n: number | bigint | null }[]>(sequence);
  const [max] = await db.$queryRawUnsafe<{ n: number | bigint | null }[]>(`SELECT MAX(id) AS n FROM "${table}"`);
  return Math.max(Number(seq?.n ?? 0), Number(max?.n ?? 0));
}

/**
 * The namespace of this database's job ids, made new when Redis remembers jobs of rows the
 * database has not made (a restored backup). Call once at start, before anything is enqueued.
 */
export async function loadJobNamespace(options: {
  database: Database;
  connection: Redis;
  prefix: string;
  /** The channels whose outbox queues are looked at. */
  channels: string[];
  logger: Logger;
}): Promise<string> {
  const { database, connection, prefix, logger } = options;
  const { installationId } = await loadInstallation(database.prisma);
  const outboxQueues = options.channels.flatMap((c) => [outboxQueueName(c, "reply"), outboxQueueName(c, "bulk")]);
  // Redis first (see above): o<row>, r<row> and r<row>-<time>; rem-<enrollment>-<offset>.
  const jobRow = await highestInRedis(connection, prefix, outboxQueues, installationId, /^[or](\d+)(?:-\d+)?$/);
  const jobEnrollment = await highestInRedis(connection, prefix, [reminderQueueName], installationId, /^rem-(\d+)-/);
  const [row, enrollment] = await Promise.all([
    highestInDatabase(database, "OutboxItem"),
    highestInDatabase(database, "Enrollment"),
  ]);
  if (jobRow <= row && jobEnrollment <= enrollment) return installationId;
  const next = crypto.randomBytes(6).toString("base64url");
  // Processes starting together may all see it: the first one's change holds, the rest read it.
  await database.prisma.installation.updateMany({
    where: { id: 1, installationId },
    data: { installationId: next },
  });
  const current = (await loadInstallation(database.prisma)).installationId;
  logger.warn(
    { outboxRow: row, outboxJob: jobRow, enrollment, reminderJob: jobEnrollment, namespace: current },
    "Redis holds jobs of rows this database has not made (restored from a backup?): new job ids from now on",
  );
  return current;
}
