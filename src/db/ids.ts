/**
 * Row ids are 32-bit integers in both databases: a larger number in a query makes PostgreSQL
 * refuse it (a 500), so every id that comes from outside is checked against these first.
 */
import { z } from "zod";

export const maxDatabaseId = 2_147_483_647;

/** A row id given as a number or as text ("12"). */
export const databaseId = z.coerce.number().int().positive().max(maxDatabaseId);

/** The id in an address's `:id` (or other) parameter; null for anything that is not a row id. */
export function idParam(params: unknown, name = "id"): number | null {
  const raw = (params as Record<string, unknown> | undefined)?.[name];
  if (typeof raw !== "string" || !/^[1-9]\d{0,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= maxDatabaseId ? id : null;
}
