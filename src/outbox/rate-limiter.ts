/**
 * A send rate shared by every process working a channel, kept in Redis (issue 19, item 3):
 * never more than the configured rate in any one-second window, and close to it.
 *
 * GCRA (the generic cell rate algorithm) without burst: one Lua script keeps, per channel, the
 * time at which the next send may go (the "theoretical arrival time", TAT), on Redis's clock so
 * that processes with drifting clocks agree. Each caller reserves the next slot and the TAT moves
 * on by one emission interval; the caller then waits in its own process until its slot. Slots
 * are at least `interval` apart, so any window of 1000 ms holds at most floor(1000 / interval) + 1
 * of them.
 *
 * The interval is that of `target` (0.98) of the rate, not of the rate itself: with slots at
 * 0.98 of the rate, a 1000 ms window holds at most 0.98 x rate + 1 slots, which is within the
 * rate at 30/s (30.4 -> 30) and at 1,000/s (981), and a send may be up to about 20 ms late (a
 * timer firing late, the network) before two seconds' worth of sends can land in one second at
 * the platform. The 2 % given up is what keeps jitter from pushing a second over the ceiling;
 * at least 0.95 of the rate is still reached whenever there are sends enough waiting.
 */
import type { Redis } from "ioredis";

/** Share of the rate the slots are spaced for; see the header. */
export const rateTarget = 0.98;

/**
 * Reserves the next slot if it is at most ARGV[2] ms away. KEYS[1]: the TAT in whole
 * microseconds on Redis's clock (integers, written with %.0f: Lua's tostring keeps only 14
 * digits, and rounding each step would let slots creep closer than the interval). ARGV[1]: the
 * interval in whole microseconds (rounded up). Returns {slot ms, wait ms} as strings (with
 * fractions), or {-1, wait ms} when the slot is further than allowed (nothing reserved).
 */
const reserveScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - now
if wait > tonumber(ARGV[2]) * 1000 then return {-1, string.format('%.3f', wait / 1000)} end
local nextTat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', math.ceil((nextTat - now) / 1000) + 1000)
return {string.format('%.3f', tat / 1000), string.format('%.3f', wait / 1000)}
`;

export type Slot =
  /** Reserved: the send may go `waitMs` from now (already waited for by `take`), at `at` on Redis's clock. */
  | { ok: true; waitMs: number; at: number }
  /** The next slot is further than the caller would wait: nothing was reserved. */
  | { ok: false; waitMs: number };

export class RateLimiter {
  /** Microseconds between two slots. */
  private readonly interval: number;

  constructor(
    private readonly redis: Redis,
    /** The Redis key of this rate (one per channel and phone number). */
    private readonly key: string,
    /** Sends a second the platform allows. */
    perSecond: number,
    /** Share of it to pace for (default rateTarget). */
    target = rateTarget,
  ) {
    this.interval = Math.ceil(1_000_000 / (perSecond * target));
  }

  /** Reserves the next slot if it is at most `maxWaitMs` away, without waiting for it. */
  async reserve(maxWaitMs: number): Promise<Slot> {
    const [slot, wait] = (await this.redis.eval(reserveScript, 1, this.key, this.interval, maxWaitMs)) as [
      string | number,
      string,
    ];
    const waitMs = Number(wait);
    return Number(slot) < 0 ? { ok: false, waitMs } : { ok: true, waitMs, at: Number(slot) };
  }

  /**
   * Reserves the next slot and waits for it in this process when it is at most `maxWaitMs`
   * away; else reserves nothing and says how long the wait would be (the caller sets the job
   * aside for that long instead of holding a worker slot).
   */
  async take(maxWaitMs: number): Promise<Slot> {
    const slot = await this.reserve(maxWaitMs);
    if (slot.ok && slot.waitMs > 0) await new Promise((r) => setTimeout(r, Math.ceil(slot.waitMs)));
    return slot;
  }
}
