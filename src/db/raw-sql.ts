/**
 * Raw SQL that runs on both databases, for the paths that run on every message (a Prisma model
 * call costs several times a raw statement). Statements are written for PostgreSQL ($n
 * placeholders, casts) and turned into SQLite's form; values are stored as Prisma stores them.
 */
import crypto from "node:crypto";
import type pg from "pg";
import { memoize } from "../memo.js";
import type { Database, DatabaseProvider } from "./database.js";
import {
  changes,
  decodeRows,
  failed,
  noCheck,
  runPlan,
  runPlanSync,
  type Decode,
  type Plan,
  type Step,
} from "./plan.js";

export type { Decode };

/** `$1::jsonb`, `$2::"EnrollmentStatus"`, `$3::timestamp(3)` -> `?` for SQLite. Each placeholder once, in order. */
export function forProvider(sql: string, provider: DatabaseProvider): string {
  if (provider === "postgresql") return sql;
  return sql.length <= rememberedLength ? rememberedSqliteForm(sql) : sqliteForm(sql);
}

const sqliteForm = (sql: string) => sql.replace(/\$\d+(::"?\w+"?(\(\d+\))?)?/g, "?");

/**
 * Statements made per call (a VALUES list per row) come back in a few shapes: the short ones
 * are remembered (a turn's or an enrollment's rows). Long ones (a chunk of a broadcast) are
 * rewritten each time: their cost is small beside the rows they carry, and keeping them would
 * hold megabytes.
 */
const rememberedLength = 4096;
const rememberedSqliteForm = memoize((sql: string) => sql, sqliteForm, 2000);

/** Every statement of a set, in one provider's form. */
export function prepareStatements<K extends string>(
  statements: Record<K, string>,
  provider: DatabaseProvider,
): Record<K, string> {
  return Object.fromEntries(
    Object.entries<string>(statements).map(([name, sql]) => [name, forProvider(sql, provider)]),
  ) as Record<K, string>;
}

/** A time as stored: Prisma's text form on SQLite ("...T03:00:00.000+00:00"), ISO for a PostgreSQL cast. */
export function sqlTime(date: Date, provider: DatabaseProvider): string {
  const iso = date.toISOString();
  return provider === "sqlite" ? iso.replace("Z", "+00:00") : iso;
}

/** Booleans: 1 or 0 on SQLite. */
export const sqlBool = (value: boolean, provider: DatabaseProvider) =>
  provider === "sqlite" ? (value ? 1 : 0) : value;

/** JSON columns take text. */
export const sqlJson = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

/** COUNT(*) and MAX() come back as bigint on PostgreSQL. */
export const sqlNumber = (value: number | bigint | null): number | null => (value === null ? null : Number(value));

type RawClient = { $queryRawUnsafe<T>(sql: string, ...values: unknown[]): Promise<T> };
type RawExecutor = { $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number> };

const statementNames = new Map<string, string>();

/** A name per statement text, so each pooled PostgreSQL connection parses a statement once. */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `s${crypto.createHash("sha1").update(sql).digest("hex").slice(0, 20)}`;
    if (statementNames.size < 5000) statementNames.set(sql, name);
  }
  return name;
}

/** Runs one statement on a PostgreSQL connection or pool: rows for "all", a count for "run". */
async function pgStep(client: pg.Pool | pg.PoolClient, step: Step): Promise<unknown> {
  const result = await client.query({ name: statementName(step.sql), text: step.sql, values: step.params });
  return step.kind === "all" ? result.rows : (result.rowCount ?? 0);
}

/**
 * Runs a statement that returns rows: straight on the SQLite connection when there is one (it is
 * the connection of any open Prisma transaction), on the PostgreSQL pool outside a transaction,
 * else through Prisma (`client` may be `tx`). `sql` is already in the database's form
 * (forProvider / prepareStatements).
 */
export async function queryRows<T>(
  database: Database,
  client: RawClient,
  sql: string,
  params: unknown[],
  decode: Decode = {},
): Promise<T[]> {
  const direct = database.direct();
  if (direct) return decodeRows<T>(direct.all<Record<string, unknown>>(sql, params), decode);
  const pool = database.pool();
  if (pool && client === (database.prisma as unknown)) return (await pgStep(pool, { kind: "all", sql, params })) as T[];
  return client.$queryRawUnsafe<T[]>(sql, ...params);
}

/** Runs a statement that changes rows; returns how many. */
export async function executeStatement(
  database: Database,
  client: RawExecutor,
  sql: string,
  params: unknown[],
): Promise<number> {
  const direct = database.direct();
  return direct ? direct.run(sql, params) : client.$executeRawUnsafe(sql, ...params);
}

type TransactionRunner = {
  $transaction<R>(
    run: (tx: RawExecutor & RawClient) => Promise<R>,
    options?: { maxWait?: number; timeout?: number },
  ): Promise<R>;
};

/**
 * Runs a plan of statements (plan.ts) in a transaction of its own, on the fastest way there is:
 * on SQLite synchronously, grouped with the other plans of the moment into one commit, when the
 * shared connection is free (a bare statement would otherwise join whatever transaction is open
 * on it, and vanish if that one rolls back), else through Prisma, waiting its turn; on
 * PostgreSQL on a connection of the direct pool.
 */
