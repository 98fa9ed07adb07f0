/**
 * Sends outbox rows through their channel adapter and records what happened. Each row is
 * claimed first (pending -> sending, only if still pending), so a retried or duplicated job
 * never sends a row twice unless a send crashed midway (at least once, DESIGN.md section 5).
 *
 * Pacing (DESIGN.md section 5): each channel has a reply lane, sent at once, and a bulk lane
 * paced to the platform: at random spacing by BullMQ's limiter (WhatsApp on a linked phone), or
 * at a steady rate by a limiter shared in Redis by every process (rate-limiter.ts: Telegram, the
 * Cloud API); a gap between two bulk messages to one chat and a daily cap. A platform's 429
 * closes the channel's gate for `retry_after` and rate-limits both lanes in Redis, so the job
 * waits instead of failing.
 *
 * Channels with a customer-service window (the WhatsApp Cloud API, send-window.ts): outside it a
 * row goes as the approved template of its kind, counted against the daily messaging limit
 * (messaging-tier.ts), and business-initiated rows go only to people who consented.
 */
import { DelayedError, Worker, type Job, type Queue } from "bullmq";
import type { Redis } from "ioredis";
import { DateTime } from "luxon";
import { SendError, type ChannelAdapter, type SendResult } from "../channels/channel.js";
import { certificateSettings } from "../config.js";
import { quietUntil, type QuietHours } from "../domain/quiet-hours.js";
import type { Database } from "../db/database.js";
import { executeAtomically, prepareStatements, queryRows, sqlTime } from "../db/raw-sql.js";
import type { OutgoingMessage } from "../engine/types.js";
import type { Logger } from "../logger.js";
import { initChannelMetrics, messagesOut, sendDuration, sendFailures, type SendFailureReason } from "../metrics.js";
import { deadWorkerRecovery } from "../jobs/dead-worker-recovery.js";
import { KeyedSerial } from "../runtime/keyed-serial.js";
import { databaseAttachments, type AttachmentResolver } from "./attachments.js";
import { countTierRecipient } from "./messaging-tier.js";
import { fastPacing, type Pacing } from "./pacing.js";
import { chatsOfJob, outboxQueueName, type OutboxJob, type OutboxJobChat, type OutboxQueue } from "./queue.js";
import { RateLimiter } from "./rate-limiter.js";
import { SendLedger, type DueQuery } from "./send-ledger.js";
import {
  businessInitiatedRefusal,
  SendWindow,
  templateMessageOf,
  type Template,
  type WindowRow,
} from "./send-window.js";
import { priorities, type OutboxLane } from "./types.js";

export type OutboxWorkerOptions = {
  connection: Redis;
  prefix: string;
  database: Database;
  /** The channel this worker sends on. */
  channel: ChannelAdapter;
  queue: OutboxQueue;
  logger: Logger;
  pacing?: Pacing;
  timeZone?: string;
  /** Rows with a time zone (motivation, broadcasts) wait while it is quiet there. */
  quietHours?: QuietHours | null;
  /** Pauses between tries to record a sent message while the database fails (default 0.5 to 8 s, 15.5 s in all). */
  recordRetryMs?: number[];
  /** Told after each successful send (the web chat wakes its long polls with it). */
  onSent?: (channel: string, chatId: string) => void;
  /** Makes the file of a row's attachment (default: certificates rendered from the database). */
  attachments?: AttachmentResolver;
  /** The department's name, a parameter of WhatsApp templates (config.certificates.issuer; default that setting). */
  departmentName?: string;
  now?: () => Date;
};

/** The Redis key of the note that a row was sent while the database could not record it. */
export const outboxSentKey = (prefix: string, namespace: string, id: number) =>
  `${prefix}:outbox-sent:${namespace}:${id}`;

/** A transient failure that keeps coming back ends as failed after this many attempts. */
export const maxSendAttempts = 10;

/** Meta's pair rate limit: too many messages to one person in a short time. */
const pairRateLimit = "131056";

/** A send waits in this process for its slot of the shared rate at most this long; else its job is set aside. */
const maxSlotWaitMs = 2_000;

