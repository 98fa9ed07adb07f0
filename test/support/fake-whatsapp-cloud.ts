/**
 * A fake WhatsApp Cloud API (Meta's Graph API, the part a bot uses) for tests and benchmarks,
 * built on node:http alone.
 *
 * Point the adapter at it with `WHATSAPP_CLOUD_API_ROOT=fake.url`. It answers
 * `POST /{version}/{phone-number-id}/messages` (text, interactive buttons and lists, documents,
 * templates) and `POST /{version}/{phone-number-id}/media` (multipart upload) the way Meta does:
 * `{"messaging_product":"whatsapp","contacts":[...],"messages":[{"id":"wamid..."}]}`, or Meta's
 * error body `{"error":{"message","type","code","error_data":{"details"},"fbtrace_id"}}` (HTTP 400
 * for most codes, as Meta answers; 401 for a wrong token; 500 for server trouble). It refuses what
 * Meta refuses (a button title over 20 characters, a list row over 24, a body over 1024...).
 *
 * What Meta does on its own is simulated too: a throughput ceiling (130429 past `perSecond` in any
 * 1000 ms), the 24-hour customer-service window (a free-form message to someone outside it is
 * accepted and then fails with 131047 in a status webhook, or at once if asked), and status
 * webhooks (`sent`, `delivered`, optionally `read`) signed with the app secret. Simulated people
 * send text, press buttons, pick list rows, send media and share contacts, as signed webhooks.
 */
import crypto from "node:crypto";
import http from "node:http";

export type CloudSent = {
  /** The wamid given back. */
  id: string;
  to: string;
  /** text, interactive, document, template... */
  type: string;
  /** What the person sees: the text, the interactive body, the caption, or the filled-in template. */
  text: string;
  buttons?: { id: string; title: string }[];
  rows?: { id: string; title: string }[];
  /** The list's button text. */
  listButton?: string;
  template?: { name: string; language: string; parameters: string[] };
  /** A document (or a template's document header): the uploaded bytes, or the link. */
  document?: { fileName?: string; mimeType?: string; bytes?: Buffer; link?: string; mediaId?: string };
  /** Date.now() when accepted. */
  at: number;
  /** The request body as the bot sent it. */
  request: Record<string, unknown>;
};

/** A status the fake produced (posted to the webhook when one is set). */
export type CloudStatusEvent = {
  id: string;
  to: string;
  status: "sent" | "delivered" | "read" | "failed";
  code?: number;
};
export type WebhookPost = { body: string; status: number; kind: "status" | "message" | "raw" };
/** A Meta error code, "5xx" (HTTP 500, Meta's 131000) or "hang" (never answered; cut by close()). */
export type CloudFailure = number | "5xx" | "hang";

export type FakeWhatsAppCloudOptions = {
  /** Default "109876543210987". */
  phoneNumberId?: string;
  /** Default "fake-app-secret-0123456789abcdef". */
  appSecret?: string;
  /** The Bearer token the fake accepts (default fakeCloudToken). */
  accessToken?: string;
  /** Throughput ceiling of /messages, in any sliding 1000 ms (default unlimited). */
  perSecond?: number;
  /** Where status updates and people's messages are posted (can be set later). */
  webhookUrl?: string;
  /** A delay before each answer, ms (default 0). */
  latencyMs?: number;
  /** Post `read` after `delivered` (default false). */
  readReceipts?: boolean;
  /**
   * A free-form message outside the 24-hour window: "webhook" (Meta's way: accepted, then a
   * `failed` status with 131047) or "sync" (answered 400 with 131047 at once). Default "webhook".
   */
  windowErrors?: "webhook" | "sync";
  /** Whether someone the fake never heard from is inside the window (default true). */
  unknownInsideWindow?: boolean;
  /** Templates by "name:language" with their body ("Halo {{1}}"); others get 132001 when set. */
  templates?: Record<string, string>;
};

