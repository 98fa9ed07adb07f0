/**
 * The whatsapp-cloud benchmark: messages to distinct participants on WhatsApp through the whole
 * outbox and the Cloud API adapter (rows written, jobs on the paced bulk lane, the limiter shared
 * in Redis, the 24-hour window decided per row, whatsapp-api-js calling the Graph API, statuses
 * recorded), against the fake Cloud API in its own process, set to a ceiling above which it
 * answers 130429. The bot's rate (WHATSAPP_CLOUD_PER_SECOND) is set to the same ceiling, as an
 * operator sets it to the number's throughput. Half the recipients wrote within the last 24
 * hours; the other half last wrote two days ago, so their message goes as the approved template.
 *
 *   rate_ratio             delivered / time from first to last / ceiling; >= 0.95
 *   max_second_ratio       most messages the fake took in any sliding 1000 ms / ceiling; <= 1.0
 *   http_130429            sends refused for going over the ceiling
 *   duplicates, lost       0 and 0
 *   template_share         of the messages, the share sent as templates (half were outside the window)
 *
 * BENCH_CLOUD_MESSAGES (default 10000) at BENCH_CLOUD_CEILING (default 80) a second. SQLite by
 * default; BENCH_CLOUD_DATABASE=postgresql runs it on PostgreSQL (BENCH_POSTGRES_URL).
 */
import crypto from "node:crypto";
import { createBot } from "../src/bot.js";
import { createWhatsAppCloudAdapter } from "../src/channels/whatsapp-cloud.js";
import type { WhatsAppCloudConfig } from "../src/config.js";
import type { Database, DatabaseProvider } from "../src/db/database.js";
import { createLogger } from "../src/logger.js";
import { cloudPacing } from "../src/outbox/pacing.js";
import { queueOutbound } from "../src/outbox/queue-outbound.js";
import { createRedis } from "../src/redis.js";
import { forkFakeBotApi } from "./fake-bot-api/parent.js";
import type { BenchResult, Benchmark } from "./run.js";
import { deleteKeys, freshDatabase, positiveInt, round } from "./support.js";
import type { CloudStats } from "./whatsapp-cloud/fake-cloud-process.js";

const messages = positiveInt(process.env.BENCH_CLOUD_MESSAGES, 10_000);
const ceiling = positiveInt(process.env.BENCH_CLOUD_CEILING, 80);
const provider: DatabaseProvider = process.env.BENCH_CLOUD_DATABASE === "postgresql" ? "postgresql" : "sqlite";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** The fake's default phone number id (test/support/fake-whatsapp-cloud.ts). */
const phoneNumberId = "109876543210987";

const progress = (line: string) => console.error(`[whatsapp-cloud] ${line}`);

/** `count` consenting participants with a WhatsApp chat each, the first half seen an hour ago, the rest two days ago. */
async function createRecipients(database: Database, count: number, firstNumber: number, now: Date) {
  const prisma = database.prisma;
  const recipients: { identityId: number; chatId: string }[] = [];
  for (let i = 0; i < count; i += 500) {
    const size = Math.min(500, count - i);
    const participants = await prisma.participant.createManyAndReturn({
      data: Array.from({ length: size }, (_, j) => ({
        name: `Peserta ${i + j + 1}`,
        businessName: `Usaha ${i + j + 1}`,
        language: "id",
        consentAt: now,
      })),
      select: { id: true },
    });
    const identities = await prisma.channelIdentity.createManyAndReturn({
      data: participants.map((p, j) => {
        const chatId = `${firstNumber + i + j}@c.us`;
        const inside = i + j < count / 2;
        return {
          channel: "whatsapp",
          platformUserId: chatId,
          chatId,
          participantId: p.id,
          lastInboundAt: new Date(now.getTime() - (inside ? 3_600_000 : 48 * 3_600_000)),
        };
      }),
      select: { id: true, chatId: true },
    });
    recipients.push(...identities.map((r) => ({ identityId: r.id, chatId: r.chatId })));
  }
  return recipients;
}

