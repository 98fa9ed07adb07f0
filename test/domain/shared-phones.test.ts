import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadParticipantWhere, readFilters } from "../../src/admin/dashboard/pages/participants-query.js";
import { findOthersWithPhone, findSharedPhones } from "../../src/domain/shared-phones.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

const now = new Date("2026-11-20T02:00:00Z");

describe.each(providers)("phone numbers given by more than one participant, on %s", (provider) => {
  let db: TestDatabase;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    const people: [string, string | null, Date | null][] = [
      ["Siti Aminah", "6281234567890", null],
      ["Siti A.", "6281234567890", null],
      ["Budi Santoso", "6281377778888", null],
      // Her data was deleted: her old number is nobody's any more.
      ["Rina Wulandari", "6281377778888", now],
      ["Ahmad Fauzi", "60123456789", null],
      ["Yusuf Hamid", "60123456789", null],
      ["Maria Ulfa", "60123456789", null],
      ["Hendra", null, null],
      ["Joko", null, null],
    ];
    for (const [name, phone, deletedAt] of people) {
      const p = await db.prisma.participant.create({
        data: { name, phone, deletedAt, registeredAt: now, consentAt: now },
      });
      ids[name] = p.id;
    }
  });

  afterAll(() => db?.destroy());

  it("finds the numbers held by two or more, not counting deleted data or missing numbers", async () => {
    expect([...(await findSharedPhones(db.prisma))].sort()).toEqual(["60123456789", "6281234567890"]);
    // Among the numbers of one page of the list.
    expect([...(await findSharedPhones(db.prisma, ["6281377778888", "60123456789", null]))]).toEqual(["60123456789"]);
    expect(await findSharedPhones(db.prisma, [])).toEqual(new Set());
  });

  it("names the others with the same number, not the participant itself", async () => {
    expect(await findOthersWithPhone(db.prisma, ids["Siti Aminah"]!, "6281234567890")).toEqual([
      { id: ids["Siti A."], name: "Siti A." },
    ]);
    expect((await findOthersWithPhone(db.prisma, ids["Yusuf Hamid"]!, "60123456789")).map((p) => p.name)).toEqual([
      "Ahmad Fauzi",
      "Maria Ulfa",
    ]);
    expect(await findOthersWithPhone(db.prisma, ids["Budi Santoso"]!, "6281377778888")).toEqual([]);
    expect(await findOthersWithPhone(db.prisma, ids.Hendra!, null)).toEqual([]);
  });

  it("filters the dashboard's list to them, with the other filters", async () => {
    const names = async (query: Record<string, string>) => {
      const where = await loadParticipantWhere(db.prisma, readFilters(query), provider);
      const rows = await db.prisma.participant.findMany({ where, orderBy: { id: "asc" } });
      return rows.map((p) => p.name);
    };
    expect(await names({ hp: "sama" })).toEqual(["Siti Aminah", "Siti A.", "Ahmad Fauzi", "Yusuf Hamid", "Maria Ulfa"]);
    expect(await names({ hp: "sama", q: "siti" })).toEqual(["Siti Aminah", "Siti A."]);
    // A malformed value counts as not given.
    expect(await names({ hp: "ya" })).toHaveLength(8);
  });
});
