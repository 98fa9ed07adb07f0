/**
 * runAtomically: plans of statements in transactions of their own, on both databases. On SQLite,
 * plans made at the same moment share one commit (group commit) but not each other's failures.
 * On PostgreSQL, checked steps are sent without waiting for their answers (pipelined): a failed
 * check still fails the transaction with its own error, before anything after it is kept. A
 * plan's final read may take COMMIT with it when the checks still unanswered are made by the
 * database itself (expectCounted): a failed one still leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changes, expect as expectCount, expectCounted, rows, runPlan, send, type Step } from "../../src/db/plan.js";
import { forProvider, inTransaction, runAtomically } from "../../src/db/raw-sql.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

describe.each(providers)("runAtomically on %s", (provider) => {
  let db: TestDatabase;
  const sql = (s: string) => forProvider(s, provider);
  const insert = `INSERT INTO "Participant" (name, language, "createdAt", "updatedAt")
    VALUES ($1, 'id', $2::timestamp(3), $3::timestamp(3)) RETURNING id`;
  const now = new Date().toISOString();

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    // SQLite's direct connection exists once Prisma has connected.
    await db.prisma.participant.count();
  });
  afterAll(() => db.destroy());

  it("keeps every plan of a burst except the one that failed, which leaves nothing behind", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `Peserta ${i}`);
    const results = await Promise.allSettled(
      names.map((name, i) =>
        runAtomically(db, function* () {
          const [row] = yield* rows<{ id: number }>(sql(insert), [name, now, now]);
          // The 7th fails after its insert: only that insert is undone.
          if (i === 7) throw new Error("conflict in plan 7");
          return row!.id;
        }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    expect((results[7] as PromiseRejectedResult).reason).toEqual(new Error("conflict in plan 7"));
    const stored = await db.prisma.participant.findMany({ where: { name: { in: names } } });
    const byName = new Map(stored.map((p) => [p.name, p.id]));
    expect([...byName.keys()].sort()).toEqual(names.filter((_, i) => i !== 7).sort());
    // Each plan got back the id of its own row.
    results.forEach((r, i) => {
      if (r.status === "fulfilled") expect(r.value).toBe(byName.get(names[i]!));
    });
  });

  it("waits for a Prisma transaction that is open, instead of joining it", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const open = db.prisma.$transaction(async (tx) => {
      await tx.participant.create({ data: { name: "Dalam transaksi" } });
      entered();
      await held;
      throw new Error("rolled back");
    });
    // The transaction is open and has written.
    await inside;
    const written = runAtomically(db, function* () {
      return yield* changes(sql(`UPDATE "Participant" SET nib = $1 WHERE name = $2`), ["123", "Peserta 0"]);
    });
    // Real time: the plan gets a moment to run into the open transaction before it ends (were it
    // to join it instead, its update would be rolled back with it, which the checks below see).
    await new Promise((r) => setTimeout(r, 50));
    release();
    await expect(open).rejects.toThrow("rolled back");
    expect(await written).toBe(1);
    // The update survived the other transaction's rollback; the rolled-back insert is gone.
    expect((await db.prisma.participant.findFirst({ where: { name: "Peserta 0" } }))?.nib).toBe("123");
    expect(await db.prisma.participant.count({ where: { name: "Dalam transaksi" } })).toBe(0);
  });

  describe("checked steps", () => {
    const setNib = sql(`UPDATE "Participant" SET nib = $1 WHERE name = $2`);
    class Mismatch extends Error {}

    it("keeps the writes of checked steps that held, and gives back the rows of the read after them", async () => {
      const names = ["Cek A", "Cek B"];
      const ids = await runAtomically(db, function* () {
        for (const name of names) yield* send(sql(insert), [name, now, now]);
        yield* expectCount("run", setNib, ["777", "Cek A"], 1, () => new Mismatch("no row"));
        return yield* rows<{ id: number; nib: string | null }>(
          sql(`SELECT id, nib FROM "Participant" WHERE name = $1`),
          ["Cek A"],
        );
      });
      // The read after the unanswered steps sees their writes.
      expect(ids).toEqual([{ id: expect.any(Number), nib: "777" }]);
      expect(await db.prisma.participant.count({ where: { name: { in: names } } })).toBe(2);
    });

    it("fails with the check's error and leaves nothing behind, even the writes after it", async () => {
      let reachedEnd = false;
      await expect(
        runAtomically(db, function* () {
          yield* send(sql(insert), ["Cek gagal", now, now]);
          // No such participant: 0 rows where 1 was expected.
          yield* expectCount("run", setNib, ["1", "Tidak ada"], 1, () => new Mismatch("no such participant"));
          yield* send(sql(insert), ["Sesudah cek", now, now]);
          const [row] = yield* rows<{ n: number }>(sql(`SELECT COUNT(*) AS n FROM "Participant"`), []);
          reachedEnd = true;
          return row;
        }),
      ).rejects.toThrow(new Mismatch("no such participant"));
      expect(reachedEnd).toBe(false);
      expect(await db.prisma.participant.count({ where: { name: { in: ["Cek gagal", "Sesudah cek"] } } })).toBe(0);
    });

    /** A plan that ends on a final read (the insert of `last`), after `before`. */
    const endingWith = (last: string, before: () => Generator<Step, void, unknown>) =>
      runAtomically(db, function* () {
        yield* before();
        return yield* rows<{ id: number }>(sql(insert), [last, now, now], undefined, true);
      });

    it("keeps a plan whose final read went with its commit, when the checks before it hold", async () => {
      await db.prisma.participant.create({ data: { name: "Akhir ada" } });
      const [row] = await endingWith("Akhir baru", function* () {
        yield* expectCounted(provider, "run", setNib, ["55", "Akhir ada"], 1, () => new Mismatch("no row"));
      });
      expect(row).toEqual({ id: expect.any(Number) });
      expect((await db.prisma.participant.findFirst({ where: { name: "Akhir ada" } }))?.nib).toBe("55");
      expect(await db.prisma.participant.count({ where: { name: "Akhir baru" } })).toBe(1);
    });

    it("leaves nothing behind when a check made by the database fails before the final read", async () => {
      await expect(
        endingWith("Akhir batal", function* () {
          yield* send(sql(insert), ["Sebelum batal", now, now]);
          yield* expectCounted(provider, "run", setNib, ["1", "Tidak ada"], 1, () => new Mismatch("nobody"));
        }),
      ).rejects.toThrow(new Mismatch("nobody"));
      expect(await db.prisma.participant.count({ where: { name: { in: ["Sebelum batal", "Akhir batal"] } } })).toBe(0);
    });

    it("holds the commit back for a check only the plan can make, and fails with it", async () => {
      await expect(
        endingWith("Akhir ditahan", function* () {
          yield* expectCount("run", setNib, ["1", "Tidak ada"], 1, () => new Mismatch("checked here"));
        }),
      ).rejects.toThrow(new Mismatch("checked here"));
      expect(await db.prisma.participant.count({ where: { name: "Akhir ditahan" } })).toBe(0);
    });

    it("fails with a counted check's own error inside a Prisma transaction too", async () => {
      await expect(
        db.prisma.$transaction((tx) =>
          runPlan(
            (function* () {
              yield* send(sql(insert), ["Prisma batal", now, now]);
              yield* expectCounted(provider, "run", setNib, ["1", "Tidak ada"], 1, () => new Mismatch("prisma"));
            })(),
            inTransaction(db, tx),
          ),
        ),
      ).rejects.toThrow(new Mismatch("prisma"));
      expect(await db.prisma.participant.count({ where: { name: "Prisma batal" } })).toBe(0);
    });

    it("fails with the first failure in order when a later statement fails as well", async () => {
      await expect(
        runAtomically(db, function* () {
          yield* expectCount("run", setNib, ["1", "Tidak ada"], 1, () => new Mismatch("first"));
          // A statement the database refuses, after the failed check.
          yield* send(sql(`UPDATE "Participant" SET "noSuchColumn" = 1`), []);
          return yield* rows(sql(`SELECT 1 AS one`), []);
        }),
      ).rejects.toThrow(new Mismatch("first"));
      // A plan that ends on checked steps is checked before its commit.
      await expect(
        runAtomically(db, function* () {
          yield* send(sql(insert), ["Cek akhir", now, now]);
          yield* expectCount("all", sql(insert), ["Cek akhir 2", now, now], 2, () => new Mismatch("one row, not two"));
        }),
      ).rejects.toThrow(new Mismatch("one row, not two"));
      expect(await db.prisma.participant.count({ where: { name: { startsWith: "Cek akhir" } } })).toBe(0);
      // The connection is usable afterwards.
      expect(
        await runAtomically(db, function* () {
          return yield* changes(setNib, ["9", "Cek B"]);
        }),
      ).toBe(1);
    });
  });
});
