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
 * The interval is that of `target` (0.96) of the rate, not of the rate itself: with slots at
 * 0.96 of the rate, a 1000 ms window holds at most 0.96 x rate + 1 slots (at 80/s, 77), so a
 * platform that counts arrivals sees the ceiling passed only when four sends or more bunch up:
 * a timer firing 50 ms late on a busy machine, or the network. At 0.98 the fake Cloud API at
 * 80/s refused a send every few seconds on this 2-core machine (npm run bench -- whatsapp-cloud),
 * and each refusal holds the channel back. The 4 % given up still leaves at least 0.95 of the
 * rate whenever there are sends enough waiting. Telegram, which counts leniently, is paced at
 * 0.98 (pacing.ts).
 */
import type { Redis } from "ioredis";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Share of the rate the slots are spaced for; see the header. */
export const rateTarget = 0.96;

/**
 * Reserves the next slot if it is at most ARGV[2] ms away. KEYS[1]: the TAT in whole
 * microseconds on Redis's clock (integers, written with %.0f: Lua's tostring keeps only 14
 * digits, and rounding each step would let slots creep closer than the interval). ARGV[1]: the
 * interval in whole microseconds (rounded up). ARGV[3]: how many consecutive slots to reserve.
 * Returns {first slot ms, wait ms} as strings (with fractions), or {-1, wait ms} when the slot is
 * further than allowed (nothing reserved).
 */
const reserveScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - now
if wait > tonumber(ARGV[2]) * 1000 then return {-1, string.format('%.3f', wait / 1000)} end
local nextTat = tat + interval * tonumber(ARGV[3] or '1')
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
  /** Most sends this process lets go in any 1000 ms: 0.98 of the rate (the slots give 0.96), at least what on-time slots give. */
  private readonly localCap: number;
  /** When this process's latest `localCap` sends were let go (performance.now()), oldest at `next`. */
  private readonly starts: number[];
  private next = 0;

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
    // Never below what on-time slots put in one second (at 2 a second, two), never above the rate.
    this.localCap = Math.max(
      1,
      Math.min(Math.floor(perSecond), Math.max(Math.floor(perSecond * 0.98), Math.floor(perSecond * target) + 1)),
    );
    this.starts = new Array<number>(this.localCap).fill(-Infinity);
    this.block = Math.max(1, Math.floor(perSecond / 100));
  }

  /** Slots reserved at a fast rate (`block` at a time, one round trip) and not handed out yet. */
  private readonly reserved: { at: number; due: number }[] = [];
  /** How many slots one reservation takes: 1 up to 199 a second, then one per 100 a second (10 ms of slots). */
  private readonly block: number;

  /** Reserves the next `count` slots if the first is at most `maxWaitMs` away, without waiting for it. */
  async reserve(maxWaitMs: number, count = 1): Promise<Slot> {
    const [slot, wait] = (await this.redis.eval(reserveScript, 1, this.key, this.interval, maxWaitMs, count)) as [
      string | number,
      string,
    ];
    const waitMs = Number(wait);
    return Number(slot) < 0 ? { ok: false, waitMs } : { ok: true, waitMs, at: Number(slot) };
  }

  /** The next slot: one reserved earlier in this process, or a new reservation of `block` of them. */
  private async nextSlot(maxWaitMs: number): Promise<Slot> {
    const held = this.reserved.shift();
    if (held) return { ok: true, waitMs: Math.max(0, held.due - performance.now()), at: held.at };
    const slot = await this.reserve(maxWaitMs, this.block);
    if (!slot.ok) return slot;
    const start = performance.now() + slot.waitMs;
    const gap = this.interval / 1000;
    for (let i = 1; i < this.block; i++) this.reserved.push({ at: slot.at + i * gap, due: start + i * gap });
    return slot;
  }

  /**
   * Reserves the next slot and waits for it in this process when it is at most `maxWaitMs`
   * away; else reserves nothing and says how long the wait would be (the caller sets the job
   * aside for that long instead of holding a worker slot).
   */
  async take(maxWaitMs: number): Promise<Slot> {
    const slot = await this.nextSlot(maxWaitMs);
    if (slot.ok && slot.waitMs > 0) await sleep(Math.ceil(slot.waitMs));
    if (!slot.ok) return slot;
    // Timers that fire late together (the event loop held up by a synchronous SQLite call or a
    // garbage collection) let the sends of several slots go at once. On time, slots 0.96 of the
    // rate apart never fill this process's count of the last second; bunched up, the send that
    // would pass 0.98 of the rate waits for the oldest of them to leave the second.
    for (;;) {
      const wait = this.starts[this.next]! + 1000 - performance.now();
      if (wait <= 0) break;
      await sleep(Math.ceil(wait));
    }
    this.starts[this.next] = performance.now();
    this.next = (this.next + 1) % this.localCap;
    return slot;
  }
}
