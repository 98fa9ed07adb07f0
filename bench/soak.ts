/**
 * The soak benchmark (issue 8): a compressed day for BENCH_SOAK_PARTICIPANTS (default 10,000)
 * participants, on the real application run as separate processes (one `web`, two `worker`s,
 * each `node --enable-source-maps dist/src/main.js` as production starts them, from a build made
 * at the start; BENCH_SOAK_APP=sources runs `node --import tsx src/main.ts` instead), a fresh
 * PostgreSQL database, a Redis prefix of its own
 * and the fake Telegram Bot API in a process of its own, capped at BENCH_SOAK_CEILING (default
 * 1,000) sends a second (429 above), with TELEGRAM_BULK_PER_SECOND set to the same.
 *
 * The day (times from "go", once every process is up):
 *   0 s          the sessions move to a few minutes ahead (reminders 2 and 1 minutes before
 *                each, all of the day's sessions spaced so the reminders come at about 30 % of
 *                the ceiling) and the reminders of everyone enrolled so far are scheduled;
 *                BENCH_SOAK_REGISTER participants (default a tenth) start registering and
 *                enrolling through the bot (13 Telegram messages each, answered by long polling),
 *                arriving over a window sized to keep replies within their lane's budget; the
 *                rest were written straight to the database before (registered and enrolled).
 *   throughout   BENCH_SOAK_WRITERS (default 100) of the participants write to the bot now and
 *                then (BENCH_SOAK_WRITER_MESSAGES each, default 5) and time the answers.
 *   registrations done
 *                the weekly motivation round (the CLI's `motivation-round`, as
 *                `npm run motivation:send`), then broadcast 1 to everyone through the staff
 *                HTTP API (POST /api/broadcasts, then /schedule, with an API token).
 *   wave 1 - 5 s broadcast 2 to everyone, through the API.
 *   wave 1       the first reminder of every enrollment falls due, session after session.
 *   mid wave 1   one worker is killed with SIGKILL (BENCH_SOAK_KILL: `poller`, the default, is
 *                the one holding the Telegram long-polling lease; `sender` the other), and a new
 *                worker is started 3 s later.
 *   wave 1 + 60 s the second reminders.
 * It ends when every expected message has reached the fake server and the outbox is empty, or
 * when the last session has started plus a minute.
 *
 * Metrics, counted at the fake server:
 *   lost                      reminders, motivation messages and broadcast messages expected and
 *                             never delivered (by kind: lost_reminders, ...); must be 0
 *   duplicates                chats that got a bulk message more than once (duplicate_messages:
 *                             how many extra)
 *   reminder_lateness_p99_ms  from a reminder's due time to its delivery (and p50, max)
 *   reply_p95_ms              from a writer's message being available to getUpdates to the first
 *                             answer delivered (and p50, max; registration_reply_p95_ms likewise
 *                             for the registration dialogues)
 *   rss_mb_<process>          peak resident memory of each child process (VmHWM, sampled every second)
 *   duration_s                from go to the end; setup_s before it
 *
 * BENCH_SOAK_DATABASE=sqlite runs the processes on one SQLite file instead (see the README on why
 * PostgreSQL is the default). Everything it started is removed at the end, also on failure:
 * processes, the Redis keys of its prefix, the database.
 */
import crypto from "node:crypto";
import type { Redis } from "ioredis";
import type { Database, DatabaseProvider } from "../src/db/database.js";
import { createApiToken } from "../src/domain/staff.js";
import { ReminderScheduler } from "../src/jobs/reminders.js";
import { createRedis } from "../src/redis.js";
import { api } from "../test/faults/support/fixtures.js";
import type { BenchResult, Benchmark } from "./run.js";
import { forkFakeBotApi, type FakeBotApi } from "./fake-bot-api/parent.js";
import type { SoakDump, SoakStats } from "./soak/fake-telegram-process.js";
import { addEnrolledParticipants, createProgramme, setSessionTimes } from "./soak/population.js";
import { buildApp, freePort, MemorySampler, runCli, spawnApp, type AppProcess } from "./soak/processes.js";
import { broadcastTexts, sendKinds } from "./soak/texts.js";
import { deleteKeys, freshDatabase, letterName, percentile, positiveInt, round } from "./support.js";

