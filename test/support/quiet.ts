/**
 * Waits on state before a "nothing more was sent" assertion, instead of sleeping a fixed time
 * (which passes without checking anything on a slow machine): the bot's queues have no job
 * waiting or running, and no outbox row is pending or being sent. Once that holds, a send could
 * only come from a new job, so a count taken then is the final one.
 */
import type { Queue } from "bullmq";
import type { Bot } from "../../src/bot.js";
import type { Database } from "../../src/db/database.js";
import { waitFor } from "./wait-for.js";

/** A BullMQ queue, as far as counting its jobs goes. */
export type CountedQueue = Pick<Queue, "name" | "getJobCounts">;

/**
 * The queues of a bot whose jobs send something: the outbox lanes of `channels`, the broadcast
 * fan-out, conversation timeouts, reminders and motivation rounds.
 */
export const botQueues = (bot: Bot, channels: string[]) => ({
  outbox: channels.flatMap((c) => [bot.outbox.queue(c, "reply"), bot.outbox.queue(c, "bulk")]),
  other: [bot.broadcastQueue.queue, bot.timeouts.queue, bot.reminders.queue, bot.motivation.queue],
});

/**
 * True when no job of `queues` is waiting or running (nor, for `delayedToo`, waiting out a delay
 * such as a retry's backoff).
 */
export async function queuesIdle(queues: CountedQueue[], delayedToo: CountedQueue[] = []): Promise<boolean> {
  const busy = async (q: CountedQueue, delayed: boolean) => {
    const states = ["wait", "active", "prioritized", "waiting-children"] as const;
    const counts = await q.getJobCounts(...states, ...(delayed ? (["delayed"] as const) : []));
    return Object.values(counts).some((n) => n > 0);
  };
  const checks = await Promise.all([...queues.map((q) => busy(q, false)), ...delayedToo.map((q) => busy(q, true))]);
  return !checks.some(Boolean);
}

/** True when no outbox row (of `channels`, if given) is pending or being sent. */
export async function outboxSettled(database: Database, channels?: string[]): Promise<boolean> {
  const pending = await database.prisma.outboxItem.count({
    where: { status: { in: ["pending", "sending"] }, ...(channels ? { channel: { in: channels } } : {}) },
  });
  return pending === 0;
}

/**
 * Waits until the bot is quiet on `channels`: no outbox row of those channels is pending or being
 * sent, the bot's other queues have no job waiting or running (their delayed jobs are due later:
 * a reminder, a conversation's timeout), and the channels' outbox lanes have no job waiting,
 * running or delayed (a retry). With `outboxJobs: "idle"`, jobs may still wait in the lanes as
 * long as none runs: a job sends only rows that are pending, so with none pending the jobs left
 * send nothing (for a slow lane whose rows a pause or cancel deleted, which would take seconds to
 * drain). It must hold on two checks in a row, so a job handed on between queues is not missed.
 */
export async function waitForQuiet(
  bot: Bot,
  options: {
    database: Database;
    channels: string[];
    outboxJobs?: "drained" | "idle";
    timeoutMs?: number;
    what?: string;
  },
): Promise<void> {
  const { outbox, other } = botQueues(bot, options.channels);
  const lanesQuiet = async () =>
    options.outboxJobs === "idle"
      ? (await Promise.all(outbox.map((q) => q.getJobCounts("active")))).every((c) => !c.active)
      : queuesIdle([], outbox);
  const quiet = async () =>
    (await outboxSettled(options.database, options.channels)) && (await queuesIdle(other)) && (await lanesQuiet());
  let inARow = 0;
  await waitFor(
    async () => {
      inARow = (await quiet()) ? inARow + 1 : 0;
      return inARow >= 2;
    },
    options.timeoutMs ?? 15_000,
    options.what ?? `the bot to be quiet on ${options.channels.join(", ")}`,
  );
}
