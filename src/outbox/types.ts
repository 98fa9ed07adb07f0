/**
 * The words of the outbox (DESIGN.md section 2, step 6): what an outgoing message is, how
 * urgent, on which lane it goes, and the batch of one chat's rows a queue job carries. Domain
 * verbs, the turn and the jobs all write outbox rows in these terms.
 */
import type { OutgoingMessage } from "../engine/types.js";

/** Messages the bot starts, as opposed to replies in a turn. */
export type OutboundKind = "notice" | "reminder" | "motivation" | "broadcast" | "survey";

/** What an outbox row is (the label of sapa_messages_out_total): a reply, or a message the bot starts. */
export type OutboxKind = "reply" | OutboundKind;

/**
 * Priorities of outbox jobs: lower is sooner. Replies go ahead of notices; from `bulk` on, rows
 * take the paced lane, where reminders go ahead of motivation and broadcasts (`background`), so
 * a long broadcast on a slow channel does not make a reminder late.
 */
export const priorities = { reply: 1, notice: 5, bulk: 10, background: 20 } as const;

/** Replies first, then notices; reminders and surveys on the paced lane, motivation and broadcasts after them. */
export const priorityOf = (kind: OutboxKind): number =>
  kind === "reply"
    ? priorities.reply
    : kind === "notice"
      ? priorities.notice
      : kind === "reminder" || kind === "survey"
        ? priorities.bulk
        : priorities.background;

/** Each channel has a reply lane, sent at once, and a bulk lane, paced to the platform's limits. */
export type OutboxLane = "reply" | "bulk";

/** Rows at bulk priority go to the paced lane. */
export const laneOf = (priority: number): OutboxLane => (priority >= priorities.bulk ? "bulk" : "reply");

/** Outbox rows of one chat to send in order: what a queue job carries. */
export type OutboxBatch = {
  channel: string;
  chatId: string;
  ids: number[];
  priority: number;
  /** The recipient's time zone, when the batch waits out quiet hours there. */
  timeZone?: string | null;
};

/** Where outbox rows go once committed; the BullMQ queue (queue.ts) in production. */
export type OutboxSink = { enqueue(batch: OutboxBatch): Promise<void> };

/** A message to one chat as the outbox stores it (a Message row and its OutboxItem row). */
export type OutboundRow = {
  channel: string;
  chatId: string;
  identityId: number | null;
  text: string;
  choices: unknown;
  requestPhone: boolean;
  kind: OutboxKind;
  priority: number;
  /** The recipient's local time zone: the row waits out quiet hours there (motivation, broadcasts). */
  timeZone?: string | null;
};

/** The row of a message to one chat: what is sent, to whom, its kind and priority. */
export function outboundRow(
  to: { channel: string; chatId: string; identityId: number | null },
  message: OutgoingMessage,
  kind: OutboxKind,
  priority: number = priorityOf(kind),
): OutboundRow {
  return {
    channel: to.channel,
    chatId: to.chatId,
    identityId: to.identityId,
    text: message.text,
    choices: message.choices ?? null,
    requestPhone: message.requestPhone ?? false,
    kind,
    priority,
  };
}
