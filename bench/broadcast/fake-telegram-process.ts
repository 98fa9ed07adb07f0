/**
 * The fake Bot API server for the broadcast benchmark, in a process of its own
 * (bench/fake-bot-api/child.ts). Besides "stats" and "close" it takes "user-text" messages: a
 * simulated user's text, queued for the bot's long poll; the bot's first answer to that chat is
 * reported back ("replied") so the writer can go on, and its latency kept for "stats".
 *
 * Started by bench/broadcast.ts through fork() with the rate ceiling as its argument.
 */
import {
  closeFakeBotApi,
  deliveryStats,
  startFakeBotApi,
  watchAnswers,
  type UserTextMessage,
} from "../fake-bot-api/child.js";

export type StatsRequest = { type: "stats"; fromChat: number; toChat: number };
export type BroadcastStats = {
  type: "stats";
  /** One per user text answered, in milliseconds, and how many are still unanswered. */
  replyLatencies: number[];
  unanswered: number;
} & ReturnType<typeof deliveryStats>;

const fake = await startFakeBotApi();
const replyLatencies: number[] = [];
const answers = watchAnswers(fake, { firstName: "Penulis", onAnswer: (_, ms) => replyLatencies.push(ms) });

process.on("message", (message: UserTextMessage | StatsRequest | { type: "close" }) => {
  if (message.type === "user-text") {
    answers.userText(message);
  } else if (message.type === "stats") {
    process.send!({
      type: "stats",
      // Sends the server accepted to chats in [fromChat, toChat): the broadcast's.
      ...deliveryStats(fake, message.fromChat, message.toChat),
      replyLatencies,
      unanswered: answers.unanswered(),
    } satisfies BroadcastStats);
  } else if (message.type === "close") {
    answers.stop();
    closeFakeBotApi(fake);
  }
});
