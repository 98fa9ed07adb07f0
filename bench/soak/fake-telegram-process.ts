/**
 * The fake Bot API server of the soak benchmark, in a process of its own (as in
 * bench/broadcast/fake-telegram-process.ts, whose "say" it shares: a simulated user's text,
 * queued for the bot's long poll, answered with "replied" once the bot's first answer to that
 * chat is accepted). Here a chat also gets reminders, motivation and broadcasts while it talks,
 * so only sends that are none of those count as the answer; every accepted send is classified
 * by its text (bench/soak/texts.ts) and kept, for "dump" at the end.
 *
 * Started by bench/soak.ts through fork() with the rate ceiling as its argument.
 */
import { startFakeTelegram } from "../../test/support/fake-telegram.js";
import { classify, sendKinds, type SendKind } from "./texts.js";

export type SayMessage = { type: "say"; chatId: number; text: string };
export type RepliedMessage = { type: "replied"; chatId: number; latencyMs: number };
export type SoakStats = {
  type: "stats";
  /** Accepted sendMessage calls by kind. */
  byKind: Record<SendKind, number>;
  /** Every sendMessage call, accepted or refused, and those refused with 429. */
  sends: number;
  http429: number;
};
/** Every accepted bulk send (reminder, motivation, broadcast) as [chatId, at, kind index in sendKinds]. */
export type SoakDump = { type: "dump"; bulk: [number, number, number][]; replies: [number, number][] };
export type FakeRequest = SayMessage | { type: "stats" } | { type: "dump" } | { type: "close" };

const ceiling = Number(process.argv[2]);
const fake = await startFakeTelegram(ceiling > 0 ? { ratePerSecond: ceiling } : {});
process.send!({ type: "ready", url: fake.url, token: fake.token });

/** When each waiting chat's message was queued (a user writes the next one only after the answer). */
const waiting = new Map<number, number>();
/** [chatId, latency ms] of every answered "say". */
const replies: [number, number][] = [];
const bulk: [number, number, number][] = [];
const byKind = Object.fromEntries(sendKinds.map((k) => [k, 0])) as Record<SendKind, number>;
let seen = 0;

// Accepted sends are appended to fake.sent; a scan every few milliseconds classifies them and
// finds the answers. Latencies come from the send's own timestamp, so the scan's period does not
// add to them.
const scan = setInterval(() => {
  const sent = fake.sent;
  for (; seen < sent.length; seen++) {
    const m = sent[seen]!;
    if (m.method !== "sendMessage") continue;
    const kind = classify(m.text);
    byKind[kind]++;
    if (kind !== "other") {
      bulk.push([m.chatId, m.at, sendKinds.indexOf(kind)]);
      continue;
    }
    const since = waiting.get(m.chatId);
    if (since === undefined || m.at < since) continue;
    waiting.delete(m.chatId);
    replies.push([m.chatId, m.at - since]);
    process.send!({ type: "replied", chatId: m.chatId, latencyMs: m.at - since } satisfies RepliedMessage);
  }
}, 2);

process.on("message", (message: FakeRequest) => {
  if (message.type === "say") {
    waiting.set(message.chatId, Date.now());
    void fake.userMessage({ id: message.chatId, first_name: `Peserta ${message.chatId}` }, message.text);
  } else if (message.type === "stats") {
    const sends = fake.requests.filter((r) => r.method === "sendMessage").length;
    process.send!({ type: "stats", byKind, sends, http429: fake.http429 } satisfies SoakStats);
  } else if (message.type === "dump") {
    process.send!({ type: "dump", bulk, replies } satisfies SoakDump);
  } else if (message.type === "close") {
    clearInterval(scan);
    void fake.close().then(() => process.exit(0));
  }
});
