/**
 * The Telegram channel on telegraf: long polling by default, a webhook when PUBLIC_URL is set.
 *
 * Inbound: private-chat messages, button presses (callback queries, always answered so the
 * button stops spinning), shared contacts and deep links (`/start daftar-lada`) become
 * InboundMessages. Group chats get one polite line, then silence; edited messages and channel
 * posts are not asked for. Outbound: the markup rendered as Telegram HTML (render.ts), choices as
 * inline keyboards, the phone step with a "share my number" button, text over 4096 characters
 * split at paragraphs or sentences, a file (a certificate) as a document with the text as its caption. Send errors become SendErrors the outbox understands: 403
 * blocked, 429 retry_after, 400 permanent, 5xx and network errors retried.
 *
 * Buttons do not stay live on old questions: a question's choice ids carry a stamp after an `@`
 * (`yes@k3f2a`); when the bot sends anything after a question whose buttons were not pressed
 * (the person typed the answer), that question's keyboard is removed. The last question of each
 * chat is remembered in Redis for two days. Buttons without a stamp (a reminder's `hadir-12`) are
 * never removed: they stay valid for ever.
 */
import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { Telegraf, TelegramError, type Context } from "telegraf";
import type { Update } from "telegraf/types";
import type { OutgoingMessage } from "../engine/types.js";
import type { Logger } from "../logger.js";
import type { InboundMessage } from "../runtime/inbound-message.js";
import { SendError, type ChannelAdapter, type ChannelHooks, type ChannelStatus } from "./channel.js";
import { renderForTelegram, telegramTextLimit } from "./render.js";
import { within } from "../time-limits.js";
import { telegramUpdateSchema, toInbound } from "./telegram-updates.js";

export type TelegramOptions = {
  token: string;
  /** Bot API server (default Telegram's own). */
  apiRoot?: string;
  /** Public HTTPS address of this server; set, the bot takes updates by webhook. */
  publicUrl?: string;
  /** Secret Telegram sends with each webhook call (default: derived from the token). */
  webhookSecret?: string;
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** A send that takes longer is abandoned and retried (default 30 s). */
  sendTimeoutMs?: number;
};

export type TelegramAdapter = ChannelAdapter & {
  readonly telegraf: Telegraf;
  /** Where Telegram posts updates in webhook mode. */
  readonly webhookPath: string;
  /** Adds the webhook route to the HTTP server (webhook mode only). */
  registerWebhook(app: FastifyInstance): void;
};

const allowedUpdates = ["message", "callback_query"] as const;

/** What a group gets, once: the bot works in private chats. */
const groupNotice =
  "Terima kasih sudah mengundang saya. Saya hanya melayani lewat chat pribadi: silakan kirim pesan langsung kepada saya." +
  "\n\nThank you for inviting me. I only work in private chats: please message me directly.";
const shareNumberLabel = "📱 Kirim nomor saya / Share my number";

/** Telegram's limit on a document's caption, in characters. */
const telegramCaptionLimit = 1024;

/** How long the last question of a chat is remembered, for taking its buttons away. */
const openQuestionTtlSeconds = 2 * 24 * 60 * 60;
/** Redis gets this long to answer about a question's buttons; the message goes out regardless. */
const redisWaitMs = 1000;

/** A question's buttons carry a stamp (`yes@k3f2a`); a reminder's (`hadir-12`) do not. */
function isStampedQuestion(choices: { id: string }[] | undefined): boolean {
  return !!choices?.length && choices.every((c) => c.id.includes("@"));
}

/** Forgets the chat's open question if it is this message (its button was pressed). */
const forgetIfPressed = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

/** The webhook secret: given, or derived from the token so every web instance agrees on it. */
export function webhookSecretFor(token: string, given?: string): string {
  return given ?? crypto.createHash("sha256").update(`sapa-ikm-webhook:${token}`).digest("hex").slice(0, 48);
}

