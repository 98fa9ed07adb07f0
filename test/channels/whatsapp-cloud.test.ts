/**
 * The WhatsApp Cloud API adapter against the fake Cloud API: rendering (buttons, lists, numbered
 * lists, long texts), documents, templates, and what each of Meta's errors becomes; the webhook's
 * parsing (each message type, statuses, bodies for another number or of the wrong shape) and its
 * signature and subscription checks. No database: the adapter talks HTTP only.
 */
import crypto from "node:crypto";
import http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SendError } from "../../src/channels/channel.js";
import {
  CloudApiError,
  CloudWebhookError,
  cloudSendError,
  createWhatsAppCloudAdapter,
  parseCloudWebhook,
  renderForWhatsAppCloud,
  templateParameter,
  textParts,
  verifyCloudSignature,
  verifySubscription,
  type CloudWebhook,
  type WhatsAppCloudAdapter,
} from "../../src/channels/whatsapp-cloud.js";
import type { WhatsAppCloudConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { startFakeWhatsAppCloud, type FakeWhatsAppCloud } from "../support/fake-whatsapp-cloud.js";

const person = "6281234567890";
const logger = createLogger({ level: "silent" });

function configFor(fake: FakeWhatsAppCloud, overrides: Partial<WhatsAppCloudConfig> = {}): WhatsAppCloudConfig {
  return {
    accessToken: fake.accessToken,
    phoneNumberId: fake.phoneNumberId,
    appSecret: fake.appSecret,
    verifyToken: "verify-token-123",
    apiRoot: fake.url,
    apiVersion: "v23.0",
    perSecond: 80,
    dailyLimit: null,
    price: { utility: null, marketing: null },
    ...overrides,
  };
}

/** A stand-in for the bot's webhook route: checks each signature, then parses the body. */
async function startReceiver(fake: FakeWhatsAppCloud) {
  const parsed: CloudWebhook[] = [];
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      if (!verifyCloudSignature(raw, req.headers["x-hub-signature-256"], fake.appSecret)) {
        refused.push("signature");
        res.writeHead(401).end();
        return;
      }
      try {
        parsed.push(parseCloudWebhook(JSON.parse(raw.toString("utf8")), fake.phoneNumberId));
        res.writeHead(200).end();
      } catch (err) {
        refused.push((err as Error).name);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/whatsapp/webhook`,
    parsed,
    refused,
    messages: () => parsed.flatMap((p) => p.messages),
    statuses: () => parsed.flatMap((p) => p.statuses),
    ignored: () => parsed.flatMap((p) => p.ignored),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The SendError a promise rejects with. */
async function sendError(promise: Promise<unknown>): Promise<SendError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SendError);
  return err as SendError;
}

const choices = (...labels: string[]) => labels.map((label, i) => ({ id: `c${i + 1}@q1`, label }));

describe("the WhatsApp Cloud API adapter", () => {
  let fake: FakeWhatsAppCloud;
  let adapter: WhatsAppCloudAdapter;
  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud();
    adapter = createWhatsAppCloudAdapter({ cloud: configFor(fake), logger });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    expect(fake.internalErrors).toEqual([]);
    fake.sent.length = 0;
  });

  it("describes itself as a WhatsApp channel with buttons, documents and a 24-hour window", () => {
    expect(adapter).toMatchObject({ name: "whatsapp", buttons: true, documents: true, serviceWindowHours: 24 });
    expect(adapter.status().state).toBe("ready");
  });

  it("sends text in WhatsApp's formatting and returns the wamid", async () => {
    const result = await adapter.send(person, { text: "Halo *Budi*, sesi _besok_ pukul 09.00" });
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({ to: person, type: "text", text: "Halo *Budi*, sesi _besok_ pukul 09.00" });
    expect(result.platformMessageId).toBe(fake.sent[0]!.id);
    expect(result.platformMessageId).toMatch(/^wamid\./);
  });

  it("sends to the chat id a linked phone used for the same person (6281...@c.us) as to their wa_id", async () => {
    await adapter.send(`${person}@c.us`, { text: "Halo lagi" });
    expect(fake.sent.at(-1)).toMatchObject({ to: person, text: "Halo lagi" });
  });

  it("sends up to three short choices as reply buttons whose ids are the choice ids", async () => {
    await adapter.send(person, { text: "Apakah Anda hadir?", choices: choices("Ya, hadir", "Tidak bisa") });
    expect(fake.sent[0]).toMatchObject({
      type: "interactive",
      text: "Apakah Anda hadir?",
      buttons: [
        { id: "c1@q1", title: "Ya, hadir" },
        { id: "c2@q1", title: "Tidak bisa" },
      ],
    });
  });

  it("sends a list when a label passes 20 characters or there are more than three choices, within 24 and 10", async () => {
    const long = "Reparasi AC (Pangkal)"; // 21 characters
    await adapter.send(person, { text: "Pilih program", choices: choices(long, "Lada", "Konveksi") });
    expect(fake.sent[0]).toMatchObject({
      type: "interactive",
      listButton: "Pilih / Choose",
      rows: [
        { id: "c1@q1", title: long },
        { id: "c2@q1", title: "Lada" },
        { id: "c3@q1", title: "Konveksi" },
      ],
    });
    expect(fake.sent[0]!.buttons).toBeUndefined();

    const ten = Array.from({ length: 10 }, (_, i) => `Sesi ${i + 1}`);
    await adapter.send(person, { text: "Pilih sesi", choices: choices(...ten) });
    expect(fake.sent[1]!.rows).toHaveLength(10);

    // Two buttons may not share a title: a list may.
    await adapter.send(person, { text: "Pilih", choices: choices("Sama", "Sama") });
    expect(fake.sent[2]).toMatchObject({ rows: [{ title: "Sama" }, { title: "Sama" }] });
  });

  it("numbers the choices in the text when they fit neither buttons nor a list", async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `Sesi ${i + 1}`);
    await adapter.send(person, { text: "Pilih sesi:", choices: choices(...eleven) });
    const tooLong = "Diversifikasi produk lada X"; // 27 characters
    await adapter.send(person, { text: "Pilih program:", choices: choices(tooLong, "Konveksi") });
    expect(fake.sent.map((s) => s.type)).toEqual(["text", "text"]);
    expect(fake.sent[0]!.text).toContain("1. Sesi 1\n2. Sesi 2");
    expect(fake.sent[0]!.text).toContain("11. Sesi 11");
    expect(fake.sent[1]!.text).toBe(`Pilih program:\n\n1. ${tooLong}\n2. Konveksi`);
  });

  it("shows choice labels as plain text and puts the buttons' body in WhatsApp formatting", () => {
    const rendering = renderForWhatsAppCloud({ text: "Pilih *satu*", choices: [{ id: "a", label: "*Ya*" }] });
    expect(rendering).toEqual({
      parts: [],
      interactive: { kind: "buttons", body: "Pilih *satu*", choices: [{ id: "a", title: "Ya" }] },
    });
  });

  it("splits a long text, and sends a text over 1024 characters before its buttons, which get a short body", async () => {
    const paragraph = "Pelatihan ini membahas produksi dan pemasaran. ".repeat(20).trim(); // ~940
    const long = Array.from({ length: 6 }, () => paragraph).join("\n\n"); // ~5,650
    await adapter.send(person, { text: long });
    expect(fake.sent.map((s) => s.type)).toEqual(["text", "text"]);
    expect(fake.sent.every((s) => s.text.length <= 4096)).toBe(true);
    expect(fake.sent.map((s) => s.text).join("\n\n")).toBe(long);

    fake.sent.length = 0;
    const text = `${paragraph}\n\n${paragraph}`; // over 1024, under 4096
    const result = await adapter.send(person, { text, choices: choices("Ya", "Tidak") });
    expect(fake.sent.map((s) => s.type)).toEqual(["text", "interactive"]);
    expect(fake.sent[0]!.text).toBe(text);
    expect(fake.sent[1]!.text).toBe("Silakan pilih salah satu / Please choose one");
    expect(result.platformMessageId).toBe(fake.sent[1]!.id);
  });

  it("keeps each part within 4096 characters when WhatsApp's formatting markers make it longer", async () => {
    const bold = "*kata* ".repeat(700).trim(); // 3,499 characters a reader sees, 4,899 with the markers
    const parts = textParts(bold);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.join(" ")).toBe(bold);
    await adapter.send(person, { text: bold });
    expect(fake.sent.map((s) => s.text)).toEqual(parts);
  });

  it("uploads a document and sends it by media id, with a short text as its caption", async () => {
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x0d, 0x0a, 0x80]);
    const document = { fileName: "sertifikat-0001.pdf", mimeType: "application/pdf", bytes };
    const result = await adapter.send(person, { text: "Sertifikat *Anda*", document });
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({ type: "document", text: "Sertifikat *Anda*" });
    expect(fake.sent[0]!.document).toMatchObject({ fileName: "sertifikat-0001.pdf", mimeType: "application/pdf" });
    expect([...fake.sent[0]!.document!.bytes!]).toEqual([...bytes]);
    expect(result.platformMessageId).toBe(fake.sent[0]!.id);

    // A caption over 1024 characters goes as a text first.
    fake.sent.length = 0;
    await adapter.send(person, { text: "x ".repeat(600).trim(), document });
    expect(fake.sent.map((s) => [s.type, s.text.length])).toEqual([
      ["text", 1199],
      ["document", 0],
    ]);
  });

  it("sends a document by link when it has one", async () => {
    const document = {
      fileName: "a.pdf",
      mimeType: "application/pdf",
      bytes: new Uint8Array(),
      url: "https://example.org/a.pdf",
    };
    await adapter.send(person, { text: "", document });
    expect(fake.sent[0]!.document).toEqual({ link: "https://example.org/a.pdf", fileName: "a.pdf" });
  });

  it("sends a template with its body parameters as text, flattened as Meta takes them", async () => {
    const result = await adapter.sendTemplate(person, {
      name: "pengingat_sesi",
      language: "id",
      parameters: ["Budi", "Produksi Konveksi\nGedung A", ""],
    });
    expect(fake.sent[0]).toMatchObject({
      type: "template",
      template: { name: "pengingat_sesi", language: "id", parameters: ["Budi", "Produksi Konveksi Gedung A", "-"] },
    });
    expect(result.platformMessageId).toBe(fake.sent[0]!.id);
    expect(templateParameter("a\t\tb      c")).toBe("a b   c");
  });

  it("sends a template with a document header, uploaded first", async () => {
    const bytes = new Uint8Array([1, 2, 3, 250]);
    await adapter.sendTemplate(person, {
      name: "sertifikat",
      language: "en",
      parameters: [],
      document: { fileName: "cert.pdf", mimeType: "application/pdf", bytes },
    });
    expect(fake.sent[0]!.template).toEqual({ name: "sertifikat", language: "en", parameters: [] });
    expect(fake.sent[0]!.document).toMatchObject({ fileName: "cert.pdf" });
    expect([...fake.sent[0]!.document!.bytes!]).toEqual([1, 2, 3, 250]);
  });

  it("fills in a registered template, and a template Meta does not know fails for good", async () => {
    const strict = await startFakeWhatsAppCloud({ templates: { "pengingat:id": "Halo {{1}}, sesi Anda {{2}}." } });
    try {
      const a = createWhatsAppCloudAdapter({ cloud: configFor(strict), logger });
      await a.sendTemplate(person, { name: "pengingat", language: "id", parameters: ["Budi", "besok"] });
      expect(strict.sent[0]!.text).toBe("Halo Budi, sesi Anda besok.");
      const missing = await sendError(
        a.sendTemplate(person, { name: "pengingat", language: "en", parameters: ["x", "y"] }),
      );
      expect(missing).toMatchObject({ permanent: true, code: "132001" });
      const count = await sendError(a.sendTemplate(person, { name: "pengingat", language: "id", parameters: ["x"] }));
      expect(count).toMatchObject({ permanent: true, code: "132000" });
    } finally {
      await strict.close();
    }
  });

  it("turns rate limits into a pause that costs no attempt", async () => {
    fake.failNext(person, 130429);
    expect(await sendError(adapter.send(person, { text: "a" }))).toMatchObject({
      permanent: false,
      retryAfterMs: 250,
      code: "130429",
      outsideWindow: false,
    });
    fake.failNext(person, 131056);
    expect(await sendError(adapter.send(person, { text: "a" }))).toMatchObject({
      permanent: false,
      retryAfterMs: 6000,
      code: "131056",
    });
    fake.failNext("*", 80007);
    expect(await sendError(adapter.send(person, { text: "a" }))).toMatchObject({ retryAfterMs: 1000, code: "80007" });
    // Only the failures asked for: the next send goes out.
    await adapter.send(person, { text: "b" });
    expect(fake.sent).toHaveLength(1);
  });

  it("marks 131047 as outside the window, and undeliverable and invalid messages as permanent with a readable reason", async () => {
    fake.failNext(person, 131047);
    const window = await sendError(adapter.send(person, { text: "a" }));
    expect(window).toMatchObject({ permanent: true, outsideWindow: true, code: "131047", blocked: false });
    fake.failNext(person, 131026);
    const undeliverable = await sendError(adapter.send(person, { text: "a" }));
    expect(undeliverable).toMatchObject({ permanent: true, code: "131026", outsideWindow: false });
    expect(undeliverable.message).toBe("Meta 131026: message undeliverable (not on WhatsApp or an old version)");
    for (const code of [131051, 132000, 132012, 100, 131009, 131008, 131021, 133010, 131049]) {
      fake.failNext(person, code);
      const err = await sendError(adapter.send(person, { text: "a" }));
      expect(err).toMatchObject({ permanent: true, code: String(code), retryAfterMs: undefined });
      expect(err.message).toMatch(new RegExp(`^Meta ${code}: .+`));
    }
  });

  it("retries server errors and timeouts", async () => {
    fake.failNext(person, "5xx");
    expect(await sendError(adapter.send(person, { text: "a" }))).toMatchObject({
      permanent: false,
      retryAfterMs: undefined,
      code: "131000",
    });
    const impatient = createWhatsAppCloudAdapter({ cloud: configFor(fake), logger, timeoutMs: 200 });
    fake.failNext(person, "hang");
    const timeout = await sendError(impatient.send(person, { text: "a" }));
    expect(timeout).toMatchObject({ permanent: false, code: undefined });
    expect(timeout.message).toBe("the WhatsApp Cloud API did not answer in time");
  });

  it("retries when the API cannot be reached", async () => {
    const closed = await startFakeWhatsAppCloud();
    const cloud = configFor(closed);
    await closed.close();
    const a = createWhatsAppCloudAdapter({ cloud, logger });
    const err = await sendError(a.send(person, { text: "a" }));
    expect(err).toMatchObject({ permanent: false });
    expect(err.message).toMatch(/^network error: /);
  });

  it("holds the channel back while Meta refuses the token, and says so in its status", async () => {
    const wrong = createWhatsAppCloudAdapter({
      cloud: configFor(fake, { accessToken: "EAAG-wrong-token-000000000000" }),
      logger,
    });
    const err = await sendError(wrong.send(person, { text: "a" }));
    expect(err).toMatchObject({ permanent: false, retryAfterMs: 60_000, code: "190" });
    expect(wrong.status()).toMatchObject({ state: "disconnected" });
    expect(wrong.status().detail).toMatch(/WHATSAPP_CLOUD_ACCESS_TOKEN/);
    expect(fake.sent).toHaveLength(0);
  });

  it("refuses a message the library cannot build as permanent", async () => {
    const err = await sendError(
      adapter.sendTemplate(person, { name: "t", language: "id", parameters: ["x".repeat(40_000)] }),
    );
    expect(err.permanent).toBe(true);
  });

  it("counts sends past the throughput ceiling as 130429 at the fake", async () => {
    const slow = await startFakeWhatsAppCloud({ perSecond: 2 });
    try {
      const a = createWhatsAppCloudAdapter({ cloud: configFor(slow), logger });
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => a.send(person, { text: "a" })));
      const refused = results
        .filter((r) => r.status === "rejected")
        .map((r) => (r as PromiseRejectedResult).reason as SendError);
      expect(slow.sent.length + refused.length).toBe(5);
      expect(slow.overLimit).toBe(refused.length);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((e) => e.code === "130429" && e.retryAfterMs === 250)).toBe(true);
      expect(Math.max(...slow.perSecondCounts())).toBeLessThanOrEqual(2);
    } finally {
      await slow.close();
    }
  });
});

describe("status webhooks and the 24-hour window at the fake", () => {
  let fake: FakeWhatsAppCloud;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let adapter: WhatsAppCloudAdapter;
  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud({ readReceipts: true });
    receiver = await startReceiver(fake);
    fake.webhookUrl = receiver.url;
    adapter = createWhatsAppCloudAdapter({ cloud: configFor(fake), logger });
  });
  afterAll(async () => {
    await fake.close();
    await receiver.close();
  });

  it("posts sent, delivered and read, signed with the app secret", async () => {
    const { platformMessageId } = await adapter.send(person, { text: "Halo" });
    await fake.settled();
    expect(receiver.refused).toEqual([]);
    expect(receiver.statuses().filter((s) => s.platformMessageId === platformMessageId)).toEqual([
      { platformMessageId, status: "sent", chatId: `${person}@c.us` },
      { platformMessageId, status: "delivered", chatId: `${person}@c.us` },
      { platformMessageId, status: "read", chatId: `${person}@c.us` },
    ]);
  });

  it("accepts a free-form message outside the window, then reports 131047; a template goes through", async () => {
    const late = "6281111111111";
    fake.outsideWindow(late);
    const { platformMessageId } = await adapter.send(late, { text: "Pengingat" });
    await fake.settled();
    expect(receiver.statuses().filter((s) => s.platformMessageId === platformMessageId)).toEqual([
      {
        platformMessageId,
        status: "failed",
        chatId: `${late}@c.us`,
        code: "131047",
        error: "Meta 131047: more than 24 hours since the person last wrote (a template is needed)",
      },
    ]);
    const template = await adapter.sendTemplate(late, { name: "pengingat", language: "id", parameters: ["Budi"] });
    await fake.settled();
    expect(
      receiver
        .statuses()
        .filter((s) => s.platformMessageId === template.platformMessageId)
        .map((s) => s.status),
    ).toEqual(["sent", "delivered", "read"]);
    // A message from the person opens the window again.
    await fake.userSends(late, "halo");
    await adapter.send(late, { text: "Terima kasih" });
    expect(fake.sentTo(late).at(-1)!.text).toBe("Terima kasih");
  });

  it("answers 131047 at once when asked to", async () => {
    const late = "6282222222222";
    fake.setLastUserMessage(late, new Date(Date.now() - 25 * 60 * 60 * 1000));
    fake.windowErrors = "sync";
    try {
      const err = await sendError(adapter.send(late, { text: "a" }));
      expect(err).toMatchObject({ outsideWindow: true, permanent: true, code: "131047" });
    } finally {
      fake.windowErrors = "webhook";
    }
  });
});

describe("parseCloudWebhook", () => {
  let fake: FakeWhatsAppCloud;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    fake = await startFakeWhatsAppCloud();
    receiver = await startReceiver(fake);
    fake.webhookUrl = receiver.url;
  });
  afterAll(async () => {
    await fake.close();
    await receiver.close();
  });

  const lastMessage = () => receiver.messages().at(-1)!;

  it("reads a text with the sender's wa_id, number, name, wamid and time", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    expect(await fake.userSends(person, "Halo, saya mau daftar", "Siti Rahayu")).toBe(200);
    const m = lastMessage();
    expect(m).toMatchObject({
      channel: "whatsapp",
      chatId: `${person}@c.us`,
      senderId: `${person}@c.us`,
      senderPhone: `+${person}`,
      displayName: "Siti Rahayu",
      text: "Halo, saya mau daftar",
    });
    expect(m.platformMessageId).toMatch(/^wamid\./);
    expect(m.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  it("keeps non-ASCII text as sent (Meta escapes it; the signature is over the escaped bytes)", async () => {
    expect(await fake.userSends(person, "Terima kasih 🙏 — café")).toBe(200);
    expect(lastMessage().text).toBe("Terima kasih 🙏 — café");
    expect(fake.webhookPosts.at(-1)!.body).toContain("\\ud83d\\ude4f");
  });

  it("reads a reply button and a list row as the choice id", async () => {
    await fake.userPressesButton(person, "yes@k3f2a", "Ya");
    expect(lastMessage()).toMatchObject({ choiceId: "yes@k3f2a" });
    expect(lastMessage().text).toBeUndefined();
    await fake.userPicksListRow(person, "sesi-12@k3f2b", "Sesi 12");
    expect(lastMessage()).toMatchObject({ choiceId: "sesi-12@k3f2b" });
  });

  it("reads a template's quick reply as text", async () => {
    await fake.userPressesTemplateButton(person, "Hadir");
    expect(lastMessage()).toMatchObject({ text: "Hadir" });
    await fake.userPressesTemplateButton(person, "Hadir", "hadir-12");
    expect(lastMessage()).toMatchObject({ text: "hadir-12" });
  });

  it("takes a shared contact card with the sender's own number as their number, any other as media", async () => {
    await fake.userSharesContact(person, "+62 812-3456-7890");
    expect(lastMessage()).toMatchObject({ contactPhone: `+${person}` });
    await fake.userSharesContact(person, "+62 813-0000-1111");
    expect(lastMessage()).toMatchObject({ media: "other" });
    expect(lastMessage().contactPhone).toBeUndefined();
  });

  it("reads media by kind, an unsupported message as other media, and ignores reactions", async () => {
    const kinds = [
      ["image", "photo"],
      ["sticker", "sticker"],
      ["audio", "voice"],
      ["voice", "voice"],
      ["video", "video"],
      ["document", "document"],
      ["location", "location"],
      ["unsupported", "other"],
    ] as const;
    for (const [type, media] of kinds) {
      await fake.userSendsMedia(person, type);
      expect(lastMessage().media, type).toBe(media);
    }
    const count = receiver.messages().length;
    expect(await fake.userSendsMedia(person, "reaction")).toBe(200);
    expect(receiver.messages()).toHaveLength(count);
    expect(receiver.ignored().at(-1)).toBe("message type reaction");
  });

  it("reads statuses, with Meta's error code and a readable reason for a failure", () => {
    const body = fake.envelope({
      statuses: [
        { id: "wamid.A", status: "delivered", timestamp: "1700000000", recipient_id: person },
        {
          id: "wamid.B",
          status: "failed",
          timestamp: "1700000000",
          recipient_id: person,
          errors: [{ code: 131026, title: "Message undeliverable", error_data: { details: "Message Undeliverable." } }],
        },
        { id: "wamid.C", status: "deleted", timestamp: "1700000000", recipient_id: person },
      ],
    });
    expect(parseCloudWebhook(body, fake.phoneNumberId)).toEqual({
      messages: [],
      statuses: [
        { platformMessageId: "wamid.A", status: "delivered", chatId: `${person}@c.us` },
        {
          platformMessageId: "wamid.B",
          status: "failed",
          chatId: `${person}@c.us`,
          code: "131026",
          error: "Meta 131026: message undeliverable (not on WhatsApp or an old version)",
        },
      ],
      ignored: ["status deleted"],
    });
  });

  it("ignores an update for another phone number id, another field or another product, without personal data", () => {
    const message = { from: person, id: "wamid.X", timestamp: "1700000000", type: "text", text: { body: "hai" } };
    const other = fake.envelope(
      { contacts: [{ wa_id: person, profile: { name: "Budi" } }], messages: [message] },
      "555",
    );
    expect(parseCloudWebhook(other, fake.phoneNumberId)).toEqual({
      messages: [],
      statuses: [],
      ignored: ["phone number id 555 is not this bot's"],
    });
    const field = {
      object: "whatsapp_business_account",
      entry: [{ changes: [{ field: "account_update", value: {} }] }],
    };
    expect(parseCloudWebhook(field, fake.phoneNumberId).ignored).toEqual(["field account_update"]);
    expect(parseCloudWebhook({ object: "page", entry: [] }, fake.phoneNumberId).ignored).toEqual(["object page"]);
    const noNumber = fake.envelope({ messages: [{ ...message, from: undefined }] });
    expect(parseCloudWebhook(noNumber, fake.phoneNumberId)).toMatchObject({
      messages: [],
      ignored: ["message without a phone number (text)"],
    });
  });

  it("throws a CloudWebhookError for a body not of Meta's shape, naming paths and never values", () => {
    const malformed: unknown[] = [
      null,
      "text",
      [],
      {},
      { object: "whatsapp_business_account" },
      { object: "whatsapp_business_account", entry: "x" },
      { object: "whatsapp_business_account", entry: [{ changes: [{ field: "messages", value: {} }] }] },
      fake.envelope({ messages: [{ from: person, id: "wamid.Y", timestamp: "soon", type: "text" }] }),
      fake.envelope({ statuses: [{ id: "wamid.Z", recipient_id: person }] }),
    ];
    for (const body of malformed) {
      let thrown: unknown;
      try {
        parseCloudWebhook(body, fake.phoneNumberId);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(body)).toBeInstanceOf(CloudWebhookError);
      expect((thrown as Error).message).not.toContain(person);
    }
  });

  it("is refused by the route when unsigned or wrongly signed", async () => {
    const body = JSON.stringify(fake.envelope({}));
    expect(await fake.postRaw(body, null)).toBe(401);
    expect(await fake.postRaw(body, `sha256=${"0".repeat(64)}`)).toBe(401);
    expect(await fake.postRaw("{not json")).toBe(400);
    expect(receiver.refused.slice(-3)).toEqual(["signature", "signature", "SyntaxError"]);
  });
});

describe("verifyCloudSignature", () => {
  const secret = "app-secret-0123456789abcdef";
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
  const good = `sha256=${crypto.createHmac("sha256", secret).update(body).digest("hex")}`;

  it("accepts the HMAC-SHA256 of the raw body, in either case of hex", () => {
    expect(verifyCloudSignature(body, good, secret)).toBe(true);
    expect(verifyCloudSignature(body, `sha256=${good.slice(7).toUpperCase()}`, secret)).toBe(true);
  });

  it("refuses a missing, wrong, odd-length, non-hex or repeated header without throwing", () => {
    const wrongSecret = `sha256=${crypto.createHmac("sha256", "another-secret-000").update(body).digest("hex")}`;
    const cases: (string | string[] | undefined)[] = [
      undefined,
      "",
      "sha256=",
      good.slice(7), // no prefix
      `sha1=${good.slice(7)}`,
      `${good}0`, // odd length
      good.slice(0, -2), // short
      `sha256=${"zz".repeat(32)}`, // non-hex
      `sha256=${"é".repeat(64)}`,
      wrongSecret,
      [good, good],
    ];
    for (const header of cases) expect(verifyCloudSignature(body, header, secret), String(header)).toBe(false);
    expect(verifyCloudSignature(Buffer.from(`${body.toString()} `), good, secret)).toBe(false);
  });
});

describe("verifySubscription", () => {
  const token = "verify-token-123";
  it("answers the challenge for subscribe with our token, and null otherwise", () => {
    const q = { "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444" };
    expect(verifySubscription(q, token)).toBe("1158201444");
    expect(verifySubscription({ ...q, "hub.verify_token": "verify-token-124" }, token)).toBeNull();
    expect(verifySubscription({ ...q, "hub.verify_token": "short" }, token)).toBeNull();
    expect(verifySubscription({ ...q, "hub.verify_token": [token, token] }, token)).toBeNull();
    expect(verifySubscription({ ...q, "hub.mode": "unsubscribe" }, token)).toBeNull();
    expect(verifySubscription({ "hub.mode": "subscribe", "hub.verify_token": token }, token)).toBeNull();
    expect(verifySubscription({}, token)).toBeNull();
  });
});

describe("cloudSendError", () => {
  it("maps Meta's codes whatever the HTTP status, and network failures as transient", () => {
    expect(cloudSendError(new CloudApiError("x", 400, "130429"))).toMatchObject({
      retryAfterMs: 250,
      permanent: false,
    });
    expect(cloudSendError(new CloudApiError("x", 400, "4"))).toMatchObject({ retryAfterMs: 1000, code: "4" });
    expect(cloudSendError(new CloudApiError("x", 503, undefined))).toMatchObject({ permanent: false, code: undefined });
    expect(cloudSendError(new CloudApiError("Bad gateway", 400, undefined))).toMatchObject({
      permanent: true,
      message: "Meta: Bad gateway",
    });
    expect(cloudSendError(new CloudApiError("x", 400, "999999", "Some new error"))).toMatchObject({
      permanent: true,
      message: "Meta 999999: Some new error",
    });
    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
    });
    expect(cloudSendError(refused)).toMatchObject({ permanent: false, message: "network error: ECONNREFUSED" });
    expect(cloudSendError(new DOMException("timed out", "TimeoutError"))).toMatchObject({ permanent: false });
  });
});
