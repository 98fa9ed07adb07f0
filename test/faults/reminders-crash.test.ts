/**
 * A worker killed with SIGKILL in the middle of a burst of due reminders. Two worker processes
 * (APP_ROLE=worker, the README's layout for more load; a web process would play no part in
 * reminders) share one Redis prefix and one database. Once both are up, 400 Telegram
 * participants get one reminder each, all due 3 s later (their jobs added by the reminder
 * reconcile pass, as at every start). Both workers fire reminder jobs (queue "reminders", 8 at a
 * time each) and both send the outbox rows those write (the paced bulk lane, 50 a second
 * overall); Telegram's answers reach the bot 100 ms late (a latency proxy), so sends are in
 * flight. When about a third have their reminder, worker 1 is killed and worker 2 goes on alone.
 *
 * What is proven: every reminder row ends "sent" with one outbox row, sent; every participant
 * gets the reminder, nobody more than twice, and no more twice than the sends the killed process
 * had in flight; the last one goes within 30 s of the kill.
 *
 * The bound on duplicates: a reminder goes twice only if its send had reached Telegram when the
 * process died but was not yet recorded as sent. Its row stays "sending" until the outbox
 * reconcile pass sends it again (after OUTBOX_STUCK_SECONDS, 5 s here). The killed process's
 * bulk lane works at most telegramPacing's bulk concurrency of jobs at once (5 at 50 a second),
 * each sending one row at a time, so at most 5 go twice (5 did in every run here: with the
 * proxy's delay all five had always reached Telegram). Firing a reminder sends nothing itself:
 * it claims the row and writes its outbox row in one transaction, so a job run twice writes one.
 *
 * The reminder jobs the dead process held: BullMQ gives them to another worker only once their
 * lock has expired and a stalled check has found them without one. Firing takes milliseconds, so
 * the kill seldom finds one; on PostgreSQL the test makes sure it does. It holds the last 16
 * reminder rows locked (SELECT ... FOR UPDATE in a transaction of its own), so the jobs firing
 * them wait on the claim; 16 is both workers' concurrency together, so each worker ends up
 * holding 8, and the kill waits for the 16 to be waiting on the lock. The lock is let go right
 * after the kill: the survivor's 8 finish at once; the dead process's 8 (its transactions never
 * commit, so the rows stay pending) wait for the stalled check. SQLite has no row locks, so
 * there the kill finds what it finds (no reminder job in any run here) and the last reminders
 * are the ones the reconcile pass sends again.
 *
 * Measured on a loaded 2-core machine, time from the kill to the last reminder: SQLite 5.9-6.3 s;
 * PostgreSQL 6.7-6.8 s, set by the dead process's 8 reminder jobs. With BullMQ's default lock
 * (30 s) and stalled check (every 30 s) they went 48.3 s after the kill (the lock expired 29.6 s
 * after it, the next check came 18.7 s later; anything up to 60 s is possible). With a 10 s lock
 * and a 5 s check they went 10.9-12.9 s after the kill, 11.5-13.5 s after their jobs started;
 * with the 5 s lock and 2 s check of src/jobs/dead-worker-recovery.ts, 5.6-5.8 s after the kill,
 * 7.7 s after their jobs started. The last test asserts they go before the lock their jobs took
 * would have expired with the default lockDuration (30 s from the job's start): a bound the old
 * settings cannot meet however their timers fall, and the new ones meet with 20 s to spare.
 */
import { Queue } from "bullmq";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseProvider } from "../../src/db/database.js";
import { loadInstallation } from "../../src/db/installation.js";
import { reminderQueueName, ReminderScheduler } from "../../src/jobs/reminders.js";
import { providers } from "../support/databases.js";
import { addParticipants } from "../support/population.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import {
  addRemindersDueAt,
  appEnv,
  bulkConcurrencyAt,
  chatRange,
  countsPerChat,
  duplicates,
  isReminder,
  messagesOut,
} from "./support/fixtures.js";
import { startLatencyProxy } from "./support/latency-proxy.js";
import { killAllChildren, runScenario } from "./support/scenario.js";

const participants = 400;
const bulkPerSecond = 50;
/** Sends in flight in the killed process: telegramPacing's bulk concurrency at 50 a second. */
const bulkConcurrency = bulkConcurrencyAt(bulkPerSecond);
/** The reminder worker's concurrency (src/jobs/reminders.ts). */
const reminderConcurrency = 8;
/** Telegram's answer to a send reaches the bot this late, so the kill finds sends in flight. */
const answerDelayMs = 100;
/** The last reminder goes within this long of the kill. */
const recoveryMs = 30_000;
/** BullMQ's default lockDuration, the reminder worker's until it got a shorter one. */
const defaultLockMs = 30_000;

