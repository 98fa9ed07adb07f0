/**
 * The console channel (`npm run chat`): a terminal conversation for developers. Reads one
 * message per line, from a keyboard or a pipe; prints the bot's replies as plain text (no
 * formatting markers) with choices as a numbered list; with piped input it exits after answering
 * the last line.
 */
import readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Db } from "../db/database.js";
import type { InboundRuntime } from "../runtime/inbound-runtime.js";
import type { ChannelAdapter } from "./channel.js";
import { renderForConsole } from "./render.js";

/** `fileDir`: where files sent to the terminal (a certificate) are written; default the system's temp folder. */
export function createConsoleAdapter(output: Writable, fileDir = path.join(os.tmpdir(), "sapa-ikm")): ChannelAdapter {
  return {
    name: "console",
    buttons: false,
    sharePhone: false,
    async send(_chatId, message) {
      output.write(`\n${renderForConsole(message)}\n`);
      if (message.document) {
        fs.mkdirSync(fileDir, { recursive: true });
        const file = path.join(fileDir, path.basename(message.document.fileName));
        fs.writeFileSync(file, message.document.bytes);
        output.write(`[Berkas / File: ${file}]\n`);
      }
      return {};
    },
  };
}

/** Resolves once nothing is waiting to be sent to the chat. */
async function drained(db: Db, chatId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const waiting = await db.outboxItem.count({
      where: { channel: "console", chatId, status: { in: ["pending", "sending"] } },
    });
    if (waiting === 0) return;
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new Error("the bot did not answer within 30 seconds; is the outbox worker running?");
}

export type ConsoleChatOptions = {
  runtime: InboundRuntime;
  db: Db;
  input: Readable;
  output: Writable;
  chatId: string;
  interactive: boolean;
};

/** Runs the conversation until the input ends. */
export async function runConsoleChat(options: ConsoleChatOptions): Promise<void> {
  const { runtime, db, output, chatId } = options;
  const lines = readline.createInterface({ input: options.input, terminal: false });
  const prompt = () => options.interactive && output.write("\n> ");
  if (options.interactive)
    output.write("Sapa IKM – percakapan di terminal. Ketik pesan lalu Enter; Ctrl+D untuk keluar.\n");
  prompt();
  for await (const line of lines) {
    await runtime.handle({
      channel: "console",
      chatId,
      senderId: chatId,
      platformMessageId: crypto.randomUUID(),
      receivedAt: new Date(),
      text: line,
    });
    await drained(db, chatId);
    prompt();
  }
  if (options.interactive) output.write("\n");
}