/**
 * What a job sends, read for many chats at once (send-ledger.ts): the row, its message, and for
 * channels with a service window the participant and the broadcast's template.
 */
const dueQuery: DueQuery = {
  select: `o.id, o.attempts, o.kind, o."messageId", o."timeZone", m."identityId", m.text, m.choices, m."requestPhone",
           m.attachment, m.template, i."blockedAt", i."lastInboundAt", p.name AS "participantName", p.language,
           p."consentAt", p."optedOutAt", b."templateId" AS "broadcastTemplateId"`,
  joins: `JOIN "Message" m ON m.id = o."messageId"
          LEFT JOIN "ChannelIdentity" i ON i.id = m."identityId"
          LEFT JOIN "Participant" p ON p.id = i."participantId"
          LEFT JOIN "BroadcastRecipient" r ON r."messageId" = m.id AND o.kind = 'broadcast'
          LEFT JOIN "Broadcast" b ON b.id = r."broadcastId"`,
  dates: ["blockedAt", "lastInboundAt", "consentAt", "optedOutAt"],
  json: ["choices", "attachment"],
};

const sql = {
  chatOf: `SELECT "chatId" FROM "OutboxItem" WHERE id = $1`,
  itemFailed: `UPDATE "OutboxItem" SET status = 'failed', "lastError" = $1::text, "updatedAt" = $2::timestamp(3) WHERE id = $3`,
  messageFailed: `UPDATE "Message" SET status = 'failed', error = $1::text, "errorCode" = $2::text, "updatedAt" = $3::timestamp(3)
                  WHERE id = $4`,
  // A row that fell back to its template keeps the template's name, so a retry goes as the template.
  messageTemplate: `UPDATE "Message" SET template = $1::text, "updatedAt" = $2::timestamp(3) WHERE id = $3`,
  itemRetry: `UPDATE "OutboxItem" SET status = 'pending', "lastError" = $1::text, "updatedAt" = $2::timestamp(3) WHERE id = $3`,
  itemUnclaim: `UPDATE "OutboxItem" SET status = 'pending', attempts = attempts - 1, "updatedAt" = $1::timestamp(3) WHERE id = $2`,
  blocked: `UPDATE "ChannelIdentity" SET "blockedAt" = $1::timestamp(3), "updatedAt" = $2::timestamp(3) WHERE id = $3`,
} as const;

type DueRow = WindowRow & {
  id: number;
  attempts: number;
  /** reply, notice, reminder, motivation or broadcast (the label of sapa_messages_out_total). */
  kind: string;
  messageId: number;
  timeZone: string | null;
  identityId: number | null;
  text: string | null;
  choices: { id: string; label: string }[] | null;
  requestPhone: boolean | number;
  blockedAt: Date | null;
};

/** Holds back every send of a channel in this process until a platform's retry_after has passed. */
class ChannelGate {
  private openAt = 0;
  close(ms: number): void {
    this.openAt = Math.max(this.openAt, Date.now() + ms);
  }
  /** Milliseconds until sends may go again (0: open). */
  remaining(): number {
    return Math.max(0, this.openAt - Date.now());
  }
}

/** The channel must wait: the job goes back to waiting without using up an attempt. */
class ChannelPaused extends Error {
  constructor(
    readonly ms: number,
    /** Only this lane (the daily cap holds bulk, not replies); else the whole channel. */
    readonly lane?: OutboxLane,
  ) {
    super(`channel paused for ${ms} ms`);
  }
}

/**
 * This job waits `ms` (the shared rate's next slot is far, the daily messaging limit is reached,
 * WhatsApp's pair rate limit for this chat): it goes back to delayed without using an attempt,
 * and holds nothing else of the channel.
 */
class JobHeld extends Error {
  constructor(readonly ms: number) {
    super(`job held for ${ms} ms`);
  }
}

/**
 * The reply and bulk workers of one channel, sharing per-chat ordering and the 429 gate.
 */
