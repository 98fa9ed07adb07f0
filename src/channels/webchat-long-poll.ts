/**
 * The web chat's long poll: per-address slots counted in Redis, and the wait for a chat's sent
 * messages, woken by a signal from whichever process sent them.
 */
import crypto from "node:crypto";
import type { FastifyReply } from "fastify";
import type { Redis } from "ioredis";
import type { Db } from "../db/database.js";
import type { ChatSignals } from "./chat-signals.js";

/**
 * Long-poll slots per address, counted in Redis so the cap holds across web processes. A slot is
 * a member of a sorted set scored by when it lapses, so one left by a crashed process goes away.
 */
export function pollSlots(redis: Redis, prefix: string) {
  const take = `
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
    if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
    return 1`;
  return {
    /** A function that gives the slot back, or null when the address has `max` polls waiting. */
    async take(address: string, holdMs: number, max: number): Promise<(() => Promise<void>) | null> {
      const key = `${prefix}:${address}`;
      const id = crypto.randomUUID();
      // Lapses well after the poll's own deadline.
      const lapseMs = holdMs + 60_000;
      const now = Date.now();
      const taken = await redis.eval(take, 1, key, now, now + lapseMs, id, max, lapseMs);
      if (taken !== 1) return null;
      return async () => {
        await redis.zrem(key, id);
      };
    },
  };
}

export type MessageRow = Awaited<ReturnType<Db["message"]["findMany"]>>[number];

/**
 * Reads the chat's sent messages once now; if there are none, waits for a signal that some were
 * sent (from any process) and reads again, until there are some, `waitMs` is up (one last read)
 * or the client goes away.
 */
export async function waitForMessages(
  signals: ChatSignals,
  chatId: string,
  waitMs: number,
  read: () => Promise<MessageRow[]>,
  reply: FastifyReply,
): Promise<MessageRow[]> {
  /** A send was signalled since the last read. */
  let signalled: boolean;
  let wake = () => {};
  let timeUp = false;
  let gone = false;
  const stopListening = signals.listen("web", chatId, () => {
    signalled = true;
    wake();
  });
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const ended = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timeUp = true;
      resolve();
    }, waitMs);
    const onClose = () => {
      gone = true;
      resolve();
    };
    reply.raw.once("close", onClose);
    void finished.then(() => {
      clearTimeout(timer);
      reply.raw.off("close", onClose);
    });
  });
  try {
    // Listening before the first read, so a send between the two is not missed.
    await Promise.race([signals.ready().catch(() => {}), ended]);
    signalled = false;
    let rows = await read();
    while (!rows.length && !timeUp && !gone) {
      if (!signalled) await Promise.race([new Promise<void>((resolve) => (wake = resolve)), ended]);
      if (gone) return [];
      signalled = false;
      rows = await read();
    }
    return rows;
  } finally {
    stopListening();
    finish();
  }
}