export async function runAtomically<T>(database: Database, makePlan: () => Plan<T>): Promise<T> {
  const direct = database.direct();
  if (direct) {
    const done = await direct.transactSoon(() => runPlanSync(makePlan(), direct));
    if (done) return done.value;
  }
  const pool = database.pool();
  if (pool) {
    const client = await pool.connect();
    let broken: Error | undefined;
    // pg-pool drops its own error listener while a client is checked out: without one, a
    // connection the server ends (a PostgreSQL restart) would be an unhandled "error" event and
    // end the process. The query under way fails instead, and the client is thrown away.
    const onError = (err: Error) => (broken = err);
    client.on("error", onError);
    try {
      const { value, committed } = await runPipelined(client, makePlan());
      await (committed ?? client.query("COMMIT"));
      return value;
    } catch (err) {
      await client.query("ROLLBACK").catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.removeListener("error", onError);
      client.release(broken);
    }
  }
  const prisma = database.prisma as unknown as TransactionRunner;
  return prisma.$transaction((tx) => runPlan(makePlan(), inTransaction(database, tx)), {
    timeout: 20_000,
    maxWait: 20_000,
  });
}

/**
 * Runs a plan after BEGIN on a pipelining connection (database.ts directPool): BEGIN and every
 * checked step (plan.ts Step.check) go without waiting for their answers, together in one write
 * with the next step whose rows the plan reads, so a turn's writes (its inbound row, the
 * conversation, the replies) cost one round trip instead of one each. The answers come back in
 * order, so once a read step is answered every step sent before it is too: their checks are
 * applied then, before the plan goes on, and a failed one fails the transaction with its own
 * error (the first in order), as if the plan had waited for it. The caller commits or rolls back,
 * unless COMMIT went already, in the write of the plan's final step (Step.final): that is when
 * every checked step still unanswered then fails in the database by itself (Step.failsWith, or
 * plan.ts send), so that a transaction that must not commit is rolled back there. A turn then
 * costs one round trip less, and one write less to the socket.
 */
async function runPipelined<T>(
  client: pg.PoolClient,
  plan: Plan<T>,
): Promise<{ value: T; committed: Promise<unknown> | null }> {
  const stream = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection
    ?.stream;
  let corked = false;
  const cork = () => {
    if (corked || !stream?.cork) return;
    stream.cork();
    corked = true;
  };
  const flush = () => {
    if (!corked) return;
    corked = false;
    stream?.uncork?.();
  };
  const sent: Promise<unknown>[] = [];
  /** Checked steps sent and not yet answered whose check only JavaScript can make. */
  let checkedHere = 0;
  const later = (answer: Promise<unknown>) => {
    answer.catch(() => {});
    sent.push(answer);
  };
  // Every step sent so far is answered (or failed): the first failure in order is thrown.
  const settle = async () => {
    flush();
    checkedHere = 0;
    for (const answer of sent.splice(0)) await answer;
  };
  /** COMMIT, when it went with the final step. */
  let committed: Promise<unknown> | null = null;
  try {
    cork();
    later(client.query("BEGIN"));
    let next: IteratorResult<Step, T>;
    try {
      next = plan.next();
    } catch (err) {
      await settle();
      throw err;
    }
    while (!next.done) {
      const step = next.value;
      let result: unknown;
      if (committed) throw new Error("a plan went on after its final step");
      if (step.check) {
        const check = step.check;
        if (check !== noCheck && !step.failsWith) checkedHere++;
        later(
          pgStep(client, step).then(
            (r) => {
              const error = check(r);
              if (error) throw error;
            },
            (err: unknown) => failed(step, err),
          ),
        );
      } else {
        const answer = pgStep(client, step);
        answer.catch(() => {});
        // Nothing follows and nothing unanswered needs checking here: COMMIT goes in the same
        // write. Should any step fail, the database has rolled back, and COMMIT says ROLLBACK.
        if (step.final && checkedHere === 0) {
          committed = client.query("COMMIT");
          committed.catch(() => {});
        }
        flush();
        try {
          result = await answer;
        } catch (err) {
          await settle();
          throw err;
        }
        await settle();
        cork();
      }
      try {
        next = plan.next(result);
      } catch (err) {
        await settle();
        throw err;
      }
    }
    await settle();
    return { value: next.value, committed };
  } finally {
    flush();
  }
}

/** Runs plan steps inside a Prisma transaction (`tx`). */
export function inTransaction(database: Database, tx: RawExecutor & RawClient): (step: Step) => Promise<unknown> {
  return (step) =>
    step.kind === "all"
      ? queryRows(database, tx, step.sql, step.params, step.decode)
      : executeStatement(database, tx, step.sql, step.params);
}

/**
 * One statement in a transaction of its own: on PostgreSQL straight on the pool, where a statement
 * is atomic by itself (one round trip instead of BEGIN, the statement and COMMIT); elsewhere as
 * runAtomically. Rows for "all", a count for "run".
 */
export async function runStatementAtomically(database: Database, step: Step): Promise<unknown> {
  const pool = database.direct() ? null : database.pool();
  // pg decodes dates and JSON itself (as queryRows on the pool).
  if (pool) return pgStep(pool, step);
  return runAtomically(database, function* () {
    return (yield step) as unknown;
  });
}

/** Changing statements together in one transaction of their own (runAtomically); returns the row counts. */
export async function executeAtomically(
  database: Database,
  statements: [sql: string, params: unknown[]][],
): Promise<number[]> {
  if (statements.length === 1) {
    const [[sql, params]] = statements as [[string, unknown[]]];
    return [(await runStatementAtomically(database, { kind: "run", sql, params })) as number];
  }
  return runAtomically(database, function* () {
    const counts: number[] = [];
    for (const [sql, params] of statements) counts.push(yield* changes(sql, params));
    return counts;
  });
}