const participants = positiveInt(process.env.BENCH_SOAK_PARTICIPANTS, 10_000);
const registering = Math.min(
  participants,
  positiveInt(process.env.BENCH_SOAK_REGISTER, Math.max(1, Math.round(participants / 10))),
);
const direct = participants - registering;
const writers = Math.min(direct, positiveInt(process.env.BENCH_SOAK_WRITERS, 100));
const writerMessages = positiveInt(process.env.BENCH_SOAK_WRITER_MESSAGES, 5);
const ceiling = positiveInt(process.env.BENCH_SOAK_CEILING, 1000);
const provider: DatabaseProvider = process.env.BENCH_SOAK_DATABASE === "sqlite" ? "sqlite" : "postgresql";
const killWhich = process.env.BENCH_SOAK_KILL === "sender" ? "sender" : "poller";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** The compiled program (as production runs it), or the sources through tsx. */
const fromSources = process.env.BENCH_SOAK_APP === "sources";

/** Chat ids: participants written to the database from here (the writers are the first of them), registrants from registrantChat. */
const directChat = 1_000_000;
const registrantChat = 2_000_000;
/** Reminders this many minutes before each session. */
const offsetsMinutes = [2, 1];
/** Sessions of the day: about 500 participants each. */
const sessionCount = Math.max(4, Math.ceil(participants / 500));
/** Turns a second the registrations aim at: the reply lane takes a tenth of the bulk rate (100 a second at 1,000). */
const registrationTurnsPerSecond = Math.max(10, Math.round((ceiling / 10) * 0.75));
const dialogueTurns = 13;

