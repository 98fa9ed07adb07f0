/**
 * Raw SQL that runs on both databases, for the paths that run on every message (a Prisma model
 * call costs several times a raw statement). Statements are written for PostgreSQL ($n
 * placeholders, casts) and turned into SQLite's form; values are stored as Prisma stores them.
 */
import type { DatabaseProvider } from "./database.js";

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