export const fakeCloudToken = "EAAG-fake-cloud-access-token-0123456789";
const windowMs = 24 * 60 * 60 * 1000;

/** Meta's wording for the codes tests use; the rest get a generic message. */
const metaErrors: Record<string, { message: string; details: string }> = {
  "4": { message: "(#4) Application request limit reached", details: "Application request limit reached" },
  "100": { message: "(#100) Invalid parameter", details: "Invalid parameter" },
  "131000": { message: "(#131000) Something went wrong", details: "Something went wrong" },
  "131008": { message: "(#131008) Required parameter is missing", details: "Required parameter is missing" },
  "131009": { message: "(#131009) Parameter value is not valid", details: "Parameter value is not valid" },
  "131026": { message: "(#131026) Message Undeliverable", details: "Message Undeliverable." },
  "131047": {
    message: "(#131047) Re-engagement message",
    details:
      "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
  },
  "131049": {
    message: "(#131049) This message was not delivered to maintain healthy ecosystem engagement.",
    details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
  },
  "131056": {
    message: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
    details:
      "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
  },
  "130429": { message: "(#130429) Rate limit hit", details: "Cloud API message throughput has been reached." },
  "132000": {
    message: "(#132000) Number of parameters does not match the expected number of params",
    details: "body: number of localizable_params does not match the expected number of params",
  },
  "132001": {
    message: "(#132001) Template name does not exist in the translation",
    details: "template name does not exist in the translation",
  },
  "80007": {
    message: "(#80007) Rate limit issues",
    details: "The WhatsApp Business Account has reached its rate limit.",
  },
};

class MetaError extends Error {
  constructor(
    readonly code: number,
    readonly httpStatus = 400,
    details?: string,
  ) {
    super(details ?? metaErrors[code]?.details ?? `error ${code}`);
  }
  body() {
    const known = metaErrors[this.code];
    return {
      error: {
        message: known?.message ?? `(#${this.code}) ${this.message}`,
        type: "OAuthException",
        code: this.code,
        error_data: { messaging_product: "whatsapp", details: this.message },
        fbtrace_id: `A${crypto.randomBytes(8).toString("hex")}`,
      },
    };
  }
}

type Json = Record<string, unknown>;
type Media = { bytes: Buffer; mimeType: string; fileName?: string };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const wamid = () => `wamid.HBg${crypto.randomBytes(12).toString("hex").toUpperCase()}`;
const seconds = (ms = Date.now()) => String(Math.floor(ms / 1000));
const asObject = (value: unknown): Json | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Meta escapes every non-ASCII character in the JSON it posts: the signature is over those bytes. */
const metaJson = (value: unknown) =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** The `to` of a JSON request body, if it has one. */
function recipientOf(body: Buffer): string | undefined {
  try {
    return asString(asObject(JSON.parse(body.toString("utf8")))?.to);
  } catch {
    return undefined;
  }
}

