/**
 * APP_ROLE: the same code as `web` (HTTP, enqueues only) and `worker` (queues, timers, Telegram
 * polling, WhatsApp, /healthz only), in-process here on one database and one Redis prefix. A web
 * instance takes Telegram webhooks and a worker sends the replies; with long polling only one
 * worker polls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { receivingChannels, type App } from "../../src/app.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { outboxQueueName } from "../../src/outbox/queue.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { freePort } from "../support/redis-server.js";
import { testInstallation } from "../support/app.js";
import { waitFor } from "../support/wait-for.js";

describe("APP_ROLE", () => {
  it("defaults to all, accepts web and worker, and names itself when wrong", () => {
    expect(loadConfig({}).role).toBe("all");
    expect(loadConfig({ APP_ROLE: "web" }).role).toBe("web");
    expect(loadConfig({ APP_ROLE: " Worker " }).role).toBe("worker");
    let error: unknown;
    try {
      loadConfig({ APP_ROLE: "frontend" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe("APP_ROLE");
    expect((error as Error).message).toBe(
      'Invalid configuration: APP_ROLE="frontend" is not valid; expected all (one process does everything), web (HTTP only) or worker (queues and channels).',
    );
  });

  it("decides who receives: webhooks on the web side, polling and WhatsApp on the worker side", () => {
    const base = { TELEGRAM_BOT_TOKEN: "123456:ABCDEFG", WHATSAPP_ENABLED: "true" };
    const webhook = { ...base, PUBLIC_URL: "https://bot.example.go.id" };
    const on = (env: Record<string, string>) => receivingChannels(loadConfig(env));
    expect(on({ ...base, APP_ROLE: "all" })).toEqual(["telegram", "whatsapp"]);
    expect(on({ ...base, APP_ROLE: "web" })).toEqual([]);
    expect(on({ ...base, APP_ROLE: "worker" })).toEqual(["telegram", "whatsapp"]);
    expect(on({ ...webhook, APP_ROLE: "web" })).toEqual(["telegram"]);
    expect(on({ ...webhook, APP_ROLE: "worker" })).toEqual(["whatsapp"]);
    expect(on({ ...webhook, APP_ROLE: "all" })).toEqual(["telegram", "whatsapp"]);
  });
});

describe("a web and a worker process with a Telegram webhook", () => {
  const site = testInstallation();
  let fake: FakeTelegram;
  let web: App;
  let webPort: number;
  beforeAll(async () => {
    fake = await startFakeTelegram();
    await site.prepare();
    webPort = await freePort();
    web = await site.start({
      APP_ROLE: "web",
      PORT: String(webPort),
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.url,
      PUBLIC_URL: `http://127.0.0.1:${webPort}`,
    });
    await waitFor(() => fake.webhook !== null, 10_000, "the webhook set by the web process");
  });
  afterAll(async () => {
    await site.stop();
    await fake.close();
  });

  it("takes the update on the web side, which only enqueues, and the worker sends the reply", async () => {
    await fake.userMessage({ id: 9101, first_name: "Rina" }, "halo");
    await waitFor(
      async () => (await web.database.prisma.message.count({ where: { chatId: "9101", direction: "outbound" } })) > 0,
      10_000,
      "the reply written",
    );
    // No worker yet: the reply waits in the queue.
    const replies = web.bot.outbox.queue("telegram");
    expect(replies.name).toBe(outboxQueueName("telegram", "reply"));
    // Nothing can take it: no worker is connected to the queue.
    expect(await replies.getWorkers()).toEqual([]);
    expect(fake.sentTo(9101)).toEqual([]);
    expect(await replies.getJobCounts("wait", "prioritized", "active")).not.toEqual({
      wait: 0,
      prioritized: 0,
      active: 0,
    });

    const worker = await site.start({
      APP_ROLE: "worker",
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.url,
      PUBLIC_URL: `http://127.0.0.1:${webPort}`,
    });
    await waitFor(() => fake.sentTo(9101).length > 0, 10_000, "the worker's send");
    // The worker serves /healthz and nothing else; the web side serves the web chat.
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${worker.url}/chat`)).status).toBe(404);
    expect((await fetch(`${worker.url}/telegram/webhook`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${web.url}/chat`)).status).toBe(200);
    // The webhook still points at the web process.
    expect(fake.webhook!.url).toBe(`http://127.0.0.1:${webPort}/telegram/webhook`);
  });
});

describe("Telegram long polling with a web and two workers", () => {
  const site = testInstallation();
  let fake: FakeTelegram;
  beforeAll(async () => {
    fake = await startFakeTelegram();
    await site.prepare();
  });
  afterAll(async () => {
    await site.stop();
    await fake.close();
  });

  it("has exactly one worker poll, and the web process none", async () => {
    const env = { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url };
    const web = await site.start({ ...env, APP_ROLE: "web" });
    const workers = [
      await site.start({ ...env, APP_ROLE: "worker" }),
      await site.start({ ...env, APP_ROLE: "worker" }),
    ];
    await waitFor(
      () => workers.some((w) => w.bot.channelStatus().telegram?.state === "ready"),
      10_000,
      "a worker polling",
    );
    await new Promise((r) => setTimeout(r, 500));
    const states = workers.map((w) => w.bot.channelStatus().telegram?.state);
    expect(states.filter((s) => s === "ready")).toHaveLength(1);
    expect(web.bot.channelStatus().telegram?.state).toBe("disabled");
    await fake.userMessage({ id: 9201, first_name: "Agus" }, "halo");
    await waitFor(() => fake.sentTo(9201).length > 0, 10_000, "the reply");
  });
});
