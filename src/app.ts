/**
 * Starting and stopping the application: checks first (migrated database, reachable Redis),
 * then the HTTP server. Start-up problems an operator can fix are `StartupError`s whose
 * message is one line saying what to do.
 */
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { useCertificateSettings, type Config } from "./config.js";
import { assertMigrated, DatabaseNotMigratedError, openDatabase, tuneSqlite, type Database } from "./db/database.js";
import { ErasureFile } from "./domain/erasures.js";
import { logErasuresReapplied, reapplyErasures } from "./domain/reapply-erasures.js";
import type { Logger } from "./logger.js";
import { assertRedisReachable, checkRedisSettings, createRedis, RedisUnreachableError } from "./redis.js";
import { buildServer } from "./admin/server.js";
import { listQueues } from "./admin/dashboard/queue-list.js";
import { createBot, type Bot } from "./bot.js";
import type { ChannelAdapter } from "./channels/channel.js";
import { createTelegramAdapter, type TelegramAdapter } from "./channels/telegram.js";
import { createWebChatAdapter, registerWebChat, type WebChatLimits } from "./channels/webchat.js";
import { createWhatsAppAdapter, type WhatsAppClientLike } from "./channels/whatsapp.js";
import { createWhatsAppClient } from "./channels/whatsapp-client.js";
import { createWhatsAppCloudAdapter } from "./channels/whatsapp-cloud.js";
import { createCloudReceiver, type CloudReceiver } from "./channels/whatsapp-cloud-receiver.js";
import { cloudPacing, telegramPacing, whatsappPacing, type Pacing } from "./outbox/pacing.js";
import { settlesWithin } from "./time-limits.js";

export class StartupError extends Error {
  override name = "StartupError";
}

export type App = {
  config: Config;
  database: Database;
  redis: Redis;
  server: FastifyInstance;
  bot: Bot;
  /** The address the server listens on, e.g. http://127.0.0.1:3000. */
  url: string;
  stop(): Promise<void>;
};

/** Opens the database after checking it is migrated; connection failures become one line. */
export async function openCheckedDatabase(config: Config): Promise<Database> {
  const database = openDatabase(config.database.url);
  try {
    await assertMigrated(database);
    await tuneSqlite(database);
    return database;
  } catch (err) {
    await database.close().catch(() => {});
    if (err instanceof DatabaseNotMigratedError) throw new StartupError(err.message);
    const reason = String((err as Error).message).split("\n")[0];
    throw new StartupError(`Cannot open the database at ${database.location} (${reason}). Check DATABASE_URL.`);
  }
}

/**
 * What every process needs: a reachable Redis and a migrated database. Problems an operator can
 * fix become StartupErrors. Resolves once the queue connection is ready.
 */
export async function connectServices(config: Config, logger: Logger): Promise<{ database: Database; redis: Redis }> {
  try {
    await assertRedisReachable(config.redis.url);
  } catch (err) {
    if (err instanceof RedisUnreachableError) throw new StartupError(err.message);
    throw err;
  }
  const database = await openCheckedDatabase(config);
  const redis = createRedis(config.redis.url);
  // ioredis reports every failed reconnect; one line per failure is enough.
  redis.on("error", (err: Error) => logger.warn({ err: { message: err.message } }, "redis connection error"));
  await new Promise<void>((resolve) => (redis.status === "ready" ? resolve() : redis.once("ready", () => resolve())));
  return { database, redis };
}

/**
 * Which channels a process of this role starts receiving on. Telegram by webhook arrives over
 * HTTP, so the web side takes it; Telegram by long polling and WhatsApp Web are one connection
 * each for the whole installation, so a worker runs them (under a lease: one worker at a time),
 * since web processes are the ones scaled out behind a proxy.
 */
export function receivingChannels(config: Config): string[] {
  const webhook = config.telegram?.publicUrl != null;
  const names: string[] = [];
  if (config.telegram && (config.role === "all" || (config.role === "web") === webhook)) names.push("telegram");
  // The Cloud API's webhook arrives over HTTP like Telegram's; WhatsApp Web is a worker's client.
  if (
    config.whatsapp.enabled &&
    (config.whatsapp.provider === "cloud" ? config.role !== "worker" : config.role !== "web")
  )
    names.push("whatsapp");
  return names;
}

