/**
 * The web chat: a page at /chat and a small JSON API that scripts can drive too.
 *   POST /api/webchat/<chatId>/messages  {"text": "..."} or {"choice": "<id>"}  -> 202 {"id"}
 *   GET  /api/webchat/<chatId>/messages?after=<id>&wait=<seconds>  -> {"messages": [...]}
 * Each message has `text` as plain text (formatting markers removed: scripts read it), `html`
 * with the formatting as safe HTML (render.ts: nothing a person typed becomes HTML), and
 * `choices` with plain-text labels. Messages go through the same inbound path and outbox as every channel; the "send" of this
 * adapter only wakes the long polls, which read sent messages from the database.
 */
import { EventEmitter } from "node:events";
import fs from "node:fs";
import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Db } from "../db/database.js";
import type { InboundRuntime } from "../runtime/inbound-runtime.js";
import type { ChannelAdapter } from "./channel.js";
import { renderForWeb } from "./render.js";

/** Wakes long polls when a chat's messages are sent. */
export class ChatSignals {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(channel: string, chatId: string): void {
    this.emitter.emit(`${channel}:${chatId}`);
  }

  /** Resolves on the next message for the chat, or after `ms`. */
  wait(channel: string, chatId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const key = `${channel}:${chatId}`;
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(key, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.on(key, done);
    });
  }
}

export function createWebChatAdapter(): ChannelAdapter {
  return {
    name: "web",
    buttons: true,
    sharePhone: false,
    async send() {
      return {};
    },
  };
}

const chatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "chatId: 1 to 64 letters, digits, - or _");
const postSchema = z.union([
  z.object({
    // Longer text is accepted and cut, so a pasted essay gets an answer instead of an error.
    text: z.string().max(20_000, "text: at most 20,000 characters"),
    clientMessageId: z.string().max(100).optional(),
  }),
  z.object({
    choice: z.string().min(1).max(64, "choice: at most 64 characters"),
    clientMessageId: z.string().max(100).optional(),
  }),
]);
const getSchema = z.object({
  // Message ids are 32-bit database integers: a larger one would make PostgreSQL refuse the query.
  after: z.coerce.number().int().min(0).max(2_147_483_647).default(0),
  wait: z.coerce.number().min(0).max(30).default(0),
});

const page = fs.readFileSync(new URL("../admin/webchat-page.html", import.meta.url), "utf8");

export type WebChatDeps = { runtime: InboundRuntime; db: Db; signals: ChatSignals };

export function registerWebChat(app: FastifyInstance, deps: WebChatDeps): void {
  app.get("/chat", async (_request, reply) => reply.type("text/html; charset=utf-8").send(page));

  app.post<{ Params: { chatId: string } }>("/api/webchat/:chatId/messages", async (request, reply) => {
    const chatId = chatIdSchema.safeParse(request.params.chatId);
    if (!chatId.success) return reply.code(400).send({ error: chatId.error.issues[0]!.message });
    const body = postSchema.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'Send {"text": "..."} or {"choice": "<id>"} as JSON.' });
    const b = body.data;
    const result = await deps.runtime.handle({
      channel: "web",
      chatId: chatId.data,
      senderId: chatId.data,
      platformMessageId: b.clientMessageId ?? crypto.randomUUID(),
      receivedAt: new Date(),
      ...("text" in b ? { text: b.text } : { choiceId: b.choice }),
    });
    return reply.code(202).send({ status: result.status });
  });

  app.get<{ Params: { chatId: string }; Querystring: Record<string, string> }>(
    "/api/webchat/:chatId/messages",
    async (request, reply) => {
      const chatId = chatIdSchema.safeParse(request.params.chatId);
      const query = getSchema.safeParse(request.query);
      if (!chatId.success) return reply.code(400).send({ error: chatId.error.issues[0]!.message });
      if (!query.success) return reply.code(400).send({ error: "after: a message id; wait: 0 to 30 seconds" });
      const read = () =>
        deps.db.message.findMany({
          where: {
            channel: "web",
            chatId: chatId.data,
            direction: "outbound",
            status: { in: ["sent", "delivered", "read"] },
            id: { gt: query.data.after },
          },
          orderBy: { id: "asc" },
          take: 100,
        });
      const deadline = Date.now() + query.data.wait * 1000;
      let rows = await read();
      // Long poll: wake on a send in this process, and look again every second for other processes.
      while (!rows.length && Date.now() < deadline) {
        await deps.signals.wait("web", chatId.data, Math.min(1000, deadline - Date.now()));
        rows = await read();
      }
      return {
        messages: rows.map((m) => {
          const choices = (m.choices as { id: string; label: string }[] | null) ?? undefined;
          return {
            id: m.id,
            ...renderForWeb({ text: m.text ?? "", ...(choices ? { choices } : {}) }),
            createdAt: m.createdAt.toISOString(),
          };
        }),
      };
    },
  );
}
