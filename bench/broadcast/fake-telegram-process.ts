/**
 * The fake Bot API server for the broadcast benchmark, in a process of its own (as in
 * bench/bulk/fake-telegram-process.ts: the bot should not share a CPU with its "Telegram"). On
 * top of the bulk one's "stats" and "close" it takes "say" messages: a simulated user's text,
 * queued for the bot's long poll. The time a message is queued is when Telegram would have made
 * it available; the first sendMessage the server then accepts for that chat is the reply, and its
 * latency is reported back ("replied") so the writer can go on, and kept for "stats".
 *
 * Started by bench/broadcast.ts through fork() with the rate ceiling as its argument.
 */
import { startFakeTelegram } from "../../test/support/fake-telegram.js";

export type SayMessage = { type: "say"; chatId: number; text: string };
export type StatsRequest = { type: "stats"; fromChat: number; toChat: number };
export type RepliedMessage = { type: "replied"; chatId: number; latencyMs: number };
export type BroadcastStats = {
  type: "stats";
  /** Sends the server accepted to chats in [fromChat, toChat): the broadcast's. */
  delivered: number;
  chatIds: number[];
  duplicates: number;
  first: number;
  last: number;
  /** Every sendMessage call, accepted or refused, and those refused with 429. */
  sends: number;
  http429: number;
  /** One per "say" answered, in milliseconds, and how many are still unanswered. */
  replyLatencies: number[];
  unanswered: number;
};

const ceiling = Number(process.argv[2]);
const fake = await startFakeTelegram(ceiling > 0 ? { ratePerSecond: ceiling } : {});
process.send!({ type: "ready", url: fake.url, token: fake.token });

/** When each waiting chat's message was queued (a writer sends its next one only after the reply). */
const waiting = new Map<number, number>();
const replyLatencies: number[] = [];
let seen = 0;

// Accepted sends are appended to fake.sent; a scan every few milliseconds finds the replies.
// Latencies come from the send's own timestamp, so the scan's period does not add to them.
const scan = setInterval(() => {
  const sent = fake.sent;
  for (; seen < sent.length; seen++) {
    const m = sent[seen]!;
    if (m.method !== "sendMessage") continue;
    const since = waiting.get(m.chatId);
    if (since === undefined || m.at < since) continue;
    waiting.delete(m.chatId);
    replyLatencies.push(m.at - since);
    process.send!({ type: "replied", chatId: m.chatId, latencyMs: m.at - since } satisfies RepliedMessage);
  }
}, 2);

process.on("message", (message: SayMessage | StatsRequest | { type: "close" }) => {
  if (message.type === "say") {
    waiting.set(message.chatId, Date.now());
    void fake.userMessage({ id: message.chatId, first_name: `Penulis ${message.chatId}` }, message.text);
  } else if (message.type === "stats") {
    const perChat = new Map<number, number>();
    let first = Infinity;
    let last = 0;
    for (const m of fake.sent) {
      if (m.method !== "sendMessage" || m.chatId < message.fromChat || m.chatId >= message.toChat) continue;
      perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
      first = Math.min(first, m.at);
      last = Math.max(last, m.at);
    }
    process.send!({
      type: "stats",
      delivered: [...perChat.values()].reduce((a, b) => a + b, 0),
      chatIds: [...perChat.keys()],
      duplicates: [...perChat.values()].reduce((a, n) => a + Math.max(0, n - 1), 0),
      first,
      last,
      sends: fake.requests.filter((r) => r.method === "sendMessage").length,
      http429: fake.http429,
      replyLatencies,
      unanswered: waiting.size,
    } satisfies BroadcastStats);
  } else if (message.type === "close") {
    clearInterval(scan);
    void fake.close().then(() => process.exit(0));
  }
});
