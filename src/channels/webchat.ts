/**
 * The web chat: a page at /chat and a small JSON API that scripts can drive too.
 *   POST /api/webchat/sessions  -> 201 {"chatId", "token"}
 *   POST /api/webchat/<chatId>/messages  {"text": "..."} or {"choice": "<id>"}  -> 202
 *   GET  /api/webchat/<chatId>/messages?after=<id>&wait=<seconds>  -> {"messages": [...]}
 * Both message calls need the chat's credential: `Authorization: Bearer <token>` from a script,
 * or the page's signed, HttpOnly cookie (made by POST /chat/session) from a browser; without it
 * they answer 401. Chat ids are made by the server, at random; a token is an HMAC of its chat id,
 * so every web process verifies it and it survives restarts. Limits: `webChatLimits`.
 *
 * Each message has `text` as plain text (formatting markers removed: scripts read it), `html`
 * with the formatting as safe HTML (render.ts: nothing a person typed becomes HTML), and
 * `choices` with plain-text labels; a certificate sent to the chat adds `attachment` {kind, number, url}
 * and its download link to `html` (admin/certificate-links.ts). Messages go through the same inbound path and outbox as every
 * channel; the "send" of this adapter only wakes the long polls (ChatSignals, across processes),
 * which read sent messages from the database.
 */
import fs from "node:fs";
import crypto from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fastifyCookie from "@fastify/cookie";
import fastifyHelmet from "@fastify/helmet";
import fastifyRateLimit from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Db } from "../db/database.js";
import { maxDatabaseId } from "../db/ids.js";
import { fromThisSite } from "../admin/same-site.js";
import { certificateDownloadPath, certificateLinkKey } from "../admin/certificate-links.js";
import { loadInstallation } from "../db/installation.js";
import type { InboundRuntime } from "../runtime/inbound-runtime.js";
import type { ChannelAdapter } from "./channel.js";
import type { ChatSignals } from "./chat-signals.js";
import { renderForWeb } from "./render.js";
import { pollSlots, waitForMessages } from "./webchat-long-poll.js";

export { ChatSignals } from "./chat-signals.js";

export function createWebChatAdapter(): ChannelAdapter {
  return {
    name: "web",
    buttons: true,
    sharePhone: false,
    // A certificate shows as a download link (GET /api/webchat/<chatId>/messages).
    documents: false,
    async send() {
      return {};
    },
  };
}

/**
 * What one chat and one client address may do. Chosen so that real use never meets them: someone
 * typing fast or tapping buttons sends a message every second or two; a training venue's office
 * NAT puts 40 participants (each with a tab or two open) behind one address.
 */
export const webChatLimits = {
  /** Messages on one chat. */
  messagesPerChat: { max: 20, seconds: 10 },
  /** Messages from one address, whatever chats they name (a new chat per message gains nothing). */
  messagesPerAddress: { max: 200, seconds: 10 },
  /** Message reads (polls) from one address. */
  readsPerAddress: { max: 300, seconds: 10 },
  /** New chats (sessions) from one address. */
  newChatsPerAddress: { max: 60, seconds: 60 },
  /** Long polls (wait > 0) waiting at once for one address, in all web processes together. */
  concurrentPollsPerAddress: 100,
};

export type WebChatLimits = typeof webChatLimits;

/** The browser's chat: a signed cookie holding the chat id. */
export const chatCookieName = "sapa_chat";
const chatCookieMaxAge = 180 * 24 * 60 * 60;

// PostgreSQL stores no NUL character in text: one is dropped from what a person typed, and an id
// holding one is refused.
const clientMessageId = z
  .string()
  .max(100)
  .refine((s) => !s.includes("\0"), "clientMessageId: no NUL characters");
const postSchema = z.union([
  z.object({
    // Longer text is accepted and cut, so a pasted essay gets an answer instead of an error.
    text: z
      .string()
      .max(20_000, "text: at most 20,000 characters")
      .transform((s) => s.replaceAll("\0", "")),
    clientMessageId: clientMessageId.optional(),
  }),
  z.object({
    choice: z
      .string()
      .min(1)
      .max(64, "choice: at most 64 characters")
      .refine((s) => !s.includes("\0"), "choice: no NUL characters"),
    clientMessageId: clientMessageId.optional(),
  }),
]);
const getSchema = z.object({
  // Message ids are 32-bit database integers: a larger one would make PostgreSQL refuse the query.
  after: z.coerce.number().int().min(0).max(maxDatabaseId).default(0),
  wait: z.coerce.number().min(0).max(30).default(0),
});
const pageSessionSchema = z.object({ new: z.boolean().optional() }).optional();

