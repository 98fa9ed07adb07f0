/**
 * The fake Bot API server of the soak benchmark, in a process of its own
 * (bench/fake-bot-api/child.ts): a simulated user's text ("user-text") is queued for the bot's
 * long poll and answered with "replied" once the bot's first answer to that chat is accepted.
 * Here a chat also gets reminders, motivation and broadcasts while it talks, so only sends that
 * are none of those count as the answer; every accepted send is classified by its text
 * (bench/soak/texts.ts) and kept, for "dump" at the end.
 *
 * Started by bench/soak.ts through fork() with the rate ceiling as its argument.
 */
import { closeFakeBotApi, startFakeBotApi, watchAnswers, type UserTextMessage } from "../fake-bot-api/child.js";
import { classify, sendKinds, type SendKind } from "./texts.js";

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
export type FakeRequest = UserTextMessage | { type: "stats" } | { type: "dump" } | { type: "close" };

const fake = await startFakeBotApi();

/** [chatId, latency ms] of every answered user text. */
const replies: [number, number][] = [];
const bulk: [number, number, number][] = [];
const byKind = Object.fromEntries(sendKinds.map((k) => [k, 0])) as Record<SendKind, number>;

const answers = watchAnswers(fake, {
  firstName: "Peserta",
  isAnswer: (m) => {
    const kind = classify(m.text);
    byKind[kind]++;
    if (kind === "other") return true;
    bulk.push([m.chatId, m.at, sendKinds.indexOf(kind)]);
    return false;
  },
  onAnswer: (chatId, ms) => replies.push([chatId, ms]),
});

process.on("message", (message: FakeRequest) => {
  if (message.type === "user-text") {
    answers.userText(message);
  } else if (message.type === "stats") {
    const sends = fake.requests.filter((r) => r.method === "sendMessage").length;
    process.send!({ type: "stats", byKind, sends, http429: fake.http429 } satisfies SoakStats);
  } else if (message.type === "dump") {
    process.send!({ type: "dump", bulk, replies } satisfies SoakDump);
  } else if (message.type === "close") {
    answers.stop();
    closeFakeBotApi(fake);
  }
});
