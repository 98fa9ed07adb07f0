import { afterEach, describe, expect, it } from "vitest";
import {
  assertMigrated,
  DatabaseNotMigratedError,
  openDatabase,
  pendingMigrations,
  type Database,
} from "../../src/db/database.js";
import { migrateDatabase, migrationStatus } from "../../src/db/migrations.js";
import { createTestDatabaseUrl, providers, removeTestDatabase } from "../support/databases.js";

describe.each(providers)("migrations on %s", (provider) => {
  let url: string;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
    await removeTestDatabase(url);
  });

  it("apply to an empty database and Prisma's own migrate status agrees", async () => {
    url = await createTestDatabaseUrl(provider, false);
    database = openDatabase(url);
    await expect(assertMigrated(database)).rejects.toThrow(DatabaseNotMigratedError);
    await expect(assertMigrated(database)).rejects.toThrow(/run npm run db:migrate/);

    await migrateDatabase(url);
    expect(await pendingMigrations(database)).toEqual([]);
    await expect(assertMigrated(database)).resolves.toBeUndefined();
    const status = await migrationStatus(url);
    expect(status.output).toMatch(/Database schema is up to date/);
    expect(status.code).toBe(0);

    // Applying again is harmless.
    await migrateDatabase(url);
    expect(await database.prisma.programme.count()).toBe(0);
  });
});
