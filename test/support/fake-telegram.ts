/**
 * A fake Telegram Bot API server for tests and benchmarks, built on node:http alone.
 *
 * Point telegraf at it with `new Telegraf(token, { telegram: { apiRoot: fake.url } })`: telegraf calls
 * `POST {apiRoot}/bot{token}/{method}` with a JSON body (multipart only when uploading media), and the fake answers
 * the way Telegram does (`{"ok":true,"result":...}` or `{"ok":false,"error_code":N,"description":...}` with the same
 * HTTP status). Simulated users send messages, button presses, contacts and stickers, which are queued for
 * `getUpdates` long polling, or POSTed to the webhook when one is set. Failures (429, 403, 400, 500, hanging
 * requests) can be injected per method, and `ratePerSecond` imposes a global flood limit on sends.
 * Text sent with parse_mode "HTML" is parsed as Telegram does (telegram-html.ts): a message holds the text a person
 * sees and its entities, and HTML Telegram would refuse gets its 400. `shownMessage()` is a message as the chat
 * shows it now, after edits (editMessageText, editMessageReplyMarkup).
 */
import http from "node:http";
import https from "node:https";
import type { Update } from "telegraf/types";
import { HtmlParseError, parseTelegramHtml, type MessageEntity } from "./telegram-html.js";

export type { Update };
export type TgUser = { id: number; first_name?: string; username?: string };
export type { MessageEntity };
export type SentMessage = {
  chatId: number;
  messageId: number;
  /** The text as the person sees it: with parse_mode HTML, the tags parsed away and the entities decoded. */
  text: string;
  /** Its formatting (bold, italic, text_link...), from parse_mode HTML or given as entities. */
  entities?: MessageEntity[];
  /** The parse_mode the bot asked for, if any. */
  parseMode?: string;
  /** The text parameter exactly as the bot sent it (HTML and all). */
  sentText: string;
  replyMarkup?: unknown;
  method: string;
  at: number;
  /** sendDocument: the file uploaded (`text` is then its caption). */
  document?: { fileName: string; bytes: Buffer };
};
export type FailureMode =
  | { code: 429; retryAfter: number }
  | { code: 403 }
  | { code: 400; description?: string }
  | { code: 500 }
  | { code: "hang" };
export type FakeTelegramOptions = {
  /** Default "123456:TEST-token". */
  token?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Optional global ceiling for send methods (sendMessage, editMessageText), as a token bucket. */
  ratePerSecond?: number;
};
/** One API call. `status` is 0 while the call is still unanswered (a pending long poll or a hanging call). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RecordedRequest = { method: string; body: any; at: number; status: number; viaWebhookReply?: boolean };
export type WebhookDelivery = { updateId: number | undefined; status: number; body: string; at: number };
export type BotCommand = { command: string; description: string };

type Params = Record<string, unknown>;
type Json = Record<string, unknown>;

/** One API call being answered, over HTTP or (for webhook replies) in-process. */
interface Call {
  readonly params: Params;
  readonly record: RecordedRequest;
  done: boolean;
  answer(status: number, payload: object): void;
  /** Runs `fn` if the client goes away before the call is answered. */
  onAbort(fn: () => void): void;
  /** Never answer; the connection is cut by close(). */
  hang(): void;
}

type ChatState = {
  chat: Json;
  nextMessageId: number;
  messages: Map<number, Json>;
  lastBotMessageId?: number;
  lastUserMessageId?: number;
};

type Poller = { call: Call; limit: number; timer: NodeJS.Timeout };

const BOT_USERNAME = "sapa_ikm_test_bot";
const SEND_METHODS = new Set(["sendMessage", "editMessageText"]);
/** What Telegram delivers when allowed_updates was never given, or given as []. */
const DEFAULT_EXCLUDED_UPDATES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);
const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);
const MAX_TEXT = 4096;
const NOT_MODIFIED =
  "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const CALLBACK_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid";

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Numbers arrive as numbers in JSON and as strings in form bodies; Telegram accepts both. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function toBool(value: unknown): boolean {
  return value === true || value === "true" || value === "1" || value === 1;
}

/** Objects arrive as objects in JSON and as JSON strings in form bodies. Throws on malformed JSON. */
function toJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

function updateType(update: object): string | undefined {
  return Object.keys(update).find((key) => key !== "update_id");
}

/** `/start payload` → a bot_command entity, like Telegram adds. */
function commandEntities(text: string): Json[] | undefined {
  const match = /^\/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,})?/.exec(text);
  return match ? [{ offset: 0, length: match[0].length, type: "bot_command" }] : undefined;
}