const page = fs.readFileSync(new URL("../admin/webchat-page.html", import.meta.url), "utf8");

/** The CSP hash of the page's one inline `<style>` or `<script>`, so nothing else inline runs. */
function inlineHash(tag: "style" | "script"): string {
  const found = [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))];
  if (found.length !== 1) throw new Error(`webchat-page.html: expected one inline <${tag}>, found ${found.length}`);
  return `'sha256-${crypto.createHash("sha256").update(found[0]![1]!).digest("base64")}'`;
}

export type WebChatDeps = {
  runtime: InboundRuntime;
  db: Db;
  signals: ChatSignals;
  /** Rate-limit counters and long-poll slots live here, shared by every web process. */
  redis: Redis;
  prefix: string;
  /**
   * Signs tokens and cookies (DASHBOARD_SESSION_SECRET); null: the installation's own secret in
   * the database, which every process and restart shares too.
   */
  secret: string | null;
  /** Cookies marked Secure whatever the request (an https PUBLIC_URL). */
  secureCookies: boolean;
  /** Default: webChatLimits (tests lengthen the windows, so a slow machine counts the same). */
  limits?: WebChatLimits;
};

type Limiter = (
  request: FastifyRequest,
) => Promise<{ isAllowed: true } | { isAllowed: false; isExceeded: boolean; ttlInSeconds: number }>;

const tooFast =
  "Terlalu banyak permintaan. Mohon tunggu sebentar lalu coba lagi. / Too many requests, please wait a moment.";
const notYourChat =
  "Percakapan ini tidak dikenal atau sudah berakhir; muat ulang halaman. / Unknown chat or missing credential: " +
  "send the token from POST /api/webchat/sessions as Authorization: Bearer <token>.";
const notFromPage = "Permintaan ditolak. / Send JSON from the chat page of this site.";

