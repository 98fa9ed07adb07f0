/**
 * `tsx src/cli.ts <command>`: operator commands behind the npm scripts.
 *   migrate         apply the database migrations (npm run db:migrate)
 *   migrate-status  Prisma's own view of the migrations (npm run db:status)
 *   seed            add the programmes, sessions and motivation library (npm run db:seed)
 *   chat [--as ID]  talk to the bot in the terminal (npm run chat); piped input works too
 *   move-session CODE YYYY-MM-DDTHH:MM
 *                   move a training session to a new local start (same length); its reminders
 *                   move and its participants are told (npm run session:move)
 *   motivation-round
 *                   queue today's motivation round now, as the weekly schedule would
 *                   (npm run motivation:send); a second run the same day sends nothing
 */
import os from "node:os";
import { DateTime } from "luxon";
import { ConfigError, loadConfig, loadDotEnv } from "./config.js";
import { describeDatabaseUrl } from "./db/database.js";
import { migrateDatabase, migrationStatus } from "./db/migrations.js";
import { seedDatabase } from "./domain/seed-database.js";
import { connectServices, openCheckedDatabase, StartupError } from "./app.js";
import { fastPacing } from "./jobs/pacing.js";
import { createBot } from "./bot.js";
import { createConsoleAdapter, runConsoleChat } from "./channels/console.js";
import { createLogger } from "./logger.js";

const commands: Record<string, () => Promise<void>> = {
  async migrate() {
    const config = loadConfig();
    await migrateDatabase(config.database.url);
    console.log(`Migrations applied to ${describeDatabaseUrl(config.database.url)}.`);
  },
  async "migrate-status"() {
    const config = loadConfig();
    const result = await migrationStatus(config.database.url);
    console.log(result.output.trim());
    process.exitCode = result.code;
  },
  async seed() {
    const config = loadConfig();
    const database = await openCheckedDatabase(config);
    try {
      const created = await seedDatabase(database.prisma);
      console.log(
        `Seeded ${database.location}: ${created.programmes} programmes, ${created.trainingSessions} training sessions and ${created.motivationalMessages} motivational messages added (existing rows are left as they are).`,
      );
    } finally {
      await database.close();
    }
  },
  async chat() {
    const config = loadConfig();
    // Logs would mix with the conversation: only warnings, to stderr.
    const logger = createLogger({ level: "warn" }, process.stderr);
    const { database, redis } = await connectServices(config, logger);
    const as = process.argv.indexOf("--as");
    const chatId = `console-${as > 0 && process.argv[as + 1] ? process.argv[as + 1] : os.userInfo().username}`.replace(
      /[^A-Za-z0-9_-]/g,
      "_",
    );
    const bot = await createBot({
      database,
      redis,
      queuePrefix: config.redis.prefix,
      logger,
      channels: { console: createConsoleAdapter(process.stdout) },
      timeZone: config.defaultTimeZone,
      schedule: config.schedule,
      conversationTtlHours: config.conversationTtlHours,
      defaultLanguage: config.defaultLanguage,
      pacing: { console: { ...fastPacing, concurrency: { reply: 1, bulk: 1 } } },
    });
    try {
      await runConsoleChat({
        runtime: bot.runtime,
        db: database.prisma,
        input: process.stdin,
        output: process.stdout,
        chatId,
        interactive: Boolean(process.stdin.isTTY),
      });
    } finally {
      await bot.close();
      await redis.quit();
      await database.close();
    }
  },
  async "motivation-round"() {
    const config = loadConfig();
    const logger = createLogger({ level: "warn" }, process.stderr);
    const { database, redis } = await connectServices(config, logger);
    try {
      const bot = await createBot({
        database,
        redis,
        queuePrefix: config.redis.prefix,
        logger,
        channels: {},
        timeZone: config.defaultTimeZone,
        schedule: config.schedule,
        conversationTtlHours: config.conversationTtlHours,
        defaultLanguage: config.defaultLanguage,
        workers: false,
      });
      try {
        const r = await bot.sendMotivationRound();
        console.log(
          `Motivation round ${r.round}: ${r.queued} messages queued (the running bot sends them, outside quiet hours); ` +
            `${r.alreadyInRound} had this round's message already, ${r.atCap} reached the weekly cap of ${config.schedule.weeklyCap}, ` +
            `${r.noMessage} have no message in their language.`,
        );
      } finally {
        await bot.close();
      }
    } finally {
      await redis.quit();
      await database.close();
    }
  },
  async "move-session"() {
    const [code, when] = process.argv.slice(3);
    if (!code || !when) throw new Error("Usage: npm run session:move -- <session code> <YYYY-MM-DDTHH:MM, local time>");
    const config = loadConfig();
    const logger = createLogger({ level: "warn" }, process.stderr);
    const { database, redis } = await connectServices(config, logger);
    try {
      const session = await database.prisma.trainingSession.findUnique({
        where: { code },
        include: { programme: { select: { timeZone: true } } },
      });
      if (!session) throw new Error(`No training session with the code "${code}".`);
      const start = DateTime.fromISO(when, { zone: session.programme.timeZone });
      if (!start.isValid) throw new Error(`"${when}" is not a time such as 2026-12-03T09:00.`);
      if (start.toMillis() <= Date.now()) throw new Error(`${start.toFormat("yyyy-MM-dd HH:mm")} has already passed.`);
      const startsAt = start.toJSDate();
      const endsAt = new Date(startsAt.getTime() + (session.endsAt.getTime() - session.startsAt.getTime()));
      const bot = await createBot({
        database,
        redis,
        queuePrefix: config.redis.prefix,
        logger,
        channels: {},
        conversationTtlHours: config.conversationTtlHours,
        defaultLanguage: config.defaultLanguage,
        workers: false,
      });
      try {
        const outcome = await bot.moveSession(session.id, startsAt, endsAt);
        if (outcome.kind === "cancelled") throw new Error(`Session "${code}" is cancelled; it cannot be moved.`);
        if (outcome.kind === "moved")
          console.log(
            `Moved ${code} to ${start.toFormat("yyyy-MM-dd HH:mm")} (${session.programme.timeZone}): ${outcome.reminders.length} reminders rescheduled, ${outcome.notices.length} participants notified.`,
          );
      } finally {
        await bot.close();
      }
    } finally {
      await redis.quit();
      await database.close();
    }
  },
};

loadDotEnv();
const name = process.argv[2] ?? "";
const command = commands[name];
if (!command) {
  console.error(`Unknown command "${name}". Commands: ${Object.keys(commands).join(", ")}.`);
  process.exit(2);
}
try {
  await command();
} catch (err) {
  if (err instanceof ConfigError || err instanceof StartupError) {
    console.error(err.message);
    process.exit(1);
  }
  console.error((err as Error).message);
  process.exit(1);
}
