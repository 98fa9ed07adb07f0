/**
 * Raw SQL that runs on both databases, for the paths that run on every message (a Prisma model
 * call costs several times a raw statement). Statements are written for PostgreSQL ($n
 * placeholders, casts) and turned into SQLite's form; values are stored as Prisma stores them.
 */
import type { Database, DatabaseProvider } from "./database.js";

/** `$1::jsonb`, `$2::"EnrollmentStatus"`, `$3::timestamp(3)` -> `?` for SQLite. Each placeholder once, in order. */
export function forProvider(sql: string, provider: DatabaseProvider): string {
  return provider === "postgresql" ? sql : sql.replace(/\$\d+(::"?\w+"?(\(\d+\))?)?/g, "?");
}

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

/** Columns that come back as text straight from SQLite (Prisma's raw queries decode them). */
export type Decode = { dates?: string[]; json?: string[] };

type RawClient = { $queryRawUnsafe<T>(sql: string, ...values: unknown[]): Promise<T> };
type RawExecutor = { $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number> };

/**
 * Runs a statement that returns rows: straight on the SQLite connection when there is one (it is
 * the connection of any open Prisma transaction), else through Prisma (`client` may be `tx`).
 * `sql` is already in the database's form (forProvider / prepareStatements).
 */
export async function queryRows<T>(
  database: Database,
  client: RawClient,
  sql: string,
  params: unknown[],
  decode: Decode = {},
): Promise<T[]> {
  const direct = database.direct();
  if (!direct) return client.$queryRawUnsafe<T[]>(sql, ...params);
  const rows = direct.all<Record<string, unknown>>(sql, params);
  for (const row of rows) {
    for (const c of decode.dates ?? []) if (typeof row[c] === "string") row[c] = new Date(row[c]);
    for (const c of decode.json ?? []) if (typeof row[c] === "string") row[c] = JSON.parse(row[c]);
  }
  return rows as T[];
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
  $transaction<R>(run: (tx: RawExecutor) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
};

/**
 * Runs changing statements together in one transaction of their own; returns the row counts.
 * On SQLite a bare statement would join whatever transaction is open on the shared connection
 * (and vanish if that one rolls back), so it runs synchronously when the connection is free and
 * otherwise waits its turn through Prisma.
 */
export async function executeAtomically(
  database: Database,
  statements: [sql: string, params: unknown[]][],
): Promise<number[]> {
  const direct = database.direct();
  if (direct) {
    const counts = direct.transact(() => statements.map(([sql, params]) => direct.run(sql, params)));
    if (counts) return counts;
  }
  const client = database.prisma as unknown as TransactionRunner;
  return client.$transaction(async (tx) => {
    const counts: number[] = [];
    for (const [sql, params] of statements) counts.push(await executeStatement(database, tx, sql, params));
    return counts;
  });
}
