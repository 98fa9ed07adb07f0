/**
 * The bot's BullMQ queues as staff see them (the overview, the Antrean page and bull-board):
 * which ones there are and how many jobs each holds. A queue that does not answer within 2
 * seconds counts as unknown, so a slow Redis never keeps a page from showing the rest.
 */
import type { Queue } from "bullmq";
import type { OutboxLane } from "../../outbox/types.js";
import { channelLabel, configuredChannels } from "./channel-names.js";
import type { DashboardDeps } from "./page.js";
import { text, type Text } from "./text.js";
import { valueWithin } from "../../time-limits.js";

export type BotQueue = { label: Text; queue: Queue };

export type QueueCounts = {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  paused: boolean;
};

/** Every queue of the bot: each configured channel's two outbox lanes, reminders, the after-session campaign, motivation, broadcasts, timeouts. */
export function listQueues(deps: DashboardDeps): BotQueue[] {
  const { bot } = deps;
  const lane = (channel: string, l: OutboxLane): BotQueue => {
    const { id, en } = channelLabel(channel);
    return {
      label:
        l === "reply"
          ? text(`Kotak keluar ${id}: balasan`, `Outbox ${en}: replies`)
          : text(
              `Kotak keluar ${id}: massal (pengingat, motivasi, siaran)`,
              `Outbox ${en}: bulk (reminders, motivation, broadcasts)`,
            ),
      queue: bot.outbox.queue(channel, l),
    };
  };
  return [
    ...configuredChannels(deps).flatMap((channel) => [lane(channel, "reply"), lane(channel, "bulk")]),
    { label: text("Pengingat jadwal", "Session reminders"), queue: bot.reminders.queue },
    {
      label: text("Survei, sertifikat, tindak lanjut", "Surveys, certificates, follow-ups"),
      queue: bot.campaigns.queue,
    },
    { label: text("Motivasi mingguan", "Weekly motivation"), queue: bot.motivation.queue },
    { label: text("Siaran", "Broadcasts"), queue: bot.broadcastQueue.queue },
    { label: text("Batas waktu percakapan", "Conversation timeouts"), queue: bot.timeouts.queue },
  ];
}

/** A queue's counts, or null when Redis does not answer within 2 seconds. */
export async function countJobs(queue: Queue): Promise<QueueCounts | null> {
  const answer = await valueWithin(
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

/** Every queue with its counts. */
export function queueRows(deps: DashboardDeps): Promise<{ label: Text; name: string; counts: QueueCounts | null }[]> {
  return Promise.all(
    listQueues(deps).map(async ({ label, queue }) => ({ label, name: queue.name, counts: await countJobs(queue) })),
  );
}
