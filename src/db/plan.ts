/**
 * Statements as a plan: a generator yields each statement and gets its result back, so one
 * piece of code runs synchronously on SQLite (inside one driver transaction, where nothing else
 * can slip in between two statements) or asynchronously (a PostgreSQL client, a Prisma
 * transaction). Statements are already in the database's form (raw-sql.ts forProvider).
 */
import type { SqliteDirect } from "./sqlite-direct.js";

/** Columns that come back as text straight from SQLite (Prisma's raw queries and pg decode them). */
export type Decode = { dates?: string[]; json?: string[] };

export type Step = { kind: "all" | "run"; sql: string; params: unknown[]; decode?: Decode };
export type Plan<T> = Generator<Step, T, unknown>;

/** A statement that returns rows. */
export function* rows<T>(sql: string, params: unknown[], decode?: Decode): Generator<Step, T[], unknown> {
  return (yield { kind: "all", sql, params, ...(decode ? { decode } : {}) }) as T[];
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

/** Runs a plan on the SQLite connection, synchronously (the caller holds the transaction). */
export function runPlanSync<T>(plan: Plan<T>, direct: SqliteDirect): T {
  let next = plan.next();
  while (!next.done) {
    const step = next.value;
    next = plan.next(
      step.kind === "all"
        ? decodeRows(direct.all<Record<string, unknown>>(step.sql, step.params), step.decode)
        : direct.run(step.sql, step.params),
    );
  }
  return next.value;
}

/** Runs a plan, each statement through `execute` (rows for "all", a count for "run"). */
export async function runPlan<T>(plan: Plan<T>, execute: (step: Step) => Promise<unknown>): Promise<T> {
  let next = plan.next();
  while (!next.done) next = plan.next(await execute(next.value));
  return next.value;
}
