/**
 * Statements as a plan: a generator yields each statement and gets its result back, so one
 * piece of code runs synchronously on SQLite (inside one driver transaction, where nothing else
 * can slip in between two statements) or asynchronously (a PostgreSQL client, a Prisma
 * transaction). Statements are already in the database's form (raw-sql.ts forProvider).
 */
import type { SqliteDirect } from "./sqlite-direct.js";

/** Columns that come back as text straight from SQLite (Prisma's raw queries and pg decode them). */
export type Decode = { dates?: string[]; json?: string[] };

export type Step = {
  kind: "all" | "run";
  sql: string;
  params: unknown[];
  decode?: Decode;
  /**
   * Set on a step whose result the plan does not read, only checks: the error to fail the
   * transaction with (null when the result is as expected). A runner may send such a step
   * without waiting for its answer and check it before the commit (PostgreSQL pipelines them,
   * raw-sql.ts); the plan gets undefined back for it.
   */
  check?: (result: unknown) => Error | null;
  /**
   * Set on a checked step whose statement fails by itself, on PostgreSQL, when its result would
   * not do (division by zero, SQLSTATE 22012: expectCounted): the error to fail the transaction
   * with then. The database rolls such a transaction back without being told, so a runner may
   * send COMMIT before this step's answer is read (see `final`).
   */
  failsWith?: () => Error;
  /**
   * Nothing follows this step in its plan: a runner may send COMMIT in the same write when every
   * checked step still unanswered fails in the database by itself (`failsWith`, or `send`).
   */
  final?: boolean;
};
export type Plan<T> = Generator<Step, T, unknown>;

/** A statement that returns rows. */
export function* rows<T>(
  sql: string,
  params: unknown[],
  decode?: Decode,
  final = false,
): Generator<Step, T[], unknown> {
  return (yield { kind: "all", sql, params, ...(decode ? { decode } : {}), ...(final ? { final } : {}) }) as T[];
}

/** Turns SQLite's text dates and JSON into what the other paths give. */
export function decodeRows<T>(rows: Record<string, unknown>[], decode: Decode = {}): T[] {
  for (const row of rows) {
    for (const c of decode.dates ?? []) if (typeof row[c] === "string") row[c] = new Date(row[c]);
    for (const c of decode.json ?? []) if (typeof row[c] === "string") row[c] = JSON.parse(row[c]);
  }
  return rows as T[];
}

/** A statement that changes rows; gives how many. */
export function* changes(sql: string, params: unknown[]): Generator<Step, number, unknown> {
  return (yield { kind: "run", sql, params }) as number;
}

/** The check of a step that can fail only by an error of the database (`send`). */
export const noCheck = () => null;

/**
 * A statement that must change exactly `count` rows (or return that many, for one with
 * RETURNING), else the transaction fails with `error()`; without `error`, any count will do.
 * The plan does not wait for it on PostgreSQL: the statements after it go in the same write
 * (see Step.check).
 */
export function* expect(
  kind: "all" | "run",
  sql: string,
  params: unknown[],
  count: number,
  error?: () => Error,
): Generator<Step, void, unknown> {
  const check = error
    ? (result: unknown) => ((Array.isArray(result) ? result.length : (result as number)) === count ? null : error())
    : noCheck;
  yield { kind, sql, params, check };
}

/**
 * As expect(), for a statement that changes at most one row and says so with RETURNING (for "all")
 * or gets RETURNING 1 added (for "run"; PostgreSQL only). On PostgreSQL the statement itself fails
 * when it did not change `count` rows (1 / 0 in the database), so a transaction that went on to
 * commit without reading its answer is rolled back all the same; `error()` is what the plan fails
 * with then. On SQLite, and without `error`, as expect().
 */
export function* expectCounted(
  provider: "sqlite" | "postgresql",
  kind: "all" | "run",
  sql: string,
  params: unknown[],
  count: number,
  error?: () => Error,
): Generator<Step, void, unknown> {
  // Without an error any count will do: nothing to check.
  if (provider !== "postgresql" || !error) return yield* expect(kind, sql, params, count, error);
  const changed = kind === "run" ? `${sql} RETURNING 1` : sql;
  yield {
    kind: "all",
    sql: `WITH changed AS (${changed}) SELECT 1 / (COUNT(*) = ${count})::int AS ok FROM changed`,
    params,
    check: noCheck,
    failsWith: error,
  };
}

/** A statement whose result nothing reads (it cannot fail but by an error of the database). */
export function* send(sql: string, params: unknown[]): Generator<Step, void, unknown> {
  yield { kind: "run", sql, params, check: noCheck };
}

/** The result of a step for the plan: a checked step fails here or gives nothing. */
function answer(step: Step, result: unknown): unknown {
  if (!step.check) return result;
  const error = step.check(result);
  if (error) throw error;
  return undefined;
}

/** Runs a plan on the SQLite connection, synchronously (the caller holds the transaction). */
export function runPlanSync<T>(plan: Plan<T>, direct: SqliteDirect): T {
  let next = plan.next();
  while (!next.done) {
    const step = next.value;
    next = plan.next(
      answer(
        step,
        step.kind === "all"
          ? decodeRows(direct.all<Record<string, unknown>>(step.sql, step.params), step.decode)
          : direct.run(step.sql, step.params),
      ),
    );
  }
  return next.value;
}

/** Runs a plan, each statement through `execute` (rows for "all", a count for "run"). */
export async function runPlan<T>(plan: Plan<T>, execute: (step: Step) => Promise<unknown>): Promise<T> {
  let next = plan.next();
  while (!next.done) {
    const step = next.value;
    next = plan.next(answer(step, await execute(step).catch((err: unknown) => failed(step, err))));
  }
  return next.value;
}

/**
 * The error a step failed with: a statement of expectCounted that failed by itself (division by
 * zero, straight from pg or wrapped by Prisma) fails with the plan's own error.
 */
export function failed(step: Step, err: unknown): never {
  if (step.failsWith) {
    const e = err as { code?: unknown; meta?: { code?: unknown }; message?: unknown };
    if (e?.code === "22012" || e?.meta?.code === "22012" || /\b22012\b/.test(String(e?.message)))
      throw step.failsWith();
  }
  throw err;
}
