/**
 * Issue 15, items 1 and 3 and the /chat part of item 8: the web chat's identity (a chat made by
 * the server, a bearer token or the page's signed cookie on every call), its limits per chat and
 * per client address, the cap on idle long polls, long polls woken across processes, and the
 * page's Content-Security-Policy. The reproductions of the security probe, each refused now.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App } from "../../src/app.js";
import { ChatSignals } from "../../src/channels/chat-signals.js";
import { webChatLimits, type WebChatLimits } from "../../src/channels/webchat.js";
import { createLogger } from "../../src/logger.js";
import { providers } from "../support/databases.js";
import { connectRedis, testPrefix } from "../support/redis.js";
import { testInstallation } from "../support/app.js";
import { waitFor } from "../support/wait-for.js";

type Chat = { chatId: string; token: string };
type BotMessage = { id: number; text: string };

async function newSession(app: App, headers: Record<string, string> = {}): Promise<Chat> {
  const res = await fetch(`${app.url}/api/webchat/sessions`, { method: "POST", headers });
  expect(res.status).toBe(201);
  return (await res.json()) as Chat;
}

const bearer = (chat: Chat) => ({ authorization: `Bearer ${chat.token}` });

function post(app: App, chatId: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${app.url}/api/webchat/${chatId}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

function read(app: App, chatId: string, headers: Record<string, string> = {}, query = "after=0") {
  return fetch(`${app.url}/api/webchat/${chatId}/messages?${query}`, { headers });
}

async function expectUnauthorized(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="webchat"/);
  expect(((await res.json()) as { error: string }).error).toMatch(/Authorization: Bearer/);
}

const inbound = (app: App, chatId: string) =>
  app.database.prisma.message.count({ where: { channel: "web", chatId, direction: "inbound" } });

describe.each(providers)("web chat identity on %s", (provider) => {
  const site = testInstallation(provider);
  let web: App;
  let otherWeb: App;

  beforeAll(async () => {
    await site.prepare();
    // Two web processes behind a proxy, and a worker that sends the replies.
    web = await site.start({ APP_ROLE: "web" });
    otherWeb = await site.start({ APP_ROLE: "web" });
    await site.start({ APP_ROLE: "worker" });
  });
  afterAll(() => site.stop());

  it("wakes a long poll in one web process with the reply the worker process sent", async () => {
    const chat = await newSession(web);
    // Waiting in the other web process before the message is even sent.
    const poll = read(otherWeb, chat.chatId, bearer(chat), "after=0&wait=30");
    expect((await post(web, chat.chatId, { text: "Halo" }, bearer(chat))).status).toBe(202);
    const res = await poll;
    expect(res.status).toBe(200);
    const { messages } = (await res.json()) as { messages: BotMessage[] };
    expect(messages[0]!.text).toMatch(/^Selamat datang di Sapa IKM/);
  });

  it("answers 401 to anyone reading or writing a chat without its credential, whatever chat they name", async () => {
    const victim = await newSession(web);
    expect((await post(web, victim.chatId, { text: "Halo" }, bearer(victim))).status).toBe(202);
    const history = await read(otherWeb, victim.chatId, bearer(victim), "after=0&wait=30");
    expect(((await history.json()) as { messages: BotMessage[] }).messages.length).toBeGreaterThan(0);
    const attacker = await newSession(web);

    // Holding the chat id only, as a proxy log or a queue's job data would show it.
    await expectUnauthorized(await read(web, victim.chatId));
    await expectUnauthorized(await read(web, victim.chatId, bearer(attacker)));
    await expectUnauthorized(await read(web, victim.chatId, { authorization: "Bearer not-a-token" }));
    await expectUnauthorized(await read(web, victim.chatId, { authorization: `Bearer ${"é".repeat(43)}` }));
    await expectUnauthorized(await read(web, victim.chatId, { authorization: `Basic ${victim.token}` }));
    // A chat the server never made, with a token valid for another chat.
    await expectUnauthorized(await read(web, "web-made-up", bearer(victim)));
    await expectUnauthorized(await post(web, "web-made-up", { text: "Halo" }, bearer(victim)));

    // Writing as the victim ("hapus data saya") without the credential changes nothing.
    const before = await inbound(web, victim.chatId);
    await expectUnauthorized(await post(web, victim.chatId, { text: "hapus data saya" }));
    await expectUnauthorized(await post(web, victim.chatId, { text: "hapus data saya" }, bearer(attacker)));
    expect(await inbound(web, victim.chatId)).toBe(before);
    // A client can no longer pick its own chat id.
    await expectUnauthorized(await post(web, "my-own-chat", { text: "Halo" }));
    expect(await inbound(web, "my-own-chat")).toBe(0);
  });

  it("drops a NUL character from a message's text and refuses one in an id, instead of failing", async () => {
    const chat = await newSession(web);
    expect((await post(web, chat.chatId, { text: "Ha\u0000lo" }, bearer(chat))).status).toBe(202);
    const stored = await web.database.prisma.message.findFirstOrThrow({
      where: { chatId: chat.chatId, direction: "inbound" },
    });
    expect(stored.text).toBe("Halo");
    expect((await post(web, chat.chatId, { choice: "yes\u0000" }, bearer(chat))).status).toBe(400);
    expect((await post(web, chat.chatId, { text: "a", clientMessageId: "m\u00001" }, bearer(chat))).status).toBe(400);
  });

  it("verifies a token in every web process and after a restart", async () => {
    const chat = await newSession(web);
    expect((await post(otherWeb, chat.chatId, { text: "Halo" }, bearer(chat))).status).toBe(202);
    await otherWeb.stop();
    const restarted = await site.start({ APP_ROLE: "web" });
    const res = await read(restarted, chat.chatId, bearer(chat), "after=0&wait=30");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { messages: BotMessage[] }).messages.length).toBeGreaterThan(0);
    otherWeb = restarted;
  });
});

describe("the chat page's cookie and policy", () => {
  const site = testInstallation("sqlite");
  let app: App;
  /** Headers a browser sends with the page's own fetch. */
  let fromPage: Record<string, string>;

  beforeAll(async () => {
    await site.prepare();
    // Behind a proxy that terminates https (TRUST_PROXY), as in production.
    app = await site.start({ TRUST_PROXY: "true" });
    fromPage = { "content-type": "application/json", "sec-fetch-site": "same-origin" };
  });
  afterAll(() => site.stop());

  async function openPage(
    headers: Record<string, string> = {},
  ): Promise<{ chatId: string; cookie: string; raw: string }> {
    const res = await fetch(`${app.url}/chat/session`, {
      method: "POST",
      headers: { ...fromPage, ...headers },
      body: "{}",
    });
    expect(res.status).toBe(201);
    const raw = res.headers.get("set-cookie")!;
    const { chatId } = (await res.json()) as { chatId: string };
    return { chatId, cookie: raw.split(";")[0]!, raw };
  }

  it("gives a browser its chat in a signed, HttpOnly, SameSite cookie, Secure behind an https proxy", async () => {
    const page = await openPage();
    expect(page.raw).toMatch(/^sapa_chat=web-[\w-]+\.[\w+/%-]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(page.raw).not.toMatch(/Secure/);
    const behindHttps = await openPage({ "x-forwarded-proto": "https" });
    expect(behindHttps.raw).toMatch(/; Secure/);
    // The same chat again with the cookie; a new one when asked.
    const again = await fetch(`${app.url}/chat/session`, {
      method: "POST",
      headers: { ...fromPage, cookie: page.cookie },
      body: "{}",
    });
    expect(((await again.json()) as { chatId: string }).chatId).toBe(page.chatId);
    const fresh = await fetch(`${app.url}/chat/session`, {
      method: "POST",
      headers: { ...fromPage, cookie: page.cookie },
      body: JSON.stringify({ new: true }),
    });
    expect(((await fresh.json()) as { chatId: string }).chatId).not.toBe(page.chatId);

    expect((await post(app, page.chatId, { text: "Halo" }, { ...fromPage, cookie: page.cookie })).status).toBe(202);
    expect((await read(app, page.chatId, { cookie: page.cookie })).status).toBe(200);
    // The cookie of one chat opens no other; an altered cookie opens nothing.
    const other = await openPage();
    await expectUnauthorized(await read(app, other.chatId, { cookie: page.cookie }));
    const forged = `sapa_chat=${other.chatId}.${page.cookie.split(".").slice(1).join(".")}`;
    await expectUnauthorized(await read(app, other.chatId, { cookie: forged }));
  });

  it("refuses a cookie-carrying POST that another site's page or form could make", async () => {
    const page = await openPage();
    const cookie = { cookie: page.cookie };
    const attempts = [
      { "content-type": "application/json", "sec-fetch-site": "cross-site", ...cookie },
      { "content-type": "application/json", "sec-fetch-site": "same-site", ...cookie },
      { "content-type": "application/json", origin: "https://evil.example", ...cookie },
      { "content-type": "text/plain", "sec-fetch-site": "same-origin", ...cookie },
      // Neither Sec-Fetch-Site nor Origin: not from a browser's page.
      { "content-type": "application/json", ...cookie },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${app.url}/api/webchat/${page.chatId}/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify({ text: "hapus data saya" }),
      });
      expect(res.status).toBe(403);
    }
    expect(await inbound(app, page.chatId)).toBe(0);
    const session = await fetch(`${app.url}/chat/session`, {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-site": "cross-site" },
      body: "{}",
    });
    expect(session.status).toBe(403);
  });

  it("serves /chat with a policy: framed by this site only, and only its own script and style run", async () => {
    const res = await fetch(`${app.url}/chat`);
    const policy = res.headers.get("content-security-policy")!;
    expect(policy).toContain("frame-ancestors 'self'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).toMatch(/script-src 'sha256-[\w+/]+=*'/);
    expect(policy).toMatch(/style-src 'sha256-[\w+/]+=*'/);
    expect(policy).not.toContain("unsafe-inline");
  });
});