async function run(): Promise<BenchResult> {
  const prefix = `sapa-bench-${crypto.randomBytes(4).toString("hex")}`;
  const redis = createRedis(redisUrl);
  const { database, drop } = await freshDatabase(provider, "whatsapp-cloud");
  const fake = await forkFakeBotApi(
    new URL("./whatsapp-cloud/fake-cloud-process.ts", import.meta.url),
    ceiling,
    "whatsapp-cloud",
  );
  const logger = createLogger({ level: "warn" });
  const cloud: WhatsAppCloudConfig = {
    accessToken: fake.token,
    phoneNumberId,
    appSecret: "bench-app-secret-0123456789",
    verifyToken: "bench-verify",
    apiRoot: fake.url,
    apiVersion: "v23.0",
    perSecond: ceiling,
    // The messaging tier is tested in test/outbox; here the throughput is what is measured.
    dailyLimit: null,
    price: { utility: null, marketing: null },
  };
  const whatsapp = createWhatsAppCloudAdapter({ cloud, logger });
  const bot = await createBot({
    database,
    redis,
    queuePrefix: prefix,
    logger,
    channels: { whatsapp },
    pacing: { whatsapp: cloudPacing(cloud) },
    conversationTtlHours: 24,
    defaultLanguage: "id",
    receive: false,
  });
  const metrics: Record<string, number> = {};
  try {
    const now = new Date();
    await database.prisma.whatsAppTemplate.create({
      data: {
        name: "sapa_pengumuman",
        language: "id",
        category: "marketing",
        body: "Pengumuman dari {{1}}: {{2}}",
        parameters: ["department", "text"],
        usedFor: "broadcast",
      },
    });
    const recipients = await createRecipients(database, messages, 6281300000000, now);
    progress(`${messages} messages at a ceiling of ${ceiling}/s: queueing`);
    const started = performance.now();
    await queueOutbound(
      database,
      bot.outbox,
      recipients.map((r, i) => ({
        channel: "whatsapp",
        chatId: r.chatId,
        identityId: r.identityId,
        message: { text: `Pengumuman pelatihan untuk peserta ${i + 1}: jadwal baru sudah tersedia.` },
        kind: "broadcast" as const,
      })),
    );
    const deadline = Date.now() + Math.max(60_000, (messages / ceiling) * 3000);
    let stats = await fake.ask<CloudStats>({ type: "stats" });
    let lastLine = 0;
    while (stats.delivered < messages && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      stats = await fake.ask<CloudStats>({ type: "stats" });
      if (Date.now() - lastLine > 10_000) {
        progress(`${stats.delivered}/${messages} delivered, ${stats.overLimit} refused over the ceiling`);
        lastLine = Date.now();
      }
    }
    // A moment more, so a late duplicate would be seen.
    await new Promise((r) => setTimeout(r, 1000));
    stats = await fake.ask<CloudStats>({ type: "stats" });
    const wallS = (performance.now() - started) / 1000;
    const seconds = Math.max(0.001, (stats.last - stats.first) / 1000);
    const achieved = stats.delivered / seconds;
    const expected = new Set(recipients.map((r) => r.chatId.replace(/@c\.us$/, "")));
    const reached = stats.reached.filter((to) => expected.has(to)).length;
    progress(
      `${stats.delivered} delivered in ${seconds.toFixed(2)} s (${wallS.toFixed(2)} s with queueing): ${achieved.toFixed(1)}/s`,
    );
    metrics.messages = messages;
    metrics.ceiling_per_s = ceiling;
    metrics.achieved_per_s = round(achieved);
    metrics.rate_ratio = round(achieved / ceiling);
    metrics.max_in_any_second = stats.maxInAnySecond;
    metrics.max_second_ratio = round(stats.maxInAnySecond / ceiling);
    metrics.http_130429 = stats.overLimit;
    metrics.duplicates = stats.duplicates;
    metrics.lost = messages - reached;
    metrics.template_share = round(stats.templates / Math.max(1, stats.delivered));
    metrics.outside_window_share = 0.5;
  } finally {
    await bot.close();
    await fake.close();
    await deleteKeys(redis, prefix).catch(() => 0);
    await redis.quit();
    await drop();
  }
  return { name: "whatsapp-cloud", date: new Date().toISOString(), node: process.version, database: provider, metrics };
}

export const whatsappCloud: Benchmark = {
  name: "whatsapp-cloud",
  description: `${messages} messages to distinct WhatsApp participants through the outbox and the Cloud API adapter against a fake Cloud API capped at ${ceiling}/s (130429 above), half of them outside the 24-hour window`,
  run,
};
