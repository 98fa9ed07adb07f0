/**
 * The channel status a holder publishes to Redis for the other processes: at once on a change,
 * the QR code only while waiting for a scan, gone a few intervals after the publisher stops (a
 * process that died), and deleted on a clean stop only if it is still this publisher's.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { ChannelStatus } from "../../src/channels/channel.js";
import {
  ChannelStatusPublisher,
  channelStatusKey,
  parseChannelCommand,
  readChannelStatus,
} from "../../src/channels/channel-board.js";
import { createLogger } from "../../src/logger.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

const redis = connectRedis();
const prefix = testPrefix();
afterAll(async () => {
  await deletePrefix(redis, prefix);
  await redis.quit();
});

describe("ChannelStatusPublisher", () => {
  it("publishes changes at once, keeps the QR code only while waiting, and expires when its process stops", async () => {
    let status: ChannelStatus = { state: "connecting", since: new Date(), detail: "starting WhatsApp Web" };
    const publisher = new ChannelStatusPublisher({
      redis,
      prefix,
      channel: "whatsapp",
      status: () => status,
      token: "4242:abc",
      logger: createLogger({ level: "silent" }),
      everyMs: 200,
      watchMs: 20,
    });
    expect(publisher.ttlMs).toBe(600);
    publisher.start();
    await waitFor(async () => (await readChannelStatus(redis, prefix, "whatsapp"))?.state === "connecting", 2_000);

    status = { state: "waiting_for_qr", since: new Date(), qr: "2@kode-satu", detail: "waiting for a scan" };
    const waiting = await waitFor(async () => {
      const s = await readChannelStatus(redis, prefix, "whatsapp");
      return s?.state === "waiting_for_qr" ? s : null;
    }, 500);
    expect(waiting.qr).toBe("2@kode-satu");
    expect(waiting.runner).toMatchObject({ here: false, pid: process.pid });
    expect(waiting.since.toISOString()).toBe(status.since.toISOString());

    // A QR code the adapter still carries outside waiting_for_qr is not published.
    status = { state: "ready", since: new Date(), qr: "2@kode-dua" };
    await waitFor(async () => (await readChannelStatus(redis, prefix, "whatsapp"))?.state === "ready", 500);
    expect(await redis.get(channelStatusKey(prefix, "whatsapp"))).not.toContain("kode");

    // Kept alive while it runs, past its TTL.
    await new Promise((r) => setTimeout(r, 900));
    expect(await readChannelStatus(redis, prefix, "whatsapp")).toMatchObject({ state: "ready" });

    // Stopped without clearing (a process that died): the key runs out within the TTL.
    await publisher.stop(false);
    await waitFor(async () => (await readChannelStatus(redis, prefix, "whatsapp")) === null, 1_000, "expiry");
  });

  it("clears the key on a clean stop, unless another process's status replaced it", async () => {
    const make = (token: string) =>
      new ChannelStatusPublisher({
        redis,
        prefix,
        channel: "telegram",
        status: () => ({ state: "ready", since: new Date() }),
        token,
        logger: createLogger({ level: "silent" }),
      });
    const old = make("1:old");
    old.start();
    await waitFor(async () => (await readChannelStatus(redis, prefix, "telegram")) !== null, 1_000);
    await old.stop(true);
    expect(await redis.exists(channelStatusKey(prefix, "telegram"))).toBe(0);

    const next = make("2:new");
    next.start();
    await waitFor(async () => (await readChannelStatus(redis, prefix, "telegram")) !== null, 1_000);
    await old.stop(true);
    expect(await redis.get(channelStatusKey(prefix, "telegram"))).toContain("2:new");
    await next.stop(true);
    expect(await redis.exists(channelStatusKey(prefix, "telegram"))).toBe(0);
  });

  it("understands the log-out command and nothing else", () => {
    expect(parseChannelCommand(JSON.stringify({ command: "logout", from: "web-1:12" }))).toBe("logout");
    expect(parseChannelCommand(JSON.stringify({ command: "shutdown" }))).toBeNull();
    expect(parseChannelCommand("not json")).toBeNull();
  });
});