describe("flooding the web chat", () => {
  const site = testInstallation("sqlite");
  let app: App;
  // The numbers as documented, in windows of an hour: a slow machine (the turns of the accepted
  // messages block SQLite) must not see a window end in the middle of a test.
  const hour = 3600;
  const limits: WebChatLimits = {
    messagesPerChat: { ...webChatLimits.messagesPerChat, seconds: hour },
    messagesPerAddress: { ...webChatLimits.messagesPerAddress, seconds: hour },
    readsPerAddress: { ...webChatLimits.readsPerAddress, seconds: hour },
    newChatsPerAddress: { ...webChatLimits.newChatsPerAddress, seconds: hour },
    concurrentPollsPerAddress: webChatLimits.concurrentPollsPerAddress,
  };

  beforeAll(async () => {
    await site.prepare();
    // Each test comes from an address of its own, through the proxy's X-Forwarded-For.
    app = await site.start({ TRUST_PROXY: "true" }, { webChatLimits: limits });
  });
  afterAll(() => site.stop());

  const from = (address: string) => ({ "x-forwarded-for": address });

  function expectTooMany(res: Response, atMostSeconds: number): void {
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(atMostSeconds);
  }

  it("refuses the 21st message on one chat in its window with 429 and Retry-After; another chat goes on", async () => {
    const address = from("198.51.100.1");
    const chat = await newSession(app, address);
    const { max, seconds } = limits.messagesPerChat;
    for (let i = 0; i < max; i++)
      expect((await post(app, chat.chatId, { text: `pesan ${i}` }, { ...bearer(chat), ...address })).status).toBe(202);
    const refused = await post(app, chat.chatId, { text: "satu lagi" }, { ...bearer(chat), ...address });
    expectTooMany(refused, seconds);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^Terlalu banyak permintaan/);
    const other = await newSession(app, address);
    expect((await post(app, other.chatId, { text: "Halo" }, { ...bearer(other), ...address })).status).toBe(202);
  });

  it("takes 20 of 300 messages sent at once to one chat", async () => {
    const address = from("198.51.100.2");
    const chat = await newSession(app, address);
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        post(app, chat.chatId, { text: `banjir ${i}` }, { ...bearer(chat), ...address }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(webChatLimits.messagesPerChat.max);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - webChatLimits.messagesPerChat.max);
    expect(answers.find((r) => r.status === 429)!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await inbound(app, chat.chatId)).toBe(webChatLimits.messagesPerChat.max);
  });

  it("limits new chats from one address (an IPv6 /64 counts as one), by script or by page", async () => {
    const { max, seconds } = limits.newChatsPerAddress;
    const answers = await Promise.all(
      Array.from({ length: max + 40 }, (_, i) =>
        fetch(`${app.url}/api/webchat/sessions`, {
          method: "POST",
          headers: from(`2001:db8:5:6:${(i + 1).toString(16)}::1`),
        }),
      ),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(max);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(40);
    expectTooMany(refused[0]!, seconds);
    // The page's way to a new chat counts the same.
    const page = await fetch(`${app.url}/chat/session`, {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", ...from("2001:db8:5:6::99") },
      body: "{}",
    });
    expectTooMany(page, seconds);
    // Another network is not held back.
    await newSession(app, from("2001:db8:5:7::1"));
  });

  it("limits messages from one address however many chats they are spread over", async () => {
    const address = from("198.51.100.4");
    const { max, seconds } = limits.messagesPerAddress;
    const perChat = webChatLimits.messagesPerChat.max;
    const chats = await Promise.all(Array.from({ length: max / perChat + 1 }, () => newSession(app, address)));
    const last = chats.pop()!;
    await Promise.all(
      chats.map(async (chat) => {
        for (let i = 0; i < perChat; i++)
          expect((await post(app, chat.chatId, { text: `pesan ${i}` }, { ...bearer(chat), ...address })).status).toBe(
            202,
          );
      }),
    );
    // A fresh chat, unused so far, still counts against the address.
    expectTooMany(await post(app, last.chatId, { text: "Halo" }, { ...bearer(last), ...address }), seconds);
    expect(await inbound(app, last.chatId)).toBe(0);
  });

  it("caps the idle long polls one address keeps open, and frees a slot when a client goes away", async () => {
    const address = from("198.51.100.5");
    const chat = await newSession(app, address);
    const cap = webChatLimits.concurrentPollsPerAddress;
    const clients = Array.from({ length: cap + 20 }, () => new AbortController());
    const answered: Response[] = [];
    const polls = clients.map((client) =>
      fetch(`${app.url}/api/webchat/${chat.chatId}/messages?after=0&wait=30`, {
        headers: { ...bearer(chat), ...address },
        signal: client.signal,
      }).then(
        (res) => void answered.push(res),
        (err: unknown) => err as Error,
      ),
    );
    // Those over the cap are answered at once; the others wait for a message that never comes.
    await waitFor(() => answered.length >= 20, 20_000, "the polls over the cap to be refused");
    for (const res of answered) expectTooMany(res, 30);
    // A hundred polls waiting, and the process listens on one Redis connection for all of them
    // (it subscribes when the first poll starts waiting, which may come after the refusals).
    const listening = async () =>
      ((await app.redis.pubsub("NUMSUB", `${app.config.redis.prefix}:webchat:sent`)) as [string, number])[1];
    await waitFor(async () => (await listening()) > 0, 10_000, "the process to listen for sent messages");
    expect(await listening()).toBe(1);
    clients.forEach((c) => c.abort());
    const outcomes = await Promise.all(polls);
    expect(answered).toHaveLength(20);
    expect(outcomes.filter((o) => o instanceof Error)).toHaveLength(cap);
    // The clients that went away gave their slots back: a new poll waits (and ends) normally.
    await waitFor(
      async () => (await read(app, chat.chatId, { ...bearer(chat), ...address }, "after=0&wait=0.1")).status === 200,
      10_000,
      "a slot to be free again",
    );
  });

  it("hears across processes: a send published by one process wakes a listener in another", async () => {
    const prefix = testPrefix();
    const logger = createLogger({ level: "silent" });
    const [a, b] = [connectRedis(), connectRedis()];
    const here = new ChatSignals(a, prefix, logger);
    const there = new ChatSignals(b, prefix, logger);
    try {
      const heard = new Promise<void>((resolve) => here.listen("web", "chat-1", resolve));
      await here.ready();
      there.notify("web", "chat-1");
      await heard;
    } finally {
      here.close();
      there.close();
      a.disconnect();
      b.disconnect();
    }
  });
});
