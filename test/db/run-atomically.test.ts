/**
 * runAtomically: plans of statements in transactions of their own, on both databases. On SQLite,
 * plans made at the same moment share one commit (group commit) but not each other's failures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changes, rows } from "../../src/db/plan.js";
import { forProvider, runAtomically } from "../../src/db/raw-sql.js";
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
});