const progress = (line: string) => console.error(`[soak] ${line}`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

/** The 13 messages of a registration and enrollment through the bot (as bench/inbound.ts), into session `session` (1-based). */
function registration(i: number, session: number): string[] {
  return [
    "halo",
    "ya", // consent
    letterName(i),
    `Usaha ${i}`,
    "1", // sector: lada
    "4", // regency: Kabupaten Bangka Tengah
    `0813${String(i).padStart(8, "0")}`,
    "2", // NIB: skip
    "ya", // save
    "1", // menu: daftar pelatihan
    "1", // the first programme offered (the soak programme is the only one)
    String(session),
    "ya", // confirm
  ];
}

/** Runs `steps` in order, each whatever became of the ones before. */
async function cleanUp(steps: (() => unknown)[]): Promise<void> {
  for (const step of steps)
    await Promise.resolve()
      .then(step)
      .catch((err: unknown) => console.error(err));
}

type Timeline = {
  regWindowMs: number;
  spacingMs: number;
  wave1Ms: number;
  wave2Ms: number;
  broadcast2Ms: number;
  killMs: number;
  sessionStartMs: number[];
  endMs: number;
};

/** When things happen, in ms from go. */
function plan(): Timeline {
  const regWindowMs = Math.max(20_000, Math.ceil((registering * dialogueTurns) / registrationTurnsPerSecond) * 1000);
  // Reminders at about 30 % of the ceiling: the rest is for broadcasts and answers.
  const spacingMs = Math.round((participants / sessionCount / (0.3 * ceiling)) * 1000);
  const spanMs = (sessionCount - 1) * spacingMs;
  // Registrations end about 20 s after the last one starts; then motivation and broadcast 1
  // (each a pass over everyone at the ceiling), then the first reminders.
  const wave1Ms = regWindowMs + 20_000 + 2 * Math.ceil((participants / ceiling) * 1000) + 15_000;
  const first = offsetsMinutes[0]! * 60_000;
  const second = offsetsMinutes[1]! * 60_000;
  const sessionStartMs = Array.from({ length: sessionCount }, (_, k) => wave1Ms + first + k * spacingMs);
  return {
    regWindowMs,
    spacingMs,
    wave1Ms,
    wave2Ms: wave1Ms + first - second,
    broadcast2Ms: wave1Ms - 5_000,
    killMs: wave1Ms + Math.round(spanMs / 2) + 1_000,
    sessionStartMs,
    endMs: sessionStartMs.at(-1)! + 60_000,
  };
}

async function run(): Promise<BenchResult> {
  const began = Date.now();
  const prefix = `sapa-soak-${crypto.randomBytes(4).toString("hex")}`;
  const metrics: Record<string, number> = {};
  const timeline = plan();
  const cleanups: (() => unknown)[] = [];
  const children: AppProcess[] = [];
  const memory = new MemorySampler();
  cleanups.unshift(() => memory.stop());
  // Ctrl-C: clean up before going.
  const interrupted = () => {
    progress("interrupted: cleaning up");
    void cleanUp(cleanups).then(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  let phase = "setup";
  try {
    const redis: Redis = createRedis(redisUrl);
    cleanups.unshift(() => redis.quit());
    cleanups.unshift(() => deleteKeys(redis, prefix));
    progress(
      `fresh ${provider} database; ${participants} participants (${direct} written, ${registering} through the bot)`,
    );
    const { database, url: databaseUrl, drop } = await freshDatabase(provider, "soak", null);
    cleanups.unshift(() => drop());
    const db = database.prisma;
    const { sessionIds } = await createProgramme(database, sessionCount, participants, offsetsMinutes);
    await addEnrolledParticipants(database, direct, directChat, sessionIds);
    const staff = await db.staff.create({
      data: { email: "bench.soak@example.go.id", name: "Bench Soak", role: "admin", passwordHash: "!" },
    });
    const { token } = await createApiToken(db, staff.id, "soak benchmark");

    let build: string | undefined;
    if (!fromSources) {
      progress("building the application (scripts/build.mjs)");
      const built = buildApp();
      cleanups.unshift(() => built.remove());
      build = built.dir;
    }

    const fake: FakeBotApi = await forkFakeBotApi(
      new URL("./soak/fake-telegram-process.ts", import.meta.url),
      ceiling,
      "soak",
    );
    cleanups.unshift(() => fake.close());
    memory.watch("fake_telegram", fake.pid);
    const env = async (role: string): Promise<Record<string, string>> => ({
      APP_ROLE: role,
      NODE_ENV: "development",
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.url,
      TELEGRAM_BULK_PER_SECOND: String(ceiling),
      PUBLIC_URL: "",
      WHATSAPP_ENABLED: "false",
      QUIET_HOURS: "off",
      MOTIVATION_SCHEDULE: "off",
      LOG_LEVEL: "warn",
      RECONCILE_INTERVAL_SECONDS: "2",
      OUTBOX_STUCK_SECONDS: "5",
    });
    const start = async (name: string, role: string) => {
      const child = spawnApp(await env(role), name, build);
      children.push(child);
      memory.watch(name, child.pid);
      return child;
    };
    cleanups.unshift(() => Promise.all(children.map((c) => c.stop(20_000))));
    const web = await start("web", "web");
    const workers = [await start("worker1", "worker"), await start("worker2", "worker")];
    await Promise.all([web, ...workers].map((c) => c.ready(60_000)));
    const holderKey = `${prefix}:telegram:holder`;
    const holderPid = async () => Number(((await redis.get(holderKey)) ?? "").split(":")[0]) || null;
    for (const by = Date.now() + 20_000; !(await holderPid());) {
      if (Date.now() > by) throw new Error("no worker took the Telegram lease");
      await sleep(100);
    }

    // ---- go -------------------------------------------------------------------------------------------------------
    const go = Date.now();
    metrics.setup_s = round((go - began) / 1000);
    const at = (ms: number) => go + ms;
    const since = () => `${((Date.now() - go) / 1000).toFixed(1).padStart(6)} s`;
    const note = (line: string) => progress(`${since()}  ${line}`);
    const scheduler = new ReminderScheduler(redis, prefix, database, "bench");
    cleanups.unshift(() => scheduler.close());
    const reminders = await setSessionTimes(
      database,
      sessionIds,
      timeline.sessionStartMs.map((ms) => new Date(at(ms))),
    );
    await scheduler.schedule(reminders);
    note(
      `${reminders.length} reminders scheduled; ${sessionCount} sessions ${timeline.spacingMs} ms apart, first reminders ` +
        `at ${timeline.wave1Ms / 1000} s, second at ${timeline.wave2Ms / 1000} s; ${registering} registering over ` +
        `${timeline.regWindowMs / 1000} s`,
    );

    // Registrations: arriving evenly over the window, each answering after the bot's answer and a moment to read it.
    phase = "registrations";
    let unansweredRegistration = 0;
    const registrations = Promise.all(
      Array.from({ length: registering }, async (_, j) => {
        await sleepUntil(go + (j * timeline.regWindowMs) / registering);
        for (const text of registration(j, (j % sessionCount) + 1)) {
          if (!(await fake.userWrites(registrantChat + j, text, 60_000))) unansweredRegistration++;
          await sleep(300 + Math.random() * 700);
        }
      }),
    );
    // Writers: writerMessages each, the k-th at a random moment of the k-th slice of the day.
    const writerSpanMs = timeline.wave2Ms + (sessionCount - 1) * timeline.spacingMs;
    let unansweredWriters = 0;
    const writing = Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const slice = writerSpanMs / writerMessages;
        for (let k = 0; k < writerMessages; k++) {
          await sleepUntil(go + slice * (k + Math.random()));
          if (!(await fake.userWrites(directChat + w, k % 2 ? "bantuan" : "menu", 90_000))) unansweredWriters++;
        }
      }),
    );

    let lastLine = 0;
    const report = async (force = false) => {
      if (!force && Date.now() - lastLine < 5000) return;
      lastLine = Date.now();
      const s = await fake.ask<SoakStats>({ type: "stats" });
      note(
        `${phase}: ${sendKinds.map((k) => `${k} ${s.byKind[k]}`).join(", ")}; ${s.http429} answered 429` +
          `; rss ${Object.entries(memory.peaks())
            .map(([n, mb]) => `${n} ${Math.round(mb)}`)
            .join(" ")} MB`,
      );
    };
    const reporting = setInterval(() => void report().catch(() => {}), 5000);
    cleanups.unshift(() => clearInterval(reporting));

    await registrations;
    const registrationsDone = Date.now();
    metrics.registrations_s = round((registrationsDone - go) / 1000);
    note(`registrations done (${unansweredRegistration} turns unanswered)`);
    if (registrationsDone > at(timeline.wave1Ms - 20_000))
      note("warning: registrations ran into the reminder waves; the day is tighter than planned");

    // Motivation round, as `npm run motivation:send`.
    phase = "motivation";
    const motivationAt = new Date();
    const cli = await runCli(
      ["motivation-round"],
      await env("all"),
      (pid) => memory.watch("cli_motivation", pid),
      build,
    );
    metrics.motivation_cli_ms = cli.ms;
    note(`motivation round: ${cli.output.split("\n").at(-1)}`);

    // Broadcast 1 at once, broadcast 2 just before the first reminders.
    const broadcast = async (title: string, textId: string) => {
      const draft = await api<{ id: number }>(web.url, token, "POST", "/api/broadcasts", { title, textId, filter: {} });
      const scheduled = await api<{ status: string }>(
        web.url,
        token,
        "POST",
        `/api/broadcasts/${draft.id}/schedule`,
        {},
      );
      note(`${title}: broadcast ${draft.id} ${scheduled.status}`);
      return { id: draft.id, at: new Date() };
    };
    phase = "broadcast 1";
    const b1 = await broadcast("Uji beban 1", broadcastTexts.broadcast1);
    await sleepUntil(at(timeline.broadcast2Ms));
    phase = "broadcast 2";
    const b2 = await broadcast("Uji beban 2", broadcastTexts.broadcast2);

    // Halfway through the first reminders: SIGKILL a worker, start another 3 s later.
    await sleepUntil(at(timeline.killMs));
    phase = "kill";
    const holder = await holderPid();
    const polling = workers.find((w) => w.pid === holder) ?? workers[0]!;
    const victim = killWhich === "poller" ? polling : workers.find((w) => w !== polling)!;
    memory.forget(victim.name);
    await victim.kill();
    const killedAt = Date.now();
    metrics.kill_at_s = round((killedAt - go) / 1000);
    note(`${victim.name} (pid ${victim.pid}, ${victim === polling ? "polling Telegram" : "not polling"}) killed`);
    const takeover = (async () => {
      if (victim !== polling) return -1;
      for (;;) {
        const pid = await holderPid().catch(() => null);
        if (pid && pid !== victim.pid) return Date.now() - killedAt;
        if (Date.now() - killedAt > 120_000) return -1;
        await sleep(100);
      }
    })();
    await sleep(3000);
    const restarted = await start(`${victim.name}_restarted`, "worker");
    await restarted.ready(60_000);
    workers.splice(workers.indexOf(victim), 1, restarted);
    note(`${restarted.name} (pid ${restarted.pid}) is up`);
    phase = "after the kill";

    // Until everything expected has arrived and the outbox is empty, or the day is over.
    const expectedBulk = { reminder: reminders.length + 2 * registering, broadcast: participants };
    for (;;) {
      await sleep(1000);
      if (Date.now() > at(timeline.endMs)) {
        note("the day is over; not everything arrived");
        break;
      }
      if (Date.now() < at(timeline.wave2Ms + (sessionCount - 1) * timeline.spacingMs)) continue;
      const s = await fake.ask<SoakStats>({ type: "stats" });
      const arrived =
        s.byKind.reminder >= expectedBulk.reminder &&
        s.byKind.motivation >= participants &&
        s.byKind.broadcast1 >= expectedBulk.broadcast &&
        s.byKind.broadcast2 >= expectedBulk.broadcast;
      const open = await db.outboxItem.count({ where: { status: { in: ["pending", "sending"] } } });
      if (arrived && open === 0) break;
    }
    phase = "done";
    await writing;
    // From the kill to another worker polling Telegram (only when the poller was killed).
    const takeoverMs = await takeover;
    if (takeoverMs >= 0) metrics.lease_takeover_s = round(takeoverMs / 1000);
    // A moment more, so a late duplicate would be seen.
    await sleep(3000);
    const end = Date.now();
    await report(true);
    metrics.duration_s = round((end - go) / 1000);

    // ---- what arrived against what was expected ------------------------------------------------------------------
    const dump = await fake.ask<SoakDump>({ type: "dump" });
    const stats = await fake.ask<SoakStats>({ type: "stats" });
    const enrollments = await db.enrollment.findMany({
      where: { status: "enrolled" },
      select: {
        createdAt: true,
        trainingSession: { select: { startsAt: true } },
        participant: { select: { identities: { select: { chatId: true } } } },
      },
    });
    const registered = await db.participant.findMany({
      where: { registeredAt: { not: null } },
      select: { registeredAt: true, identities: { select: { chatId: true } } },
    });
    const chatOf = (p: { identities: { chatId: string }[] } | null) => Number(p?.identities[0]?.chatId ?? NaN);

    // Reminders: both offsets of every enrollment made before they were due.
    const dueByChat = new Map<number, number[]>();
    for (const e of enrollments) {
      const chat = chatOf(e.participant);
      for (const minutes of offsetsMinutes) {
        const due = e.trainingSession.startsAt.getTime() - minutes * 60_000;
        if (due > e.createdAt.getTime()) dueByChat.set(chat, [...(dueByChat.get(chat) ?? []), due]);
      }
    }
    const deliveries = new Map<string, number[]>();
    for (const [chat, time, kind] of dump.bulk) {
      const key = `${sendKinds[kind]}:${chat}`;
      deliveries.set(key, [...(deliveries.get(key) ?? []), time]);
    }
    const lateness: number[] = [];
    const late: { chat: number; due: number; at: number }[] = [];
    let expectedReminders = 0;
    let lostReminders = 0;
    let unexpected = 0;
    const duplicateChats = new Set<number>();
    let duplicateMessages = 0;
    for (const [chat, dues] of dueByChat) {
      expectedReminders += dues.length;
      const open = [...dues].sort((a, b) => a - b);
      const matched = new Set<number>();
      for (const t of (deliveries.get(`reminder:${chat}`) ?? []).sort((a, b) => a - b)) {
        // The latest due time this delivery can be for (a reminder never goes before it is due; a second of clock slack).
        const candidates = open.filter((d, i) => d <= t + 1000 && !matched.has(i));
        if (!candidates.length) {
          duplicateChats.add(chat);
          duplicateMessages++;
          continue;
        }
        const due = candidates.at(-1)!;
        matched.add(open.indexOf(due));
        lateness.push(Math.max(0, t - due));
        if (t - due > 5000) late.push({ chat, due, at: t });
      }
      lostReminders += open.length - matched.size;
    }
    for (const key of deliveries.keys())
      if (key.startsWith("reminder:") && !dueByChat.has(Number(key.slice(9)))) unexpected++;
    lateness.sort((a, b) => a - b);
    // Late ones: was the reminder itself handled late (its job), or its message sent late (the outbox)?
    if (late.length) {
      const rows = await db.reminder.findMany({
        where: {
          enrollment: { participant: { identities: { some: { chatId: { in: late.map((l) => String(l.chat)) } } } } },
        },
        select: {
          dueAt: true,
          sentAt: true,
          enrollment: { select: { participant: { select: { identities: { select: { chatId: true } } } } } },
        },
      });
      const claimed = new Map(rows.map((r) => [`${chatOf(r.enrollment.participant)}:${r.dueAt.getTime()}`, r.sentAt]));
      const claimedLate = late.filter((l) => (claimed.get(`${l.chat}:${l.due}`)?.getTime() ?? Infinity) - l.due > 5000);
      metrics.reminders_late_5s = late.length;
      metrics.reminders_late_5s_fired_late = claimedLate.length;
      note(
        `${late.length} reminders more than 5 s late, ${claimedLate.length} of them fired late (the reminder job): ` +
          late
            .slice(0, 12)
            .map((l) => {
              const c = claimed.get(`${l.chat}:${l.due}`);
              return `${l.chat} due ${new Date(l.due).toISOString().slice(11, 19)} fired +${c ? c.getTime() - l.due : "?"} ms sent +${l.at - l.due} ms`;
            })
            .join("; "),
      );
      // What held their messages: the outbox rows' attempts and last error, and how long before
      // each the same chat got another bulk message (the 1 s gap between two of them).
      const outbox = await db.outboxItem.findMany({
        where: { kind: "reminder", chatId: { in: late.map((l) => String(l.chat)) }, attempts: { gt: 1 } },
        select: { attempts: true, lastError: true },
      });
      const errors = new Map<string, number>();
      for (const o of outbox) errors.set(o.lastError ?? "(none)", (errors.get(o.lastError ?? "(none)") ?? 0) + 1);
      const before = late.map((l) => {
        const others = ["broadcast1", "broadcast2", "motivation"]
          .flatMap((k) => deliveries.get(`${k}:${l.chat}`) ?? [])
          .filter((t) => t < l.at);
        return others.length ? l.at - Math.max(...others) : null;
      });
      const gaps = before.filter((g): g is number => g !== null).sort((a, b) => a - b);
      note(
        `late reminders: ${outbox.length} outbox rows tried more than once (${[...errors].map(([e, n]) => `${n}× ${e.slice(0, 80)}`).join("; ") || "none"}); ` +
          `${gaps.length} came after another bulk message to the chat, by p10/p50/p90 ${[10, 50, 90].map((q) => percentile(gaps, q)).join(" / ")} ms`,
      );
    }

    // Motivation and the broadcasts: everyone registered before they went out, once.
    const once = (kind: string, before: Date) => {
      const expected = new Set(registered.filter((p) => p.registeredAt! < before).map(chatOf));
      let lost = 0;
      for (const chat of expected) {
        const n = deliveries.get(`${kind}:${chat}`)?.length ?? 0;
        if (n === 0) lost++;
        if (n > 1) {
          duplicateChats.add(chat);
          duplicateMessages += n - 1;
        }
      }
      for (const key of deliveries.keys())
        if (key.startsWith(`${kind}:`) && !expected.has(Number(key.slice(kind.length + 1)))) unexpected++;
      return { expected: expected.size, lost };
    };
    const motivation = once("motivation", motivationAt);
    const first = once("broadcast1", b1.at);
    const second = once("broadcast2", b2.at);

    const replies = (from: number, count: number) =>
      dump.replies
        .filter(([chat]) => chat >= from && chat < from + count)
        .map(([, ms]) => ms)
        .sort((a, b) => a - b);
    const writerReplies = replies(directChat, writers);
    const registrationReplies = replies(registrantChat, registering);
    const completed = await db.enrollment.count({
      where: {
        status: "enrolled",
        participant: { identities: { some: { chatId: { gte: String(registrantChat) } } } },
      },
    });

    metrics.participants = participants;
    metrics.registered_through_bot = registering;
    metrics.registrations_completed = completed;
    metrics.lost = lostReminders + motivation.lost + first.lost + second.lost;
    metrics.lost_reminders = lostReminders;
    metrics.lost_motivation = motivation.lost;
    metrics.lost_broadcasts = first.lost + second.lost;
    metrics.duplicates = duplicateChats.size;
    metrics.duplicate_messages = duplicateMessages;
    metrics.unexpected = unexpected;
    metrics.reminders_expected = expectedReminders;
    metrics.motivation_expected = motivation.expected;
    metrics.broadcast_expected = first.expected + second.expected;
    metrics.reminder_lateness_p50_ms = percentile(lateness, 50);
    metrics.reminder_lateness_p99_ms = percentile(lateness, 99);
    metrics.reminder_lateness_max_ms = lateness.at(-1) ?? 0;
    metrics.reply_p50_ms = percentile(writerReplies, 50);
    metrics.reply_p95_ms = percentile(writerReplies, 95);
    metrics.reply_max_ms = writerReplies.at(-1) ?? 0;
    metrics.replies = writerReplies.length;
    metrics.unanswered = unansweredWriters;
    metrics.registration_reply_p95_ms = percentile(registrationReplies, 95);
    metrics.registration_unanswered = unansweredRegistration;
    metrics.http_429 = stats.http429;
    metrics.sends = stats.sends;
    const ended = await db.outboxItem.groupBy({ by: ["status"], _count: { _all: true } });
    metrics.outbox_not_sent = ended.filter((g) => g.status !== "sent").reduce((a, g) => a + g._count._all, 0);
    for (const [name, mb] of Object.entries(memory.peaks())) metrics[`rss_mb_${name}`] = round(mb);
    const logged = children.map((c) => c.logged());
    metrics.app_warnings = logged.reduce((a, l) => a + l.warn, 0);
    metrics.app_errors = logged.reduce((a, l) => a + l.error, 0);

    if (metrics.lost || metrics.outbox_not_sent || metrics.app_errors) await investigate(db, children, note);
  } catch (err) {
    progress(`failed during ${phase}: ${(err as Error).stack ?? String(err)}`);
    for (const c of children)
      progress(`${c.name} (pid ${c.pid}, exit ${c.exitCode()}) said:\n${c.output().slice(-3000)}`);
    throw err;
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await cleanUp(cleanups);
  }
  return { name: "soak", date: new Date().toISOString(), node: process.version, database: provider, metrics };
}

