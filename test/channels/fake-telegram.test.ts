/**
 * Self-test of the fake Telegram Bot API server (test/support/fake-telegram.ts), driven by telegraf's real client.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Markup, Telegraf, Telegram, TelegramError } from "telegraf";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";

const alice = { id: 1001, first_name: "Alice", username: "alice" };

describe("the fake Telegram server", () => {
  const fakes: FakeTelegram[] = [];
  const start = async (options?: Parameters<typeof startFakeTelegram>[0]) => {
    const fake = await startFakeTelegram(options);
    fakes.push(fake);
    return { fake, telegram: new Telegram(fake.token, { apiRoot: fake.url }) };
  };
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  it("holds an idle long poll for its timeout and answers at once when an update arrives", async () => {
    const { fake, telegram } = await start();
    let started = Date.now();
    expect(await telegram.getUpdates(1, 100, 0, undefined)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);

    started = Date.now();
    const poll = telegram.getUpdates(5, 100, 0, undefined);
    await fake.waitFor(() => fake.requests.some((r) => r.method === "getUpdates" && r.status === 0));
    const pushed = await fake.userMessage(alice, "/start abc");
    const updates = await poll;
    expect(Date.now() - started).toBeLessThan(2500);
    expect(updates).toEqual([pushed]);
    expect(updates[0]).toMatchObject({
      message: {
        message_id: 1,
        from: { id: 1001, is_bot: false, first_name: "Alice" },
        chat: { id: 1001, type: "private", first_name: "Alice" },
        text: "/start abc",
        entities: [{ offset: 0, length: 6, type: "bot_command" }],
      },
    });
  });

  it("drops updates confirmed by offset", async () => {
    const { fake, telegram } = await start();
    const first = await fake.userMessage(alice, "one");
    const second = await fake.userMessage(alice, "two");
    expect((await telegram.getUpdates(0, 100, 0, undefined)).map((u) => u.update_id)).toEqual([
      first.update_id,
      second.update_id,
    ]);
    expect(await telegram.getUpdates(0, 100, first.update_id + 1, undefined)).toEqual([second]);
    expect(await telegram.getUpdates(0, 100, second.update_id + 1, undefined)).toEqual([]);
    expect(fake.pendingUpdates).toHaveLength(0);
  });

  it("records sent messages, numbering them with the user's messages, and validates them like Telegram", async () => {
    const { fake, telegram } = await start();
    await fake.userMessage(alice, "hi");
    const keyboard = Markup.inlineKeyboard([Markup.button.callback("Ya", "yes")]);
    const message = await telegram.sendMessage(alice.id, "Halo!", keyboard);
    expect(message).toMatchObject({ message_id: 2, chat: { id: alice.id, type: "private" }, text: "Halo!" });
    expect(fake.sentTo(alice.id)).toMatchObject([
      { chatId: alice.id, messageId: 2, text: "Halo!", method: "sendMessage", replyMarkup: keyboard.reply_markup },
    ]);

    const press = await fake.userPress(alice, "yes");
    const query = (press as { callback_query: { id: string; message: { message_id: number } } }).callback_query;
    expect(query.message.message_id).toBe(2);
    await telegram.answerCbQuery(query.id);
    expect(fake.answeredCallbacks).toEqual([query.id]);
    await telegram.editMessageText(alice.id, 2, undefined, "Terima kasih");
    expect(fake.sent.at(-1)).toMatchObject({ method: "editMessageText", messageId: 2, text: "Terima kasih" });

    await expect(telegram.sendMessage(alice.id, "x".repeat(4097))).rejects.toThrow("message is too long");
    await expect(telegram.sendMessage(alice.id, "")).rejects.toThrow("message text is empty");
    await expect(
      telegram.sendMessage(alice.id, "Pilih", Markup.inlineKeyboard([Markup.button.callback("A", "a".repeat(65))])),
    ).rejects.toThrow("BUTTON_DATA_INVALID");
    expect(fake.sent).toHaveLength(2);
    expect(fake.requests.filter((r) => r.status === 400)).toHaveLength(3);
  });

  it("parses parse_mode HTML into what a person sees and its entities, and refuses broken HTML", async () => {
    const { fake, telegram } = await start();
    const html = 'Halo <b>Budi &amp; <i>Co</i></b> &lt;3 <a href="https://x.example/?a=1&amp;b=2">peta</a>';
    const message = await telegram.sendMessage(alice.id, html, { parse_mode: "HTML" });
    expect(message).toMatchObject({
      text: "Halo Budi & Co <3 peta",
      entities: [
        { type: "bold", offset: 5, length: 9 },
        { type: "italic", offset: 12, length: 2 },
        { type: "text_link", offset: 18, length: 4, url: "https://x.example/?a=1&b=2" },
      ],
    });
    expect(fake.sent.at(-1)).toMatchObject({ text: "Halo Budi & Co <3 peta", parseMode: "HTML", sentText: html });
    for (const [broken, why] of [
      ["<b>tebal", "Can't find end tag"],
      ["<b>a</i>", "Unmatched end tag"],
      ["<script>x</script>", "Unsupported start tag"],
      ["AT&T", "Unsupported HTML entity"],
      ["a < b", "Unsupported start tag"],
    ])
      await expect(telegram.sendMessage(alice.id, broken!, { parse_mode: "HTML" }), broken).rejects.toThrow(why);
    // The visible text counts towards 4096, not the tags.
    const long = `<b>${"x".repeat(4096)}</b>`;
    await expect(telegram.sendMessage(alice.id, long, { parse_mode: "HTML" })).resolves.toMatchObject({
      entities: [{ type: "bold", offset: 0, length: 4096 }],
    });
  });

  it("edits a message's text with entities and takes its keyboard away", async () => {
    const { fake, telegram } = await start();
    const keyboard = Markup.inlineKeyboard([Markup.button.callback("Ya", "yes@a1")]);
    const sent = await telegram.sendMessage(alice.id, "<b>Setuju?</b>", { parse_mode: "HTML", ...keyboard });
    expect(fake.shownMessage(alice.id, sent.message_id)?.reply_markup).toEqual(keyboard.reply_markup);
    await telegram.editMessageReplyMarkup(alice.id, sent.message_id, undefined, { inline_keyboard: [] });
    expect(fake.shownMessage(alice.id, sent.message_id)).toMatchObject({ text: "Setuju?" });
    expect(fake.shownMessage(alice.id, sent.message_id)?.reply_markup).toBeUndefined();
    await expect(
      telegram.editMessageReplyMarkup(alice.id, sent.message_id, undefined, { inline_keyboard: [] }),
    ).rejects.toThrow("message is not modified");
    await telegram.editMessageText(alice.id, sent.message_id, undefined, "Setuju?\n\n✓ Ya", {
      entities: [{ type: "bold", offset: 0, length: 7 }],
    });
    expect(fake.shownMessage(alice.id, sent.message_id)).toMatchObject({
      text: "Setuju?\n\n✓ Ya",
      entities: [{ type: "bold", offset: 0, length: 7 }],
    });
  });

  it("answers 401 for a wrong token and 404 for an unknown method", async () => {
    const { fake, telegram } = await start();
    const wrong = new Telegram("999:wrong", { apiRoot: fake.url });
    await expect(wrong.getMe()).rejects.toMatchObject({ response: { error_code: 401, description: "Unauthorized" } });
    await expect(telegram.callApi("noSuchMethod" as "getMe", {})).rejects.toMatchObject({
      response: { ok: false, error_code: 404, description: "Not Found" },
    });
    expect(await telegram.getMe()).toMatchObject({ is_bot: true, username: "sapa_ikm_test_bot" });
  });

  it("injects failures: a 429 surfaces as a TelegramError with retry_after", async () => {
    const { fake, telegram } = await start();
    fake.failNext("sendMessage", { code: 429, retryAfter: 3 });
    const error = await telegram.sendMessage(alice.id, "halo").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramError);
    expect((error as TelegramError).response.parameters?.retry_after).toBe(3);
    expect(fake.http429).toBe(1);
    await telegram.sendMessage(alice.id, "halo");
    expect(fake.sent).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);

    fake.failAll("sendMessage", { code: 403 });
    await expect(telegram.sendMessage(alice.id, "halo")).rejects.toMatchObject({ code: 403 });
    fake.failAll("sendMessage", null);
    await telegram.sendMessage(alice.id, "halo");
  });

  it("limits sends to ratePerSecond with 429 retry_after 1", async () => {
    const { fake, telegram } = await start({ ratePerSecond: 5 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => telegram.sendMessage(alice.id, `pesan ${i}`)),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(7);
    expect(fake.sent).toHaveLength(ok);
    expect(fake.http429).toBe(20 - ok);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect((rejected.reason as TelegramError).parameters?.retry_after).toBe(1);
  });

  it("POSTs updates to a webhook with the secret header, and runs telegraf's webhook replies", async () => {
    const { fake, telegram } = await start();
    const received: { secret: string | undefined; update: { update_id: number } }[] = [];
    const hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += String(chunk)));
      req.on("end", () => {
        const secret = req.headers["x-telegram-bot-api-secret-token"] as string | undefined;
        if (secret !== "s3cret") return void res.writeHead(403).end();
        const update = JSON.parse(body) as { update_id: number; callback_query?: { id: string } };
        received.push({ secret, update });
        if (!update.callback_query) return void res.writeHead(200).end();
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ method: "answerCallbackQuery", callback_query_id: update.callback_query.id }));
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/telegram`;
      await telegram.setWebhook(url, { secret_token: "s3cret" });
      expect(fake.webhook).toEqual({ url, secret: "s3cret" });
      await expect(telegram.getUpdates(0, 100, 0, undefined)).rejects.toMatchObject({ code: 409 });
      expect(await telegram.getWebhookInfo()).toMatchObject({ url, pending_update_count: 0 });

      const update = await fake.userMessage(alice, "halo");
      expect(received).toEqual([{ secret: "s3cret", update }]);
      await telegram.sendMessage(alice.id, "Pilih", Markup.inlineKeyboard([Markup.button.callback("A", "a")]));
      const press = await fake.userPress(alice, "a");
      expect(fake.answeredCallbacks).toEqual([(press as { callback_query: { id: string } }).callback_query.id]);

      expect((await fake.deliverRaw({ update_id: 1, message: {} })).status).toBe(403);
      expect(
        (await fake.deliverRaw({ update_id: 1, message: {} }, { "X-Telegram-Bot-Api-Secret-Token": "no" })).status,
      ).toBe(403);

      await telegram.deleteWebhook();
      expect(fake.webhook).toBeNull();
      await fake.userMessage(alice, "lagi");
      expect(await telegram.getUpdates(0, 100, 0, undefined)).toHaveLength(1);
    } finally {
      await new Promise((resolve) => hook.close(resolve));
    }
  });

  it("serves a real Telegraf bot over long polling", async () => {
    const { fake } = await start();
    const bot = new Telegraf(fake.token, { telegram: { apiRoot: fake.url } });
    bot.start((ctx) =>
      ctx.reply(
        `Halo ${ctx.from.first_name}, ${ctx.payload}`,
        Markup.inlineKeyboard([Markup.button.callback("OK", "ok")]),
      ),
    );
    bot.action("ok", async (ctx) => {
      await ctx.answerCbQuery();
      await ctx.editMessageText("Sip");
    });
    const running = bot.launch({ allowedUpdates: ["message", "callback_query"] });
    await fake.userMessage(alice, "/start kode1");
    const hello = await fake.waitFor(() => fake.sentTo(alice.id)[0]);
    expect(hello.text).toBe("Halo Alice, kode1");
    await fake.userPress(alice, "ok");
    await fake.waitFor(() => fake.sent.find((m) => m.method === "editMessageText" && m.text === "Sip"));
    expect(fake.answeredCallbacks).toHaveLength(1);
    bot.stop("test over");
    await running;
    expect(fake.pendingUpdates).toHaveLength(0);
  });
});
