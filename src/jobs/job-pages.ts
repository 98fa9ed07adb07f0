/**
 * Reading a queue's jobs a page at a time, for the reconcile passes. They run at start-up, the
 * busiest moment of a process that replaces a dead one, when a queue may hold tens of thousands
 * of jobs: reading every job id of every state at once (and keeping them in sets) made their
 * memory grow with the backlog. These helpers look up only the jobs of the rows at hand, or walk
 * a queue's ids in pages, so what a pass holds is one page.
 */
import type { JobType, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { inNamespace } from "./job-ids.js";

/** The states of a job that may still run (the reconcile passes count only these as covering a row). */
export const liveJobStates: JobType[] = ["delayed", "prioritized", "waiting", "waiting-children", "active"];

/** The waiting states, where an active job whose attempt has just ended goes for its next one. */
const waitingStates = new Set<string>(["delayed", "prioritized", "waiting", "waiting-children"]);

/**
 * What each job is: "live" (in a state where it may still run), "finished" (completed or failed;
 * Redis keeps it, so adding a job of its id again would be a no-op) or "none" (no job of the id).
 * With `lockedOnly`, an active job whose lock is gone belongs to a process that died and counts as
 * "none", unless it is found waiting when looked at again (its attempt had just ended and it waits
 * for the next, e.g. a failed send's backoff).
 *
 * One pipeline of O(1) and O(log n) commands per page (the job's hash, the finished sets; with
 * `lockedOnly` also the short active list and the lock), where BullMQ's getJobState would search
 * the waiting list, which a burst of due reminders makes long. A job's hash exists exactly while
 * the job is in one of its states (BullMQ adds and removes both in one script).
 */
export async function jobPresence<T>(
  connection: Redis,
  queue: Queue<T>,
  ids: string[],
  lockedOnly = false,
): Promise<("live" | "finished" | "none")[]> {
  if (!ids.length) return [];
  const pipeline = connection.pipeline();
  for (const id of ids) {
    pipeline.exists(queue.toKey(id));
    pipeline.zscore(queue.keys.completed!, id);
    pipeline.zscore(queue.keys.failed!, id);
    if (lockedOnly) {
      pipeline.lpos(queue.keys.active!, id);
      pipeline.exists(`${queue.toKey(id)}:lock`);
    }
  }
  const replies = (await pipeline.exec()) ?? [];
  const per = lockedOnly ? 5 : 3;
  const value = (i: number, k: number) => {
    const [err, reply] = replies[i * per + k] ?? [new Error("no reply"), null];
    if (err) throw err;
    return reply;
  };
  return Promise.all(
    ids.map(async (id, i) => {
      if (value(i, 1) !== null || value(i, 2) !== null) return "finished" as const;
      if (value(i, 0) !== 1) return "none" as const;
      if (!lockedOnly || value(i, 3) === null || value(i, 4) === 1) return "live" as const;
      // Active without a lock: dead, or between two attempts (rare: looked at once more).
      const state = await queue.getJobState(id);
      if (waitingStates.has(state)) return "live" as const;
      if (state === "completed" || state === "failed") return "finished" as const;
      // Taken again meanwhile by a worker that holds its lock.
      if (state === "active" && (await connection.exists(`${queue.toKey(id)}:lock`)) === 1) return "live" as const;
      return "none" as const;
    }),
  );
}

/**
 * Calls `visit` with the ids of the queue's jobs in each of `states`, one state after the other,
 * at most `pageSize` at a time, newest first. Jobs leave a state at its oldest end (promoted,
 * taken by a worker), so that does not move the ids still to come; `visit` returns how many of
 * its page it removed, so the next page starts at the first id not seen yet. A job added
 * meanwhile may make an id come twice; one another process removes meanwhile may make one
 * wait for the next pass.
 */
export async function forEachJobPage<T>(
  queue: Queue<T>,
  states: JobType[],
  pageSize: number,
  visit: (ids: string[], state: JobType) => Promise<number | void>,
): Promise<void> {
  for (const state of states) {
    for (let start = 0; ;) {
      const ids = await queue.getRanges([state], start, start + pageSize - 1);
      if (!ids.length) break;
      const removed = (await visit(ids, state)) ?? 0;
      if (ids.length < pageSize) break;
      start += ids.length - removed;
    }
  }
}

/**
 * The reconcile pass of a queue with one delayed job per database row, named after the row's
 * enrollment (reminders `rem-<enrollment>-<offset>`, campaign messages `cmp-<enrollment>-<event>`):
 * re-adds the job of every open row that has no live job of this database (Redis lost its data;
 * a job of the same id ended without firing it), and removes live jobs of the kind whose row is
 * not open any more, or that another database (or an older version without namespaces) left.
 * A job that completed or failed never counts for an open row, and goes before the row's job is
 * added again (it would make the add a no-op). The worker claims the row (open only) in the
 * transaction that writes its message, so a new job for a row fired meanwhile sends nothing.
 *
 * One page at a time: open rows by id, with the state of just their jobs; then the queue's live
 * jobs, with the open rows of just their enrollments. A row made meanwhile is found open without
 * a job, and adding it again is a no-op; its job is added after its row is committed, so a job
 * read before its row is looked up is never taken for an orphan.
 */
export async function reconcileRowJobs<T, R extends { id: number }>(pass: {
  connection: Redis;
  queue: Queue<T>;
  namespace: string;
  /** How the kind's job ids start ("rem-"), followed by the enrollment's id and "-". */
  kind: string;
  pageSize: number;
  /** At most `take` open rows with an id above `after`, in order of id. */
  openRows(after: number, take: number): Promise<R[]>;
  /** The job ids of the open rows of these enrollments. */
  openJobIdsOf(enrollmentIds: number[]): Promise<Set<string>>;
  jobId(row: R): string;
  schedule(rows: R[]): Promise<void>;
}): Promise<{ added: number; removed: number }> {
  const { queue, pageSize } = pass;
  let added = 0;
  for (let after = 0; ;) {
    const open = await pass.openRows(after, pageSize);
    if (!open.length) break;
    after = open[open.length - 1]!.id;
    const presence = await jobPresence(
      pass.connection,
      queue,
      open.map((r) => pass.jobId(r)),
    );
    const lost = open.filter((_, i) => presence[i] !== "live");
    await Promise.all(
      open.map((r, i) => (presence[i] === "finished" ? queue.remove(pass.jobId(r)).catch(() => 0) : 0)),
    );
    await pass.schedule(lost);
    added += lost.length;
    if (open.length < pageSize) break;
  }
  const enrollmentOf = new RegExp(`^${pass.kind}(\\d+)-`);
  let removed = 0;
  await forEachJobPage(queue, liveJobStates, pageSize, async (ids) => {
    const ofKind = ids.filter((id) => id.startsWith(pass.kind));
    const enrollments = new Set<number>();
    for (const id of ofKind) {
      const bare = inNamespace(id, pass.namespace);
      const enrollment = bare === null ? undefined : enrollmentOf.exec(bare)?.[1];
      if (enrollment) enrollments.add(Number(enrollment));
    }
    const expected = enrollments.size ? await pass.openJobIdsOf([...enrollments]) : new Set<string>();
    const orphans = ofKind.filter((id) => !expected.has(id));
    removed += orphans.length;
    const done = await Promise.all(orphans.map((id) => queue.remove(id).catch(() => 0)));
    return done.filter((n) => n === 1).length;
  });
  return { added, removed };
}
