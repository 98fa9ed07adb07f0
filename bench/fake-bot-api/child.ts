/**
 * The child process's side of a benchmark's fake Bot API server (see ./parent.ts). The server runs
 * in a process of its own so that the benchmark's bot does not share a CPU with it (a real
 * Telegram is elsewhere too). Each benchmark's fake-telegram-process.ts starts it here and adds
 * the questions it answers.
 */
import { startFakeTelegram, type FakeTelegram, type SentMessage } from "../../test/support/fake-telegram.js";

/** A simulated user's text, queued for the bot's long poll. */
export type UserTextMessage = { type: "user-text"; chatId: number; text: string };
/** The bot's first accepted answer to a waiting chat, `latencyMs` after the user's text was queued. */
export type RepliedMessage = { type: "replied"; chatId: number; latencyMs: number };

/** Starts the server with the rate ceiling given as the process's argument and reports its address. */
export async function startFakeBotApi(): Promise<FakeTelegram> {
  const ceiling = Number(process.argv[2]);
  const fake = await startFakeTelegram(ceiling > 0 ? { ratePerSecond: ceiling } : {});
  process.send!({ type: "ready", url: fake.url, token: fake.token });
  return fake;
}

/** Closes the server and ends the process. */
export function closeFakeBotApi(fake: FakeTelegram): void {
  void fake.close().then(() => process.exit(0));
}

/** Accepted sendMessage calls to chats in [fromChat, toChat), and every sendMessage call tried. */
export function deliveryStats(fake: FakeTelegram, fromChat = -Infinity, toChat = Infinity) {
  const perChat = new Map<number, number>();
  let first = Infinity;
  let last = 0;
  for (const m of fake.sent) {
    if (m.method !== "sendMessage" || m.chatId < fromChat || m.chatId >= toChat) continue;
    perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
    first = Math.min(first, m.at);
    last = Math.max(last, m.at);
  }
  // Accepted sends in each second after the first, to see where a run loses rate (start, end).
  const perSecond: number[] = [];
  if (last >= first)
    for (const m of fake.sent) {
      if (m.method !== "sendMessage" || m.chatId < fromChat || m.chatId >= toChat) continue;
      const s = Math.floor((m.at - first) / 1000);
      perSecond[s] = (perSecond[s] ?? 0) + 1;
    }
  return {
    perSecond: Array.from(perSecond, (n) => n ?? 0),
    delivered: [...perChat.values()].reduce((a, b) => a + b, 0),
    chats: perChat.size,
    chatIds: [...perChat.keys()],
    duplicates: [...perChat.values()].reduce((a, n) => a + Math.max(0, n - 1), 0),
    first,
    last,
    /** Every sendMessage call, accepted or refused, and those refused with 429. */
    sends: fake.requests.filter((r) => r.method === "sendMessage").length,
    http429: fake.http429,
  };
}

/**
 * Answers to simulated users. `userText` queues a user's text; the time it is queued is when
 * Telegram would have made it available, and the first accepted sendMessage to that chat after
 * it for which `isAnswer` holds is the answer (`isAnswer` sees every accepted sendMessage once): its latency goes to the parent ("replied") and
 * to `onAnswer`. Accepted sends are appended to fake.sent; a scan every few milliseconds finds
 * the answers. Latencies come from the send's own timestamp, so the scan's period does not add
 * to them.
 */
export function watchAnswers(
  fake: FakeTelegram,
  options: { firstName: string; isAnswer?: (m: SentMessage) => boolean; onAnswer(chatId: number, ms: number): void },
) {
  /** When each waiting chat's message was queued (a user writes the next one only after the answer). */
  const waiting = new Map<number, number>();
  let seen = 0;
  const scan = setInterval(() => {
    const sent = fake.sent;
    for (; seen < sent.length; seen++) {
      const m = sent[seen]!;
      if (m.method !== "sendMessage" || (options.isAnswer && !options.isAnswer(m))) continue;
      const since = waiting.get(m.chatId);
      if (since === undefined || m.at < since) continue;
      waiting.delete(m.chatId);
      options.onAnswer(m.chatId, m.at - since);
      process.send!({ type: "replied", chatId: m.chatId, latencyMs: m.at - since } satisfies RepliedMessage);
    }
  }, 2);
  return {
    userText(message: UserTextMessage): void {
      waiting.set(message.chatId, Date.now());
      void fake.userMessage({ id: message.chatId, first_name: `${options.firstName} ${message.chatId}` }, message.text);
    },
    /** How many users still wait for an answer. */
    unanswered: () => waiting.size,
    stop: () => clearInterval(scan),
  };
}
