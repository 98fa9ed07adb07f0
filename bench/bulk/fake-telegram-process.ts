/**
 * The fake Bot API server of the bulk benchmark, in a process of its own
 * (bench/fake-bot-api/child.ts). Started by bench/bulk.ts through fork(); it reports its
 * address, then answers "stats" and "close" messages.
 */
import { closeFakeBotApi, deliveryStats, startFakeBotApi } from "../fake-bot-api/child.js";

export type BulkStats = { type: "stats" } & ReturnType<typeof deliveryStats>;

const fake = await startFakeBotApi();

process.on("message", (message: { type: "stats" } | { type: "close" }) => {
  if (message.type === "stats") process.send!({ type: "stats", ...deliveryStats(fake) } satisfies BulkStats);
  else if (message.type === "close") closeFakeBotApi(fake);
});
