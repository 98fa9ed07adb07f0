import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { regencies } from "../../prisma/seed/programmes.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

const counts = async (db: TestDatabase) => ({
  programmes: await db.prisma.programme.count(),
  trainingSessions: await db.prisma.trainingSession.count(),
  motivationalMessages: await db.prisma.motivationalMessage.count(),
});

describe.each(providers)("seeding %s", (provider) => {
  let db: TestDatabase;
  const now = new Date();
  beforeAll(async () => {
    db = await openTestDatabase(provider);
  });
  afterAll(() => db.destroy());

  it("adds the four programmes, eight upcoming sessions and the motivation library; twice changes nothing", async () => {
    const first = await seedDatabase(db.prisma, now);
    expect(first).toEqual({ programmes: 4, trainingSessions: 8, motivationalMessages: expect.any(Number) });
    const before = await counts(db);
    const second = await seedDatabase(db.prisma, now);
    expect(second).toEqual({ programmes: 0, trainingSessions: 0, motivationalMessages: 0 });
    expect(await counts(db)).toEqual(before);
  });

  it("places the sessions in the future, on working days and hours, in the programme's regency", async () => {
    const sessions = await db.prisma.trainingSession.findMany({ include: { programme: true } });
    for (const s of sessions) {
      const start = DateTime.fromJSDate(s.startsAt, { zone: s.programme.timeZone });
      const end = DateTime.fromJSDate(s.endsAt, { zone: s.programme.timeZone });
      expect(s.startsAt.getTime()).toBeGreaterThan(now.getTime());
      expect(start.weekday).toBeGreaterThanOrEqual(1);
      expect(start.weekday).toBeLessThanOrEqual(5);
      expect(start.hour).toBeGreaterThanOrEqual(8);
      expect(end.hour).toBeLessThanOrEqual(17);
      expect(end > start).toBe(true);
      expect(s.capacity).toBeGreaterThanOrEqual(20);
      expect(s.capacity).toBeLessThanOrEqual(40);
      expect(s.regency).toBe(s.programme.regency);
      expect(regencies).toContain(s.regency);
    }
    const sectors = (await db.prisma.programme.findMany()).map((p) => `${p.sector} ${p.regency}`).sort();
    expect(sectors).toEqual([
      "konveksi Kabupaten Belitung",
      "konveksi Kota Pangkalpinang",
      "lada Kabupaten Bangka Tengah",
      "reparasi-ac Kota Pangkalpinang",
    ]);
  });

  it("has at least 40 motivational messages in each language, the same slugs in both", async () => {
    const id = await db.prisma.motivationalMessage.findMany({ where: { language: "id" } });
    const en = await db.prisma.motivationalMessage.findMany({ where: { language: "en" } });
    expect(id.length).toBeGreaterThanOrEqual(40);
    expect(en.map((m) => m.slug).sort()).toEqual(id.map((m) => m.slug).sort());
    expect(new Set(id.map((m) => m.text)).size).toBe(id.length);
  });
});