const sha256 = (value: string) => crypto.createHash("sha256").update(value, "utf8").digest();

/**
 * Whether the secret header of a webhook call is ours, in constant time. The digests are compared,
 * not the strings: timingSafeEqual needs buffers of one length, and a header of another length in
 * bytes (any non-ASCII character) made it throw, which answered 500; a digest's length leaks nothing.
 */
export function isWebhookSecret(given: string | string[] | undefined, secret: string): boolean {
  return typeof given === "string" && crypto.timingSafeEqual(sha256(given), sha256(secret));
}

/** Turns a telegraf/network failure into what the outbox does with it. */
export function toSendError(err: unknown): SendError {
  if (err instanceof TelegramError) {
    const description = `Telegram ${err.code}: ${err.description}`;
    if (err.code === 429)
      return new SendError(description, false, Math.max(1, err.parameters?.retry_after ?? 1) * 1000);
    if (err.code === 403) return new SendError(description, true, undefined, true);
    if (err.code >= 500) return new SendError(description, false);
    return new SendError(description, true);
  }
  const e = err as Error;
  const timedOut = e?.name === "AbortError" || e?.name === "TimeoutError";
  return new SendError(
    timedOut ? "Telegram did not answer in time" : `network error: ${e?.message ?? String(err)}`,
    false,
  );
}

