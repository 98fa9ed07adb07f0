/**
 * A database that starts over on a Redis that still keeps the jobs of the one before: a newcomer
 * deleting data/sapa.db (or a second deployment on the same Redis and prefix), and a database
 * restored from a backup. The application (a real child process, APP_ROLE=all, fake Telegram)
 * first runs on one database: people write, it answers, and Redis keeps the completed outbox jobs
 * o1..oN (BullMQ keeps the last 1000) and the delayed reminder jobs. It stops, and a second
 * application starts on the same Redis and prefix with
 * - "fresh": a new database, whose outbox and enrollment ids start at 1 again;
 * - "restored": a backup of the first database taken before the exchange (same installation id,
 *   ids back to where they were then).
 * New people write; each of them gets every reply once, and the reminders of the second
 * database go once, at their time. Before job ids carried the database's namespace (and a
 * restored database got a new one), the second application's jobs were "added" onto the first
 * one's completed jobs of the same id and the replies stayed pending.
 *
 * The second application reconciles only at start (RECONCILE_INTERVAL_SECONDS=3600): a reply
 * must go by its own job, not be picked up later by the pass that finds pending rows without one.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { afterAll, describe, it, inject, type ExpectStatic } from "vitest";
import { openDatabase, type DatabaseProvider } from "../../src/db/database.js";
import { loadInstallation } from "../../src/db/installation.js";
import { createTestDatabaseUrl, providers, removeTestDatabase } from "../support/databases.js";
import { addParticipants } from "../support/population.js";
import { createDatabase, databaseUrl } from "../support/postgres.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import type { FakeTelegram, SentMessage } from "../support/fake-telegram.js";
import { addRemindersDueAt, appEnv, chatRange, countsPerChat, duplicates, isReminder } from "./support/fixtures.js";
import type { AppProcess } from "./support/app-process.js";
import { killAllChildren, runScenario, type Scenario } from "./support/scenario.js";

afterAll(killAllChildren);

/** People writing to each application. */
const writers = 6;
/** People with a reminder in the second database. */
const reminded = 5;

type Start = "fresh" | "restored";

type Outcome = {
  /** Replies each writer of the second application got, per chat (from the fake Telegram). */
  replies: Map<number, number>;
  /** The outbox rows of each of those chats in the second database. */
  rows: Map<number, number>;
  /** Rows of the second database not sent, as "kind status". */
  unsent: string[];
  reminders: Map<number, number>;
  reminderStatuses: string[];
  secondChats: number[];
  remindedChats: number[];
};

/** A copy of the database as it is now, as a backup restored later would be (its own URL). */
async function backUp(provider: DatabaseProvider, url: string): Promise<string> {
  if (provider === "sqlite") {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sapa-backup-")), "backup.db");
    // Every connection is closed by now; a -wal file left behind goes with it all the same.
    const source = url.slice("file:".length);
    fs.copyFileSync(source, file);
    if (fs.existsSync(`${source}-wal`)) fs.copyFileSync(`${source}-wal`, `${file}-wal`);
    return `file:${file}`;
  }
  const name = `${inject("runId")}_${crypto.randomBytes(4).toString("hex")}`;
  await createDatabase(name, new URL(url).pathname.slice(1));
  return databaseUrl(name);
}

/** Stops the application the way a service manager does, and frees its Telegram lease at once. */
async function stop(
  s: Scenario,
  app: AppProcess,
  redis: { connection: { del(key: string): Promise<number> }; prefix: string },
) {
  process.kill(app.pid, "SIGTERM");
  await waitFor(() => app.exitCode() !== null, 30_000, "the first application to stop").catch(() => app.kill());
  await redis.connection.del(`${redis.prefix}:telegram:holder`);
  s.note(`the first application stopped (${app.exitCode()})`);
}

/** Every writer says hello; resolves when each has had an answer. */
async function exchange(fake: FakeTelegram, chats: number[], label: string): Promise<void> {
  await Promise.all(chats.map((id) => fake.userMessage({ id, first_name: `Penulis ${id}` }, "halo")));
  const answered = () => countsPerChat(fake, (m) => chats.includes(m.chatId));
  await waitFor(() => answered().size === chats.length, 20_000, `${label}: every writer answered`);
}

