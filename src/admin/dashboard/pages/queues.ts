/**
 * Antrean (Queues): the number of jobs in each of the bot's queues, for every staff member, in
 * the dashboard's own page (works on a phone, without a script); admins get a link to
 * bull-board (queues-board.ts) for the jobs themselves, failures with their reasons, retries.
 */
import type { Queue } from "bullmq";
import { definePage } from "../page.js";
import { render } from "../render.js";
import type { Text } from "../text.js";
import { broadcastQueueHandle, listQueues, queueBoardPath } from "./queues-board.js";

export type QueueCounts = {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  paused: boolean;
};
export type QueueRow = { label: Text; name: string; counts: QueueCounts | null };

async function withinTime<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** A queue's counts, or null when Redis does not answer within 2 seconds (the page shows the rest). */
async function countJobs(queue: Queue): Promise<QueueCounts | null> {
  const answer = await withinTime(
    Promise.all([
      queue.getJobCounts("waiting", "prioritized", "waiting-children", "active", "delayed", "failed", "completed"),
      queue.isPaused(),
    ]),
    2000,
  );
  if (!answer) return null;
  const [c, paused] = answer;
  // Jobs with a priority (the outbox's) wait in BullMQ's "prioritized" set, not in "waiting".
  return {
    waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c["waiting-children"] ?? 0),
    active: c.active ?? 0,
    delayed: c.delayed ?? 0,
    failed: c.failed ?? 0,
    completed: c.completed ?? 0,
    paused,
  };
}

export const queuesPage = definePage({
  path: "/dashboard/antrean",
  nav: { id: "Antrean", en: "Queues", order: 70 },
  async handler({ reply, deps, t }) {
    const broadcasts = broadcastQueueHandle(deps);
    try {
      const rows: QueueRow[] = await Promise.all(
        listQueues(deps, broadcasts).map(async ({ label, queue }) => ({
          label,
          name: queue.name,
          counts: await countJobs(queue),
        })),
      );
      return await render(reply, "queues", {
        title: t("Antrean", "Queues"),
        rows,
        boardPath: `${queueBoardPath}/`,
        now: new Date(),
      });
    } finally {
      await broadcasts.close().catch(() => {});
    }
  },
});

export const queuePages = [queuesPage];
