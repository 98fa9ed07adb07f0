/**
 * SharedReads: turns that look at the same sessions at the same moment share one read, and a
 * read asked after it was answered goes to the database again, so seat counts stay fresh.
 */
import { describe, expect, it } from "vitest";
import { SharedReads } from "../../src/runtime/flow-services.js";

describe("SharedReads", () => {
  it("shares a read under way, reads again once it was answered, and does not keep a failure", async () => {
    const shared = new SharedReads();
    let reads = 0;
    let seatsLeft = 3;
    const load = async () => {
      reads++;
      await new Promise((r) => setTimeout(r, 10));
      return { seatsLeft };
    };
    const together = await Promise.all([shared.run("sessions:1", load), shared.run("sessions:1", load)]);
    expect(reads).toBe(1);
    expect(together).toEqual([{ seatsLeft: 3 }, { seatsLeft: 3 }]);
    // Another programme is another read.
    await shared.run("sessions:2", load);
    expect(reads).toBe(2);
    // Someone took a seat: the next look sees it.
    seatsLeft = 2;
    expect(await shared.run("sessions:1", load)).toEqual({ seatsLeft: 2 });
    expect(reads).toBe(3);
    // A failed read fails those who shared it, and the next asks again.
    const failing = () => Promise.reject(new Error("database away"));
    await expect(shared.run("sessions:1", failing)).rejects.toThrow("database away");
    expect(await shared.run("sessions:1", load)).toEqual({ seatsLeft: 2 });
  });
});
