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
 *   staff-create --email E --name N [--role admin|staff]
 *                   add a staff member (npm run staff:create); the password is read from
 *                   standard input when piped (one line), or asked twice without echo. The
 *                   role is admin while there is no admin yet, staff after that
 *   staff-token --email E [--name N]
 *                   make an API token for the staff HTTP API (npm run staff:token); it is
 *                   shown once. Like staff-link-code, it works for any staff member: on the
 *                   dashboard only the owner makes their own, but whoever runs this at the
 *                   server holds the database already; the audit log says "via": "cli"
 *   staff-link-code --email E
 *                   make a one-time code, valid 15 minutes, that links a Telegram or WhatsApp
 *                   account to the staff member (npm run staff:link-code)
 *   reapply-erasures
 *                   erase again everyone on the list of erased participants whom the database
 *                   still holds (after a restore), merging the list's table and ERASURE_LIST_FILE
 *                   (npm run db:reapply-erasures); exits 3 when lines of the file cannot be
 *                   matched (made with another installation secret)
 *   checkin-poster CODE FILE.pdf [--channel telegram|whatsapp]
 *                   write the A4 check-in poster of a training session (npm run checkin:poster);
 *                   its QR code opens the chat set by TELEGRAM_BOT_USERNAME (or the bot's own,
 *                   asked of Telegram) or WHATSAPP_NUMBER
 *   certificate-sample FILE.pdf
 *                   write a sample certificate (Siti Aminah, the seeded pepper programme) without
 *                   a database (npm run certificate:sample)
 */
import fs from "node:fs";
import os from "node:os";
import readline from "node:readline";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { DateTime } from "luxon";
import { ConfigError, loadConfig, loadDotEnv, type Config } from "./config.js";
import { describeDatabaseUrl, type Database } from "./db/database.js";
import { migrateDatabase, migrationStatus } from "./db/migrations.js";
import { seedDatabase } from "./domain/seed-database.js";
import { ErasureFile } from "./domain/erasures.js";
import { reapplyErasures } from "./domain/reapply-erasures.js";
import { moveTrainingSession } from "./domain/move-training-session.js";
import { loadPosterSession, posterChannel, renderCheckInPoster, type PosterChannel } from "./domain/checkin-poster.js";
import { telegramBotUsername } from "./channels/telegram-username.js";
import { connectServices, openCheckedDatabase, StartupError } from "./app.js";
import { fastPacing } from "./outbox/pacing.js";
import { createBot, type Bot } from "./bot.js";
import { createConsoleAdapter, runConsoleChat } from "./channels/console.js";
import { createLogger } from "./logger.js";
import {
  audit,
  createApiToken,
  createLinkCode,
  createStaff,
  findStaffByEmail,
  linkCodeValidityMinutes,
  passwordMinLength,
  StaffError,
  type StaffRole,
} from "./domain/staff.js";

/** The options after the command name; an unknown or incomplete option is an error in one line. */
function options<T extends Record<string, { type: "string" }>>(spec: T, usage: string) {
  try {
    return parseArgs({ args: process.argv.slice(3), options: spec, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const reason = (err as Error).message.split("\n")[0]!.replace(/\.?$/, ".");
    throw new Error(`${reason} Usage: ${usage}`, { cause: err });
  }
}

/** The staff member with this email, or an error saying there is none. */
async function staffByEmail(database: Database, email: string) {
  const staff = await findStaffByEmail(database.prisma, email);
  if (!staff) throw new StaffError(`No staff member with the email ${email}; npm run staff:create adds one.`);
  if (!staff.active) throw new StaffError(`${staff.email} is deactivated.`);
  return staff;
}

/** Asks for a line on the terminal without showing what is typed. */
function askHidden(question: string): Promise<string> {
  let muted = false;
  // readline echoes through its output; once the question is written, that echo goes nowhere.
  const output = new Writable({
    write(chunk, encoding, callback) {
      if (!muted) process.stdout.write(chunk, encoding);
      callback();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve, reject) => {
    rl.on("SIGINT", () => {
      rl.close();
      process.stdout.write("\n");
      reject(new Error("Cancelled; nothing was saved."));
    });
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write("\n");
      resolve(answer);
    });
    muted = true;
  });
}

/** The new password: the first line of piped input, or typed twice on a terminal. */
async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let input = "";
    for await (const chunk of process.stdin) input += String(chunk);
    const line = input.split(/\r?\n/)[0] ?? "";
    if (!line) throw new StaffError("No password on standard input: pipe one line, or run this in a terminal.");
    return line;
  }
  const first = await askHidden(`Password (at least ${passwordMinLength} characters): `);
  if (first.length < passwordMinLength)
    throw new StaffError(`The password is too short: use at least ${passwordMinLength} characters.`);
  const second = await askHidden("The same password again: ");
  if (first !== second) throw new StaffError("The two passwords differ; nothing was saved.");
  return first;
}

