/** Waiting on a promise for a limited time (src/time-limits.ts). */
import { describe, expect, it } from "vitest";
import { settlesWithin, TimeLimitError, valueWithin, within } from "../src/time-limits.js";

const never = new Promise<never>(() => {});
const failed = () => Promise.reject(new Error("refused"));

describe("time limits", () => {
  it("within: the promise's value or error in time, a TimeLimitError with the given words after", async () => {
    await expect(within(Promise.resolve(7), 1000)).resolves.toBe(7);
    await expect(within(failed(), 1000)).rejects.toThrow("refused");
    const late = await within(never, 20, "no answer in time").catch((err: unknown) => err);
    expect(late).toBeInstanceOf(TimeLimitError);
    expect((late as Error).message).toBe("no answer in time");
    await expect(within(never, 20)).rejects.toThrow("no answer in 20 ms");
  });

  it("valueWithin: the value, or null when it fails or is late", async () => {
    expect(await valueWithin(Promise.resolve("ok"), 1000)).toBe("ok");
    expect(await valueWithin(failed(), 1000)).toBeNull();
    expect(await valueWithin(never, 20)).toBeNull();
  });

  it("settlesWithin: true when it settles either way in time, false when late", async () => {
    expect(await settlesWithin(Promise.resolve(), 1000)).toBe(true);
    expect(await settlesWithin(failed(), 1000)).toBe(true);
    expect(await settlesWithin(never, 20)).toBe(false);
  });
});