function parseMultipart(body: Buffer, contentType: string): Params {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const params: Params = {};
  if (!boundary) return params;
  const raw = body.toString("latin1");
  for (const part of raw.split(`--${boundary[1] ?? boundary[2]}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) continue;
    const value = part.slice(split + 4).replace(/\r\n$/, "");
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    params[name] =
      filename !== undefined
        ? { filename, size: Buffer.byteLength(value, "latin1"), bytes: Buffer.from(value, "latin1") }
        : Buffer.from(value, "latin1").toString("utf8");
  }
  return params;
}

function parseBody(body: Buffer, contentType: string): Params {
  if (body.length === 0) return {};
  const type = contentType.toLowerCase();
  if (type.startsWith("multipart/form-data")) return parseMultipart(body, contentType);
  if (type.startsWith("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(body.toString("utf8")));
  }
  const parsed: unknown = JSON.parse(body.toString("utf8"));
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
  return parsed as Params;
}

/** Thrown by method handlers; answered as `{ ok: false, error_code: code, description: message }`. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    description: string,
  ) {
    super(description);
  }
}

class BadRequest extends ApiError {
  constructor(description: string) {
    super(400, description);
  }
}

const BLOCKED = "Forbidden: bot was blocked by the user";

export class FakeTelegram {
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  readonly sent: SentMessage[] = [];
  readonly answeredCallbacks: string[] = [];
  /** Every webhook POST made (by updates and by deliverRaw), with the status the bot answered (0: no answer). */
  readonly webhookDeliveries: WebhookDelivery[] = [];
  /** Chats that blocked the bot: sends to them get 403 "Forbidden: bot was blocked by the user". */
  readonly blockedChats = new Set<number>();
  /** Commands set by setMyCommands, by scope ("default", or the scope type) and language ("default:id"). */
  readonly myCommands = new Map<string, BotCommand[]>();
  http429 = 0;
  webhook: { url: string; secret?: string } | null = null;
  readonly bot = { id: 0, is_bot: true, first_name: "Sapa IKM Test", username: BOT_USERNAME };

  private apiRoot = "";
  private readonly server: http.Server;
  private readonly ratePerSecond: number | undefined;
  private tokens = 0;
  private tokensAt = 0;
  private readonly methods = new Map<string, { name: string; run: (call: Call) => void }>();
  private readonly failOnce = new Map<string, FailureMode[]>();
  private readonly failAlways = new Map<string, FailureMode>();
  private queue: Update[] = [];
  private readonly pollers = new Set<Poller>();
  private wakeScheduled = false;
  private readonly hanging = new Set<http.ServerResponse>();
  private lastUpdateId = 100_000;
  private callbackSeq = 0;
  private readonly issuedCallbacks = new Set<string>();
  private allowedUpdates: Set<string> | null = null;
  private readonly chats = new Map<number, ChatState>();
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  private closed = false;

  constructor(options: FakeTelegramOptions = {}) {
    this.token = options.token ?? "123456:TEST-token";
    this.bot.id = toNumber(this.token.split(":")[0]) ?? 123456;
    this.ratePerSecond = options.ratePerSecond;
    this.tokens = options.ratePerSecond ?? 0;
    this.tokensAt = performance.now();
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 65_000;
    this.registerMethods();
  }

  /** The apiRoot to give telegraf, e.g. "http://127.0.0.1:43210". */
  get url(): string {
    return this.apiRoot;
  }

  /** @internal Use startFakeTelegram(). */
  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("fake Telegram: no TCP address");
    this.apiRoot = `http://127.0.0.1:${address.port}`;
  }

  // ---- simulated users -------------------------------------------------------------------------------------------

  /** A text message from `from` in their private chat; "/cmd ..." gets a bot_command entity. */
  userMessage(from: TgUser, text: string, extra?: Record<string, unknown>): Promise<Update> {
    const state = this.privateChat(from);
    const message = this.userMessageObject(state, from, { text, entities: commandEntities(text), ...extra });
    state.lastUserMessageId = message.message_id as number;
    return this.deliver({ message });
  }

  /** A press on an inline button of the bot's last message to that chat (or of `messageId`). */
  userPress(from: TgUser, data: string, messageId?: number): Promise<Update> {
    const state = this.privateChat(from);
    const id = messageId ?? state.lastBotMessageId;
    if (id === undefined) throw new Error(`fake Telegram: userPress: the bot has sent nothing to chat ${from.id} yet`);
    const message = state.messages.get(id) ?? {
      message_id: id,
      from: this.bot,
      chat: state.chat,
      date: nowSeconds(),
      text: "",
    };
    const callbackId = this.newCallbackId();
    return this.deliver({
      callback_query: {
        id: callbackId,
        from: this.userObject(from),
        message,
        chat_instance: String(-4_000_000_000_000 - from.id),
        data,
      },
    });
  }

  /** A shared contact; user_id is the sender's own id when `ownContact` (default), else someone else's. */
  userContact(from: TgUser, phone: string, ownContact = true): Promise<Update> {
    const state = this.privateChat(from);
    const contact = ownContact
      ? { phone_number: phone, first_name: from.first_name ?? "User", user_id: from.id }
      : { phone_number: phone, first_name: "Someone Else", user_id: from.id + 1_000_000_000 };
    const message = this.userMessageObject(state, from, { contact });
    state.lastUserMessageId = message.message_id as number;
    return this.deliver({ message });
  }

  userSticker(from: TgUser): Promise<Update> {
    const state = this.privateChat(from);
    const sticker = {
      file_id: "CAACAgIAAxkBAAEFAKE-sticker",
      file_unique_id: "AgADFAKE",
      type: "regular",
      width: 512,
      height: 512,
      is_animated: false,
      is_video: false,
      emoji: "👍",
      set_name: "FakeStickers",
    };
    const message = this.userMessageObject(state, from, { sticker });
    state.lastUserMessageId = message.message_id as number;
    return this.deliver({ message });
  }

  /** A text message in a group chat (negative id, type "group"). */
  groupMessage(from: TgUser, groupChatId: number, text: string): Promise<Update> {
    if (groupChatId >= 0) throw new Error(`fake Telegram: group chat ids are negative, got ${groupChatId}`);
    const state = this.chatState(groupChatId);
    const message = this.userMessageObject(state, from, { text, entities: commandEntities(text) });
    return this.deliver({ message });
  }

  /** The user edits their last message in the private chat to `text`. */
  editedMessage(from: TgUser, text: string): Promise<Update> {
    const state = this.privateChat(from);
    const id = state.lastUserMessageId;
    const original = id === undefined ? undefined : state.messages.get(id);
    if (!original) throw new Error(`fake Telegram: editedMessage: user ${from.id} has sent no message yet`);
    const edited: Json = { ...original, text, entities: commandEntities(text), edit_date: nowSeconds() };
    if (edited.entities === undefined) delete edited.entities;
    delete edited.contact;
    delete edited.sticker;
    state.messages.set(id!, edited);
    return this.deliver({ edited_message: edited });
  }

  /** A raw update; update_id is assigned when missing. */
  pushUpdate(update: object): Promise<Update> {
    return this.deliver(update);
  }

  /** POSTs `update` to the webhook with exactly `headers` (plus Content-Type: application/json unless given). */
  async deliverRaw(update: object, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    if (!this.webhook) throw new Error("fake Telegram: deliverRaw needs a webhook (setWebhook was not called)");
    const all = Object.keys(headers).some((h) => h.toLowerCase() === "content-type")
      ? headers
      : { "content-type": "application/json", ...headers };
    return this.postToWebhook(this.webhook.url, update, all);
  }

  // ---- failure injection and helpers ---------------------------------------------------------------------------

  /** The next `times` calls of `method` ("*" for any) fail with `mode`. */
  failNext(method: string, mode: FailureMode, times = 1): void {
    const key = method.toLowerCase();
    const list = this.failOnce.get(key) ?? [];
    for (let i = 0; i < times; i++) list.push(mode);
    this.failOnce.set(key, list);
  }

  /** Every call of `method` ("*" for any) fails with `mode`, until called again with null. */
  failAll(method: string, mode: FailureMode | null): void {
    if (mode) this.failAlways.set(method.toLowerCase(), mode);
    else this.failAlways.delete(method.toLowerCase());
  }

  /** Polls `check` every 10 ms until it returns something other than undefined/null/false (a throw counts as not yet). */
  async waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = check();
        if (value !== undefined && value !== null && value !== false) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() >= deadline) break;
      await sleep(10);
    }
    const shorten = (value: unknown) => {
      const json = JSON.stringify(value) ?? String(value);
      return json.length > 160 ? `${json.slice(0, 157)}...` : json;
    };
    const lines = [
      `fake Telegram: waitFor timed out after ${timeoutMs} ms: ${check.toString().replace(/\s+/g, " ").slice(0, 200)}`,
    ];
    if (lastError !== undefined)
      lines.push(`  last error: ${lastError instanceof Error ? lastError.message : lastError}`);
    lines.push(`  ${this.requests.length} requests, last ones:`);
    for (const r of this.requests.slice(-8)) lines.push(`    ${r.status || "pending"} ${r.method} ${shorten(r.body)}`);
    lines.push(`  ${this.sent.length} messages sent, last ones:`);
    for (const m of this.sent.slice(-5)) lines.push(`    to ${m.chatId} #${m.messageId}: ${shorten(m.text)}`);
    throw new Error(lines.join("\n"));
  }

  sentTo(chatId: number): SentMessage[] {
    return this.sent.filter((m) => m.chatId === chatId);
  }

  /** A message as the chat shows it now (text, entities, reply_markup), after any edits. */
  shownMessage(
    chatId: number,
    messageId: number,
  ): { text?: string; entities?: MessageEntity[]; reply_markup?: { inline_keyboard: unknown[][] } } | undefined {
    return this.chats.get(chatId)?.messages.get(messageId) as ReturnType<FakeTelegram["shownMessage"]>;
  }

  /** Updates waiting for getUpdates (not yet confirmed by an offset). */
  get pendingUpdates(): readonly Update[] {
    return this.queue;
  }

  /** Ends pending long polls (with []) and hanging requests (connection cut), then closes the server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const poller of [...this.pollers]) this.answerPoller(poller, []);
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    await closing;
  }

  // ---- HTTP --------------------------------------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => this.onRequestBody(req, res, Buffer.concat(chunks)));
  }

  private onRequestBody(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const match = /^\/bot([^/]+)\/([^/]+)$/.exec(url.pathname);
    const rawMethod = match ? decodeURIComponent(match[2]!) : url.pathname;
    const known = match ? this.methods.get(rawMethod.toLowerCase()) : undefined;
    let params: Params = Object.fromEntries(url.searchParams);
    let parseError = false;
    try {
      params = { ...params, ...parseBody(raw, String(req.headers["content-type"] ?? "")) };
    } catch {
      parseError = true;
    }
    const record: RecordedRequest = { method: known?.name ?? rawMethod, body: params, at: Date.now(), status: 0 };
    this.requests.push(record);
    const call: Call = {
      params,
      record,
      done: false,
      answer: (status, payload) => {
        if (call.done) return;
        call.done = true;
        record.status = status;
        this.hanging.delete(res);
        if (res.destroyed || res.writableEnded) return;
        const body = JSON.stringify(payload);
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
      },
      onAbort: (fn) => {
        res.on("close", () => {
          if (!call.done) fn();
        });
      },
      hang: () => {
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
      },
    };
    if (!match) return this.fail(call, 404, "Not Found");
    if (decodeURIComponent(match[1]!) !== this.token) return this.fail(call, 401, "Unauthorized");
    if (parseError) return this.fail(call, 400, "Bad Request: can't parse request body");
    this.dispatch(call, rawMethod);
  }

  private dispatch(call: Call, rawMethod: string): void {
    const key = rawMethod.toLowerCase();
    const once = this.failOnce.get(key)?.length ? this.failOnce.get(key) : this.failOnce.get("*");
    const failure = once?.length ? once.shift() : (this.failAlways.get(key) ?? this.failAlways.get("*"));
    if (failure) return this.applyFailure(call, failure);
    const method = this.methods.get(key);
    if (!method) return this.fail(call, 404, "Not Found");
    if (this.ratePerSecond !== undefined && SEND_METHODS.has(method.name) && !this.takeToken()) {
      return this.tooManyRequests(call, 1);
    }
    try {
      method.run(call);
    } catch (error) {
      if (error instanceof ApiError) return this.fail(call, error.code, error.message);
      throw error;
    }
  }

  private applyFailure(call: Call, mode: FailureMode): void {
    switch (mode.code) {
      case 429:
        return this.tooManyRequests(call, mode.retryAfter);
      case 403:
        return this.fail(call, 403, BLOCKED);
      case 400:
        return this.fail(call, 400, mode.description ?? "Bad Request: simulated failure");
      case 500:
        return this.fail(call, 500, "Internal Server Error");
      case "hang":
        return call.hang();
    }
  }

  private tooManyRequests(call: Call, retryAfter: number): void {
    this.http429++;
    this.fail(call, 429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
  }

  private takeToken(): boolean {
    const rate = this.ratePerSecond!;
    const now = performance.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private ok(call: Call, result: unknown): void {
    call.answer(200, { ok: true, result });
  }

  private fail(call: Call, code: number, description: string, parameters?: Json): void {
    call.answer(code, { ok: false, error_code: code, description, ...(parameters && { parameters }) });
  }

  // ---- API methods ---------------------------------------------------------------------------------------------------

  private registerMethods(): void {
    const add = (name: string, run: (call: Call) => void) => this.methods.set(name.toLowerCase(), { name, run });

    add("getMe", (call) =>
      this.ok(call, {
        ...this.bot,
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
      }),
    );

    add("getUpdates", (call) => this.getUpdates(call));

    add("setWebhook", (call) => {
      const p = call.params;
      const url = typeof p.url === "string" ? p.url : "";
      if (url === "") {
        this.webhook = null;
        return this.ok(call, true);
      }
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new BadRequest("Bad Request: invalid webhook URL specified");
      }
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        throw new BadRequest("Bad Request: bad webhook: Unsupported URL protocol");
      }
      const secret = p.secret_token === undefined ? undefined : String(p.secret_token);
      if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
        throw new BadRequest("Bad Request: secret token contains unallowed characters");
      }
      this.setAllowedUpdates(p.allowed_updates);
      if (toBool(p.drop_pending_updates)) this.queue = [];
      this.webhook = secret === undefined ? { url } : { url, secret };
      for (const poller of [...this.pollers]) {
        this.pollers.delete(poller);
        clearTimeout(poller.timer);
        this.fail(poller.call, 409, "Conflict: terminated by setWebhook request");
      }
      this.ok(call, true);
      void this.flushQueueToWebhook();
    });

    add("deleteWebhook", (call) => {
      this.webhook = null;
      if (toBool(call.params.drop_pending_updates)) this.queue = [];
      this.ok(call, true);
    });

    add("getWebhookInfo", (call) =>
      this.ok(call, {
        url: this.webhook?.url ?? "",
        has_custom_certificate: false,
        pending_update_count: this.queue.length,
        ...(this.webhook && { max_connections: 40 }),
        ...(this.allowedUpdates && { allowed_updates: [...this.allowedUpdates] }),
      }),
    );

    add("sendMessage", (call) => {
      const p = call.params;
      const chatId = this.chatIdParam(p);
      const { text, entities, sentText } = this.textParam(p);
      const replyMarkup = this.replyMarkupParam(p);
      const state = this.chatState(chatId);
      const messageId = state.nextMessageId++;
      const message: Json = { message_id: messageId, from: this.bot, chat: state.chat, date: nowSeconds(), text };
      if (entities) message.entities = entities;
      if (hasButtons(replyMarkup)) message.reply_markup = replyMarkup;
      state.messages.set(messageId, message);
      state.lastBotMessageId = messageId;
      this.recordSent("sendMessage", chatId, messageId, p, { text, entities, sentText }, replyMarkup);
      this.ok(call, message);
    });

    // A file upload (multipart); the caption is parsed like a message's text.
    add("sendDocument", (call) => {
      const p = call.params;
      const chatId = this.chatIdParam(p);
      const file = p.document as { filename?: string; bytes?: Buffer } | string | undefined;
      if (!file || typeof file !== "object" || !file.bytes?.length)
        throw new BadRequest("Bad Request: there is no document in the request");
      const caption =
        p.caption === undefined
          ? { text: "", sentText: "" }
          : this.textParam({ text: p.caption, ...(p.parse_mode ? { parse_mode: p.parse_mode } : {}) });
      if (caption.text.length > 1024) throw new BadRequest("Bad Request: message caption is too long");
      const state = this.chatState(chatId);
      const messageId = state.nextMessageId++;
      const document = {
        file_name: file.filename ?? "document",
        file_size: file.bytes.length,
        file_id: `doc-${messageId}`,
      };
      const message: Json = { message_id: messageId, from: this.bot, chat: state.chat, date: nowSeconds(), document };
      if (caption.text) message.caption = caption.text;
      state.messages.set(messageId, message);
      state.lastBotMessageId = messageId;
      this.recordSent("sendDocument", chatId, messageId, p, caption, undefined);
      this.sent[this.sent.length - 1]!.document = { fileName: document.file_name, bytes: file.bytes };
      this.ok(call, message);
    });

    add("editMessageText", (call) => {
      const p = call.params;
      const { text, entities, sentText } = this.textParam(p);
      const replyMarkup = this.replyMarkupParam(p);
      if (p.inline_message_id !== undefined) return this.ok(call, true);
      const { chatId, messageId, state, old } = this.botMessageToEdit(p);
      const inline = hasButtons(replyMarkup) ? replyMarkup : undefined;
      if (
        old.text === text &&
        JSON.stringify(old.entities) === JSON.stringify(entities) &&
        JSON.stringify(old.reply_markup) === JSON.stringify(inline)
      ) {
        throw new BadRequest(NOT_MODIFIED);
      }
      // Like Telegram, an edit without reply_markup removes the inline keyboard.
      const message: Json = { ...old, text, edit_date: nowSeconds() };
      if (entities) message.entities = entities;
      else delete message.entities;
      if (inline) message.reply_markup = inline;
      else delete message.reply_markup;
      state.messages.set(messageId, message);
      this.recordSent("editMessageText", chatId, messageId, p, { text, entities, sentText }, replyMarkup);
      this.ok(call, message);
    });

    add("editMessageReplyMarkup", (call) => {
      const p = call.params;
      const replyMarkup = this.replyMarkupParam(p);
      if (p.inline_message_id !== undefined) return this.ok(call, true);
      const { messageId, state, old } = this.botMessageToEdit(p);
      // No reply_markup, or an empty inline keyboard, takes the keyboard away.
      const inline = hasButtons(replyMarkup) ? replyMarkup : undefined;
      if (JSON.stringify(old.reply_markup) === JSON.stringify(inline)) throw new BadRequest(NOT_MODIFIED);
      const message: Json = { ...old, edit_date: nowSeconds() };
      if (inline) message.reply_markup = inline;
      else delete message.reply_markup;
      state.messages.set(messageId, message);
      this.ok(call, message);
    });

    add("answerCallbackQuery", (call) => {
      const id = call.params.callback_query_id;
      if (typeof id !== "string" || !this.issuedCallbacks.has(id)) throw new BadRequest(CALLBACK_TOO_OLD);
      this.answeredCallbacks.push(id);
      this.ok(call, true);
    });

    add("sendChatAction", (call) => {
      this.chatIdParam(call.params);
      if (typeof call.params.action !== "string" || !CHAT_ACTIONS.has(call.params.action)) {
        throw new BadRequest("Bad Request: wrong parameter action in request");
      }
      this.ok(call, true);
    });

    add("setMyCommands", (call) => {
      let commands: unknown;
      try {
        commands = toJson(call.params.commands);
      } catch {
        throw new BadRequest("Bad Request: can't parse commands JSON object");
      }
      if (!Array.isArray(commands)) throw new BadRequest('Bad Request: parameter "commands" is required');
      const list: BotCommand[] = [];
      for (const c of commands as { command?: unknown; description?: unknown }[]) {
        const command = typeof c?.command === "string" ? c.command.replace(/^\//, "") : "";
        if (!/^[a-z0-9_]{1,32}$/.test(command)) throw new BadRequest("Bad Request: BOT_COMMAND_INVALID");
        const description = typeof c.description === "string" ? c.description : "";
        if (description.length < 1 || description.length > 256) {
          throw new BadRequest("Bad Request: command description must be non-empty");
        }
        list.push({ command, description });
      }
      this.myCommands.set(this.commandsKey(call.params), list);
      this.ok(call, true);
    });

    add("getMyCommands", (call) => this.ok(call, this.myCommands.get(this.commandsKey(call.params)) ?? []));

    add("deleteMyCommands", (call) => {
      this.myCommands.delete(this.commandsKey(call.params));
      this.ok(call, true);
    });
  }

  private getUpdates(call: Call): void {
    const p = call.params;
    if (this.webhook) {
      return this.fail(
        call,
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = toNumber(p.offset) ?? 0;
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.queue = this.queue.slice(offset);
    if (p.allowed_updates !== undefined) this.setAllowedUpdates(p.allowed_updates);
    const limit = Math.min(100, Math.max(1, toNumber(p.limit) ?? 100));
    const timeout = Math.max(0, toNumber(p.timeout) ?? 0);
    // Like Telegram: a newer getUpdates ends the older one with 409.
    for (const poller of [...this.pollers]) {
      this.pollers.delete(poller);
      clearTimeout(poller.timer);
      this.fail(
        poller.call,
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
      );
    }
    if (this.queue.length > 0 || timeout === 0 || this.closed) return this.ok(call, this.queue.slice(0, limit));
    const poller: Poller = { call, limit, timer: setTimeout(() => this.answerPoller(poller, []), timeout * 1000) };
    this.pollers.add(poller);
    call.onAbort(() => {
      clearTimeout(poller.timer);
      this.pollers.delete(poller);
    });
  }

  private answerPoller(poller: Poller, updates: Update[]): void {
    clearTimeout(poller.timer);
    this.pollers.delete(poller);
    this.ok(poller.call, updates);
  }

  /** Wakes pending long polls once the current burst of pushes is queued. */
  private wakePollers(): void {
    if (this.wakeScheduled || this.pollers.size === 0) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      if (this.queue.length === 0) return;
      for (const poller of [...this.pollers]) this.answerPoller(poller, this.queue.slice(0, poller.limit));
    });
  }

  private setAllowedUpdates(value: unknown): void {
    if (value === undefined) return;
    let list: unknown;
    try {
      list = toJson(value);
    } catch {
      throw new BadRequest("Bad Request: can't parse allowed_updates JSON array");
    }
    this.allowedUpdates = Array.isArray(list) && list.length > 0 ? new Set(list.map(String)) : null;
    this.queue = this.queue.filter((u) => this.isAllowed(u));
  }

  private isAllowed(update: object): boolean {
    const type = updateType(update) ?? "";
    return this.allowedUpdates ? this.allowedUpdates.has(type) : !DEFAULT_EXCLUDED_UPDATES.has(type);
  }

  private commandsKey(params: Params): string {
    let scope: unknown;
    try {
      scope = toJson(params.scope);
    } catch {
      throw new BadRequest("Bad Request: can't parse BotCommandScope JSON object");
    }
    const type = (scope as { type?: unknown } | undefined)?.type;
    const lang = typeof params.language_code === "string" ? params.language_code : "";
    return `${typeof type === "string" ? type : "default"}${lang ? `:${lang}` : ""}`;
  }

  // ---- parameters ------------------------------------------------------------------------------------------------

  private chatIdParam(p: Params): number {
    if (p.chat_id === undefined || p.chat_id === "") throw new BadRequest("Bad Request: chat_id is empty");
    const chatId = toNumber(p.chat_id);
    if (chatId === undefined || !Number.isInteger(chatId)) throw new BadRequest("Bad Request: chat not found");
    if (this.blockedChats.has(chatId)) throw new ApiError(403, BLOCKED);
    return chatId;
  }

  /** The text a person will see and its entities, from text with parse_mode or entities. */
  /** Notes a message the bot sent or edited, as the person sees it and as it was sent. */
  private recordSent(
    method: string,
    chatId: number,
    messageId: number,
    p: Record<string, unknown>,
    shown: { text: string; entities?: MessageEntity[]; sentText: string },
    replyMarkup: unknown,
  ): void {
    this.sent.push({
      chatId,
      messageId,
      text: shown.text,
      ...(shown.entities ? { entities: shown.entities } : {}),
      ...(typeof p.parse_mode === "string" ? { parseMode: p.parse_mode } : {}),
      sentText: shown.sentText,
      replyMarkup,
      method,
      at: Date.now(),
    });
  }

  private textParam(p: Params): { text: string; entities?: MessageEntity[]; sentText: string } {
    const sentText = p.text === undefined || p.text === null ? "" : String(p.text);
    let shown: { text: string; entities?: MessageEntity[] } = { text: sentText };
    const mode = typeof p.parse_mode === "string" ? p.parse_mode.toLowerCase() : "";
    if (mode === "html") {
      try {
        shown = parseTelegramHtml(sentText);
      } catch (error) {
        if (error instanceof HtmlParseError)
          throw new BadRequest(`Bad Request: can't parse entities: ${error.message}`);
        throw error;
      }
    } else if (mode !== "") {
      throw new BadRequest(`Bad Request: unsupported parse_mode in the fake: ${String(p.parse_mode)}`);
    } else if (p.entities !== undefined) {
      let entities: unknown;
      try {
        entities = toJson(p.entities);
      } catch {
        throw new BadRequest("Bad Request: can't parse entities JSON object");
      }
      const valid =
        Array.isArray(entities) &&
        entities.every(
          (e: Partial<MessageEntity>) =>
            typeof e?.type === "string" &&
            Number.isInteger(e.offset) &&
            Number.isInteger(e.length) &&
            e.offset! >= 0 &&
            e.length! > 0 &&
            e.offset! + e.length! <= sentText.length,
        );
      if (!valid) throw new BadRequest("Bad Request: can't parse entities: wrong entity offset or length");
      shown = { text: sentText, entities: entities as MessageEntity[] };
    }
    const length = shown.text.trim().length;
    if (length === 0) throw new BadRequest("Bad Request: message text is empty");
    if (length > MAX_TEXT) throw new BadRequest("Bad Request: message is too long");
    return {
      text: shown.text,
      ...(shown.entities?.length ? { entities: shown.entities } : {}),
      sentText,
    };
  }

  private replyMarkupParam(p: Params): unknown {
    if (p.reply_markup === undefined) return undefined;
    let markup: unknown;
    try {
      markup = toJson(p.reply_markup);
    } catch {
      throw new BadRequest("Bad Request: can't parse reply keyboard markup JSON object");
    }
    if (markup === null || typeof markup !== "object") {
      throw new BadRequest("Bad Request: can't parse reply keyboard markup JSON object");
    }
    const keyboard = (markup as { inline_keyboard?: unknown }).inline_keyboard;
    if (keyboard !== undefined) {
      if (!Array.isArray(keyboard) || !keyboard.every((row) => Array.isArray(row))) {
        throw new BadRequest(
          'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays',
        );
      }
      for (const row of keyboard as unknown[][]) {
        for (const button of row as { callback_data?: unknown }[]) {
          const data = button?.callback_data;
          if (data === undefined) continue;
          const bytes = typeof data === "string" ? Buffer.byteLength(data, "utf8") : 0;
          if (bytes < 1 || bytes > 64) throw new BadRequest("Bad Request: BUTTON_DATA_INVALID");
        }
      }
    }
    return markup;
  }

  /** The bot's own message an edit names, or the 400 Telegram gives. */
  private botMessageToEdit(p: Params): { chatId: number; messageId: number; state: ChatState; old: Json } {
    const chatId = this.chatIdParam(p);
    const messageId = toNumber(p.message_id);
    if (messageId === undefined) throw new BadRequest("Bad Request: message identifier is not specified");
    const state = this.chatState(chatId);
    const old = state.messages.get(messageId);
    if (!old) throw new BadRequest("Bad Request: message to edit not found");
    if ((old.from as { id?: number } | undefined)?.id !== this.bot.id) {
      throw new BadRequest("Bad Request: message can't be edited");
    }
    return { chatId, messageId, state, old };
  }

  // ---- chats, messages and updates -------------------------------------------------------------------------------

  private chatState(chatId: number): ChatState {
    let state = this.chats.get(chatId);
    if (!state) {
      const chat: Json =
        chatId < 0 ? { id: chatId, title: "Test group", type: "group" } : { id: chatId, type: "private" };
      state = { chat, nextMessageId: 1, messages: new Map() };
      this.chats.set(chatId, state);
    }
    return state;
  }

  private privateChat(from: TgUser): ChatState {
    const state = this.chatState(from.id);
    state.chat = {
      id: from.id,
      first_name: from.first_name ?? "User",
      ...(from.username !== undefined && { username: from.username }),
      type: "private",
    };
    return state;
  }

  private userObject(from: TgUser): Json {
    return {
      id: from.id,
      is_bot: false,
      first_name: from.first_name ?? "User",
      ...(from.username !== undefined && { username: from.username }),
      language_code: "id",
    };
  }

  private userMessageObject(state: ChatState, from: TgUser, content: Json): Json {
    const messageId = state.nextMessageId++;
    const message: Json = {
      message_id: messageId,
      from: this.userObject(from),
      chat: state.chat,
      date: nowSeconds(),
      ...content,
    };
    if (message.entities === undefined) delete message.entities;
    state.messages.set(messageId, message);
    return message;
  }

  private newCallbackId(): string {
    const id = (7_000_000_000_000_000_000n + BigInt(++this.callbackSeq)).toString();
    this.issuedCallbacks.add(id);
    return id;
  }

  private async deliver(raw: object): Promise<Update> {
    const update = raw as Update & Json;
    if (typeof update.update_id !== "number") update.update_id = ++this.lastUpdateId;
    else this.lastUpdateId = Math.max(this.lastUpdateId, update.update_id);
    const callbackId = (update as { callback_query?: { id?: unknown } }).callback_query?.id;
    if (typeof callbackId === "string") this.issuedCallbacks.add(callbackId);
    if (!this.isAllowed(update)) return update;
    if (this.webhook) {
      const { url, secret } = this.webhook;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (secret !== undefined) headers["x-telegram-bot-api-secret-token"] = secret;
      await this.postToWebhook(url, update, headers);
      return update;
    }
    this.queue.push(update);
    this.wakePollers();
    return update;
  }

  private async flushQueueToWebhook(): Promise<void> {
    while (this.webhook && this.queue.length > 0 && !this.closed) {
      const update = this.queue.shift()!;
      const { url, secret } = this.webhook;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (secret !== undefined) headers["x-telegram-bot-api-secret-token"] = secret;
      await this.postToWebhook(url, update, headers).catch(() => undefined);
    }
  }

  /** POSTs one update; a JSON answer with a `method` (telegraf's webhook reply) is executed like an API call. */
  private postToWebhook(
    url: string,
    update: object,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    const target = new URL(url);
    const secure = target.protocol === "https:";
    const payload = JSON.stringify(update);
    const updateId = (update as { update_id?: unknown }).update_id;
    const delivery: WebhookDelivery = {
      updateId: typeof updateId === "number" ? updateId : undefined,
      status: 0,
      body: "",
      at: Date.now(),
    };
    this.webhookDeliveries.push(delivery);
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        target,
        {
          method: "POST",
          headers: { ...headers, "content-length": Buffer.byteLength(payload) },
          agent: secure ? this.httpsAgent : this.httpAgent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            delivery.status = res.statusCode ?? 0;
            delivery.body = Buffer.concat(chunks).toString("utf8");
            if (delivery.status >= 200 && delivery.status < 300) this.runWebhookReply(delivery.body);
            resolve({ status: delivery.status, body: delivery.body });
          });
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error("fake Telegram: webhook did not answer in 60 s")));
      req.on("error", (error) => reject(new Error(`fake Telegram: webhook POST to ${url} failed: ${error.message}`)));
      req.end(payload);
    });
  }

  private runWebhookReply(body: string): void {
    if (!body.startsWith("{")) return;
    let reply: unknown;
    try {
      reply = JSON.parse(body);
    } catch {
      return;
    }
    const { method, ...params } = reply as Params;
    if (typeof method !== "string") return;
    const record: RecordedRequest = { method, body: params, at: Date.now(), status: 0, viaWebhookReply: true };
    const known = this.methods.get(method.toLowerCase());
    if (known) record.method = known.name;
    this.requests.push(record);
    const call: Call = {
      params,
      record,
      done: false,
      answer: (status) => {
        call.done = true;
        record.status = status;
      },
      onAbort: () => undefined,
      hang: () => undefined,
    };
    this.dispatch(call, method);
  }
}

/** An inline keyboard with at least one button (Telegram shows no empty keyboard). */
function hasButtons(markup: unknown): markup is { inline_keyboard: unknown[][] } {
  const keyboard = typeof markup === "object" && markup !== null ? (markup as Json).inline_keyboard : undefined;
  return Array.isArray(keyboard) && keyboard.some((row) => Array.isArray(row) && row.length > 0);
}

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const fake = new FakeTelegram(options);
  await fake.listen(options.port ?? 0);
  return fake;
}