/** What tests put in place of the real thing. */
export type StartOptions = {
  /** Makes the WhatsApp client (default: whatsapp-web.js in Debian's Chromium). */
  createWhatsAppClient?: () => WhatsAppClientLike;
  /** The web chat's limits (default: webChatLimits). */
  webChatLimits?: WebChatLimits;
  /** The bot's clock (default: the system's), for tests that move time on. */
  now?: () => Date;
};

export async function startApp(config: Config, logger: Logger, start: StartOptions = {}): Promise<App> {
  // Serve only once the queue connection is up, so /healthz is truthful from the first request.
  const { database, redis } = await connectServices(config, logger);
  // What certificates say and link to, wherever they are issued or rendered in this process.
  useCertificateSettings(config.certificates);
  // The server processes check what Redis keeps (the console chat and CLI tools do not need to).
  // Never fatal: an operator may knowingly run without persistence; the warnings say what is at risk.
  await checkRedisSettings(redis, logger).catch((err: unknown) =>
    logger.warn({ err: { message: (err as Error).message } }, "could not check the Redis settings"),
  );
  // A restored backup must not bring an erased person back, whether or not the restore script ran.
  const erasureFile = new ErasureFile(config.erasures.listFile);
  try {
    logErasuresReapplied(logger, await reapplyErasures(database, erasureFile), erasureFile);
  } catch (err) {
    await database.close().catch(() => {});
    redis.disconnect();
    const reason = String((err as Error).message).split("\n")[0];
    throw new StartupError(
      `Cannot re-apply the list of erased participants (ERASURE_LIST_FILE=${erasureFile.path}): ${reason}`,
    );
  }
  const channels: Record<string, ChannelAdapter> = { web: createWebChatAdapter() };
  const pacing: Record<string, Pacing> = {};
  let telegram: TelegramAdapter | null = null;
  if (config.telegram) {
    telegram = createTelegramAdapter({
      token: config.telegram.token,
      apiRoot: config.telegram.apiRoot,
      ...(config.telegram.publicUrl ? { publicUrl: config.telegram.publicUrl } : {}),
      ...(config.telegram.webhookSecret ? { webhookSecret: config.telegram.webhookSecret } : {}),
      redis,
      prefix: config.redis.prefix,
      logger,
    });
    channels.telegram = telegram;
    pacing.telegram = telegramPacing(config.telegram);
  }
  let cloudReceiver: CloudReceiver | null = null;
  if (config.whatsapp.cloud) {
    const cloud = config.whatsapp.cloud;
    const adapter = createWhatsAppCloudAdapter({ cloud, logger });
    const receiver = createCloudReceiver({ cloud, logger });
    let receiving = false;
    cloudReceiver = receiver;
    channels.whatsapp = {
      ...adapter,
      // Receiving is the webhook's (web processes); a worker only sends.
      async start(hooks) {
        receiving = true;
        await receiver.start(hooks);
      },
      async stop() {
        receiving = false;
        await receiver.stop();
      },
      // A token Meta refused at a send shows whatever the check at start said.
      status: () => (!receiving || adapter.status().state === "disconnected" ? adapter.status() : receiver.status()),
    };
    pacing.whatsapp = cloudPacing(cloud);
  } else if (config.whatsapp.enabled) {
    const { sessionDir, chromiumPath } = config.whatsapp;
    channels.whatsapp = createWhatsAppAdapter({
      createClient: start.createWhatsAppClient ?? (() => createWhatsAppClient({ sessionDir, chromiumPath })),
      logger,
      // The QR code goes to a terminal someone looks at, never to a log file or a log collector
      // (Docker, journald): the dashboard's Kanal page shows it from any process.
      printQr: process.stdout.isTTY === true,
    });
    pacing.whatsapp = whatsappPacing(config.whatsapp);
  }
  const role = config.role;
  const bot = await createBot({
    database,
    redis,
    queuePrefix: config.redis.prefix,
    logger,
    channels,
    pacing,
    // A web process only enqueues: no workers, reconcile timers or motivation scheduler.
    workers: role !== "web",
    // One poller per bot token and one WhatsApp Web session per number, whatever runs: see receivingChannels.
    exclusive: {
      ...(config.telegram && !config.telegram.publicUrl ? { telegram: { sendsHere: false } } : {}),
      // The Cloud API is plain HTTPS both ways: any process may send, any web process take its webhook.
      ...(config.whatsapp.provider === "web" ? { whatsapp: { sendsHere: true } } : {}),
    },
    timeZone: config.defaultTimeZone,
    schedule: config.schedule,
    broadcastApprovalThreshold: config.broadcastApprovalThreshold,
    reconcile: config.reconcile,
    conversationTtlHours: config.conversationTtlHours,
    defaultLanguage: config.defaultLanguage,
    // Telegram and WhatsApp start once the server listens (a webhook needs the route up).
    receive: false,
    // Telegram sends a backlog of webhooks several at a time, to any web process: a message waits
    // this long for an earlier one of its chat delivered a moment later, then they run in order.
    chatLock: { settleMs: config.telegram?.publicUrl ? 50 : 0 },
    erasureFile,
    ...(start.now ? { now: start.now } : {}),
  });
  const server = await buildServer({
    database,
    redis,
    logger,
    channelStatus: () => bot.channelStatus(),
    runningChannelStatus: () => bot.runningChannelStatus(),
    queues: () => listQueues({ database, redis, logger, config, bot }).map((q) => q.queue),
    trustProxy: config.http.trustProxy,
  });
  // A worker serves /healthz only, so an orchestrator can probe it; everything else is the web side's,
  // whose modules (the dashboard's pages, the API's schemas, bull-board) a worker never loads.
  if (role !== "worker") {
    const [{ registerApi }, { registerCertificateRoutes }, { registerDashboard }] = await Promise.all([
      import("./admin/api.js"),
      import("./admin/certificates.js"),
      import("./admin/dashboard/index.js"),
    ]);
    registerWebChat(server, {
      runtime: bot.runtime,
      db: database.prisma,
      signals: bot.signals,
      redis,
      prefix: config.redis.prefix,
      secret: config.dashboard.sessionSecret,
      secureCookies: config.dashboard.secureCookies,
      ...(start.webChatLimits ? { limits: start.webChatLimits } : {}),
    });
    registerApi(server, { database, broadcasts: bot.broadcasts, logger });
    registerCertificateRoutes(server, {
      database,
      redis,
      prefix: config.redis.prefix,
      secret: config.dashboard.sessionSecret,
      baseUrl: config.certificates.baseUrl,
      secureCookies: config.dashboard.secureCookies,
    });
    // `channels`: the adapters themselves, for the Kanal page's WhatsApp log-out and Telegram bot name.
    registerDashboard(server, { database, redis, logger, config, bot, channels });
    if (config.telegram?.publicUrl && telegram) telegram.registerWebhook(server);
    cloudReceiver?.registerWebhook(server);
  }
  let url: string;
  try {
    url = await server.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    await bot.close();
    redis.disconnect();
    await database.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE")
      throw new StartupError(`Port ${config.http.port} is already in use. Stop the other program or set PORT.`);
    throw err;
  }
  const receiving = receivingChannels(config);
  await bot.startChannels(receiving);
  logger.info(
    { url, role, database: database.provider, channels: Object.keys(channels), receiving },
    "Sapa IKM started",
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Stop taking work, all at once: no new HTTP connections (requests under way finish, a web
      // chat long poll gets a few seconds), no more Telegram updates, no new jobs (active ones get
      // 15 s). The database and Redis stay open until all of that is done.
      await Promise.all([closeServer(server, 5_000), bot.drain()]);
      await bot.close();
      await redis.quit().catch(() => redis.disconnect());
      await database.close();
    })());
  return { config, database, redis, server, bot, url, stop };
}

/** Closes the HTTP server: no new connections; those still open after `graceMs` are cut. */
async function closeServer(server: FastifyInstance, graceMs: number): Promise<void> {
  const closing = server.close().catch(() => {});
  if (await settlesWithin(closing, graceMs)) return;
  server.server.closeAllConnections();
  await settlesWithin(closing, 1_000);
}
