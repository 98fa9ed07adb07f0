/**
 * The fake Bot API server in a process of its own, so that the benchmark's bot does not share a
 * CPU with it (a real Telegram is elsewhere too). Started by bench/bulk.ts through fork(); it
 * reports its address, then answers "stats" and "close" messages.
 */
import { startFakeTelegram } from "../../test/support/fake-telegram.js";

const ceiling = Number(process.argv[2]);
const fake = await startFakeTelegram(ceiling > 0 ? { ratePerSecond: ceiling } : {});
process.send!({ type: "ready", url: fake.url, token: fake.token });

process.on("message", (message: { type: string }) => {
  if (message.type === "stats") {
    const perChat = new Map<number, number>();
    let first = Infinity;
    let last = 0;
    for (const m of fake.sent) {
      if (m.method !== "sendMessage") continue;
      perChat.set(m.chatId, (perChat.get(m.chatId) ?? 0) + 1);
      first = Math.min(first, m.at);
      last = Math.max(last, m.at);
    }
    const sends = fake.requests.filter((r) => r.method === "sendMessage").length;
    process.send!({
      type: "stats",
      delivered: [...perChat.values()].reduce((a, b) => a + b, 0),
      chats: perChat.size,
      duplicates: [...perChat.values()].reduce((a, n) => a + Math.max(0, n - 1), 0),
      chatIds: [...perChat.keys()],
      first,
      last,
      sends,
      http429: fake.http429,
    });
  } else if (message.type === "close") {
    void fake.close().then(() => process.exit(0));
  }
});