export function createOutboxWorkers(options: OutboxWorkerOptions): Worker<OutboxJob>[] {
  const { database, channel, logger } = options;
  const pacing = options.pacing ?? fastPacing;
  const quiet = options.quietHours ?? null;
  const now = options.now ?? (() => new Date());
  const attachments = options.attachments ?? databaseAttachments(database);
  const redis = options.connection;
  const s = prepareStatements(sql, database.provider);
  const t = (d: Date) => sqlTime(d, database.provider);
  // One chat's messages go out one at a time, in order, even when several jobs of that chat
  // run at once (a turn's batch may be picked up while the previous turn's is still sending).
  const serial = new KeyedSerial();
  // Reads, claims and records of the sends under way in this process go to the database together.
  const ledger = new SendLedger<DueRow>(database, dueQuery, now);
  const gate = new ChannelGate();
  const lanes: OutboxLane[] = ["reply", "bulk"];
  const queues = Object.fromEntries(lanes.map((l) => [l, options.queue.queue(channel.name, l)])) as Record<
    OutboxLane,
    Queue<OutboxJob>
  >;
  const key = (...parts: string[]) => `${options.prefix}:pace:${channel.name}:${parts.join(":")}`;
  initChannelMetrics(channel.name);
  const sendTimer = sendDuration.labels({ channel: channel.name });
  const failed = (reason: SendFailureReason) => sendFailures.inc({ channel: channel.name, reason });

  // The window's rules, on a channel that has one (the WhatsApp Cloud API).
  const window =
    channel.serviceWindowHours !== undefined
      ? new SendWindow(
          database,
          channel.serviceWindowHours,
          options.departmentName ?? certificateSettings().issuer,
          now,
        )
      : null;
  // The bulk lane's steady rate, shared with every process sending on the channel; the reply
  // lane takes its slots from it too where replies share the number's throughput (the Cloud API).
  const rate = pacing.bulk.jitter
    ? null
    : new RateLimiter(redis, key("rate"), (pacing.bulk.max * 1000) / pacing.bulk.durationMs, pacing.rateTarget);
  const limitedLanes = new Set<OutboxLane>(rate ? (pacing.repliesShareRate ? ["bulk", "reply"] : ["bulk"]) : []);
  /** Waits for the row's slot of the shared rate, or sets the job aside when the slot is far. */
  const takeSlot = async (lane: OutboxLane) => {
    if (!rate || !limitedLanes.has(lane)) return;
    const slot = await rate.take(maxSlotWaitMs);
    if (!slot.ok) throw new JobHeld(slot.waitMs);
  };
  /** A template opens a business-initiated conversation: counted against the daily messaging limit. */
  const countTemplateRecipient = async (chatId: string) => {
    const limit = pacing.messagingLimit ?? null;
    if (limit === null) return;
    const counted = await countTierRecipient(redis, options.prefix, `${channel.name}:${chatId}`, limit);
    if (counted.ok) return;
    logger.warn(
      { channel: channel.name, limit, reached: counted.reached, waitMs: counted.waitMs },
      "WhatsApp's daily messaging limit reached: waiting",
    );
    throw new JobHeld(counted.waitMs);
  };

  /** Slows both lanes of the channel, here and in every other process working them. */
  const pause = async (ms: number) => {
    gate.close(ms);
    await Promise.all(lanes.map((l) => queues[l].rateLimit(ms)));
  };

  /** Sends one row and says what became of it. Throws ChannelPaused, JobHeld or the transient error. */
  const sendRow = async (row: DueRow, chatId: string, lane: OutboxLane): Promise<"sent" | "not sent" | "blocked"> => {
    const at = now();
    const fail = async (reason: string, code?: string) => {
      await executeAtomically(database, [
        [s.itemFailed, [reason, t(at), row.id]],
        [s.messageFailed, [reason, code ?? null, t(at), row.messageId]],
      ]);
      logger.warn({ channel: channel.name, outboxId: row.id, reason, code }, "outbox item failed");
    };
    /** Fails a row that must not be sent; claimed first, so a row another worker is sending is left to it. */
    const refuse = async (reason: string, metric: SendFailureReason) => {
      if (!(await ledger.claim(row.id))) return "not sent" as const;
      await fail(reason);
      failed(metric);
      return metric === "blocked" ? ("blocked" as const) : ("not sent" as const);
    };
    if (row.blockedAt) return refuse("not sent: the person has blocked the bot", "blocked");
    const wait = gate.remaining();
    if (wait > 0) throw new ChannelPaused(wait);
    // A channel with a service window: the opt-in rule, then free-form or the template.
    let template: Template | null = null;
    if (window) {
      const refusal = businessInitiatedRefusal(row);
      if (refusal) return refuse(refusal, "permanent");
      if (window.outside(row)) {
        template = await window.templateOf(row);
        if (!template) return refuse(window.noTemplate(row), "permanent");
        await countTemplateRecipient(chatId);
      }
    }
    // Made before the claim: a failure here leaves the row pending for the retried job.
    const document = row.attachment != null && channel.documents !== false ? await attachments(row.attachment) : null;
    if (!(await ledger.claim(row.id))) return "not sent";
    // A 429 may have come in for another send while this row was being claimed.
    const held = gate.remaining();
    if (held > 0) {
      await executeAtomically(database, [[s.itemUnclaim, [t(now()), row.id]]]);
      throw new ChannelPaused(held);
    }
    // Tried before: it may have gone out while the database could not record it (see recordSent).
    if (row.attempts > 0) {
      const earlier = await redis.get(sentKey(row.id)).catch(async (err: unknown) => {
        // Unknown: give the row back rather than leave it in "sending" until the stuck pass.
        await executeAtomically(database, [[s.itemUnclaim, [t(now()), row.id]]]);
        throw err;
      });
      if (earlier !== null) {
        await recordSent(row, earlier === "" ? undefined : earlier);
        await redis.del(sentKey(row.id)).catch(() => 0);
        logger.info({ channel: channel.name, outboxId: row.id }, "recorded a message sent earlier, not sent again");
        return "sent";
      }
    }
    const message: OutgoingMessage = {
      text: row.text ?? "",
      ...(row.choices ? { choices: row.choices } : {}),
      ...(row.requestPhone ? { requestPhone: true } : {}),
      ...(document ? { document } : {}),
    };
    /** The template the row went as, recorded on its Message. */
    let sentAs: string | null = null;
    const asTemplate = (chosen: Template) => {
      sentAs = chosen.name;
      return channel.sendTemplate!(chatId, templateMessageOf(chosen, window!.parameters(row, chosen), document));
    };
    /**
     * The platform refused a free-form message outside its window (Meta's 131047: the person's
     * last message was not seen, or clocks differ): the template goes at once, in this attempt,
     * once. Failing that too fails the row, unless it is a rate limit.
     */
    const fallBack = async (refused: SendError): Promise<SendResult> => {
      const chosen = await window!.templateOf({ ...row, lastInboundAt: null });
      if (!chosen) throw new SendError(window!.noTemplate(row), true, undefined, false, { code: refused.code });
      await executeAtomically(database, [[s.messageTemplate, [chosen.name, t(now()), row.messageId]]]);
      await countTemplateRecipient(chatId);
      await takeSlot(lane);
      logger.info(
        { channel: channel.name, outboxId: row.id, template: chosen.name },
        "outside the window: sent as template",
      );
      try {
        return await asTemplate(chosen);
      } catch (err) {
        if (!(err instanceof SendError) || err.permanent || err.retryAfterMs !== undefined) throw err;
        throw new SendError(err.message, true, undefined, err.blocked, { code: err.code });
      }
    };
    // The slot of the shared rate, taken last, right before the call: a claim that waited for the
    // database must not make this send land on the platform together with the next ones.
    try {
      await takeSlot(lane);
    } catch (err) {
      await executeAtomically(database, [[s.itemUnclaim, [t(now()), row.id]]]);
      throw err;
    }
    // A 429 may have come in for another send while this one waited for its slot.
    const closed = gate.remaining();
    if (closed > 0) {
      await executeAtomically(database, [[s.itemUnclaim, [t(now()), row.id]]]);
      throw new ChannelPaused(closed);
    }
    const sendEnded = sendTimer.startTimer();
    let result: SendResult;
    try {
      result = await (async () => {
        if (template) return asTemplate(template);
        try {
          return await channel.send(chatId, message);
        } catch (err) {
          if (window && channel.sendTemplate && err instanceof SendError && err.outsideWindow) return fallBack(err);
          throw err;
        }
      })().finally(sendEnded);
    } catch (err) {
      const reason = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
      const code = err instanceof SendError ? err.code : undefined;
      if (err instanceof JobHeld) {
        // The fallback's template waits for the daily limit or the rate: not this attempt's fault.
        await executeAtomically(database, [[s.itemUnclaim, [t(now()), row.id]]]);
        throw err;
      }
      if (err instanceof SendError && err.retryAfterMs !== undefined && !err.permanent) {
        // A rate limit: not this row's fault, so the attempt does not count. Too many messages
        // to this one person (Meta's 131056) holds only this chat's job; else the whole channel,
        // closed before anything else so no send of this process starts meanwhile.
        const pair = code === pairRateLimit;
        if (!pair) gate.close(err.retryAfterMs);
        failed("rate_limited");
        await executeAtomically(database, [[s.itemUnclaim, [t(now()), row.id]]]);
        if (pair) {
          logger.warn({ channel: channel.name, retryAfterMs: err.retryAfterMs }, "too many messages to one chat");
          throw new JobHeld(err.retryAfterMs);
        }
        logger.warn({ channel: channel.name, retryAfterMs: err.retryAfterMs, code }, "channel asked to slow down");
        throw new ChannelPaused(err.retryAfterMs);
      }
      if (err instanceof SendError && err.blocked) {
        failed("blocked");
        await fail(reason, code);
        if (row.identityId !== null)
          await executeAtomically(database, [[s.blocked, [t(now()), t(now()), row.identityId]]]);
        return "blocked";
      }
      if ((err instanceof SendError && err.permanent) || row.attempts + 1 >= maxSendAttempts) {
        const permanent = err instanceof SendError && err.permanent;
        failed(permanent ? "permanent" : "gave_up");
        await fail(permanent ? reason : `gave up after ${maxSendAttempts} attempts: ${reason}`, code);
        return "not sent";
      }
      // Back to pending, so the retried job can claim it again.
      failed("transient");
      await executeAtomically(database, [[s.itemRetry, [reason, t(now()), row.id]]]);
      throw err;
    }
    messagesOut.inc({ channel: channel.name, kind: row.kind });
    await recordSent(row, result.platformMessageId, sentAs);
    return "sent";
  };

  /**
   * Redis's note that a row went out although the database could not say so yet. In this
   * database's namespace: a note left by another database (or before a restore) about its row of
   * the same id must not pass this one's row off as sent.
   */
  const sentKey = (id: number) => outboxSentKey(options.prefix, options.queue.namespace, id);

  /**
   * Records a row as sent. The message has gone, so a database that fails now (restarting, a
   * connection cut) must not make it go again: Redis is told first, then the write is retried
   * for a while (`recordRetryMs`). If it still fails the job fails and the row stays in
   * "sending"; when the reconcile pass brings it back (after OUTBOX_STUCK_SECONDS), the note in
   * Redis says it was sent, and it is recorded then.
   */
  const recordSent = async (row: DueRow, platformMessageId: string | undefined, template: string | null = null) => {
    const write = () =>
      ledger.recordSent({
        id: row.id,
        messageId: row.messageId,
        platformMessageId: platformMessageId ?? null,
        template,
      });
    let lastError: unknown;
    try {
      return void (await write());
    } catch (err) {
      lastError = err;
      logger.warn(
        { channel: channel.name, outboxId: row.id, err: { message: (err as Error).message } },
        "sent, but the database could not record it; retrying the record",
      );
      await redis
        .set(sentKey(row.id), platformMessageId ?? "", "EX", 7 * 86_400)
        .catch((e: unknown) =>
          logger.error(
            { outboxId: row.id, err: { message: (e as Error).message } },
            "neither the database nor Redis could record a sent message: it may go twice",
          ),
        );
    }
    for (const waitMs of options.recordRetryMs ?? [500, 1_000, 2_000, 4_000, 8_000]) {
      await new Promise((r) => setTimeout(r, waitMs));
      try {
        await write();
        await redis.del(sentKey(row.id)).catch(() => 0);
        return;
      } catch (err) {
        // Still down: try again, then leave it to the reconcile pass.
        lastError = err;
      }
    }
    throw lastError;
  };

  /**
   * Sends everything still waiting for the chat up to this batch, oldest first, at the batch's
   * priority or more urgent (`upTo`). The reply lane leaves bulk rows to the paced lane (replies
   * may overtake them); a bulk batch takes any earlier reply still waiting, so a reply never
   * arrives after later bulk, but leaves less urgent bulk to its own job: a reminder overtakes the
   * broadcast and motivation messages still waiting for the same person instead of carrying them.
   */
  const drain = async (
    lane: OutboxLane,
    chatId: string,
    last: number,
    upTo: number,
  ): Promise<{ sent: number; heldUntil: Date | null }> => {
    const due = await ledger.due({ channel: channel.name, chatId, last, upTo });
    let sent = 0;
    let blockedAt: Date | null = null;
    let heldUntil: Date | null = null;
    for (const row of due) {
      // Motivation and broadcasts wait while it is quiet where the participant is.
      const quietEnd = row.timeZone ? quietUntil(now(), row.timeZone, quiet) : null;
      if (quietEnd) {
        if (!heldUntil || quietEnd < heldUntil) heldUntil = quietEnd;
        continue;
      }
      // Once the person has blocked the bot, the rest of their queue is not tried.
      const outcome = await sendRow(blockedAt ? { ...row, blockedAt } : row, chatId, lane);
      if (outcome === "sent") sent++;
      if (outcome === "blocked") blockedAt = now();
    }
    if (sent) options.onSent?.(channel.name, chatId);
    return { sent, heldUntil };
  };

  /** Bulk only: the daily cap, counted in Redis per local day; false when today's is used up. */
  const withinDailyCap = async (count: number): Promise<boolean> => {
    const cap = pacing.bulk.dailyCap;
    if (cap === null) return true;
    const today = DateTime.fromJSDate(now(), { zone: options.timeZone ?? "Asia/Jakarta" });
    const counter = key("day", today.toISODate()!);
    const used = await redis.incrby(counter, count);
    if (used === count) await redis.expire(counter, 2 * 86_400);
    if (used <= cap) return true;
    await redis.decrby(counter, count);
    return false;
  };

  /**
   * Works one job: its chats one after another (a job of several chats holds one send in flight,
   * as a job of one chat does, so a process never has more rows claimed and waiting than its
   * concurrency). A chat whose bulk gap is not over yet, or whose rows wait out quiet hours,
   * stays in the job, which comes back for it; when a send fails, the job keeps that chat and
   * those after it, and the chats done are left out of its retry.
   */
  const process = (lane: OutboxLane) => async (job: Job<OutboxJob>, token?: string) => {
    const ids = job.data.outboxIds;
    if (!ids.length) return;
    let chats = chatsOfJob(job.data);
    if (!chats) {
      const chatId = (await queryRows<{ chatId: string }>(database, database.prisma, s.chatOf, [ids[0]]))[0]?.chatId;
      if (chatId === undefined) return;
      chats = [{ chatId, outboxIds: ids }];
    }
    const all = chats;
    /** Back to waiting until `at` (epoch ms), without using an attempt. */
    const delayTo = async (at: number): Promise<never> => {
      await job.moveToDelayed(at, token);
      throw new DelayedError();
    };
    /** When (epoch ms) to come back for a wait until `until` on the worker's clock: at least a second on. */
    const backAt = (until: Date) => Math.max(Date.now() + 1000, Date.now() + (until.getTime() - now().getTime()));
    const holdUntil = (until: Date) => delayTo(backAt(until));
    /** From now on the job carries only `left` (the others are done). */
    const narrow = async (left: OutboxJobChat[]) => {
      if (left.length === all.length) return;
      await job.updateData({ ...job.data, outboxIds: left.flatMap((c) => c.outboxIds), chats: left });
    };
    // A batch with a time zone goes nowhere during quiet hours there (it takes no pace or cap).
    const quietEnd = job.data.timeZone ? quietUntil(now(), job.data.timeZone, quiet) : null;
    if (quietEnd) await holdUntil(quietEnd);
    const upTo =
      lane === "reply" ? priorities.notice : Math.max(priorities.bulk, job.opts.priority ?? priorities.background);
    /** Chats to come back for, and when: the end of a bulk gap (epoch ms) or of quiet hours. */
    const left: OutboxJobChat[] = [];
    let gapEnds = 0;
    let heldUntil: Date | null = null;
    try {
      for (const [i, chat] of all.entries()) {
        try {
          const wait = gate.remaining();
          if (wait > 0) throw new ChannelPaused(wait);
          if (lane === "bulk" && pacing.bulk.chatGapMs > 0) {
            // At most one bulk message per gap to one chat, across processes.
            const gapKey = key("chat", chat.chatId);
            const free = await redis.set(gapKey, "1", "PX", pacing.bulk.chatGapMs, "NX");
            if (free === null) {
              gapEnds = Math.max(gapEnds, Date.now() + Math.max(1, await redis.pttl(gapKey)));
              left.push(chat);
              continue;
            }
          }
          if (lane === "bulk" && !(await withinDailyCap(chat.outboxIds.length))) {
            const tomorrow = DateTime.fromJSDate(now(), { zone: options.timeZone ?? "Asia/Jakarta" })
              .plus({ days: 1 })
              .startOf("day");
            logger.warn({ channel: channel.name, cap: pacing.bulk.dailyCap }, "daily cap of bulk messages reached");
            throw new ChannelPaused(Math.max(1000, tomorrow.toMillis() - now().getTime()), "bulk");
          }
          const drained = await serial.run(chat.chatId, () =>
            drain(lane, chat.chatId, Math.max(...chat.outboxIds), upTo),
          );
          // Rows of this chat that wait out quiet hours: the job comes back when they end.
          if (drained.heldUntil) {
            left.push(chat);
            if (!heldUntil || drained.heldUntil < heldUntil) heldUntil = drained.heldUntil;
          }
        } catch (err) {
          await narrow([...left, ...all.slice(i)]);
          throw err;
        }
      }
      if (lane === "bulk" && pacing.bulk.jitter) {
        const mean = pacing.bulk.durationMs / pacing.bulk.max;
        await queues.bulk.rateLimit(Math.round(mean * (0.5 + Math.random())));
      }
      if (left.length) {
        await narrow(left);
        const heldAt = heldUntil ? backAt(heldUntil) : 0;
        // A chat's gap alone: back as soon as it ends; quiet hours: when they end (the earliest of both).
        await delayTo(gapEnds && heldAt ? Math.min(gapEnds, heldAt) : gapEnds || heldAt);
      }
    } catch (err) {
      if (err instanceof JobHeld) await holdUntil(new Date(now().getTime() + err.ms));
      if (!(err instanceof ChannelPaused)) throw err;
      if (err.lane === "bulk") await queues.bulk.rateLimit(err.ms);
      else await pause(err.ms);
      throw Worker.RateLimitError();
    }
  };

  // Jittered pacing spaces jobs with BullMQ's limiter (one job per half the mean gap, the rest
  // by rateLimit after each send). A steady rate keeps BullMQ's limiter at the rate too, counted
  // in quarters of the window for a fast rate: it takes jobs in priority order no faster than
  // they can go, so few wait in this process for their slot of the shared limiter
  // (rate-limiter.ts), which spaces the sends themselves and keeps every second within the rate
  // across processes. (Without a limiter BullMQ would also ignore the holds rateLimit() sets.)
  const slices = pacing.bulk.max >= 100 ? 4 : 1;
  const bulkLimiter = pacing.bulk.jitter
    ? { max: 1, duration: Math.max(1, Math.round((pacing.bulk.durationMs / pacing.bulk.max) * 0.5)) }
    : { max: Math.round(pacing.bulk.max / slices), duration: Math.round(pacing.bulk.durationMs / slices) };
  return lanes.map(
    (lane) =>
      new Worker<OutboxJob>(outboxQueueName(channel.name, lane), process(lane), {
        connection: options.connection,
        prefix: options.prefix,
        concurrency: lane === "bulk" ? pacing.concurrency.bulk : pacing.concurrency.reply,
        limiter: lane === "bulk" ? bulkLimiter : { max: pacing.replyPerSecond, duration: 1000 },
        ...deadWorkerRecovery,
      }),
  );
}
