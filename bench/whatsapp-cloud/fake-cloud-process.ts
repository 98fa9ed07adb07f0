/**
 * The fake WhatsApp Cloud API of the whatsapp-cloud benchmark (test/support/fake-whatsapp-cloud.ts),
 * in a process of its own so its work does not slow the bot's. Started by bench/whatsapp-cloud.ts
 * through fork() with the ceiling as its argument; it reports its address, then answers "stats"
 * and "close" messages.
 */
import { startFakeWhatsAppCloud } from "../../test/support/fake-whatsapp-cloud.js";

export type CloudStats = {
  type: "stats";
  /** Messages accepted, and to how many people. */
  delivered: number;
  recipients: number;
  /** Messages a person got more than once. */
  duplicates: number;
  /** Of those accepted, sent as templates. */
  templates: number;
  /** Sends refused for going over the ceiling (130429). */
  overLimit: number;
  /** Most messages accepted in any 1000 ms, sliding. */
  maxInAnySecond: number;
  first: number;
  last: number;
  /** Recipients (wa_id) reached. */
  reached: string[];
};

const ceiling = Number(process.argv[2] ?? 80);
const fake = await startFakeWhatsAppCloud({ perSecond: ceiling });

function stats(): CloudStats {
  const sent = fake.sent;
  const per = new Map<string, number>();
  let templates = 0;
  for (const s of sent) {
    per.set(s.to, (per.get(s.to) ?? 0) + 1);
    if (s.type === "template") templates++;
  }
  // The busiest sliding second, by the times the fake accepted each message.
  let maxInAnySecond = 0;
  for (let lo = 0, hi = 0; hi < sent.length; hi++) {
    while (sent[hi]!.at - sent[lo]!.at >= 1000) lo++;
    maxInAnySecond = Math.max(maxInAnySecond, hi - lo + 1);
  }
  return {
    type: "stats",
    delivered: sent.length,
    recipients: per.size,
    duplicates: [...per.values()].filter((n) => n > 1).reduce((a, n) => a + n - 1, 0),
    templates,
    overLimit: fake.overLimit,
    maxInAnySecond,
    first: sent[0]?.at ?? 0,
    last: sent.at(-1)?.at ?? 0,
    reached: [...per.keys()],
  };
}

process.send!({ type: "ready", url: fake.url, token: fake.accessToken, phoneNumberId: fake.phoneNumberId });
process.on("message", (message: { type: "stats" } | { type: "close" }) => {
  if (message.type === "stats") process.send!(stats());
  else if (message.type === "close") void fake.close().then(() => process.exit(0));
});
