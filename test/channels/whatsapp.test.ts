import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createBot, type Bot } from "../../src/bot.js";
import { SendError, type ChannelHooks } from "../../src/channels/channel.js";
import { createWhatsAppAdapter, type WhatsAppAdapter, type WhatsAppOptions } from "../../src/channels/whatsapp.js";
import { createWhatsAppClient } from "../../src/channels/whatsapp-client.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { createLogger } from "../../src/logger.js";
import type { InboundMessage } from "../../src/runtime/inbound-message.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { FakeWhatsApp, type IncomingOptions } from "../support/fake-whatsapp.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A logger whose JSON lines the test can read. */
function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

describe("the WhatsApp adapter", () => {
  let adapter: WhatsAppAdapter | undefined;
  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    vi.restoreAllMocks();
  });

  const received: InboundMessage[] = [];
  const hooks: ChannelHooks = {
    inbound: async (message) => void received.push(message),
    delivery: async () => {},
  };

  function startAdapter(options: Partial<WhatsAppOptions> = {}) {
    const fake = new FakeWhatsApp();
    const log = capturingLogger();
    adapter = createWhatsAppAdapter({
      createClient: fake.createClient,
      logger: log.logger,
      printQr: false,
      reconnect: { initialMs: 20, maxMs: 100 },
      ...options,
    });
    return { fake, log, adapter };
  }

  it("goes from connecting to waiting for a QR code (printed in the terminal, never logged) to ready", async () => {
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const { fake, log, adapter } = startAdapter({ printQr: true });
    expect(adapter.status()).toMatchObject({ state: "disconnected", detail: "not started" });
    await adapter.start(hooks);
    expect(fake.clients).toHaveLength(1);
    expect(fake.current.initialized).toBe(true);
    expect(adapter.status().state).toBe("connecting");

    const qr = fake.current.qr();
    const waiting = adapter.status();
    expect(waiting).toMatchObject({ state: "waiting_for_qr", qr });
    expect(waiting.detail).toContain("Link a device");
    await waitFor(() => write.mock.calls.length > 0, 5_000, "the QR code in the terminal");
    const printed = String(write.mock.calls[0]![0]);
    expect(printed).toContain("Pindai kode QR ini di WhatsApp: Perangkat tertaut > Tautkan perangkat");
    expect(printed).toMatch(/[▀▄█]/);

    // A new code replaces the old one; the state did not change, so neither does `since`.
    const next = fake.current.qr();
    expect(adapter.status()).toMatchObject({ state: "waiting_for_qr", qr: next, since: waiting.since });

    fake.current.ready();
    const ready = adapter.status();
    expect(ready.state).toBe("ready");
    expect(ready.qr).toBeUndefined();
    expect(ready.since.getTime()).toBeGreaterThanOrEqual(waiting.since.getTime());
    expect(log.lines.join("\n")).not.toContain(qr);
    expect(log.lines.join("\n")).not.toContain(next);
  });

  it("starts a new client after a disconnect, backing off while starts fail, and quickly again once ready", async () => {
    const { fake, log, adapter } = startAdapter({ reconnect: { initialMs: 40, maxMs: 150 } });
    await adapter.start(hooks);
    const first = fake.current;
    first.ready();

    fake.failInitialize(2);
    first.disconnect("NAVIGATION");
    expect(adapter.status()).toMatchObject({ state: "disconnected", detail: "disconnected: WhatsApp Web reloaded" });
    await expect(adapter.send("6281234567890@c.us", { text: "halo" })).rejects.toMatchObject({
      permanent: false,
      retryAfterMs: 5_000,
    });
    await waitFor(() => fake.clients.length === 4 && fake.clients[3]!.initialized, 5_000, "three restarts");
    expect(fake.clients.slice(0, 3).map((c) => c.destroyed)).toEqual([true, true, true]);
    expect(adapter.status().state).toBe("connecting");
    fake.current.ready();
    expect(adapter.status().state).toBe("ready");

    fake.current.disconnect("CONFLICT");
    expect(adapter.status().detail).toBe("disconnected: WhatsApp Web was opened elsewhere");
    await waitFor(() => fake.clients.length === 5 && fake.clients[4]!.initialized, 5_000, "a fourth restart");

    // 40 ms doubling up to 150 ms, each with up to 10% jitter; back to 40 ms after "ready".
    const delays = log
      .records()
      .filter((r) => r.msg === "WhatsApp reconnect scheduled")
      .map((r) => r.delayMs as number);
    expect(delays).toHaveLength(4);
    const bases = [40, 80, 150, 40];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(bases[i]!);
      expect(d).toBeLessThanOrEqual(Math.ceil(bases[i]! * 1.1));
    });
  });

  it("starts a fresh client at once after a logout, for a new QR code, also when the dashboard logs out", async () => {
    const { fake, log, adapter } = startAdapter({ reconnect: { initialMs: 60_000 } });
    await adapter.start(hooks);
    const first = fake.current;
    first.ready();
    first.disconnect("LOGOUT");
    expect(adapter.status().state).toBe("disconnected");
    expect(adapter.status().detail).toMatch(/logged out on the phone; scan the new QR code/);
    await waitFor(() => fake.clients.length === 2 && fake.clients[1]!.initialized, 2_000, "a fresh client");
    expect(first).toMatchObject({ loggedOut: true, destroyed: true });
    expect(log.lines.join("\n")).toContain("a new QR code scan is needed");
    const qr = fake.current.qr();
    expect(adapter.status()).toMatchObject({ state: "waiting_for_qr", qr });

    fake.current.ready();
    await adapter.whatsapp.logout();
    expect(fake.clients[1]).toMatchObject({ loggedOut: true, destroyed: true });
    expect(fake.clients).toHaveLength(3);
    expect(fake.current.initialized).toBe(true);
    expect(adapter.status().state).toBe("connecting");
    fake.current.qr();
    expect(adapter.status().state).toBe("waiting_for_qr");
  });

  it("clears Chromium's in-use marks a dead worker on another host left in the shared session folder, not a live one's", () => {
    const sessionDir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-wa-session-"));
    try {
      const profile = path.join(sessionDir, "session");
      fs.mkdirSync(path.join(profile, "Default"), { recursive: true });
      fs.writeFileSync(path.join(profile, "Default", "Preferences"), "{}");
      // As Chromium leaves them: links to names that mean something only on the other host.
      fs.symlinkSync("worker-1-7781", path.join(profile, "SingletonLock"));
      fs.symlinkSync("8841957264613", path.join(profile, "SingletonCookie"));
      fs.symlinkSync("/tmp/.org.chromium.Chromium.x/SingletonSocket", path.join(profile, "SingletonSocket"));
      // Making the client (it is started only by the lease holder) clears them; the login stays.
      createWhatsAppClient({ sessionDir, chromiumPath: "/usr/bin/chromium" });
      expect(fs.readdirSync(profile)).toEqual(["Default"]);
      expect(fs.readFileSync(path.join(profile, "Default", "Preferences"), "utf8")).toBe("{}");

      // Marks of a Chromium of this host that is still running (here: this test's own process)
      // stay: Chromium then refuses the profile, rightly.
      fs.symlinkSync(`${os.hostname()}-${process.pid}`, path.join(profile, "SingletonLock"));
      createWhatsAppClient({ sessionDir, chromiumPath: "/usr/bin/chromium" });
      expect(fs.readdirSync(profile).sort()).toEqual(["Default", "SingletonLock"]);
    } finally {
      fs.rmSync(sessionDir, { recursive: true, force: true });
    }
  });

  it("does not reconnect after stop", async () => {
    const { fake, adapter } = startAdapter({ reconnect: { initialMs: 100 } });
    await adapter.start(hooks);
    fake.current.ready();
    fake.current.disconnect("TIMEOUT");
    await sleep(10);
    await adapter.stop();
    // Real time: the reconnect was due 100 ms after the disconnect; three times that has passed.
    await sleep(300);
    expect(fake.clients).toHaveLength(1);
    expect(fake.current.destroyed).toBe(true);
    expect(adapter.status()).toMatchObject({ state: "disconnected", detail: "stopped" });
    // Events of the old client no longer count.
    fake.current.ready();
    fake.current.incoming("6281234567890", "halo");
    expect(adapter.status().state).toBe("disconnected");
  });

  it("turns WhatsApp messages into inbound messages, with the number from the id or the contact", async () => {
    received.length = 0;
    const { fake, adapter } = startAdapter();
    await adapter.start(hooks);
    const c = fake.current;
    c.ready();
    const text = c.incoming("6281234567890", "Halo", { timestamp: 1_800_000_000 });
    const lid = c.incoming("123456789012345@lid", "Halo", { lidNumber: "6281299998888", pushname: "Sari" });
    const lidOnly = c.incoming("555555555555555@lid", "Halo");
    await waitFor(() => received.length === 3, 2_000, "three messages");
    expect(received[0]).toEqual({
      channel: "whatsapp",
      chatId: "6281234567890@c.us",
      senderId: "6281234567890@c.us",
      platformMessageId: text.id._serialized,
      receivedAt: new Date(1_800_000_000_000),
      text: "Halo",
      senderPhone: "+6281234567890",
    });
    expect(received[1]).toMatchObject({
      chatId: "123456789012345@lid",
      senderId: "123456789012345@lid",
      platformMessageId: lid.id._serialized,
      senderPhone: "+6281299998888",
      displayName: "Sari",
    });
    expect(received[2]!.senderPhone).toBeUndefined();
    expect(received[2]!.platformMessageId).toBe(lidOnly.id._serialized);
    // The contact is looked up only for @lid senders.
    expect(fake.contactLookups).toBe(2);

    received.length = 0;
    const kinds: [string, string, Partial<InboundMessage>][] = [
      ["sticker", "", { media: "sticker" }],
      ["image", "foto produk", { media: "photo" }],
      ["ptt", "", { media: "voice" }],
      ["audio", "", { media: "voice" }],
      ["video", "", { media: "video" }],
      ["document", "", { media: "document" }],
      ["location", "", { media: "location" }],
      ["list_response", "Jadwal saya", { text: "Jadwal saya" }],
      ["unknown", "", { media: "other" }],
    ];
    for (const [type, body] of kinds) c.incoming("6281234567890", body, { type });
    c.incoming("6281234567890", "", { type: "e2e_notification" });
    // A text after the notification: once it is in, the notification was handled (and left out).
    c.incoming("6281234567890", "penanda");
    await waitFor(() => received.at(-1)?.text === "penanda", 2_000, "the media messages and the marker");
    expect(received).toHaveLength(kinds.length + 1);
    received.pop();
    kinds.forEach(([, , expected], i) => {
      expect(received[i]).toMatchObject(expected);
      if (expected.media) expect(received[i]!.text).toBeUndefined();
    });
  });

  it("logs a message that fails, masked, and goes on with the next", async () => {
    const { fake, log, adapter } = startAdapter();
    let calls = 0;
    await adapter.start({
      inbound: async (message) => {
        if (++calls === 1) throw new Error(`database is locked while storing ${message.senderPhone}`);
      },
      delivery: async () => {},
    });
    fake.current.ready();
    fake.current.incoming("6281234567890", "rahasia pribadi");
    fake.current.incoming("6281234567890", "lagi");
    await waitFor(() => calls === 2, 2_000, "both messages");
    const failure = log.records().find((r) => r.msg === "handling a WhatsApp message failed");
    expect(failure).toBeDefined();
    const all = log.lines.join("\n");
    expect(all).not.toContain("6281234567890");
    expect(all).not.toContain("rahasia");
    expect(adapter.status().state).toBe("ready");
  });

  it("sends choices as a numbered list, splits long text, and sorts send errors into permanent and transient", async () => {
    const { fake, adapter } = startAdapter();
    await adapter.start(hooks);
    const notReady = await adapter.send("6281234567890@c.us", { text: "halo" }).catch((e: unknown) => e);
    expect(notReady).toBeInstanceOf(SendError);
    expect(notReady).toMatchObject({
      message: "WhatsApp is not connected (connecting)",
      permanent: false,
      retryAfterMs: 5_000,
    });
    fake.current.ready();

    const chat = "6281234567890@c.us";
    const result = await adapter.send(chat, {
      text: "Sudah benar?",
      choices: [
        { id: "yes", label: "Ya, simpan" },
        { id: "fix", label: "Ada yang perlu diubah" },
      ],
      requestPhone: true,
    });
    expect(fake.sentTo(chat)).toEqual(["Sudah benar?\n\n1. Ya, simpan\n2. Ada yang perlu diubah"]);
    expect(result).toEqual({ platformMessageId: fake.sent[0]!.id });

    const long = `${"Paragraf pertama. ".repeat(150).trim()}\n\n${"Paragraf kedua. ".repeat(150).trim()}`;
    const split = await adapter.send(chat, { text: long });
    const parts = fake.sent.slice(1);
    expect(parts.map((p) => p.text)).toEqual([
      "Paragraf pertama. ".repeat(150).trim(),
      "Paragraf kedua. ".repeat(150).trim(),
    ]);
    expect(split).toEqual({ platformMessageId: parts[1]!.id });

    const sendError = () =>
      adapter.send(chat, { text: "x" }).then(
        () => null,
        (err: unknown) => err,
      );
    fake.failSend(new Error("Evaluation failed: Error: wid error: invalid wid"), 1);
    expect(await sendError()).toMatchObject({ permanent: true });
    fake.failSend("No LID for user", 1);
    expect(await sendError()).toMatchObject({ permanent: true });
    fake.failSend(new Error("Protocol error (Runtime.callFunctionOn): Target closed."), 1);
    expect(await sendError()).toMatchObject({ permanent: false, name: "SendError" });
    expect(await adapter.send(chat, { text: "lagi" })).toEqual({ platformMessageId: fake.sent.at(-1)!.id });
  });
});

