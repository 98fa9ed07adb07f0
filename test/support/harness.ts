/**
 * A bot on a real database, for flow and runtime tests. The outbox is captured instead of
 * queued (tests that need Redis and the workers use createBot directly), and time is frozen
 * unless a clock is given.
 */
import type { DatabaseProvider } from "../../src/db/database.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { createBroadcastService } from "../../src/domain/broadcasts.js";
import { Engine, splitChoiceId } from "../../src/engine/engine.js";
import type { TurnResult } from "../../src/engine/types.js";
import { createLogger, type Logger } from "../../src/logger.js";
import type { InboundMessage } from "../../src/runtime/inbound-message.js";
import type { OutboxSink } from "../../src/outbox/types.js";
import { InboundRuntime } from "../../src/runtime/inbound-runtime.js";
import { flowSet } from "../../flows/index.js";
import { openTestDatabase, type TestDatabase } from "./databases.js";

/** A reply as the chat shows it: its text and its options' labels. */
export type Reply = { text: string; choices?: string[] };

export type Harness = {
  db: TestDatabase;
  runtime: InboundRuntime;
  clock: { now: Date };
  /** Sends a message (text, or a choice id with `{ choice }`) and returns the replies to this chat. */
  send(
    chatId: string,
    input: string | { choice: string } | Partial<InboundMessage>,
    channel?: string,
  ): Promise<Reply[]>;
  /** The ids of the options the chat was offered last, as sent (with their question's stamp). */
  offeredIds(chatId: string): Promise<string[]>;
  /** Every engine result so far, per chat. */
  turns: Map<string, TurnResult[]>;
  close(): Promise<void>;
};

export const frozenNow = new Date("2026-11-27T03:00:00Z");

let counter = 0;

export async function createHarness(
  provider: DatabaseProvider,
  options: {
    seed?: boolean;
    now?: Date;
    channels?: Record<string, { buttons: boolean }>;
    /** Where the runtime logs (silent unless given). */
    logger?: Logger;
  } = {},
): Promise<Harness> {
  const db = await openTestDatabase(provider);
  const clock = { now: options.now ?? frozenNow };
  if (options.seed !== false) await seedDatabase(db.prisma, clock.now);
  const sink: OutboxSink = { enqueue: async () => {} };
  const turns = new Map<string, TurnResult[]>();
  const runtime = new InboundRuntime({
    database: db,
    engine: new Engine(flowSet),
    outbox: sink,
    channels: options.channels ?? { web: { buttons: true }, whatsapp: { buttons: false }, console: { buttons: false } },
    conversationTtlHours: 24,
    defaultLanguage: "id",
    logger: options.logger ?? createLogger({ level: "silent" }),
    now: () => clock.now,
    // Staff commands work; a broadcast is created and scheduled, with no queue behind it.
    staff: {
      broadcasts: createBroadcastService({
        database: db,
        jobs: { start: async () => {} },
        settings: { approvalThreshold: 0, timeZone: "Asia/Jakarta" },
        now: () => clock.now,
      }),
      timeZone: "Asia/Jakarta",
    },
    observe: (message, result) => {
      const list = turns.get(message.chatId) ?? [];
      list.push(result);
      turns.set(message.chatId, list);
    },
  });
  /**
   * A press on the option `choice` as the chat shows it: the button of the latest message that
   * offers it, with that question's stamp. An id with a stamp already (an old button) is sent as given.
   */
  const offeredId = async (chatId: string, choice: string): Promise<string> => {
    if (choice.includes("@")) return choice;
    const shown = await db.prisma.message.findMany({
      where: { chatId, direction: "outbound" },
      orderBy: { id: "desc" },
      take: 20,
    });
    for (const m of shown) {
      if (!Array.isArray(m.choices)) continue;
      const found = (m.choices as { id: string }[]).find((c) => splitChoiceId(c.id).choiceId === choice);
      if (found) return found.id;
    }
    return choice;
  };
  return {
    db,
    runtime,
    clock,
    turns,
    async offeredIds(chatId) {
      const shown = await db.prisma.message.findMany({
        where: { chatId, direction: "outbound" },
        orderBy: { id: "desc" },
        take: 20,
      });
      const last = shown.find((m) => Array.isArray(m.choices));
      return last ? (last.choices as { id: string }[]).map((c) => c.id) : [];
    },
    async send(chatId, input, channel = "web") {
      const fields: Partial<InboundMessage> =
        typeof input === "string"
          ? { text: input }
          : "choice" in input
            ? { choiceId: await offeredId(chatId, input.choice as string) }
            : input;
      const result = await runtime.handle({
        channel,
        chatId,
        senderId: chatId,
        platformMessageId: `m${++counter}-${Date.now()}`,
        receivedAt: clock.now,
        ...fields,
      });
      if (result.status !== "processed") return [];
      const messages = await db.prisma.message.findMany({
        where: { outbox: { id: { in: result.outboxIds } }, chatId },
        orderBy: { id: "asc" },
      });
      return messages.map((m) => ({
        text: m.text ?? "",
        ...(m.choices ? { choices: (m.choices as { label: string }[]).map((c) => c.label) } : {}),
      }));
    },
    close: () => db.destroy(),
  };
}

/** The answers that register a participant on the web chat (Indonesian, lada, Bangka Tengah). */
export const registrationAnswers = (name = "Budi Santoso", phone = "081234567890") => [
  "halo",
  "ya",
  name,
  "Lada Jaya",
  "1",
  "4",
  phone,
  "2",
  "ya",
];

export async function register(h: Harness, chatId: string, answers = registrationAnswers()): Promise<void> {
  for (const a of answers) await h.send(chatId, a);
}