export function createTelegramAdapter(options: TelegramOptions): TelegramAdapter {
  const { logger, redis } = options;
  const telegraf = new Telegraf(options.token, {
    telegram: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}), webhookReply: false },
    handlerTimeout: 120_000,
  });
  const secret = webhookSecretFor(options.token, options.webhookSecret);
  const webhookPath = "/telegram/webhook";
  const sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
  let status: ChannelStatus = { state: "disabled", since: new Date() };
  const setStatus = (state: ChannelStatus["state"], detail?: string) => {
    if (status.state !== state || status.detail !== detail)
      status = { state, since: new Date(), ...(detail ? { detail } : {}) };
  };
  let hooks: ChannelHooks | null = null;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const call = <T>(method: string, payload: Record<string, unknown>): Promise<T> =>
    telegraf.telegram.callApi(method as "sendMessage", payload as never, {
      // telegraf types the signal of the abort-controller shim; node-fetch takes the built-in one.
      signal: AbortSignal.timeout(sendTimeoutMs) as never,
    }) as Promise<T>;

  /** One polite line to a group, once ever (remembered in Redis). */
  const answerGroup = async (chatId: number) => {
    const first = await redis.set(`${options.prefix}:telegram:group:${chatId}`, "1", "NX");
    if (first === null) return;
    await call("sendMessage", { chat_id: chatId, text: groupNotice }).catch((err: unknown) =>
      logger.warn({ err: toSendError(err).message }, "could not answer a group"),
    );
  };

  /** Hands an update to the runtime; a failure is retried a few times before giving up. */
  const handleUpdate = async (ctx: Context) => {
    const update = ctx.update;
    if ("callback_query" in update) {
      // Stop the spinner at once, whatever happens next.
      await ctx.answerCbQuery().catch(() => {});
      const pressed = update.callback_query.message;
      // Its keyboard goes with the press (markChosen); the reply need not take it away again.
      if (pressed) await forgetOpenQuestion(String(pressed.chat.id), pressed.message_id);
    }
    if ("message" in update && update.message.chat.type !== "private") {
      if (update.message.chat.type === "group" || update.message.chat.type === "supergroup")
        await answerGroup(update.message.chat.id);
      return;
    }
    const inbound = toInbound(update);
    if (!inbound || !hooks) return;
    await deliverInbound(hooks, inbound);
    if ("callback_query" in update) await markChosen(update);
  };

  /**
   * Webhook: a failure answers 500 and Telegram sends the update again. Polling has already
   * confirmed the update, so it is tried again here a few times (the database may be restarting).
   */
  const deliverInbound = async (h: ChannelHooks, inbound: InboundMessage) => {
    const attempts = options.publicUrl ? 1 : 6;
    for (let attempt = 1; ; attempt++) {
      try {
        await h.inbound(inbound);
        return;
      } catch (err) {
        if (attempt >= attempts || stopped) throw err;
        logger.warn(
          { err: { message: (err as Error).message }, attempt },
          "handling a Telegram update failed; retrying",
        );
        await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
      }
    }
  };

  /**
   * After a press, the keyboard goes and the choice stays visible under the question. The
   * question keeps its formatting: Telegram gives its text without markup plus the entities, and
   * the new line goes at the end, so the entities' offsets still hold.
   */
  const markChosen = async (update: Update.CallbackQueryUpdate) => {
    const q = update.callback_query;
    const message = q.message;
    if (!message || !("data" in q) || !("text" in message) || !("reply_markup" in message)) return;
    const buttons = message.reply_markup?.inline_keyboard.flat() ?? [];
    const chosen = buttons.find((b) => "callback_data" in b && b.callback_data === q.data);
    if (!chosen) return;
    const text = `${message.text}\n\n✓ ${chosen.text}`;
    if (text.length > telegramTextLimit) return;
    const entities = message.entities?.length ? { entities: message.entities } : {};
    await call("editMessageText", {
      chat_id: message.chat.id,
      message_id: message.message_id,
      text,
      ...entities,
    }).catch(() => {});
  };

  const openQuestionKey = (chatId: string) => `${options.prefix}:telegram:open-question:${chatId}`;

  /** Remembers the chat's last question, whose buttons go when the bot says something else. */
  const rememberOpenQuestion = async (chatId: string, messageId: number) => {
    await within(
      redis.set(openQuestionKey(chatId), String(messageId), "EX", openQuestionTtlSeconds),
      redisWaitMs,
    ).catch((err: unknown) => logger.debug({ err: (err as Error).message, chatId }, "could not remember a question"));
  };

  const forgetOpenQuestion = async (chatId: string, messageId: number) => {
    await within(redis.eval(forgetIfPressed, 1, openQuestionKey(chatId), String(messageId)), redisWaitMs).catch(
      (err: unknown) => logger.debug({ err: (err as Error).message, chatId }, "could not forget a question"),
    );
  };

  /** Takes the buttons off the chat's last question, if it is still open (answered by typing). */
  const closeOpenQuestion = async (chatId: string) => {
    let messageId: string | null;
    try {
      messageId = await within(redis.getdel(openQuestionKey(chatId)), redisWaitMs);
    } catch (err) {
      logger.debug({ err: (err as Error).message, chatId }, "could not look up the open question");
      return;
    }
    if (!messageId) return;
    await call("editMessageReplyMarkup", {
      chat_id: chatId,
      message_id: Number(messageId),
      reply_markup: { inline_keyboard: [] },
    }).catch((err: unknown) =>
      logger.debug({ err: toSendError(err).message, chatId }, "could not take the buttons off an old question"),
    );
  };

  telegraf.use(handleUpdate);
  telegraf.catch((err) => {
    if (options.publicUrl) throw err;
    // Polling must go on for everyone else; the retries are used up.
    logger.error({ err: { message: (err as Error).message } }, "a Telegram update could not be handled");
  });

  /** Polling: launch, and on failure try again with backoff until stopped. */
  const startPolling = (attempt = 0) => {
    if (stopped) return;
    setStatus("connecting");
    telegraf
      .launch({ allowedUpdates: [...allowedUpdates] }, () => setStatus("ready"))
      .then(() => {
        if (!stopped) throw new Error("polling stopped");
      })
      .catch((err: unknown) => {
        if (stopped) return;
        const unauthorized = err instanceof TelegramError && err.code === 401;
        const detail = unauthorized
          ? "Telegram rejected TELEGRAM_BOT_TOKEN; check it with BotFather"
          : `cannot reach Telegram: ${toSendError(err).message}`;
        setStatus("disconnected", detail);
        const delay = Math.min(60_000, 1000 * 2 ** attempt);
        logger.error({ retryInMs: delay }, detail);
        retryTimer = setTimeout(() => startPolling(attempt + 1), delay);
      });
  };

  /** Webhook: tell Telegram where to post, retrying with backoff until it works. */
  const startWebhook = async (attempt = 0): Promise<void> => {
    if (stopped) return;
    setStatus("connecting");
    try {
      telegraf.botInfo ??= await telegraf.telegram.getMe();
      await telegraf.telegram.setWebhook(new URL(webhookPath, options.publicUrl).toString(), {
        secret_token: secret,
        allowed_updates: [...allowedUpdates],
      });
      setStatus("ready");
    } catch (err) {
      const detail = `cannot set the Telegram webhook: ${toSendError(err).message}`;
      setStatus("disconnected", detail);
      const delay = Math.min(60_000, 1000 * 2 ** attempt);
      logger.error({ retryInMs: delay }, detail);
      retryTimer = setTimeout(() => void startWebhook(attempt + 1), delay);
    }
  };

  const send = async (chatId: string, message: OutgoingMessage) => {
    const { parts, buttons } = renderForTelegram(message);
    await closeOpenQuestion(chatId);
    let last: { message_id: number } | undefined;
    // A file goes as a document, with the text as its caption when that fits; else the text first.
    const doc = message.document;
    const captioned = doc && !buttons && parts.length === 1 && parts[0]!.length <= telegramCaptionLimit;
    const textParts = captioned ? [] : parts;
    for (const [i, part] of textParts.entries()) {
      const final = i === textParts.length - 1;
      const replyMarkup = !final
        ? undefined
        : buttons
          ? { inline_keyboard: buttons.map((b) => [{ text: b.text, callback_data: b.data }]) }
          : message.requestPhone
            ? {
                keyboard: [[{ text: shareNumberLabel, request_contact: true }]],
                one_time_keyboard: true,
                resize_keyboard: true,
              }
            : { remove_keyboard: true };
      try {
        last = await call<{ message_id: number }>("sendMessage", {
          chat_id: chatId,
          text: part,
          parse_mode: "HTML",
          ...(replyMarkup ? { reply_markup: replyMarkup } : {}),
        });
      } catch (err) {
        throw toSendError(err);
      }
    }
    if (doc) {
      try {
        last = await call<{ message_id: number }>("sendDocument", {
          chat_id: chatId,
          document: { source: Buffer.from(doc.bytes), filename: doc.fileName },
          ...(captioned ? { caption: parts[0], parse_mode: "HTML" } : {}),
        });
      } catch (err) {
        throw toSendError(err);
      }
    }
    if (buttons && isStampedQuestion(message.choices)) await rememberOpenQuestion(chatId, last!.message_id);
    return { platformMessageId: `${chatId}:${last!.message_id}` };
  };

  return {
    name: "telegram",
    buttons: true,
    sharePhone: true,
    telegraf,
    webhookPath,
    send,
    status: () => status,
    async start(h) {
      hooks = h;
      stopped = false;
      if (options.publicUrl) await startWebhook();
      else startPolling();
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      if (!options.publicUrl) {
        try {
          telegraf.stop("shutdown");
        } catch {
          // not running
        }
      }
      setStatus("disabled");
    },
    registerWebhook(app) {
      app.post(webhookPath, async (request, reply) => {
        if (!isWebhookSecret(request.headers["x-telegram-bot-api-secret-token"], secret))
          return reply.code(401).send({ error: "unauthorized" });
        if (!telegramUpdateSchema.safeParse(request.body).success)
          return reply.code(400).send({ error: "not a Telegram update" });
        const body = request.body as Update;
        // Answered after the update is committed: a failure gets a 500 and Telegram sends it again.
        await telegraf.handleUpdate(body);
        return reply.code(200).send({ ok: true });
      });
    },
  };
}
