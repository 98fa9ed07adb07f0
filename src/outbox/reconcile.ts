/**
 * The outbox's repair pass: rows the queue lost get a job again (see reconcileOutbox). The
 * database row is the truth and the job only a trigger, so this pass is what makes a lost
 * enqueue, a Redis that lost its data or a process that died mid-send cost time, not messages.
 */
import type { Queue } from "bullmq";
import type { Database } from "../db/database.js";
import { inNamespace } from "../jobs/job-ids.js";
import { forEachJobPage, liveJobStates } from "../jobs/job-pages.js";
import type { OutboxJob, OutboxQueue } from "./queue.js";
import { laneOf } from "./types.js";

/** How the pass reads: rows and jobs a page at a time, and at most so many rows of each kind. */
export type ReconcileOutboxOptions = {
  /** Rows read (in order of id, after the last one read) and looked up in Redis at once. */
  pageSize?: number;
  /** At most this many stuck and this many pending rows per pass, so that one pass ends soon. */
  limit?: number;
};

/**
 * Re-enqueues rows the queue lost (Redis lost its data, an enqueue failed after the commit, a
 * job gave up after its retries, or a job id met a finished job of another database): pending
 * rows older than `olderThanMs` with no live job of this database for them, and rows stuck in
 * "sending" for `stuckMs` (a process died mid-send). A row that is only waiting its turn in a
 * paced queue keeps its job and is left alone. A completed or failed job never counts for a
 * pending row: a job marks its rows sent before it completes, so a row still pending after its
 * job ended was not sent by it. The row read here as pending may be sent meanwhile by a job
 * still running; the new job then finds nothing to claim (the claim takes pending rows only),
 * so nothing goes twice.
 *
 * It runs at start-up, when a backlog may be largest, so it holds one page at a time: rows are
 * read in pages by id and each page is repaired before the next is read, and a row's own jobs
 * are looked up for that page only. The one thing kept for the whole pass is, per queue, the
 * numbers of the rows batched into another row's job (see below), far smaller than the jobs.
 */
export async function reconcileOutbox(
  database: Database,
  queue: OutboxQueue,
  olderThanMs = 10_000,
  stuckMs = 300_000,
  options: ReconcileOutboxOptions = {},
): Promise<number> {
  const pageSize = Math.max(1, options.pageSize ?? 1000);
  const limit = options.limit ?? 20_000;
  const db = database.prisma;
  const now = Date.now();
  const select = { id: true, priority: true, channel: true, chatId: true } as const;
  // Rows a dead process left in "sending" go back to pending and get a job of their own at once:
  // the dead process's job still looks active until BullMQ's stalled check (a minute or more).
  // Their ids are kept to leave them out of the pending rows below; they are few (a process has
  // only the rows it is sending at that moment in "sending").
  const stuck = new Set<number>();
  let enqueued = 0;
  for (let after = 0; stuck.size < limit;) {
    const take = Math.min(pageSize, limit - stuck.size);
    const page = await db.outboxItem.findMany({
      where: { status: "sending", updatedAt: { lt: new Date(now - stuckMs) }, id: { gt: after } },
      orderBy: { id: "asc" },
      select,
      take,
    });
    for (const row of page) {
      stuck.add(row.id);
      const { count } = await db.outboxItem.updateMany({
        where: { id: row.id, status: "sending", updatedAt: { lt: new Date(now - stuckMs) } },
        data: { status: "pending", lastError: "stuck in sending; retried" },
      });
      if (!count) continue;
      await queue.enqueue(
        { channel: row.channel, chatId: row.chatId, ids: [row.id], priority: row.priority },
        `r${row.id}-${now}`,
      );
      enqueued++;
    }
    if (page.length < take) break;
    after = page[page.length - 1]!.id;
  }
  // The rows in each queue's live jobs of this database, but for the row each job is named
  // after, read only when a row has no job of its own id: the second and later rows of a turn's
  // batch are in the job of the first (o<first id>), which may be waiting out its backoff while
  // a channel is down. A job of their own would drain the first row as well, and its attempts
  // would be counted by both jobs. Jobs of another database name rows of that one, so they cover
  // nothing here. The jobs are walked a page at a time and only row numbers are kept; the active
  // ones are read before and after the waiting ones, so a job a worker takes meanwhile is seen,
  // and count only while their worker holds the lock (as below).
  const batched = new Map<string, Promise<Set<number>>>();
  const rowsInJobs = (q: Queue<OutboxJob>) => {
    let rows = batched.get(q.name);
    if (!rows) {
      rows = (async () => {
        const found = new Set<number>();
        await forEachJobPage(q, ["active", ...liveJobStates], pageSize, async (ids, state) => {
          let ours = ids.filter((id) => inNamespace(id, queue.namespace) !== null);
          if (state === "active") {
            const presence = await queue.presence(q, ours);
            ours = ours.filter((_, i) => presence[i] === "live");
          }
          await queue.addBatchedRows(q, ours, found);
        });
        return found;
      })();
      batched.set(q.name, rows);
    }
    return rows;
  };
  // Each page's rows, with the state of their own jobs (o<id>, the first of its batch, or r<id>,
  // from this pass). An active job whose lock is gone belongs to a process that died: not alive.
  // Or its attempt has just ended and it waits for the next one (a failed send's backoff): so
  // such a job is looked at again (queue.presence).
  const repair = async (rows: { id: number; priority: number; channel: string; chatId: string }[]) => {
    const byQueue = new Map<Queue<OutboxJob>, typeof rows>();
    for (const row of rows) {
      const q = queue.queue(row.channel, laneOf(row.priority));
      const list = byQueue.get(q);
      if (list) list.push(row);
      else byQueue.set(q, [row]);
    }
    let added = 0;
    for (const [q, list] of byQueue) {
      const presence = await queue.presence(
        q,
        list.flatMap((row) => [queue.jobId(`o${row.id}`), queue.jobId(`r${row.id}`)]),
      );
      for (const [i, row] of list.entries()) {
        const [own, again] = [presence[2 * i], presence[2 * i + 1]];
        if (own === "live" || again === "live") continue;
        if ((await rowsInJobs(q)).has(row.id)) continue;
        // The row is pending and no live job has it, whatever finished jobs Redis keeps for it.
        // A finished job of the id used here would make the new one a no-op, so it goes first.
        if (again === "finished") await q.remove(queue.jobId(`r${row.id}`)).catch(() => 0);
        await queue.enqueue(
          { channel: row.channel, chatId: row.chatId, ids: [row.id], priority: row.priority },
          `r${row.id}`,
        );
        added++;
      }
    }
    return added;
  };
  for (let after = 0, seen = 0; seen < limit;) {
    const take = Math.min(pageSize, limit - seen);
    const page = await db.outboxItem.findMany({
      where: { status: "pending", createdAt: { lt: new Date(now - olderThanMs) }, id: { gt: after } },
      orderBy: { id: "asc" },
      select,
      take,
    });
    const rows = page.filter((row) => !stuck.has(row.id));
    seen += rows.length;
    enqueued += await repair(rows);
    if (page.length < take) break;
    after = page[page.length - 1]!.id;
  }
  return enqueued;
}
