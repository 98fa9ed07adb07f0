/**
 * The shared send rate (src/outbox/rate-limiter.ts) against real Redis: two limiters on their
 * own connections stand for two worker processes sending on one channel, each with many sends
 * asking at once. Over a second and a half, no 1000 ms window holds more slots than the rate,
 * and the busiest windows reach at least 0.95 of it, at Telegram's 30 a second and at 1,000.
 * Counts of slots (on Redis's clock, as the limiter hands them out), not timings of calls.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/outbox/rate-limiter.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";

let processes: Redis[];
const prefix = testPrefix();
beforeAll(() => {
  processes = [connectRedis(), connectRedis()];
});
afterAll(async () => {
  await deletePrefix(processes[0]!, prefix);
  await Promise.all(processes.map((r) => r.quit()));
});

/** The most slots in any closed window of 1000 ms (each window starting at a slot). */
const busiestSecond = (slots: number[]) => {
  const sorted = [...slots].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! <= sorted[i]! + 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
};

/** Both "processes" take slots with `senders` sends each asking at once, for `ms`; returns the slots' times. */
async function run(perSecond: number, senders: number, ms: number): Promise<number[]> {
  const key = `${prefix}:rate:${perSecond}`;
  const limiters = processes.map((redis) => new RateLimiter(redis, key, perSecond));
  const slots: number[] = [];
  const until = Date.now() + ms;
  await Promise.all(
    limiters.flatMap((limiter) =>
      Array.from({ length: senders }, async () => {
        while (Date.now() < until) {
          const slot = await limiter.take(2_000);
          if (slot.ok) slots.push(slot.at);
        }
      }),
    ),
  );
  return slots;
}

describe("the shared send rate", () => {
  it.each([
    [30, 4],
    [1000, 32],
  ])("never lets more than %i a second through in any second, and reaches 0.95 of it", async (perSecond, senders) => {
    const slots = await run(perSecond, senders, 1_500);
    const busiest = busiestSecond(slots);
    expect(busiest).toBeLessThanOrEqual(perSecond);
    expect(busiest).toBeGreaterThanOrEqual(Math.ceil(perSecond * 0.95));
    // The first second of sending, taken by both processes together.
    const first = Math.min(...slots);
    expect(slots.filter((at) => at < first + 1000).length).toBeGreaterThanOrEqual(Math.ceil(perSecond * 0.95));
  });

  it("reserves nothing when the next slot is further away than the caller would wait", async () => {
    const limiter = new RateLimiter(processes[0]!, `${prefix}:rate:slow`, 1);
    const first = await limiter.reserve(0);
    expect(first).toMatchObject({ ok: true, waitMs: 0 });
    expect(await limiter.reserve(0)).toMatchObject({ ok: false });
    // Refusing took no slot: the next one is one interval (1 / 0.96 s, in whole microseconds) after the first.
    const next = await limiter.reserve(5_000);
    if (!first.ok || !next.ok) throw new Error("expected both slots reserved");
    expect(next.at - first.at).toBeCloseTo(Math.ceil(1_000_000 / 0.96) / 1000, 2);
  });
});
