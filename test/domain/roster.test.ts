/**
 * The roster on both databases: seat holders and the waiting list in order, marking attendance
 * (seat holders of the session only), filling new seats from the waiting list with reminders and
 * notices, and the CSV with formulas neutralized.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { fillFreeSeats, loadRoster, markAttendance, neutralizeFormula, rosterCsv } from "../../src/domain/roster.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

describe("neutralizeFormula", () => {
  it("prefixes what a spreadsheet would run, and leaves the rest", () => {
    expect(["=1+1", "+62812", "-5", "@SUM(A1)", "\tx", "Ani", "0812", ""].map(neutralizeFormula)).toEqual([
      "'=1+1",
      "'+62812",
      "'-5",
      "'@SUM(A1)",
      "'\tx",
      "Ani",
      "0812",
      "",
    ]);
  });
});

describe.each(providers)("the roster on %s", (provider) => {
  let db: TestDatabase;
  let sessionId: number;
  let other: number;
  const seat: Record<string, number> = {};

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    const programme = await db.prisma.programme.create({
      data: {
        slug: "uji-daftar",
        sector: "lada",
        titleId: "Uji Daftar",
        titleEn: "Roster Test",
        descriptionId: "-",
        descriptionEn: "-",
        reminderOffsets: [{ kind: "before", minutes: 120 }],
      },
    });
    const session = (code: string) =>
      db.prisma.trainingSession.create({
        data: {
          code,
          programmeId: programme.id,
          startsAt: new Date(Date.now() + 3 * 24 * 3_600_000),
          endsAt: new Date(Date.now() + 3 * 24 * 3_600_000 + 3_600_000),
          venue: "Aula",
          address: "Jl. Koba",
          regency: "Kabupaten Bangka Tengah",
          capacity: 2,
        },
      });
    sessionId = (await session("uji-daftar-1")).id;
    other = (await session("uji-daftar-2")).id;
    const people: [string, string, "enrolled" | "waitlisted" | "cancelled", number | null][] = [
      ["Ani", "=HYPERLINK(1)", "enrolled", null],
      ["Budi", "Lada Budi", "enrolled", null],
      ["Citra", "Lada Citra", "waitlisted", 5],
      ["Dedi", "Lada Dedi", "waitlisted", 2],
      ["Eko", "Lada Eko", "cancelled", null],
    ];
    for (const [name, businessName, status, waitlistPosition] of people) {
      const p = await db.prisma.participant.create({
        data: {
          name,
          businessName,
          sector: "lada",
          regency: "Kabupaten Bangka Tengah",
          phone: "+6281234",
          language: "id",
        },
      });
      await db.prisma.channelIdentity.create({
        data: {
          channel: "web",
          platformUserId: `${provider}-${name}`,
          chatId: `${provider}-${name}`,
          participantId: p.id,
        },
      });
      seat[name] = (
        await db.prisma.enrollment.create({
          data: { participantId: p.id, trainingSessionId: sessionId, status, waitlistPosition },
        })
      ).id;
    }
  });

  afterAll(() => db?.destroy());

  it("lists seat holders, then the waiting list in order, and exports them as CSV", async () => {
    const roster = (await loadRoster(db.prisma, sessionId))!;
    expect(roster.seats.map((e) => e.name)).toEqual(["Ani", "Budi"]);
    expect(roster.waitlist.map((e) => e.name)).toEqual(["Dedi", "Citra"]);
    expect(roster.cancelled).toBe(1);
    const rows = parse(rosterCsv(roster).slice(1)) as string[][];
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[5], r[6], r[8]])).toEqual([
      ["1", "Ani", "'=HYPERLINK(1)", "'+6281234", "terdaftar", ""],
      ["2", "Budi", "Lada Budi", "'+6281234", "terdaftar", ""],
      ["3", "Dedi", "Lada Dedi", "'+6281234", "daftar tunggu", "1"],
      ["4", "Citra", "Lada Citra", "'+6281234", "daftar tunggu", "2"],
    ]);
    expect(await loadRoster(db.prisma, 999_999)).toBeNull();
  });

  it("marks attendance of this session's seat holders only, and corrects a mark", async () => {
    const changes = await markAttendance(db.prisma, sessionId, [
      { enrollmentId: seat.Ani!, status: "attended" },
      { enrollmentId: seat.Budi!, status: "absent" },
      { enrollmentId: seat.Citra!, status: "attended" },
      { enrollmentId: seat.Eko!, status: "attended" },
    ]);
    expect(changes).toEqual([
      { enrollmentId: seat.Ani, from: "enrolled", to: "attended" },
      { enrollmentId: seat.Budi, from: "enrolled", to: "absent" },
    ]);
    expect(await markAttendance(db.prisma, other, [{ enrollmentId: seat.Budi!, status: "attended" }])).toEqual([]);
    expect(await markAttendance(db.prisma, sessionId, [{ enrollmentId: seat.Budi!, status: "attended" }])).toEqual([
      { enrollmentId: seat.Budi, from: "absent", to: "attended" },
    ]);
    const statuses = await db.prisma.enrollment.findMany({
      where: { trainingSessionId: sessionId },
      orderBy: { id: "asc" },
    });
    expect(statuses.map((e) => e.status)).toEqual(["attended", "attended", "waitlisted", "waitlisted", "cancelled"]);
  });

  it("fills new seats from the waiting list in order, with reminders and a notice each", async () => {
    await db.prisma.trainingSession.update({ where: { id: sessionId }, data: { capacity: 3 } });
    const filled = await db.prisma.$transaction((tx) => fillFreeSeats(tx, db, sessionId, new Date()));
    expect(filled.enrollmentIds).toEqual([seat.Dedi]);
    expect(filled.reminders.map((r) => r.enrollmentId)).toEqual([seat.Dedi]);
    expect(filled.notices).toHaveLength(1);
    const [message] = await db.prisma.message.findMany({ where: { chatId: `${provider}-Dedi` } });
    expect(message!.text).toMatch(/^🎉 Kabar baik! Ada kursi kosong/);
    const dedi = await db.prisma.enrollment.findUniqueOrThrow({ where: { id: seat.Dedi! } });
    expect(dedi).toMatchObject({ status: "enrolled", waitlistPosition: null });
    // Full again: nothing more to fill.
    expect((await db.prisma.$transaction((tx) => fillFreeSeats(tx, db, sessionId, new Date()))).enrollmentIds).toEqual(
      [],
    );
  });
});