export function registerWebChat(app: FastifyInstance, deps: WebChatDeps): void {
  app.register(async (chat) => {
    const keys = await chatKeys(deps);
    const tokenFor = (chatId: string) => crypto.createHmac("sha256", keys.token).update(chatId).digest("base64url");
    const tokenMatches = (chatId: string, token: string) => {
      const expected = Buffer.from(tokenFor(chatId));
      const given = Buffer.from(token);
      return given.length === expected.length && crypto.timingSafeEqual(given, expected);
    };

    await chat.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          baseUri: ["'none'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          // The dashboard's "Coba bot" page shows the chat in a frame; no other site may.
          frameAncestors: ["'self'"],
          objectSrc: ["'none'"],
          scriptSrc: [inlineHash("script")],
          scriptSrcAttr: ["'none'"],
          styleSrc: [inlineHash("style")],
        },
      },
      strictTransportSecurity: deps.secureCookies ? { maxAge: 180 * 24 * 60 * 60 } : false,
    });
    await chat.register(fastifyCookie, { secret: keys.cookie });
    await chat.register(fastifyRateLimit, {
      global: false,
      // In Redis, so the limits hold across every web process.
      redis: deps.redis,
      nameSpace: `${deps.prefix}:webchat:rate-limit:`,
    });
    // A POST with a JSON content type and no body (a script making a session) is no error.
    const json = chat.getDefaultJsonParser("error", "ignore");
    chat.removeContentTypeParser("application/json");
    chat.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) =>
      body === "" ? done(null, undefined) : json(request, body as string, done),
    );

    // Each limiter keys its own counters: they share one store.
    const limiter = (kind: string, limit: { max: number; seconds: number }, key: (r: FastifyRequest) => string) =>
      chat.createRateLimit({
        max: limit.max,
        timeWindow: limit.seconds * 1000,
        keyGenerator: (request) => `${kind}:${key(request)}`,
      }) as Limiter;
    const numbers = deps.limits ?? webChatLimits;
    const chatOf = (request: FastifyRequest) => (request.params as { chatId: string }).chatId;
    const limits = {
      messagesPerChat: limiter("chat", numbers.messagesPerChat, chatOf),
      messagesPerAddress: limiter("post", numbers.messagesPerAddress, clientAddress),
      readsPerAddress: limiter("read", numbers.readsPerAddress, clientAddress),
      newChatsPerAddress: limiter("new", numbers.newChatsPerAddress, clientAddress),
    };
    /** False (and a 429 with Retry-After sent) when `limit` is used up. */
    const within = async (limit: Limiter, request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
      const result = await limit(request);
      if (result.isAllowed || !result.isExceeded) return true;
      void reply
        .code(429)
        .header("retry-after", String(Math.max(1, result.ttlInSeconds)))
        .send({ error: tooFast });
      return false;
    };
    const polls = pollSlots(deps.redis, `${deps.prefix}:webchat:polls`);

    const cookieChat = (request: FastifyRequest): string | null => {
      const raw = request.cookies[chatCookieName];
      if (!raw) return null;
      const unsigned = request.unsignCookie(raw);
      return unsigned.valid ? unsigned.value : null;
    };
    const setChatCookie = (request: FastifyRequest, reply: FastifyReply, chatId: string) =>
      reply.setCookie(chatCookieName, chatId, {
        signed: true,
        httpOnly: true,
        sameSite: "strict",
        // Behind an https proxy (TRUST_PROXY), request.protocol is the client's.
        secure: deps.secureCookies || request.protocol === "https",
        path: "/",
        maxAge: chatCookieMaxAge,
      });

    /** True when the request carries the chat's credential; else a 401 (or 403) is sent. */
    const authorized = (request: FastifyRequest, reply: FastifyReply, chatId: string): boolean => {
      const header = request.headers.authorization;
      if (header) {
        const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
        if (token && tokenMatches(chatId, token)) return true;
        void reply
          .code(401)
          .header("www-authenticate", 'Bearer realm="webchat", error="invalid_token"')
          .send({ error: notYourChat });
        return false;
      }
      if (cookieChat(request) === chatId) {
        if (request.method !== "POST" || fromThisPage(request)) return true;
        void reply.code(403).send({ error: notFromPage });
        return false;
      }
      void reply.code(401).header("www-authenticate", 'Bearer realm="webchat"').send({ error: notYourChat });
      return false;
    };

    chat.get("/chat", async (_request, reply) => reply.type("text/html; charset=utf-8").send(page));

    // The page's chat: the one in its cookie, or a new one (also when it asks for {"new": true}).
    chat.post("/chat/session", async (request, reply) => {
      if (!fromThisPage(request)) return reply.code(403).send({ error: notFromPage });
      const body = pageSessionSchema.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ error: 'Send {} or {"new": true} as JSON.' });
      const current = cookieChat(request);
      if (current && !body.data?.new) {
        setChatCookie(request, reply, current);
        return { chatId: current };
      }
      if (!(await within(limits.newChatsPerAddress, request, reply))) return reply;
      const chatId = newChatId();
      setChatCookie(request, reply, chatId);
      return reply.code(201).send({ chatId });
    });

    chat.post("/api/webchat/sessions", async (request, reply) => {
      if (!(await within(limits.newChatsPerAddress, request, reply))) return reply;
      const chatId = newChatId();
      return reply.code(201).send({ chatId, token: tokenFor(chatId) });
    });

    chat.post<{ Params: { chatId: string } }>("/api/webchat/:chatId/messages", async (request, reply) => {
      // Every attempt from the address counts, credential or not.
      if (!(await within(limits.messagesPerAddress, request, reply))) return reply;
      const chatId = request.params.chatId;
      if (!authorized(request, reply, chatId)) return reply;
      if (!(await within(limits.messagesPerChat, request, reply))) return reply;
      const body = postSchema.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ error: 'Send {"text": "..."} or {"choice": "<id>"} as JSON.' });
      const b = body.data;
      const result = await deps.runtime.handle({
        channel: "web",
        chatId,
        senderId: chatId,
        platformMessageId: b.clientMessageId ?? crypto.randomUUID(),
        receivedAt: new Date(),
        ...("text" in b ? { text: b.text } : { choiceId: b.choice }),
      });
      return reply.code(202).send({ status: result.status });
    });

    chat.get<{ Params: { chatId: string }; Querystring: Record<string, string> }>(
      "/api/webchat/:chatId/messages",
      async (request, reply) => {
        if (!(await within(limits.readsPerAddress, request, reply))) return reply;
        const chatId = request.params.chatId;
        if (!authorized(request, reply, chatId)) return reply;
        const query = getSchema.safeParse(request.query);
        if (!query.success) return reply.code(400).send({ error: "after: a message id; wait: 0 to 30 seconds" });
        const read = () =>
          deps.db.message.findMany({
            where: {
              channel: "web",
              chatId,
              direction: "outbound",
              status: { in: ["sent", "delivered", "read"] },
              id: { gt: query.data.after },
            },
            orderBy: { id: "asc" },
            take: 100,
          });
        const waitMs = query.data.wait * 1000;
        let rows;
        if (waitMs === 0) rows = await read();
        else {
          const release = await polls.take(clientAddress(request), waitMs, numbers.concurrentPollsPerAddress);
          if (!release) return reply.code(429).header("retry-after", "10").send({ error: tooFast });
          try {
            rows = await waitForMessages(deps.signals, chatId, waitMs, read, reply);
          } finally {
            await release();
          }
        }
        return {
          messages: rows.map((m) => {
            const choices = (m.choices as { id: string; label: string }[] | null) ?? undefined;
            const rendered = renderForWeb({ text: m.text ?? "", ...(choices ? { choices } : {}) });
            const file = m.attachment == null ? null : certificateLink(keys.certificate, request, m.attachment);
            return {
              id: m.id,
              ...rendered,
              ...(file ? { html: `${rendered.html}\n\n${file.html}`, attachment: file.attachment } : {}),
              createdAt: m.createdAt.toISOString(),
            };
          }),
        };
      },
    );
  });
}