afterAll(killAllChildren);

/** Reminders sent by a process, from its sapa_messages_out_total. */
const reminderSendsOf = (url: string) => messagesOut(url, 'kind="reminder"');

/** What a run left behind, for the assertions (the databases are gone by then). */
type Outcome = {
  firstChatId: number;
  /** Reminders received per chat. */
  reminders: Map<number, number>;
  /** Reminder rows by status, e.g. "sent 400". */
  rows: string[];
  /** The reminders' outbox rows by status. */
  outbox: string[];
  deliveredAtKill: number;
  /** Reminders the killed process had sent (its /metrics just before the kill). */
  sentByKilled: number;
  /** From the kill to the last reminder reaching Telegram. */
  lastAfterKillMs: number;
  /** The reminder jobs the killed process held: when the first of them started, and their chats. */
  dead: { startedAt: number; chats: number[]; lastSentAt: number | null };
};

function scenario(provider: DatabaseProvider): Promise<Outcome> {
  return runScenario(`reminders crash on ${provider}`, async (s) => {
    const firstChatId = provider === "sqlite" ? 760_000 : 770_000;
    const fake = await s.fakeTelegram();
    const proxy = await startLatencyProxy({ target: fake.url, methods: ["sendMessage"], delayMs: answerDelayMs });
    s.defer(() => proxy.close());
    const database = await s.database(provider);
    const db = database.prisma;
    const queues = s.redis();
    const { connection: redis, prefix } = queues;
    const queue = new Queue(reminderQueueName, { connection: redis, prefix });
    s.defer(() => queue.close());

    const participantIds = await addParticipants(db, participants, {
      channel: "telegram",
      firstChatId,
      regency: "Kota Pangkalpinang",
    });
    const common = {
      ...appEnv({ database, redis: queues, telegram: { token: fake.token, url: proxy.url }, bulkPerSecond }),
      APP_ROLE: "worker",
    };
    const [first, second] = await Promise.all([
      s.spawn("worker 1", { ...common, PORT: String(await freePort()) }),
      s.spawn("worker 2", { ...common, PORT: String(await freePort()) }),
    ]);

    // The reminders, all due 3 s from now; their jobs are added by the reminder reconcile pass,
    // the one each worker runs at start (and after Redis lost its data).
    const dueAt = new Date(Date.now() + 3_000);
    const reminderIds = await addRemindersDueAt(db, participantIds, dueAt);
    // PostgreSQL: the last 16 rows locked first, so the jobs that fire them wait (see the header).
    let release = async () => {};
    if (provider === "postgresql") {
      const held = reminderIds.slice(-2 * reminderConcurrency);
      const locker = new pg.Client({ connectionString: database.url });
      await locker.connect();
      await locker.query("BEGIN");
      await locker.query(`SELECT id FROM "Reminder" WHERE id = ANY($1::int[]) FOR UPDATE`, [held]);
      let released = false;
      release = async () => {
        if (released) return;
        released = true;
        await locker.query("COMMIT");
        await locker.end();
      };
      s.defer(release);
      s.note(`reminder rows ${held[0]}-${held.at(-1)} locked by the test`);
    }
    // The apps' job ids are in this database's namespace (src/jobs/job-namespace.ts).
    const { installationId } = await loadInstallation(db);
    const scheduler = new ReminderScheduler(redis, prefix, database, installationId);
    s.defer(() => scheduler.close());
    const { added } = await scheduler.reconcile();
    s.note(`${added} reminder jobs added, due in ${((+dueAt - Date.now()) / 1000).toFixed(1)} s`);

    const reminders = () => countsPerChat(fake, isReminder);
    /** PostgreSQL: backends waiting for a lock, i.e. reminder jobs waiting on the locked rows. */
    const lockWaiters = async () =>
      (
        await db.$queryRawUnsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
        )
      )[0]!.n;
    await waitFor(
      async () =>
        reminders().size >= participants / 3 &&
        // PostgreSQL: every locked row's job taken and waiting, so each worker holds 8.
        (provider !== "postgresql" || (await lockWaiters()) === 2 * reminderConcurrency),
      +dueAt - Date.now() + 30_000,
      "a third reminded (and, on PostgreSQL, 16 reminder jobs waiting on the locked rows)",
    );
    const sentByKilled = await reminderSendsOf(first!.url);
    const sentBySurvivor = await reminderSendsOf(second!.url);
    await first!.kill();
    const killedAt = Date.now();
    const deliveredAtKill = reminders().size;
    // The reminder jobs active now, by holder: a lock's token starts with its worker's id.
    const active = (await queue.getJobs(["active"])).filter((j) => j !== undefined);
    const holderOf = new Map(
      await Promise.all(
        active.map(
          async (j) => [j.id!, (await redis.get(`${queue.toKey(j.id!)}:lock`))?.split(":")[0] ?? "no lock"] as const,
        ),
      ),
    );
    const holders = new Set(holderOf.values());
    s.note(
      `worker 1 killed with SIGKILL, ${((killedAt - +dueAt) / 1000).toFixed(1)} s after due, with ${deliveredAtKill} ` +
        `reminded (worker 1 had sent ${sentByKilled}, worker 2 ${sentBySurvivor}); reminder jobs active: ${active.length}` +
        (active.length
          ? ` (held ${[...holders].map((h) => active.filter((j) => holderOf.get(j.id!) === h).length).join(" + ")})`
          : ""),
    );
    const sending = await db.outboxItem.findMany({ where: { status: "sending" }, select: { chatId: true } });
    s.note(
      `outbox rows in "sending" (both workers'): ${sending.map((r) => r.chatId).join(" ") || "none"} ` +
        `(${sending.filter((r) => reminders().has(Number(r.chatId))).length} of them had reached Telegram)`,
    );
    await release();
    if (provider === "postgresql") s.note("the locked rows let go");

    // The survivor's jobs all leave "active" within moments (a reminder job takes milliseconds);
    // the dead process's stay until their lock expires and a stalled check finds them.
    const activeIds = async () => new Set(await queue.getRanges(["active"], 0, -1));
    if (active.length)
      await waitFor(async () => {
        const now = await activeIds();
        return [...holders].some((h) => active.every((j) => holderOf.get(j.id!) !== h || !now.has(j.id!)));
      }, 3_000).catch(() => {});
    const stillActive = await activeIds();
    const deadJobs = active.filter((j) => stillActive.has(j.id!));
    const lockTtls = await Promise.all(deadJobs.map((j) => redis.pttl(`${queue.toKey(j.id!)}:lock`)));
    const deadRows = await db.reminder.findMany({
      where: { id: { in: deadJobs.map((j) => (j.data as { reminderId: number }).reminderId) } },
      select: { enrollment: { select: { participant: { select: { identities: { select: { chatId: true } } } } } } },
    });
    const deadChats = deadRows.flatMap((r) => r.enrollment.participant?.identities.map((i) => Number(i.chatId)) ?? []);
    const startedAt = Math.min(...deadJobs.map((j) => j.processedOn ?? Infinity));
    s.note(
      `the dead process's reminder jobs: ${deadJobs.length}` +
        (deadJobs.length
          ? `, started ${((killedAt - startedAt) / 1000).toFixed(1)} s before the kill; their locks expire ` +
            `${((Date.now() - killedAt + Math.min(...lockTtls)) / 1000).toFixed(1)}-` +
            `${((Date.now() - killedAt + Math.max(...lockTtls)) / 1000).toFixed(1)} s after the kill`
          : ""),
    );

    // Everyone reminded and every row sent; the moment the dead jobs leave "active" is noted.
    let deadReleased = deadJobs.length === 0;
    let nextSnapshot = Date.now() + 5_000;
    await waitFor(
      async () => {
        if (!deadReleased) {
          const now = await activeIds();
          if (deadJobs.every((j) => !now.has(j.id!))) {
            deadReleased = true;
            s.note(
              `the dead process's reminder jobs left "active", ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
            );
          }
        }
        if (Date.now() >= nextSnapshot) {
          nextSnapshot = Date.now() + 5_000;
          const counts = await queue.getJobCounts("active", "wait", "delayed", "failed");
          s.note(`recovering: ${reminders().size} reminded; reminder jobs ${JSON.stringify(counts)}`);
        }
        return (
          reminders().size === participants &&
          (await db.reminder.count({ where: { id: { in: reminderIds }, status: { not: "sent" } } })) === 0
        );
      },
      recoveryMs + 15_000,
      "every participant reminded and every reminder row sent",
    );
    const times = new Map<number, number>();
    for (const m of fake.sent) if (isReminder(m)) times.set(m.chatId, Math.max(times.get(m.chatId) ?? 0, m.at));
    const lastAt = Math.max(...times.values());
    s.note(`every participant reminded, the last ${((lastAt - killedAt) / 1000).toFixed(1)} s after the kill`);
    const deadSent = deadChats.map((c) => times.get(c) ?? null);
    const lastDeadAt = deadSent.includes(null) ? null : Math.max(0, ...(deadSent as number[]));
    if (deadChats.length && lastDeadAt !== null)
      s.note(
        `the dead process's ${deadChats.length} reminders went ` +
          `${((Math.min(...(deadSent as number[])) - killedAt) / 1000).toFixed(1)}-${((lastDeadAt - killedAt) / 1000).toFixed(1)} s ` +
          `after the kill, ${((lastDeadAt - startedAt) / 1000).toFixed(1)} s after their jobs started`,
      );
    // A moment for anything that would go twice to show up.
    await new Promise((r) => setTimeout(r, 1_500));

    const rowGroups = await db.reminder.groupBy({
      by: ["status"],
      where: { id: { in: reminderIds } },
      _count: { _all: true },
    });
    const outboxGroups = await db.outboxItem.groupBy({
      by: ["status"],
      where: { kind: "reminder" },
      _count: { _all: true },
    });
    const byStatus = (groups: { status: string; _count: { _all: number } }[]) =>
      groups.map((g) => `${g.status} ${g._count._all}`).sort();
    const outcome: Outcome = {
      firstChatId,
      reminders: reminders(),
      rows: byStatus(rowGroups),
      outbox: byStatus(outboxGroups),
      deliveredAtKill,
      sentByKilled,
      lastAfterKillMs: lastAt - killedAt,
      dead: { startedAt, chats: deadChats, lastSentAt: lastDeadAt },
    };
    const twice = duplicates(outcome.reminders);
    s.note(`duplicates (${twice.length}, at most ${bulkConcurrency}): ${twice.join(" ") || "none"}`);
    s.note(`reminder rows: ${outcome.rows.join(", ")}; their outbox rows: ${outcome.outbox.join(", ")}`);
    return outcome;
  });
}

describe("a worker killed with SIGKILL in the middle of a burst of due reminders", { timeout: 90_000 }, () => {
  // One database after the other: four application processes at once starve a 2-core machine
  // (and the timings measured here with it). The tests below read what each run left.
  const runs = new Map<DatabaseProvider, Promise<Outcome>>();
  beforeAll(() => {
    let previous: Promise<unknown> = Promise.resolve();
    for (const provider of providers) {
      const run = previous.then(
        () => scenario(provider),
        () => scenario(provider),
      );
      // Awaited by the tests; a rejection must not count as unhandled before then.
      run.catch(() => {});
      runs.set(provider, run);
      previous = run;
    }
  });

  describe.each(providers)("on %s", (provider) => {
    it("the kill came in the middle: both workers sending, a third reminded", async () => {
      const o = await runs.get(provider)!;
      expect(o.sentByKilled).toBeGreaterThan(0);
      expect(o.deliveredAtKill).toBeGreaterThanOrEqual(participants / 3);
      expect(o.deliveredAtKill).toBeLessThan(participants);
    });

    it("every reminder row ends sent, with one outbox row each, sent", async () => {
      const o = await runs.get(provider)!;
      expect(o.rows).toEqual([`sent ${participants}`]);
      expect(o.outbox).toEqual([`sent ${participants}`]);
    });

    it("everyone gets the reminder, nobody more than twice, at most the sends in flight twice", async () => {
      const o = await runs.get(provider)!;
      expect(chatRange(o.firstChatId, participants).filter((c) => !o.reminders.has(c))).toEqual([]);
      expect(o.reminders.size).toBe(participants);
      expect(Math.max(...o.reminders.values())).toBeLessThanOrEqual(2);
      expect(duplicates(o.reminders).length).toBeLessThanOrEqual(bulkConcurrency);
    });

    it(`the last reminder goes within ${recoveryMs / 1000} s of the kill`, async () => {
      const o = await runs.get(provider)!;
      expect(o.lastAfterKillMs).toBeLessThanOrEqual(recoveryMs);
    });
  });

  // Only PostgreSQL can make sure the kill finds reminder jobs in flight (see the header).
  it("on postgresql, the dead process's reminder jobs go once, before their lock would have expired with BullMQ's default", async () => {
    const o = await runs.get("postgresql")!;
    expect(o.dead.chats).toHaveLength(reminderConcurrency);
    expect(o.dead.chats.filter((c) => o.reminders.get(c) !== 1)).toEqual([]);
    expect(o.dead.lastSentAt).not.toBeNull();
    expect(o.dead.lastSentAt! - o.dead.startedAt).toBeLessThan(defaultLockMs);
  });
});