/** A multipart/form-data body's fields; files as their bytes. */
function parseMultipart(body: Buffer, contentType: string): Record<string, string | Media> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const fields: Record<string, string | Media> = {};
  if (!boundary) return fields;
  const raw = body.toString("latin1");
  for (const part of raw.split(`--${boundary[1] ?? boundary[2]}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) continue;
    const value = Buffer.from(part.slice(split + 4).replace(/\r\n$/, ""), "latin1");
    const fileName = /filename="([^"]*)"/i.exec(headers)?.[1];
    const type = /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim();
    fields[name] =
      fileName !== undefined
        ? { bytes: value, mimeType: type ?? "application/octet-stream", fileName }
        : value.toString("utf8");
  }
  return fields;
}

export class FakeWhatsAppCloud {
  readonly phoneNumberId: string;
  readonly appSecret: string;
  readonly accessToken: string;
  /** Every message accepted by /messages, in order. */
  readonly sent: CloudSent[] = [];
  /** Files uploaded, by media id. */
  readonly media = new Map<string, Media>();
  /** Statuses the fake produced, posted or not. */
  readonly statuses: CloudStatusEvent[] = [];
  /** Every POST to the webhook, with the status the bot answered (0: no answer). */
  readonly webhookPosts: WebhookPost[] = [];
  /** Sends refused by the throughput ceiling. */
  overLimit = 0;
  /** Requests refused for any reason (their Meta code), in order. */
  readonly refused: { to?: string; code: number }[] = [];
  /** Exceptions inside the fake itself (answered 500): a test may assert there were none. */
  readonly internalErrors: Error[] = [];
  webhookUrl: string | undefined;
  latencyMs: number;
  perSecond: number | undefined;
  readReceipts: boolean;
  windowErrors: "webhook" | "sync";
  url = "";

  private readonly server: http.Server;
  private readonly failures: { to: string; failure: CloudFailure; remaining: number }[] = [];
  private readonly lastUserMessage = new Map<string, number>();
  private readonly unknownInsideWindow: boolean;
  private readonly templates: Record<string, string> | undefined;
  /** Times of accepted sends within the last second, oldest first. */
  private recent: number[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  /** The last message sent to each person, for the `context` of their replies. */
  private readonly lastSentTo = new Map<string, string>();

  constructor(options: FakeWhatsAppCloudOptions = {}) {
    this.phoneNumberId = options.phoneNumberId ?? "109876543210987";
    this.appSecret = options.appSecret ?? "fake-app-secret-0123456789abcdef";
    this.accessToken = options.accessToken ?? fakeCloudToken;
    this.perSecond = options.perSecond;
    this.webhookUrl = options.webhookUrl;
    this.latencyMs = options.latencyMs ?? 0;
    this.readReceipts = options.readReceipts ?? false;
    this.windowErrors = options.windowErrors ?? "webhook";
    this.unknownInsideWindow = options.unknownInsideWindow ?? true;
    this.templates = options.templates;
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = this.server.address();
    if (!address || typeof address === "string") throw new Error("the fake Cloud API has no port");
    this.url = `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `count` sends to `to` ("*": anyone) fail with `failure`. */
  failNext(to: string, failure: CloudFailure, count = 1): void {
    this.failures.push({ to, failure, remaining: count });
  }

  /** Puts `to` outside the 24-hour window (their last message 25 hours ago). */
  outsideWindow(to: string): void {
    this.lastUserMessage.set(to, Date.now() - windowMs - 60 * 60 * 1000);
  }

  setLastUserMessage(to: string, at: Date): void {
    this.lastUserMessage.set(to, at.getTime());
  }

  isInsideWindow(to: string, at = Date.now()): boolean {
    const last = this.lastUserMessage.get(to);
    return last === undefined ? this.unknownInsideWindow : at - last < windowMs;
  }

  /** Accepted sends a second, bucketed from the first accepted send. */
  perSecondCounts(): number[] {
    if (this.sent.length === 0) return [];
    const first = this.sent[0]!.at;
    const counts: number[] = [];
    for (const s of this.sent) {
      const bucket = Math.floor((s.at - first) / 1000);
      while (counts.length <= bucket) counts.push(0);
      counts[bucket]! += 1;
    }
    return counts;
  }

  /** Sends to one person, in order. */
  sentTo(to: string): CloudSent[] {
    return this.sent.filter((s) => s.to === to);
  }

  /** Resolves once every webhook the fake has started posting is answered. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** `sha256=<hex>` of `body` with the app secret, as Meta signs. */
  sign(body: string | Buffer): string {
    return `sha256=${crypto.createHmac("sha256", this.appSecret).update(body).digest("hex")}`;
  }

  // Simulated people. Each posts a signed webhook and resolves with the bot's HTTP status.

  userSends(from: string, text: string, name?: string): Promise<number> {
    return this.userMessage(from, { type: "text", text: { body: text } }, name);
  }

  userPressesButton(from: string, id: string, title: string, name?: string): Promise<number> {
    const interactive = { type: "button_reply", button_reply: { id, title } };
    return this.userMessage(from, { type: "interactive", interactive, context: this.context(from) }, name);
  }

  userPicksListRow(from: string, id: string, title: string, name?: string): Promise<number> {
    const interactive = { type: "list_reply", list_reply: { id, title } };
    return this.userMessage(from, { type: "interactive", interactive, context: this.context(from) }, name);
  }

  /** A template's quick-reply button; Meta's payload is the button text unless the template set one. */
  userPressesTemplateButton(from: string, text: string, payload = text, name?: string): Promise<number> {
    return this.userMessage(from, { type: "button", button: { text, payload }, context: this.context(from) }, name);
  }

  userSendsMedia(
    from: string,
    type: "image" | "sticker" | "audio" | "voice" | "video" | "document" | "location" | "unsupported" | "reaction",
    name?: string,
  ): Promise<number> {
    const media = { id: String(1_000_000 + this.sent.length), mime_type: "application/octet-stream", sha256: "00" };
    const content: Json =
      type === "location"
        ? { location: { latitude: -2.13, longitude: 106.11 } }
        : type === "unsupported"
          ? { errors: [{ code: 131051, title: "Message type unknown", message: "Message type unknown" }] }
          : type === "reaction"
            ? { reaction: { message_id: this.lastSentTo.get(from) ?? wamid(), emoji: "👍" } }
            : type === "voice"
              ? { audio: { ...media, voice: true } }
              : { [type]: media };
    return this.userMessage(from, { type: type === "voice" ? "audio" : type, ...content }, name);
  }

  /** A contact card with `phone` ("+62 812-..."); its wa_id is the number's digits, as WhatsApp fills it in. */
  userSharesContact(from: string, phone: string, name?: string): Promise<number> {
    const contact = {
      name: { formatted_name: "Kontak", first_name: "Kontak" },
      phones: [{ phone, wa_id: phone.replace(/\D/g, ""), type: "CELL" }],
    };
    return this.userMessage(from, { type: "contacts", contacts: [contact] }, name);
  }

  /** Posts any body to the webhook; signed with the app secret unless `signature` is given (null: none). */
  async postRaw(body: string, signature?: string | null): Promise<number> {
    return this.post(body, "raw", signature === undefined ? this.sign(body) : signature);
  }

  /** The webhook body Meta posts for `value` (a messages change of this phone number id). */
  envelope(value: Json, phoneNumberId = this.phoneNumberId): Json {
    return {
      object: "whatsapp_business_account",
      entry: [
        {
          id: "102290129340398",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
                ...value,
              },
            },
          ],
        },
      ],
    };
  }

  private context(from: string): Json | undefined {
    const id = this.lastSentTo.get(from);
    return id ? { from: "15550783881", id } : undefined;
  }

  private async userMessage(from: string, content: Json, name?: string): Promise<number> {
    this.lastUserMessage.set(from, Date.now());
    const message = { from, id: wamid(), timestamp: seconds(), ...content };
    const body = this.envelope({
      contacts: [{ profile: { name: name ?? "Pengguna" }, wa_id: from }],
      messages: [message],
    });
    return this.post(metaJson(body), "message");
  }

  private async post(body: string, kind: WebhookPost["kind"], signature?: string | null): Promise<number> {
    const url = this.webhookUrl;
    if (!url) throw new Error("the fake Cloud API has no webhookUrl");
    const record: WebhookPost = { body, status: 0, kind };
    this.webhookPosts.push(record);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (signature !== null) headers["x-hub-signature-256"] = signature ?? this.sign(body);
    const response = await fetch(url, { method: "POST", headers, body });
    await response.arrayBuffer().catch(() => undefined);
    record.status = response.status;
    return response.status;
  }

  /** Posts statuses in the background (tracked, so settled() and close() wait for them). */
  private postStatuses(events: CloudStatusEvent[], errorFor?: MetaError): void {
    this.statuses.push(...events);
    if (!this.webhookUrl) return;
    const run = (async () => {
      for (const event of events) {
        const status: Json = {
          id: event.id,
          status: event.status,
          timestamp: seconds(),
          recipient_id: event.to,
          ...(errorFor && event.status === "failed"
            ? {
                errors: [
                  {
                    code: errorFor.code,
                    title: errorFor.body().error.message.replace(/^\(#\d+\) /, ""),
                    message: errorFor.body().error.message.replace(/^\(#\d+\) /, ""),
                    error_data: { details: errorFor.message },
                  },
                ],
              }
            : {}),
        };
        await this.post(metaJson(this.envelope({ statuses: [status] })), "status").catch(() => 0);
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const answer = (status: number, payload: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    try {
      if (req.headers.authorization !== `Bearer ${this.accessToken}`)
        throw new MetaError(190, 401, "Invalid OAuth access token - Cannot parse access token");
      const path = new URL(req.url ?? "/", "http://fake").pathname;
      // The phone number's own node, which the bot reads at start to check its token and id.
      const node = /^\/v\d+\.\d+\/([^/]+)$/.exec(path);
      if (req.method === "GET" && node) {
        if (node[1] !== this.phoneNumberId)
          throw new MetaError(100, 400, `Unsupported get request. Object with ID '${node[1]}' does not exist`);
        answer(200, {
          id: this.phoneNumberId,
          display_phone_number: "+62 811-7000-100",
          verified_name: "Disperindag Babel",
          quality_rating: "GREEN",
        });
        return;
      }
      const match = /^\/v\d+\.\d+\/([^/]+)\/(messages|media)$/.exec(path);
      if (req.method !== "POST" || !match) throw new MetaError(100, 400, `Unknown path components: ${path}`);
      if (match[1] !== this.phoneNumberId)
        throw new MetaError(100, 400, `Unsupported post request. Object with ID '${match[1]}' does not exist`);
      if (match[2] === "media") {
        answer(200, { id: this.upload(body, req.headers["content-type"] ?? "") });
        return;
      }
      let request: Json;
      try {
        request = asObject(JSON.parse(body.toString("utf8"))) ?? {};
      } catch {
        throw new MetaError(100, 400, "The request body is not JSON");
      }
      const result = this.message(request);
      if (result === "hang") return;
      answer(200, result);
    } catch (err) {
      if (!(err instanceof MetaError)) {
        // A bug in the fake: kept for the test to see, answered as Meta's server trouble.
        this.internalErrors.push(err as Error);
        answer(500, new MetaError(131000, 500, `fake: ${(err as Error).message}`).body());
        return;
      }
      const to = recipientOf(body);
      this.refused.push({ ...(to ? { to } : {}), code: err.code });
      answer(err.httpStatus, err.body());
    }
  }

  private upload(body: Buffer, contentType: string): string {
    if (!contentType.toLowerCase().startsWith("multipart/form-data"))
      throw new MetaError(100, 400, "Media upload needs multipart/form-data");
    const fields = parseMultipart(body, contentType);
    const file = fields.file;
    if (!file || typeof file === "string") throw new MetaError(131008, 400, "The parameter file is required.");
    if (fields.messaging_product !== "whatsapp")
      throw new MetaError(131008, 400, "The parameter messaging_product is required.");
    const id = `${crypto.randomInt(1e9, 2e9)}${this.media.size}`;
    this.media.set(id, file);
    return id;
  }

  private message(request: Json): Json | "hang" {
    if (request.messaging_product !== "whatsapp")
      throw new MetaError(131008, 400, "The parameter messaging_product is required.");
    const to = asString(request.to);
    if (!to || !/^\+?\d{5,20}$/.test(to)) throw new MetaError(100, 400, "Invalid parameter: to");
    const failure = this.failures.find((f) => f.remaining > 0 && (f.to === "*" || f.to === to));
    if (failure) {
      failure.remaining -= 1;
      if (failure.failure === "hang") return "hang";
      if (failure.failure === "5xx") throw new MetaError(131000, 500);
      throw new MetaError(failure.failure, failure.failure === 190 ? 401 : 400);
    }
    const now = Date.now();
    if (this.perSecond !== undefined) {
      this.recent = this.recent.filter((t) => now - t < 1000);
      if (this.recent.length >= this.perSecond) {
        this.overLimit += 1;
        throw new MetaError(130429);
      }
    }
    const sent = this.render(request, to, now);
    const outside = sent.type !== "template" && !this.isInsideWindow(to, now);
    if (outside && this.windowErrors === "sync") throw new MetaError(131047);
    this.recent.push(now);
    this.sent.push(sent);
    this.lastSentTo.set(to, sent.id);
    if (outside) this.postStatuses([{ id: sent.id, to, status: "failed", code: 131047 }], new MetaError(131047));
    else
      this.postStatuses([
        { id: sent.id, to, status: "sent" },
        { id: sent.id, to, status: "delivered" },
        ...(this.readReceipts ? [{ id: sent.id, to, status: "read" as const }] : []),
      ]);
    return {
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: to.replace(/^\+/, "") }],
      messages: [{ id: sent.id, ...(sent.type === "template" ? { message_status: "accepted" } : {}) }],
    };
  }

  /** Checks a message as Meta does and records what the person would see. */
  private render(request: Json, to: string, at: number): CloudSent {
    const type = asString(request.type) ?? "text";
    const base = { id: wamid(), to, type, at, request };
    const content = asObject(request[type]);
    if (!content) throw new MetaError(131008, 400, `The parameter ${type} is required.`);
    const invalid = (details: string) => new MetaError(131009, 400, details);
    switch (type) {
      case "text": {
        const text = asString(content.body);
        if (!text) throw new MetaError(131008, 400, "The parameter text['body'] is required.");
        if (text.length > 4096) throw invalid("text['body'] is too long: at most 4096 characters");
        return { ...base, text };
      }
      case "document":
        return { ...base, text: asString(content.caption) ?? "", document: this.document(content, true) };
      case "interactive":
        return { ...base, ...this.interactive(content) };
      case "template":
        return { ...base, ...this.template(content) };
      default:
        throw new MetaError(131051, 400, `Unsupported message type ${type}`);
    }
  }

  private document(content: Json, withCaption: boolean): NonNullable<CloudSent["document"]> {
    const caption = asString(content.caption);
    if (caption !== undefined && (!withCaption || caption.length > 1024))
      throw new MetaError(131009, 400, "document caption is too long: at most 1024 characters");
    const fileName = asString(content.filename);
    const link = asString(content.link);
    const id = asString(content.id);
    if (link) return { link, ...(fileName ? { fileName } : {}) };
    const media = id ? this.media.get(id) : undefined;
    if (!id || !media) throw new MetaError(131053, 400, "Media upload error: unknown media id");
    return { mediaId: id, bytes: media.bytes, mimeType: media.mimeType, fileName: fileName ?? media.fileName ?? "" };
  }

  private interactive(content: Json): Partial<CloudSent> & { text: string } {
    const invalid = (details: string) => new MetaError(131009, 400, details);
    const body = asString(asObject(content.body)?.text);
    if (!body) throw new MetaError(131008, 400, "The parameter interactive['body'] is required.");
    if (body.length > 1024) throw invalid("body['text'] is too long: at most 1024 characters");
    const action = asObject(content.action) ?? {};
    const unique = (values: string[], what: string) => {
      if (new Set(values).size !== values.length) throw invalid(`Duplicate ${what}`);
    };
    if (content.type === "button") {
      const list = Array.isArray(action.buttons) ? action.buttons.map(asObject) : [];
      const buttons = list.map((b) => ({
        id: asString(asObject(b?.reply)?.id) ?? "",
        title: asString(asObject(b?.reply)?.title) ?? "",
      }));
      if (buttons.length < 1 || buttons.length > 3) throw invalid("buttons: between 1 and 3 reply buttons");
      for (const b of buttons) {
        if (!b.id || b.id.length > 256) throw invalid("button id: 1 to 256 characters");
        if (!b.title || b.title.length > 20) throw invalid("button title: 1 to 20 characters");
      }
      unique(
        buttons.map((b) => b.id),
        "button id",
      );
      unique(
        buttons.map((b) => b.title),
        "button title",
      );
      return { text: body, buttons };
    }
    if (content.type === "list") {
      const button = asString(action.button);
      if (!button || button.length > 20) throw invalid("list button: 1 to 20 characters");
      const sections = Array.isArray(action.sections) ? action.sections.map(asObject) : [];
      const rows = sections.flatMap((s) =>
        (Array.isArray(s?.rows) ? s.rows.map(asObject) : []).map((r) => ({
          id: asString(r?.id) ?? "",
          title: asString(r?.title) ?? "",
        })),
      );
      if (rows.length < 1 || rows.length > 10) throw invalid("rows: between 1 and 10 in all");
      for (const r of rows) {
        if (!r.id || r.id.length > 200) throw invalid("row id: 1 to 200 characters");
        if (!r.title || r.title.length > 24) throw invalid("row title: 1 to 24 characters");
      }
      unique(
        rows.map((r) => r.id),
        "row id",
      );
      return { text: body, rows, listButton: button };
    }
    throw new MetaError(131051, 400, `Unsupported interactive type ${String(content.type)}`);
  }

  private template(content: Json): Partial<CloudSent> & { text: string } {
    const name = asString(content.name);
    const language = asString(asObject(content.language)?.code);
    if (!name || !language) throw new MetaError(131008, 400, "template name and language are required");
    const components = Array.isArray(content.components) ? content.components.map(asObject) : [];
    const parameters: string[] = [];
    let document: CloudSent["document"];
    for (const component of components) {
      const params = Array.isArray(component?.parameters) ? component.parameters.map(asObject) : [];
      if (component?.type === "body")
        for (const p of params) {
          const text = asString(p?.text);
          if (p?.type !== "text" || text === undefined)
            throw new MetaError(132012, 400, "body parameters: text only here");
          if (!text.trim() || /[\n\t]| {5,}/.test(text))
            throw new MetaError(
              132018,
              400,
              "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
            );
          parameters.push(text);
        }
      else if (component?.type === "header") {
        const doc = asObject(params[0]?.document);
        if (!doc) throw new MetaError(132012, 400, "header: a document parameter expected");
        document = this.document(doc, false);
      }
    }
    const template = { name, language, parameters };
    const registered = this.templates?.[`${name}:${language}`];
    if (this.templates && registered === undefined) throw new MetaError(132001);
    if (registered !== undefined) {
      const expected = new Set(registered.match(/\{\{\d+\}\}/g) ?? []).size;
      if (expected !== parameters.length) throw new MetaError(132000);
      const text = registered.replace(/\{\{(\d+)\}\}/g, (_, n: string) => parameters[Number(n) - 1] ?? "");
      return { text, template, ...(document ? { document } : {}) };
    }
    return { text: `[${name}] ${parameters.join(" | ")}`.trim(), template, ...(document ? { document } : {}) };
  }
}

export async function startFakeWhatsAppCloud(options: FakeWhatsAppCloudOptions = {}): Promise<FakeWhatsAppCloud> {
  const fake = new FakeWhatsAppCloud(options);
  await fake.listen();
  return fake;
}