describe.each(providers)("WhatsApp through the bot on %s", (provider) => {
  let db: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let bot: Bot;
  let fake: FakeWhatsApp;
  let adapter: WhatsAppAdapter;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    await seedDatabase(db.prisma);
    redis = connectRedis();
    prefix = testPrefix();
    fake = new FakeWhatsApp();
    const logger = createLogger({ level: "silent" });
    adapter = createWhatsAppAdapter({
      createClient: fake.createClient,
      logger,
      printQr: false,
      reconnect: { initialMs: 50, maxMs: 200 },
      // Short, so the test sees a reply held back while disconnected go out soon after "ready".
      notReadyRetryMs: 300,
    });
    bot = await createBot({
      database: db,
      redis,
      queuePrefix: prefix,
      logger,
      channels: { whatsapp: adapter },
      conversationTtlHours: 24,
      defaultLanguage: "id",
    });
    fake.current.qr();
    fake.current.ready();
  });

  afterAll(async () => {
    await bot?.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      await redis.quit();
    }
    await db?.destroy();
  });

  const chatOf = (from: string) => (from.includes("@") ? from : `${from}@c.us`);

  /** The participant writes; resolves with the bot's replies once all of them went out. */
  async function say(from: string, body: string, options?: IncomingOptions): Promise<string[]> {
    const chatId = chatOf(from);
    const before = fake.sent.length;
    const message = fake.current.incoming(from, body, options);
    await waitFor(
      async () => {
        const stored = await db.prisma.message.count({
          where: { channel: "whatsapp", platformMessageId: message.id._serialized },
        });
        const waiting = await db.prisma.outboxItem.count({
          where: { channel: "whatsapp", chatId, status: { in: ["pending", "sending"] } },
        });
        return stored === 1 && waiting === 0;
      },
      10_000,
      `the replies to "${body}"`,
    );
    return fake.sent.slice(before).flatMap((s) => (s.chatId === chatId ? [s.text] : []));
  }

  const participantOf = (chatId: string) =>
    db.prisma.channelIdentity.findFirstOrThrow({
      where: { channel: "whatsapp", chatId },
      include: { participant: true },
    });

  it("lets a participant register and enroll by typing numbers, with the phone number from WhatsApp", async () => {
    const from = "6281234560001";
    const all: string[] = [];
    const step = async (body: string) => {
      const replies = await say(from, body);
      all.push(...replies);
      return replies;
    };
    const consent = await step("Halo");
    expect(consent).toHaveLength(2);
    expect(consent[0]).toMatch(/^Selamat datang di Sapa IKM/);
    expect(consent[1]).toMatch(
      /Apakah Anda setuju\?\n\n1\. Ya, saya setuju\n2\. Tidak setuju\n3\. Lihat pelatihan dulu$/,
    );
    expect(await step("1")).toEqual(["Siapa nama lengkap Anda?"]);
    expect(await step("Budi Santoso")).toEqual(["Apa nama usaha Anda?"]);
    const sectors = await step("Lada Jaya");
    expect(sectors).toEqual([
      "Apa bidang usaha Anda?\n\n1. Lada (pengolahan lada)\n2. Konveksi (garmen)\n3. Reparasi AC\n4. Lainnya",
    ]);
    expect((await step("1"))[0]).toContain("\n4. Kabupaten Bangka Tengah\n");
    // WhatsApp gives the number: no question about it.
    expect((await step("4"))[0]).toMatch(/^Apakah usaha Anda sudah punya NIB/);
    const summary = await step("2");
    expect(summary[0]).toContain("Nomor HP: 0812-3456-0001");
    const saved = await step("1");
    expect(saved[0]).toBe(
      "Terima kasih, Budi Santoso! Pendaftaran Anda sudah tersimpan. Sekarang Anda bisa memilih pelatihan.",
    );
    expect(saved[1]).toMatch(/^Menu utama\. Silakan pilih:\n\n1\. Daftar pelatihan\n2\. Jadwal saya/);
    const programmes = await step("1");
    expect(programmes[0]).toMatch(/^Pelatihan yang tersedia\. Silakan pilih:\n\n1\. Diversifikasi Produk Lada/);
    const sessions = await step("1");
    expect(sessions[0]).toMatch(/^\*Diversifikasi Produk Lada\*/);
    // The options put the day first: it tells two sessions of a programme apart.
    expect(sessions.at(-1)).toMatch(/\n1\. \d+ \w+ · Gedung Serbaguna Koba\n/);
    expect((await step("1"))[0]).toMatch(/^Anda akan mendaftar di:/);
    const done = await step("1");
    expect(done[0]).toMatch(/^✅ Anda terdaftar di \*Diversifikasi Produk Lada\*/);

    // Every reply went out, in order, and none twice.
    expect(fake.sentTo(chatOf(from))).toEqual(all);
    const identity = await participantOf(chatOf(from));
    expect(identity.participant).toMatchObject({ name: "Budi Santoso", phone: "6281234560001" });
    expect(
      await db.prisma.enrollment.count({ where: { participantId: identity.participantId!, status: "enrolled" } }),
    ).toBe(1);
  });

  it("takes the number of an @lid sender from their contact, and asks for it when the contact has none", async () => {
    const lid = "123456789012345@lid";
    const known: IncomingOptions = { lidNumber: "6281299998888", pushname: "Sari" };
    for (const answer of ["halo", "1", "Sari Dewi", "Kopi Sari", "1"]) await say(lid, answer, known);
    expect((await say(lid, "4", known))[0]).toMatch(/^Apakah usaha Anda sudah punya NIB/);
    expect((await say(lid, "2", known))[0]).toContain("Nomor HP: 0812-9999-8888");
    await say(lid, "1", known);
    expect((await participantOf(lid)).participant).toMatchObject({ name: "Sari Dewi", phone: "6281299998888" });

    const hidden = "987654321098765@lid";
    for (const answer of ["halo", "1", "Andi", "Usaha Andi", "1"]) await say(hidden, answer);
    expect(await say(hidden, "4")).toEqual(["Berapa nomor HP Anda? Contoh: 081234567890"]);
  });

  it("moves a sent message to delivered and read on WhatsApp's receipts, never backwards", async () => {
    const chatId = chatOf("6281234560002");
    await say(chatId, "halo");
    const [first, second] = fake.sent.filter((s) => s.chatId === chatId);
    const statusOf = async (id: string) =>
      (await db.prisma.message.findFirstOrThrow({ where: { channel: "whatsapp", platformMessageId: id } })).status;
    expect(await statusOf(second!.id)).toBe("sent");

    fake.current.ack(second!.id, 0);
    fake.current.ack(second!.id, 2);
    await waitFor(async () => (await statusOf(second!.id)) === "delivered", 5_000, "delivered");
    fake.current.ack(second!.id, 3);
    await waitFor(async () => (await statusOf(second!.id)) === "read", 5_000, "read");
    fake.current.ack(second!.id, 2);
    fake.current.ack(second!.id, 1);
    fake.current.ack(first!.id, -1);
    await waitFor(async () => (await statusOf(first!.id)) === "failed", 5_000, "failed");
    // Each receipt is recorded on its own (not in order): give the two late ones a moment to land.
    await sleep(100);
    expect(await statusOf(second!.id)).toBe("read");
  });

  it("ignores groups, status updates, channels and its own messages: nothing stored, nothing sent", async () => {
    const ignored = [
      fake.current.incoming("120363012345678901@g.us", "halo semua", { author: "6281200000009@c.us" }),
      fake.current.incoming("status@broadcast", "status saya", { isStatus: true, author: "6281200000009@c.us" }),
      fake.current.incoming("120363000000000001@newsletter", "kabar terbaru"),
      fake.current.incoming("6281200000010", "halo", { fromMe: true }),
      fake.current.incoming("6281200000012", "", { type: "e2e_notification" }),
    ];
    // A message after them is answered: the ones before were passed over, not pending.
    expect((await say("6281200000011", "halo"))[0]).toMatch(/^Selamat datang/);
    const chats = ignored.map((m) => m.from);
    expect(await db.prisma.message.count({ where: { chatId: { in: chats } } })).toBe(0);
    expect(await db.prisma.channelIdentity.count({ where: { chatId: { in: chats } } })).toBe(0);
    expect(fake.sent.filter((s) => chats.includes(s.chatId))).toEqual([]);
  });

  it("answers a sticker with a note and the same question, keeping the participant's place", async () => {
    const from = "6281234560003";
    await say(from, "halo");
    await say(from, "1");
    expect(await say(from, "", { type: "sticker" })).toEqual([
      "Maaf, saya hanya bisa membaca pesan teks dan pilihan. Silakan balas dengan mengetik.",
      "Siapa nama lengkap Anda?",
    ]);
    expect(await say(from, "Rina Wati")).toEqual(["Apa nama usaha Anda?"]);
  });

  it("keeps a reply written while the connection is down, and sends it once WhatsApp is ready again", async () => {
    const from = "6281234560004";
    const chatId = chatOf(from);
    const send = vi.spyOn(adapter, "send");
    const old = fake.current;
    const count = fake.clients.length;
    old.incoming(from, "halo");
    old.disconnect("NAVIGATION");
    expect(adapter.status().state).toBe("disconnected");
    await waitFor(() => fake.clients.length === count + 1 && fake.current.initialized, 5_000, "a new client");
    expect(old.destroyed).toBe(true);
    // The outbox tried, was told to wait, and keeps the replies.
    await waitFor(() => send.mock.settledResults.some((r) => r.type === "rejected"), 10_000, "a refused send");
    expect(send.mock.settledResults.find((r) => r.type === "rejected")!.value).toMatchObject({
      message: expect.stringMatching(/^WhatsApp is not connected/),
      permanent: false,
    });
    expect(fake.sentTo(chatId)).toEqual([]);
    // Given back to pending once the worker has heard the refusal (a moment after the send settles).
    const statuses = async () => (await db.prisma.outboxItem.findMany({ where: { chatId } })).map((o) => o.status);
    await waitFor(async () => (await statuses()).every((s) => s === "pending"), 5_000, "the replies pending again");
    expect(await statuses()).toEqual(["pending", "pending"]);

    fake.current.ready();
    await waitFor(() => fake.sentTo(chatId).length === 2, 10_000, "the replies after reconnecting");
    expect(fake.sentTo(chatId)[0]).toMatch(/^Selamat datang/);
    expect(fake.sentTo(chatId)[1]).toMatch(/Apakah Anda setuju\?/);
    expect(fake.current.sent.map((s) => s.chatId)).toEqual([chatId, chatId]);
    expect(bot.channelStatus().whatsapp!.state).toBe("ready");
    send.mockRestore();
  });
});
