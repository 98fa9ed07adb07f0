/**
 * How fast each channel's outbox sends (DESIGN.md section 5). Replies to someone who has just
 * written go at once; bulk (reminders, motivation, broadcasts) is paced to what the platform
 * tolerates: Telegram about 30 a second overall and 1 a second to one chat; WhatsApp (the
 * unofficial client) slowly and at random intervals, with a daily cap, against bans; the
 * WhatsApp Cloud API at the number's throughput (80 a second by default) for replies and bulk
 * together, and within its daily messaging limit. A steady rate (no jitter) is kept per send by
 * the limiter shared in Redis (rate-limiter.ts), never above it in any second.
 */
import type { Config, WhatsAppCloudConfig } from "../config.js";

export type Pacing = {
  /** Replies and notices: at most this many jobs a second (a safety net, not a pace). */
  replyPerSecond: number;
  bulk: {
    /** At most `max` bulk jobs per `durationMs`. */
    max: number;
    durationMs: number;
    /** Space bulk sends at random (half to one and a half times the mean gap) instead of in bursts. */
    jitter: boolean;
    /** Least time between two bulk messages to one chat. */
    chatGapMs: number;
    /** Most bulk messages a day from this account (local day), or null. */
    dailyCap: number | null;
  };
  concurrency: { reply: number; bulk: number };
  /**
   * Share of the bulk rate the shared limiter spaces its slots for (rate-limiter.ts; default
   * rateTarget, 0.96): the slack left for sends that bunch up on the way to the platform.
   */
  rateTarget?: number;
  /**
   * Replies take their slots from the bulk lane's shared rate too: the platform's limit covers
   * every message from the account (the Cloud API's throughput per number). Default false.
   */
  repliesShareRate?: boolean;
  /**
   * WhatsApp's messaging limit tier: different people reached by templates (business-initiated
   * conversations) in a rolling 24 hours (messaging-tier.ts); null or absent: no limit.
   */
  messagingLimit?: number | null;
};

/** For channels with no platform limits (the web chat, the console). */
export const fastPacing: Pacing = {
  replyPerSecond: 1000,
  bulk: { max: 1000, durationMs: 1000, jitter: false, chatGapMs: 0, dailyCap: null },
  concurrency: { reply: 16, bulk: 16 },
};

export function telegramPacing(telegram: NonNullable<Config["telegram"]>): Pacing {
  return {
    // A safety net, not a pace: with a higher bulk rate allowed, replies may go faster too.
    replyPerSecond: Math.max(30, Math.ceil(telegram.bulkPerSecond / 10)),
    bulk: {
      max: telegram.bulkPerSecond,
      durationMs: 1000,
      jitter: false,
      chatGapMs: telegram.chatGapMs,
      dailyCap: null,
    },
    // Enough sends in flight to keep the rate when each takes up to 200 ms, from the claim to the
    // record (the API's answer, and the database while a broadcast is being fanned out): at
    // 1,000 a second 64 were too few on PostgreSQL during a fan-out (npm run bench -- broadcast).
    // A process that dies leaves at most this many rows to send twice.
    concurrency: { reply: 16, bulk: Math.min(128, Math.max(4, Math.ceil(telegram.bulkPerSecond / 5))) },
    // Telegram's limit is "about 30 a second", counted leniently (a short burst is let through;
    // going on over it brings a 429 with retry_after), unlike the Cloud API's strict count of
    // each second: 2 % of slack is enough, and a burst of due reminders goes within 5 % of the
    // time the limit allows (npm run bench -- reminders). Each process still never starts more
    // than the rate in any second.
    rateTarget: 0.98,
  };
}

export function whatsappPacing(whatsapp: Config["whatsapp"]): Pacing {
  return {
    replyPerSecond: 10,
    bulk: {
      max: whatsapp.bulkPerMinute,
      durationMs: 60_000,
      jitter: true,
      chatGapMs: 0,
      dailyCap: whatsapp.dailyCap,
    },
    concurrency: { reply: 4, bulk: 1 },
  };
}

/**
 * The official WhatsApp Cloud API: `perSecond` for the whole number, replies included (they
 * share the limiter with bulk), no jitter (the platform is made for it), no gap per chat beyond
 * what Meta's pair rate limit (131056) asks for when it comes. Enough sends in flight to reach
 * 80 a second and more with each send taking a few hundred milliseconds.
 */
export function cloudPacing(cloud: Pick<WhatsAppCloudConfig, "perSecond" | "dailyLimit">): Pacing {
  return {
    // A safety net; the shared limiter is the pace.
    replyPerSecond: cloud.perSecond,
    bulk: { max: cloud.perSecond, durationMs: 1000, jitter: false, chatGapMs: 0, dailyCap: null },
    concurrency: { reply: 16, bulk: Math.min(64, Math.ceil(cloud.perSecond / 5) + 4) },
    repliesShareRate: true,
    messagingLimit: cloud.dailyLimit,
  };
}

/**
 * How many chats one job of the bulk lane carries when messages to many chats are queued at
 * once (a broadcast, a motivation round): one per 50 a second of the rate, so that a job holds
 * about 20 ms of sends. At Telegram's 30 a second and the Cloud API's 80, one; at 1,000 a
 * second, 20. Each job costs Redis and the worker the same whatever it carries (added, moved to
 * active, locked, finished): at 1,000 a second one job per chat took about as much of the
 * process as the sends themselves, and queueing a broadcast of 10,000 held the sends already
 * under way back for half a second. A lane spaced at random (WhatsApp on a linked phone) sends
 * one job at a time, so its jobs carry one chat.
 */
export function bulkChatsPerJob(pacing: Pacing): number {
  if (pacing.bulk.jitter) return 1;
  const perSecond = (pacing.bulk.max * 1000) / pacing.bulk.durationMs;
  return Math.max(1, Math.floor(perSecond / 50));
}
