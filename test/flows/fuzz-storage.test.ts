/**
 * The part of the fuzz that needs the database (the flows themselves are fuzzed without one in
 * fuzz.test.ts): whatever text a platform delivers is stored (the inbound message row, the
 * answers kept in the conversation's variables) without breaking the turn, so the sender
 * still gets an answer. Runs through the real runtime on SQLite and on PostgreSQL, which refuses NUL in text.
 *
 * Replay a failure with the seed fast-check prints: FUZZ_SEED=<seed> npx vitest run test/flows/fuzz-storage.test.ts
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../support/harness.js";

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261127;

/** Text as JSON from Telegram or WhatsApp may carry it: any UTF-16, lone surrogates and NUL included. */
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("\ud800", "Budi \udc00 Santoso", "\u0000", "a\u0000b", "\ufeff", "👨‍👩‍👧‍👦", `'; DROP TABLE "Message"; --`),
  // Longer than is stored (4096 characters): cut, then stored.
  fc.constantFrom("lada ".repeat(1_200), `${"ā".repeat(4_095)}\ud800`),
);

describe.each(["sqlite", "postgresql"] as const)(
  `storing any text a platform delivers on %s (seed ${seed})`,
  (provider) => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(provider);
    });
    afterAll(async () => {
      await h?.close();
    });

    // Found by the first fuzzer: a text holding a lone UTF-16 surrogate made the turn throw when
    // the inbound Message row was written (Prisma: "lone leading surrogate in hex escape"), at any
    // node and with no conversation too: no reply, nothing stored.
    it("answers a text that holds a lone UTF-16 surrogate", async () => {
      for (const [chatId, text] of [
        ["surrogate-1", "\ud800"],
        ["surrogate-2", "Budi \udc00 Santoso"],
      ] as const) {
        const replies = await h.send(chatId, text);
        expect(replies.length, `replies to ${JSON.stringify(text)}`).toBeGreaterThan(0);
      }
    });

    it("answers and stores any text, as a first message and as answers kept in the conversation", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(anyText, anyText, anyText, async (first, name, business) => {
          const chatId = `store-${seed}-${++run}`;
          for (const text of [first, "ya", name, business]) {
            const replies = await h.send(chatId, text);
            if (!replies.length) throw new Error(`no reply to ${JSON.stringify(text.slice(0, 40))}`);
          }
        }),
        // Shrinking runs database turns too: it stops after a while and reports the smallest case found by then.
        { seed, numRuns: 20, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
      );
    }, 90_000);
  },
);
