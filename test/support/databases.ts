/**
 * Fresh, migrated databases for a test: `openTestDatabase("sqlite")` or ("postgresql").
 * Tests that touch the database run on both through `describe.each(providers)`.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { openDatabase, type Database, type DatabaseProvider } from "../../src/db/database.js";
import { createDatabase, databaseUrl, dropDatabase } from "./postgres.js";

export const providers: DatabaseProvider[] = ["sqlite", "postgresql"];

export type TestDatabase = Database & { url: string; destroy(): Promise<void> };

const unique = () => crypto.randomBytes(4).toString("hex");

/** A URL for a new database of the given kind; `migrated` copies the run's migrated template. */
export async function createTestDatabaseUrl(provider: DatabaseProvider, migrated = true): Promise<string> {
  if (provider === "sqlite") {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sapa-db-")), "test.db");
    if (migrated) fs.copyFileSync(inject("sqliteTemplate"), file);
    return `file:${file}`;
  }
  const name = `${inject("runId")}_${unique()}`;
  await createDatabase(name, migrated ? inject("postgresTemplate") : undefined);
  return databaseUrl(name);
}

/** Removes a database made by createTestDatabaseUrl. */
export async function removeTestDatabase(url: string): Promise<void> {
  if (url.startsWith("file:")) fs.rmSync(path.dirname(url.slice(5)), { recursive: true, force: true });
  else await dropDatabase(new URL(url).pathname.slice(1));
}

export async function openTestDatabase(provider: DatabaseProvider, migrated = true): Promise<TestDatabase> {
  const url = await createTestDatabaseUrl(provider, migrated);
  const database = openDatabase(url);
  return {
    ...database,
    url,
    async destroy() {
      await database.close();
      await removeTestDatabase(url);
    },
  };
}
