/**
 * PostgreSQL restarted in the middle of a broadcast: the application (a real child process,
 * APP_ROLE=all) sends to 400 Telegram participants at 50 a second; when about a third have it,
 * PostgreSQL is stopped (pg_ctl stop -m fast: every connection is cut) for 5 s and started
 * again. The application must survive the lost connections (a connection cut while checked out
 * of the pool must not end the process), retry, and finish: everybody gets the broadcast
 * exactly once, and the broadcast ends done.
 *
 * Exactly once, not "at most the sends in flight twice": a send that Telegram took while the
 * database could not record it is noted in Redis (src/outbox/worker.ts, recordSent), and
 * when the row comes back (a retried job, or the reconcile pass after OUTBOX_STUCK_SECONDS) the
 * note says it went, so it is recorded instead of sent again.
 *
 * The shared PostgreSQL on 5432 serves every other test file at the same time, so this test
 * runs a throwaway cluster of its own (initdb in /tmp, a free port, trust authentication;
 * support/private-postgres.ts; initdb and pg_ctl come with the PostgreSQL server). The
 * test's own reads go through short-lived connections, made after the restart.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrations.js";
import { openDatabase } from "../../src/db/database.js";
import { addParticipants } from "../support/population.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import { appEnv, chatRange, countsPerChat, duplicates, sendBroadcastNow, staffToken } from "./support/fixtures.js";
import { privatePostgresAvailable, startPrivatePostgres } from "./support/private-postgres.js";
import { killAllChildren, runScenario } from "./support/scenario.js";

const recipients = 400;
const bulkPerSecond = 50;
const regency = "Kabupaten Belitung";
const text = "Uji siaran: PostgreSQL dimulai ulang.";
const downMs = 5_000;

afterAll(killAllChildren);

/** One query on a connection of its own (a pool's idle connections would not survive the restart). */
async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** What the run left, for the assertions. */
type Outcome = { counts: Map<number, number>; outbox: { status: string; n: number }[]; survived: boolean };

function scenario(): Promise<Outcome> {
  return runScenario("postgres restart", async (s) => {
    const server = await startPrivatePostgres();
    s.defer(() => server.destroy());
    await server.createDatabase("sapa");
    const dbUrl = server.url("sapa");
    await migrateDatabase(dbUrl);
    s.note("private PostgreSQL up and migrated");
    const fake = await s.fakeTelegram();
    const queues = s.redis();

    const firstChatId = 860_000;
    // Written before the restart on a connection closed before it.
    const database = openDatabase(dbUrl);
    await addParticipants(database.prisma, recipients, { channel: "telegram", firstChatId, regency });
    const token = await staffToken(database.prisma);
    await database.close();

    const env = {
      ...appEnv({ database: { url: dbUrl }, redis: queues, telegram: fake, bulkPerSecond }),
      APP_ROLE: "all",
      PORT: String(await freePort()),
    };
    const app = await s.spawn("application", env);
    const delivered = () => countsPerChat(fake, (m) => m.text === text);
    const broadcastId = await sendBroadcastNow(app.url, token, { title: "Uji PostgreSQL", text, regency });
    s.note(`broadcast ${broadcastId} sent now`);
    await waitFor(() => delivered().size >= recipients / 3, 30_000, "a third delivered");

    await server.stop();
    s.note(`PostgreSQL stopped with ${delivered().size} delivered`);
    await new Promise((r) => setTimeout(r, downMs));
    s.note(`${delivered().size} delivered while PostgreSQL was down`);
    await server.start();
    s.note("PostgreSQL started again");
    // Give a crash a moment to show.
    await new Promise((r) => setTimeout(r, 1_000));
    const survived = app.exitCode() === null;
    if (survived) s.note("the application is still running");
    else {
      // As a supervisor (systemd Restart=always, Docker restart: always) would: start it again,
      // so the rest of the test still checks that nothing is lost.
      // Node's report of what ended the process: the error's message line.
      const lines = app.output().split("\n");
      const report = lines.find((l) => /terminat/i.test(l))?.trim() ?? lines.filter((l) => l.trim()).at(-1);
      s.note(`the application exited with ${app.exitCode()}: ${report}`);
      await s.spawn("application, restarted", env);
    }

    const status = async () =>
      (await query<{ status: string }>(dbUrl, `SELECT status FROM "Broadcast" WHERE id = $1`, [broadcastId]))[0]
        ?.status;
    await waitFor(
      async () => delivered().size === recipients && (await status()) === "done",
      60_000,
      "every recipient served and the broadcast done",
    ).catch(async (err: unknown) => {
      const outbox = await query(dbUrl, `SELECT status, count(*)::int AS n FROM "OutboxItem" GROUP BY status`);
      s.note(`gave up: ${delivered().size} delivered, outbox ${JSON.stringify(outbox)}`);
      throw err;
    });
    s.note("the broadcast is done");
    await new Promise((r) => setTimeout(r, 1_500));
    const counts = delivered();
    const twice = duplicates(counts);
    s.note(`duplicates: ${twice.join(" ") || "none"}`);
    const outbox = await query<{ status: string; n: number }>(
      dbUrl,
      `SELECT status, count(*)::int AS n FROM "OutboxItem" GROUP BY status`,
    );
    return { counts, outbox, survived };
  });
}

describe("PostgreSQL restarted in the middle of a broadcast", () => {
  let run: Promise<Outcome>;
  beforeAll(() => {
    if (!privatePostgresAvailable())
      throw new Error("initdb and pg_ctl are needed for this test: apt-get install postgresql");
    run = scenario();
    // Awaited by the tests; a rejection must not count as unhandled before then.
    run.catch(() => {});
  });

  it("keeps running, loses nobody and sends nothing twice", { timeout: 120_000 }, async () => {
    const o = await run;
    expect(o.survived).toBe(true);
    expect(chatRange(860_000, recipients).filter((c) => !o.counts.has(c))).toEqual([]);
    expect(duplicates(o.counts)).toEqual([]);
    expect(o.outbox).toEqual([{ status: "sent", n: recipients }]);
  });
});
