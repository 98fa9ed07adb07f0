/**
 * The SQLite connection that sqlite-direct.ts takes from Prisma's adapter through a field the
 * adapter does not document. If an upgrade of @prisma/adapter-better-sqlite3 (or Prisma) moves
 * that field, or gives Prisma's transactions a connection of their own, the hot paths would
 * silently fall back to slower Prisma calls or write outside the transaction they mean to join:
 * these tests fail first.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forProvider } from "../../src/db/raw-sql.js";
import { adapterConnection } from "../../src/db/sqlite-direct.js";
import { openTestDatabase, type TestDatabase } from "../support/databases.js";

describe("the SQLite connection inside Prisma's adapter", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase("sqlite");
    // The adapter opens its connection when Prisma first connects.
    await db.prisma.participant.count();
  });
  afterAll(() => db.destroy());

  it("is a better-sqlite3 Database where adapterConnection looks", async () => {
    const factory = new PrismaBetterSQLite3({ url: db.url.replace(/^file:/, "") });
    const adapter = await factory.connect();
    try {
      const connection = adapterConnection(adapter);
      expect(connection).toBeInstanceOf(BetterSqlite3);
      expect(Number(connection!.prepare("SELECT 41 + 1").pluck().get())).toBe(42);
    } finally {
      await adapter.dispose();
    }
  });

  it("is taken when Prisma connects", () => {
    expect(db.direct()).not.toBeNull();
  });

  it("runs a statement inside the transaction Prisma has open, and rolls back with it", async () => {
    const direct = db.direct()!;
    const insert = forProvider(
      `INSERT INTO "Participant" (name, language, "createdAt", "updatedAt")
       VALUES ($1, 'id', $2::timestamp(3), $3::timestamp(3))`,
      "sqlite",
    );
    const names = `SELECT name FROM "Participant" WHERE name LIKE 'Koneksi %' ORDER BY name`;
    const now = new Date().toISOString();
    const seen: { byDirect: unknown[]; byPrisma: unknown[] } = { byDirect: [], byPrisma: [] };

    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.participant.create({ data: { name: "Koneksi A" } });
        // Not yet committed: only a statement on the same connection, in the same transaction, sees it.
        direct.run(insert, ["Koneksi B", now, now]);
        seen.byDirect = direct.all(names, []);
        seen.byPrisma = (await tx.participant.findMany({ where: { name: { startsWith: "Koneksi " } } }))
          .map((p) => p.name)
          .sort();
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");

    expect(seen.byDirect).toEqual([{ name: "Koneksi A" }, { name: "Koneksi B" }]);
    expect(seen.byPrisma).toEqual(["Koneksi A", "Koneksi B"]);
    // The direct statement's row went with Prisma's rollback.
    expect(direct.all(names, [])).toEqual([]);
    expect(await db.prisma.participant.count({ where: { name: { startsWith: "Koneksi " } } })).toBe(0);
  });
});