const commands: Record<string, () => Promise<void>> = {
  async "certificate-sample"() {
    const file = process.argv[3];
    if (!file || !file.toLowerCase().endsWith(".pdf"))
      throw new Error("Give the file to write, ending in .pdf: npm run certificate:sample -- sample.pdf");
    const { writeSampleCertificate } = await import("./domain/certificate-sample.js");
    const bytes = await writeSampleCertificate(file);
    console.log(`Sample certificate written to ${file} (${bytes} bytes).`);
  },
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
    await withToolBot(config, async (bot) => {
      const r = await bot.sendMotivationRound();
      console.log(
        `Motivation round ${r.round}: ${r.queued} messages queued (the running bot sends them, outside quiet hours); ` +
          `${r.alreadyInRound} had this round's message already, ${r.atCap} reached the weekly cap of ${config.schedule.weeklyCap}, ` +
          `${r.noMessage} have no message in their language.`,
      );
    });
  },
  async "move-session"() {
    const [code, when] = process.argv.slice(3);
    if (!code || !when) throw new Error("Usage: npm run session:move -- <session code> <YYYY-MM-DDTHH:MM, local time>");
    await withToolBot(loadConfig(), async (bot, database) => {
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
      const outcome = await moveTrainingSession(
        { database, reminders: bot.reminders, outbox: bot.outbox, campaigns: bot.campaigns },
        session.id,
        startsAt,
        endsAt,
      );
      if (outcome.kind === "cancelled") throw new Error(`Session "${code}" is cancelled; it cannot be moved.`);
      if (outcome.kind === "moved")
        console.log(
          `Moved ${code} to ${start.toFormat("yyyy-MM-dd HH:mm")} (${session.programme.timeZone}): ${outcome.reminders.length} reminders rescheduled, ${outcome.notices.length} participants notified.`,
        );
    });
  },
  async "staff-create"() {
    const usage = 'npm run staff:create -- --email <email> --name "<name>" [--role admin|staff]';
    const opts = options({ email: { type: "string" }, name: { type: "string" }, role: { type: "string" } }, usage);
    if (!opts.email || !opts.name) throw new Error(`Give --email and --name. Usage: ${usage}`);
    if (opts.role !== undefined && opts.role !== "admin" && opts.role !== "staff")
      throw new Error(`--role must be admin or staff, not "${opts.role}".`);
    const config = loadConfig();
    const database = await openCheckedDatabase(config);
    try {
      // Fail before asking for a password that could not be used anyway.
      if (await findStaffByEmail(database.prisma, opts.email))
        throw new StaffError(`A staff member with the email ${opts.email.trim().toLowerCase()} already exists.`);
      const password = await readNewPassword();
      // The first staff member must be able to approve broadcasts and add the others.
      const role: StaffRole =
        (opts.role as StaffRole | undefined) ??
        ((await database.prisma.staff.count({ where: { role: "admin" } })) === 0 ? "admin" : "staff");
      const staff = await createStaff(database.prisma, { email: opts.email, name: opts.name, role, password });
      await audit(database.prisma, null, "staff.create", `staff:${staff.id}`, { role, via: "cli" });
      console.log(`Added ${staff.name} <${staff.email}> as ${role} (staff id ${staff.id}).`);
    } finally {
      await database.close();
    }
  },
  async "staff-token"() {
    const usage = 'npm run staff:token -- --email <email> [--name "<what the token is for>"]';
    const opts = options({ email: { type: "string" }, name: { type: "string" } }, usage);
    if (!opts.email) throw new Error(`Give --email. Usage: ${usage}`);
    const config = loadConfig();
    const database = await openCheckedDatabase(config);
    try {
      const staff = await staffByEmail(database, opts.email);
      const name = opts.name ?? "api";
      const { id, token } = await createApiToken(database.prisma, staff.id, name);
      await audit(database.prisma, null, "api_token.create", `apiToken:${id}`, { staffId: staff.id, name, via: "cli" });
      console.log(`API token "${name}" for ${staff.email}: ${token} (copy it now: it is not shown again).`);
    } finally {
      await database.close();
    }
  },
  async "staff-link-code"() {
    const usage = "npm run staff:link-code -- --email <email>";
    const opts = options({ email: { type: "string" } }, usage);
    if (!opts.email) throw new Error(`Give --email. Usage: ${usage}`);
    const config = loadConfig();
    const database = await openCheckedDatabase(config);
    try {
      const staff = await staffByEmail(database, opts.email);
      const { code } = await createLinkCode(database.prisma, staff.id);
      await audit(database.prisma, null, "staff.link_code", `staff:${staff.id}`, { via: "cli" });
      console.log(
        `Link code for ${staff.email}: ${code}. Within ${linkCodeValidityMinutes} minutes, send /tautkan ${code} to the bot on Telegram, or TAUTKAN ${code} on WhatsApp, from the account to link.`,
      );
    } finally {
      await database.close();
    }
  },
  async "reapply-erasures"() {
    const config = loadConfig();
    const database = await openCheckedDatabase(config);
    try {
      const file = new ErasureFile(config.erasures.listFile);
      const r = await reapplyErasures(database, file);
      console.log(
        `Erasures re-applied to ${database.location}: ${r.listed} identifiers listed (${file.path}); ` +
          `${r.erasedParticipants} participants and ${r.erasedIdentities} chat identities erased again; ` +
          `${r.addedToTable} list lines copied into the database, ${r.addedToFile} into the file.`,
      );
      if (r.unreadable)
        console.error(`Warning: ${r.unreadable} lines of ${file.path} could not be read and were skipped.`);
      if (r.otherKey) {
        console.error(
          `Warning: ${r.otherKey} lines of ${file.path} were made with another installation secret and cannot be matched: ` +
            "the database's Installation row is not the one those erasures were made with (see docs/operations.md, Restore).",
        );
        process.exitCode = 3;
      }
    } finally {
      await database.close();
    }
  },
  async "checkin-poster"() {
    const usage = "Usage: npm run checkin:poster -- <session code> <file.pdf> [--channel telegram|whatsapp]";
    let parsed;
    try {
      parsed = parseArgs({
        args: process.argv.slice(3),
        options: { channel: { type: "string" } },
        strict: true,
        allowPositionals: true,
      });
    } catch (err) {
      throw new Error(`${(err as Error).message.split("\n")[0]!.replace(/\.?$/, ".")} ${usage}`, { cause: err });
    }
    const [code, file] = parsed.positionals;
    const wanted = parsed.values.channel;
    if (!code || !file || parsed.positionals.length > 2) throw new Error(usage);
    if (wanted !== undefined && wanted !== "telegram" && wanted !== "whatsapp")
      throw new Error(`--channel is telegram or whatsapp, not "${wanted}". ${usage}`);
    const config = loadConfig();
    const links = {
      ...config.chatLinks,
      telegramBot:
        config.chatLinks.telegramBot ?? (config.telegram ? await telegramBotUsername(config.telegram) : null),
    };
    const database = await openCheckedDatabase(config);
    try {
      const session = await loadPosterSession(database.prisma, code);
      if (!session) throw new Error(`No training session with the code "${code}".`);
      const channel = posterChannel(links, wanted as PosterChannel | undefined);
      fs.writeFileSync(file, await renderCheckInPoster(session, links, channel ? { channel } : {}));
      const qr = channel ? `QR code for ${channel}` : "no QR code (set TELEGRAM_BOT_USERNAME or WHATSAPP_NUMBER)";
      console.log(`Poster for ${code} written to ${file}: type "HADIR ${session.checkInCode}", ${qr}.`);
      if (wanted && channel !== wanted)
        console.error(
          `Warning: the ${wanted} link is unknown (${wanted === "telegram" ? "TELEGRAM_BOT_USERNAME" : "WHATSAPP_NUMBER"} is not set); ${channel ? `the QR code is for ${channel}` : "the poster has no QR code"}.`,
        );
    } finally {
      await database.close();
    }
  },
};

/**
 * Runs `work` with a bot that only writes and enqueues (no workers, no channels): the running
 * bot does the sending. Closes everything after, also on failure.
 */
async function withToolBot(config: Config, work: (bot: Bot, database: Database) => Promise<void>): Promise<void> {
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
      await work(bot, database);
    } finally {
      await bot.close();
    }
  } finally {
    await redis.quit();
    await database.close();
  }
}

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