function scenario(start: Start, provider: DatabaseProvider): Promise<Outcome> {
  return runScenario(`${start} database on ${provider}`, async (s) => {
    const base = (provider === "sqlite" ? 780_000 : 790_000) + (start === "fresh" ? 0 : 5_000);
    const firstChats = chatRange(base, writers);
    const secondChats = chatRange(base + 100, writers);
    const fake = await s.fakeTelegram();
    const queues = s.redis();

    // The first database, with its installation row (made at the first start) and reminders
    // due long after the test: Redis keeps their delayed jobs.
    const firstUrl = await createTestDatabaseUrl(provider);
    s.defer(() => removeTestDatabase(firstUrl));
    const first = openDatabase(firstUrl);
    let firstOpen = true;
    s.defer(() => firstOpen && first.close());
    const { installationId } = await loadInstallation(first.prisma);
    const remindedChats = chatRange(base + 200, reminded);
    const later = new Date(Date.now() + 3_600_000);
    // In the backup: reminders due soon after the second start.
    const dueAt = new Date(Date.now() + 45_000);
    const reminderOwners = await addParticipants(first.prisma, reminded, {
      channel: "telegram",
      firstChatId: remindedChats[0]!,
      regency: "Kota Pangkalpinang",
    });
    await addRemindersDueAt(first.prisma, reminderOwners, start === "restored" ? dueAt : later);
    let secondUrl: string;
    if (start === "restored") {
      // PostgreSQL copies a database only while nobody is connected to it.
      await first.close();
      firstOpen = false;
      secondUrl = await backUp(provider, firstUrl);
      s.defer(() => removeTestDatabase(secondUrl));
    } else {
      secondUrl = await createTestDatabaseUrl(provider);
      s.defer(() => removeTestDatabase(secondUrl));
    }
    s.note(`first database's installation ${installationId}; second database: ${start}`);

    const env = (url: string) => ({
      ...appEnv({ database: { url }, redis: queues, telegram: fake }),
      APP_ROLE: "all",
      RECONCILE_INTERVAL_SECONDS: "3600",
    });
    const one = await s.spawn("the first application", { ...env(firstUrl), PORT: String(await freePort()) });
    await exchange(fake, firstChats, "first database");
    const outboxJobs = async () => (await queues.connection.keys(`${queues.prefix}:outbox-telegram:o*`)).length;
    const reminderJobs = async () => (await queues.connection.keys(`${queues.prefix}:reminders:rem-*`)).length;
    s.note(`Redis keeps ${await outboxJobs()} outbox job keys and ${await reminderJobs()} reminder job keys`);
    await stop(s, one, queues);
    // What the second application sends. A slow first application may have sent the backup's
    // reminders already; the restored database says they are pending, so they go again.
    const since = fake.sent.length;
    const sentSince = (match: (m: SentMessage) => boolean) => {
      const counts = new Map<number, number>();
      for (const m of fake.sent.slice(since))
        if (m.method === "sendMessage" && match(m)) counts.set(m.chatId, (counts.get(m.chatId) ?? 0) + 1);
      return counts;
    };

    const second = openDatabase(secondUrl);
    s.defer(() => second.close());
    if (start === "fresh") {
      // The fresh database's own reminders: the same enrollment ids as the first database's.
      const owners = await addParticipants(second.prisma, reminded, {
        channel: "telegram",
        firstChatId: remindedChats[0]!,
        regency: "Kota Pangkalpinang",
      });
      await addRemindersDueAt(second.prisma, owners, dueAt);
    }
    await s.spawn("the second application", { ...env(secondUrl), PORT: String(await freePort()) });
    s.note(`the second database's installation: ${(await loadInstallation(second.prisma)).installationId}`);
    await exchange(fake, secondChats, "second database");
    const reminders = () => sentSince((m) => isReminder(m) && remindedChats.includes(m.chatId));
    const allReminded = await waitFor(
      () => reminders().size === reminded,
      Math.max(1_000, +dueAt - Date.now() + 15_000),
      "every reminder sent",
    ).catch(() => false);
    s.note(allReminded ? "every reminder sent" : `${reminders().size} of ${reminded} reminders sent`);
    // Every row of the second database sent (or given up), so anything going twice has gone.
    await waitFor(
      async () => (await second.prisma.outboxItem.count({ where: { status: { in: ["pending", "sending"] } } })) === 0,
      10_000,
      "nothing left to send",
    ).catch(() => false);

    const rows = await second.prisma.outboxItem.findMany({ select: { chatId: true, kind: true, status: true } });
    const perChat = new Map<number, number>();
    for (const r of rows)
      if (secondChats.includes(Number(r.chatId)))
        perChat.set(Number(r.chatId), (perChat.get(Number(r.chatId)) ?? 0) + 1);
    const reminderRows = await second.prisma.reminder.findMany({ select: { status: true } });
    const outcome: Outcome = {
      replies: sentSince((m) => secondChats.includes(m.chatId)),
      rows: perChat,
      unsent: rows.filter((r) => r.status !== "sent").map((r) => `${r.kind} ${r.status}`),
      reminders: reminders(),
      reminderStatuses: reminderRows.map((r) => r.status),
      secondChats,
      remindedChats,
    };
    s.note(
      `second database: ${rows.length} outbox rows, unsent: ${outcome.unsent.join(", ") || "none"}; ` +
        `replies per chat: ${[...outcome.replies.values()].join(" ")}`,
    );
    return outcome;
  });
}

/** Each writer got each of its rows once, and each reminder went once. */
function expectEverythingOnce(o: Outcome, expect: ExpectStatic): void {
  expect(o.unsent).toEqual([]);
  expect([...o.replies.keys()].sort()).toEqual(o.secondChats);
  for (const chat of o.secondChats) expect(o.replies.get(chat), `chat ${chat}`).toBe(o.rows.get(chat));
  expect([...o.reminders.keys()].sort()).toEqual(o.remindedChats);
  expect(duplicates(o.reminders)).toEqual([]);
  expect(o.reminderStatuses).toEqual(Array(reminded).fill("sent"));
}

// The four scenarios run side by side: each has its own databases, Redis prefix, fake Bot API
// and chats, and most of each is the real-time wait for reminders due after the second start.
describe.concurrent("a database that starts over on a Redis with old jobs", { timeout: 150_000 }, () => {
  for (const provider of providers) {
    it(`(${provider}, a fresh database) sends every reply and reminder once`, async ({ expect }) => {
      expectEverythingOnce(await scenario("fresh", provider), expect);
    });

    it(`(${provider}, a backup restored) sends every reply and reminder once`, async ({ expect }) => {
      expectEverythingOnce(await scenario("restored", provider), expect);
    });
  }
});
