/**
 * Check-in at the venue on both databases: codes made once and read loosely, the window (an hour
 * before the start to the end), a seat holder marked attended, a walk-in recorded and confirmed
 * by staff, and bad input (unknown code, cancelled session, too early, too late, a second
 * check-in) that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAtomically } from "../../src/db/raw-sql.js";
import { checkInPlan } from "../../src/domain/check-in.js";
import { ensureCheckInCode, generateCheckInCode } from "../../src/domain/check-in-code.js";
import { decideWalkIn } from "../../src/domain/decide-walk-in.js";
import { loadRoster, markAttendance } from "../../src/domain/roster.js";
import { checkInQuery } from "../../flows/checkin.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { addParticipant, addProgramme } from "../support/programme-sessions.js";

describe("check-in codes as typed", () => {
  it("reads links and typed words, ignoring case, spaces and dashes", () => {
    expect(checkInQuery({ deepLink: "hadir-K7M2QX" })).toBe("K7M2QX");
    for (const text of ["HADIR K7M2QX", "hadir k7m-2qx", "Absen K7M 2QX", "cek in K7M2QX", "check-in: k7m2qx"])
      expect(checkInQuery({ text })).toBe("K7M2QX");
    // Not codes: a reminder's answer, words, an enrollment id.
    for (const text of ["hadir", "hadir terima", "hadir 123456", "hadir besok ya", "daftar lada"])
      expect(checkInQuery({ text })).toBeNull();
    expect(checkInQuery({ deepLink: "hadir-12" })).toBeNull();
  });

  it("makes codes of six unambiguous characters with a letter and a digit", () => {
    for (let i = 0; i < 200; i++) {
      const code = generateCheckInCode();
      expect(code).toMatch(/^[2-9A-HJKMNP-Z]{6}$/);
      expect(code).toMatch(/\d/);
      expect(code).toMatch(/[A-Z]/);
    }
  });
});

describe.each(providers)("check-in on %s", (provider) => {
  let db: TestDatabase;
  const now = new Date("2026-12-03T01:30:00Z");
  let today: number;
  let tomorrow: number;
  let cancelled: number;
  let codes: Record<string, string>;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    // Sessions start at `now` + days, each 7 hours long.
    const { sessionIds } = await addProgramme(db.prisma, new Date("2026-12-03T02:00:00Z"), {
      sessions: [{ daysAhead: 0, capacity: 1 }, { daysAhead: 1 }, { daysAhead: 0, status: "cancelled" }],
    });
    [today, tomorrow, cancelled] = sessionIds as [number, number, number];
    codes = {
      today: (await ensureCheckInCode(db.prisma, today))!,
      tomorrow: (await ensureCheckInCode(db.prisma, tomorrow))!,
      cancelled: (await ensureCheckInCode(db.prisma, cancelled))!,
    };
  });
  afterAll(() => db.destroy());

  const run = (participantId: number, code: string, at = now) =>
    runAtomically(db, () => checkInPlan(db.provider, participantId, null, code, at));

  it("keeps a session's code, and draws again when a code is taken", async () => {
    expect(await ensureCheckInCode(db.prisma, today)).toBe(codes.today);
    const { sessionIds } = await addProgramme(db.prisma, now, { sessions: [{ daysAhead: 2 }] });
    const draws = [codes.today!, "Z9Z9Z9"];
    expect(await ensureCheckInCode(db.prisma, sessionIds[0]!, () => draws.shift()!)).toBe("Z9Z9Z9");
    expect(await ensureCheckInCode(db.prisma, 999_999)).toBeNull();
  });

  it("marks an enrolled participant attended once, at the time they checked in", async () => {
    const ani = await addParticipant(db.prisma, "Ani");
    const seat = await db.prisma.enrollment.create({
      data: { participantId: ani, trainingSessionId: today, status: "enrolled" },
    });
    const typed = `${codes.today!.slice(0, 3).toLowerCase()}-${codes.today!.slice(3)}`;
    expect(await run(ani, typed)).toMatchObject({ kind: "checked_in", at: now, enrollmentId: seat.id });
    const after = await db.prisma.enrollment.findUniqueOrThrow({ where: { id: seat.id } });
    expect(after).toMatchObject({ status: "attended", checkedInAt: now, checkInMethod: "code" });
    // The second time: told when, nothing changes.
    const later = new Date(now.getTime() + 600_000);
    expect(await run(ani, codes.today!, later)).toMatchObject({ kind: "already", at: now });
    expect((await db.prisma.enrollment.findUniqueOrThrow({ where: { id: seat.id } })).checkedInAt).toEqual(now);
  });

  it("records someone without a seat as a walk-in, which staff confirm", async () => {
    const budi = await addParticipant(db.prisma, "Budi");
    await db.prisma.enrollment.create({
      data: { participantId: budi, trainingSessionId: today, status: "waitlisted", waitlistPosition: 1 },
    });
    const citra = await addParticipant(db.prisma, "Citra");
    expect(await run(budi, codes.today!)).toMatchObject({ kind: "walk_in" });
    expect(await run(citra, codes.today!)).toMatchObject({ kind: "walk_in" });
    expect(await run(citra, codes.today!)).toMatchObject({ kind: "walk_in_already", status: "pending" });
    const roster = (await loadRoster(db.prisma, today))!;
    expect(roster.walkIns.map((w) => [w.name, w.status])).toEqual([
      ["Budi", "pending"],
      ["Citra", "pending"],
    ]);
    const staff = await db.prisma.staff.create({ data: { email: "s@x.id", name: "Staf", passwordHash: "-" } });
    const [budiIn, citraIn] = roster.walkIns;
    const confirmed = await decideWalkIn(db, today, budiIn!.walkInId, "confirmed", staff.id, now);
    expect(confirmed).toMatchObject({ kind: "decided", status: "confirmed", participantId: budi });
    const rejected = await decideWalkIn(db, today, citraIn!.walkInId, "rejected", staff.id, now);
    expect(rejected).toMatchObject({ kind: "decided", status: "rejected", enrollmentId: null });
    expect(await decideWalkIn(db, today, citraIn!.walkInId, "confirmed", staff.id, now)).toEqual({
      kind: "already",
      status: "rejected",
    });
    expect(await decideWalkIn(db, tomorrow, budiIn!.walkInId, "confirmed", staff.id, now)).toEqual({
      kind: "not_found",
    });
    const enrollments = await db.prisma.enrollment.findMany({ where: { participantId: { in: [budi, citra] } } });
    expect(enrollments.map((e) => [e.participantId, e.status, e.checkInMethod, e.waitlistPosition])).toEqual([
      [budi, "attended", "code", null],
    ]);
    // The confirmed walk-in gets what the other attendees get afterwards: feedback, certificate, follow-ups.
    const campaign = await db.prisma.campaignMessage.findMany({
      where: { enrollmentId: enrollments[0]!.id },
      orderBy: { dueAt: "asc" },
    });
    expect(campaign.map((c) => [c.eventKey, c.status])).toEqual([
      ["feedback", "pending"],
      ["certificate", "pending"],
      ["followup-30d", "pending"],
      ["followup-90d", "pending"],
    ]);
  });

  it("refuses unknown codes, cancelled sessions and times outside the window, changing nothing", async () => {
    const dedi = await addParticipant(db.prisma, "Dedi");
    await db.prisma.enrollment.create({
      data: { participantId: dedi, trainingSessionId: tomorrow, status: "enrolled" },
    });
    expect(await run(dedi, "HADIR 2222AA")).toEqual({ kind: "unknown_code" });
    expect(await run(dedi, "nonsense")).toEqual({ kind: "unknown_code" });
    expect(await run(dedi, codes.cancelled!)).toMatchObject({ kind: "cancelled" });
    // Tomorrow's session: check-in opens an hour before its start.
    const tomorrowStart = new Date("2026-12-04T02:00:00Z");
    expect(await run(dedi, codes.tomorrow!)).toMatchObject({
      kind: "too_early",
      opensAt: new Date(tomorrowStart.getTime() - 3_600_000),
    });
    expect(await run(dedi, codes.tomorrow!, new Date(tomorrowStart.getTime() - 3_600_001))).toMatchObject({
      kind: "too_early",
    });
    // After the end (7 hours after the start).
    expect(await run(dedi, codes.tomorrow!, new Date(tomorrowStart.getTime() + 7 * 3_600_000 + 1))).toMatchObject({
      kind: "over",
    });
    const e = await db.prisma.enrollment.findFirstOrThrow({ where: { participantId: dedi } });
    expect(e).toMatchObject({ status: "enrolled", checkedInAt: null, checkInMethod: null });
    expect(await db.prisma.walkIn.count({ where: { participantId: dedi } })).toBe(0);
    // Exactly an hour before: open.
    expect(await run(dedi, codes.tomorrow!, new Date(tomorrowStart.getTime() - 3_600_000))).toMatchObject({
      kind: "checked_in",
    });
  });

  it("marks attendance by hand as checked in by staff, keeping a code check-in as it was", async () => {
    const eko = await addParticipant(db.prisma, "Eko");
    const { sessionIds } = await addProgramme(db.prisma, now, { sessions: [{ daysAhead: 0 }] });
    const seat = await db.prisma.enrollment.create({
      data: { participantId: eko, trainingSessionId: sessionIds[0]!, status: "enrolled" },
    });
    await markAttendance(db.prisma, sessionIds[0]!, [{ enrollmentId: seat.id, status: "attended" }]);
    expect(await db.prisma.enrollment.findUniqueOrThrow({ where: { id: seat.id } })).toMatchObject({
      status: "attended",
      checkInMethod: "staff",
      checkedInAt: null,
    });
  });
});