/** Where the rows that did not go out are, and what the processes logged; printed, for the report. */
async function investigate(
  db: Database["prisma"],
  children: AppProcess[],
  note: (line: string) => void,
): Promise<void> {
  const outbox = await db.outboxItem.groupBy({ by: ["status", "kind"], _count: { _all: true } });
  note(`outbox by status and kind: ${outbox.map((g) => `${g.status}/${g.kind} ${g._count._all}`).join(", ")}`);
  const reminders = await db.reminder.groupBy({ by: ["status", "reason"], _count: { _all: true } });
  note(
    `reminders by status: ${reminders.map((g) => `${g.status}${g.reason ? ` (${g.reason})` : ""} ${g._count._all}`).join(", ")}`,
  );
  const broadcasts = await db.broadcast.findMany({ select: { id: true, status: true } });
  note(`broadcasts: ${broadcasts.map((b) => `${b.id} ${b.status}`).join(", ")}`);
  const stuck = await db.outboxItem.findMany({
    where: { status: { not: "sent" } },
    select: { id: true, kind: true, chatId: true, status: true, attempts: true, lastError: true },
    take: 10,
  });
  for (const s of stuck) note(`  not sent: ${JSON.stringify(s)}`);
  for (const c of children) {
    const lines = c
      .output()
      .split("\n")
      .filter((l) => /"level":(40|50|60)/.test(l));
    if (lines.length) note(`${c.name} logged (last 5 of ${lines.length}):\n${lines.slice(-5).join("\n")}`);
  }
}

export const soak: Benchmark = {
  name: "soak",
  description: `a compressed day for ${participants} participants on a web and two worker processes (one killed halfway), against a fake Bot API capped at ${ceiling}/s`,
  run,
};
