/**
 * The outbox's repair pass: rows the queue lost get a job again (see reconcileOutbox). The
 * database row is the truth and the job only a trigger, so this pass is what makes a lost
 * enqueue, a Redis that lost its data or a process that died mid-send cost time, not messages.
 */
import type { Database } from "../db/database.js";
import { inNamespace } from "../jobs/job-ids.js";
import type { OutboxQueue } from "./queue.js";
import { laneOf, type OutboxLane } from "./types.js";

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
 */
export async function reconcileOutbox(
  database: Database,
  queue: OutboxQueue,
  olderThanMs = 10_000,
  stuckMs = 300_000,
): Promise<number> {
  const db = database.prisma;
  const now = Date.now();
  // Rows a dead process left in "sending" go back to pending and get a job of their own at once:
  // the dead process's job still looks active until BullMQ's stalled check (a minute or more).
  const stuck = await db.outboxItem.findMany({
    where: { status: "sending", updatedAt: { lt: new Date(now - stuckMs) } },
    select: { id: true, priority: true, channel: true, chatId: true },
    take: 20_000,
  });
  let enqueued = 0;
  for (const row of stuck) {
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
  const rows = await db.outboxItem.findMany({
    where: { status: "pending", createdAt: { lt: new Date(now - olderThanMs) }, id: { notIn: stuck.map((r) => r.id) } },
    orderBy: { id: "asc" },
    select: { id: true, priority: true, channel: true, chatId: true },
    take: 20_000,
  });
  // The ids of each queue's jobs, read once: a row's job is o<id> (the first of its batch) or r<id>.
  const jobIds = new Map<string, Promise<{ live: Set<string>; finished: Set<string> }>>();
  // The rows in each queue's live jobs of this database, read only when a row has no job of its
  // own id: the second and later rows of a turn's batch are in the job of the first (o<first id>),
  // which may be waiting out its backoff while a channel is down. A job of their own would drain
  // the first row as well, and its attempts would be counted by both jobs. Jobs of another
  // database name rows of that one, so they cover nothing here.
  const batched = new Map<string, Promise<Set<number>>>();
  const rowsInJobs = (channel: string, lane: OutboxLane, live: Set<string>) => {
    const q = queue.queue(channel, lane);
    let ids = batched.get(q.name);
    if (!ids) {
      ids = queue.rowsOf(
        q,
        [...live].filter((id) => inNamespace(id, queue.namespace) !== null),
      );
      batched.set(q.name, ids);
    }
    return ids;
  };
  const idsOf = (channel: string, lane: OutboxLane) => {
    const q = queue.queue(channel, lane);
    let ids = jobIds.get(q.name);
    if (!ids) {
      ids = (async () => {
        const [waiting, active, finished] = await Promise.all([
          q.getRanges(["waiting", "waiting-children", "delayed", "prioritized"], 0, -1),
          q.getRanges(["active"], 0, -1),
          q.getRanges(["completed", "failed"], 0, -1),
        ]);
        // An active job whose lock is gone belongs to a process that died: not alive. Or its
        // attempt has just ended and it waits for the next one (a failed send's backoff): so
        // those are looked for again among the waiting, where such a job is by now.
        const locked = await queue.locked(q, active);
        const live = [...waiting, ...active.filter((_, i) => locked[i])];
        if (locked.some((l) => !l))
          live.push(...(await q.getRanges(["waiting", "waiting-children", "delayed", "prioritized"], 0, -1)));
        return { live: new Set(live), finished: new Set(finished) };
      })();
      jobIds.set(q.name, ids);
    }
    return ids;
  };
  for (const row of rows) {
    const lane = laneOf(row.priority);
    const { live, finished } = await idsOf(row.channel, lane);
    const own = queue.jobId(`o${row.id}`);
    const again = queue.jobId(`r${row.id}`);
    if (live.has(own) || live.has(again)) continue;
    if ((await rowsInJobs(row.channel, lane, live)).has(row.id)) continue;
    // The row is pending and no live job has it, whatever finished jobs Redis keeps for it. A
    // finished job of the id used here would make the new one a no-op, so it goes first.
    if (finished.has(again))
      await queue
        .queue(row.channel, lane)
        .remove(again)
        .catch(() => 0);
    await queue.enqueue(
      { channel: row.channel, chatId: row.chatId, ids: [row.id], priority: row.priority },
      `r${row.id}`,
    );
    enqueued++;
  }
  return enqueued;
}