/** A new chat id nobody can guess: 128 random bits. */
function newChatId(): string {
  return `web-${crypto.randomBytes(16).toString("base64url")}`;
}

/** The keys for tokens and cookies, each derived from the one secret for its own use. */
async function chatKeys(deps: WebChatDeps): Promise<{ token: Buffer; cookie: string; certificate: Buffer }> {
  const base = deps.secret ?? (await loadInstallation(deps.db)).secret;
  const derive = (use: string) => crypto.createHmac("sha256", base).update(`sapa-ikm web chat ${use}`).digest();
  return {
    token: derive("token"),
    cookie: derive("cookie").toString("base64url"),
    certificate: certificateLinkKey(base),
  };
}

const attachmentSchema = z.object({ kind: z.literal("certificate"), number: z.string().min(1).max(40) });

/**
 * A certificate sent to this chat: its download link (certificate-links.ts), absolute, since the
 * page opens only http(s) links; null for no or another attachment.
 */
function certificateLink(key: Buffer, request: FastifyRequest, attachment: unknown) {
  const parsed = attachmentSchema.safeParse(attachment);
  if (!parsed.success) return null;
  const url = `${request.protocol}://${request.host}${certificateDownloadPath(key, parsed.data.number)}`;
  const label = "Unduh sertifikat (PDF) / Download the certificate (PDF)";
  const html = `<a href="${url.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}">${label}</a>`;
  return { attachment: { kind: "certificate", number: parsed.data.number, url }, html };
}

/**
 * True for a JSON request from a page of this site: a cookie rides along on whatever a browser
 * sends, so a request made by another site's page or form must not count as the participant's.
 */
function fromThisPage(request: FastifyRequest): boolean {
  return /^application\/json\b/i.test(request.headers["content-type"] ?? "") && fromThisSite(request);
}

/**
 * The client's address as limits count it (the proxy's X-Forwarded-For under TRUST_PROXY). An
 * IPv6 client usually holds a whole /64, so it counts as one address.
 */
export function clientAddress(request: FastifyRequest): string {
  const ip = request.ip.replace(/%.*$/, "").toLowerCase();
  if (!ip.includes(":")) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return mapped[1]!;
  const [head = "", tail = ""] = ip.split("::");
  const groups = (s: string) => (s ? s.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])) : []);
  const h = groups(head);
  const t = ip.includes("::") ? groups(tail) : [];
  const all = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
  return `${all
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}
