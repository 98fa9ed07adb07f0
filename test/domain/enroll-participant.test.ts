/**
 * Enrolling, as far as the programme's limit of sessions per participant goes: one by default,
 * counted over the programme's upcoming sessions, enrolled or waitlisted, and held when two
 * requests of one participant race.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAtomically } from "../../src/db/raw-sql.js";
import { enrollPlan, type EnrollOutcome } from "../../src/domain/enroll-participant.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { addParticipant, addProgramme } from "../support/programme-sessions.js";

const now = new Date("2026-11-27T03:00:00Z");

describe.each(providers)("enrolling within a programme's limit on %s", (provider) => {
  let db: TestDatabase;
  const enroll = (participantId: number, sessionId: number): Promise<EnrollOutcome> =>
    runAtomically(db, () => enrollPlan(provider, participantId, sessionId, now));
  const active = (participantId: number) =>
    db.prisma.enrollment.findMany({
      where: { participantId, status: { in: ["enrolled", "waitlisted"] } },
      orderBy: { id: "asc" },
    });

  beforeAll(async () => {
    db = await openTestDatabase(provider);
  });
  afterAll(() => db?.destroy());

  it("takes one session of a programme by default, and names it when another is asked for", async () => {
    const {
      sessionIds: [first, second],
    } = await addProgramme(db.prisma, now, {
      sessions: [{ daysAhead: 7 }, { daysAhead: 14 }],
    });
    const siti = await addParticipant(db.prisma, "Siti Aminah");
    const enrolled = await enroll(siti, first!);
    expect(enrolled.kind).toBe("enrolled");
    if (enrolled.kind !== "enrolled") return;
    expect(await enroll(siti, second!)).toEqual({
      kind: "programme_taken",
      enrollmentId: enrolled.enrollmentId,
      trainingSessionId: first,
    });
    expect(await db.prisma.enrollment.count({ where: { trainingSessionId: second } })).toBe(0);
    // Asking again for the session held is still "already", not the limit.
    expect(await enroll(siti, first!)).toEqual({ kind: "already", status: "enrolled", position: null });
  });

  it("counts a place on a waiting list as a session held", async () => {
    const {
      sessionIds: [full, other],
    } = await addProgramme(db.prisma, now, {
      sessions: [{ daysAhead: 7, capacity: 1 }, { daysAhead: 14 }],
    });
    await enroll(await addParticipant(db.prisma, "Budi Santoso"), full!);
    const rina = await addParticipant(db.prisma, "Rina Wulandari");
    const waiting = await enroll(rina, full!);
    expect(waiting).toMatchObject({ kind: "waitlisted", position: 1 });
    expect(await enroll(rina, other!)).toMatchObject({ kind: "programme_taken", trainingSessionId: full });
  });

  it("takes as many as the programme allows, naming the soonest held past that", async () => {
    const { sessionIds } = await addProgramme(db.prisma, now, {
      seatsPerParticipant: 2,
      sessions: [{ daysAhead: 21 }, { daysAhead: 7 }, { daysAhead: 14 }],
    });
    const ahmad = await addParticipant(db.prisma, "Ahmad Fauzi");
    expect((await enroll(ahmad, sessionIds[0]!)).kind).toBe("enrolled");
    expect((await enroll(ahmad, sessionIds[1]!)).kind).toBe("enrolled");
    const [, soonest] = await active(ahmad);
    expect(await enroll(ahmad, sessionIds[2]!)).toEqual({
      kind: "programme_taken",
      enrollmentId: soonest!.id,
      trainingSessionId: sessionIds[1],
    });
  });

  it("does not count cancelled places, sessions past or cancelled, or other programmes", async () => {
    const {
      sessionIds: [past, cancelledSession, left, next],
    } = await addProgramme(db.prisma, now, {
      sessions: [{ daysAhead: -30 }, { daysAhead: 5, status: "cancelled" }, { daysAhead: 7 }, { daysAhead: 14 }],
    });
    const {
      sessionIds: [elsewhere],
    } = await addProgramme(db.prisma, now, { sessions: [{ daysAhead: 7 }] });
    const yusuf = await addParticipant(db.prisma, "Yusuf Hamid");
    // Attendance of the past run was never marked: still "enrolled", but over.
    await db.prisma.enrollment.create({ data: { participantId: yusuf, trainingSessionId: past!, status: "enrolled" } });
    await db.prisma.enrollment.create({
      data: { participantId: yusuf, trainingSessionId: cancelledSession!, status: "enrolled" },
    });
    await db.prisma.enrollment.create({
      data: { participantId: yusuf, trainingSessionId: left!, status: "cancelled", cancelledAt: now },
    });
    expect((await enroll(yusuf, elsewhere!)).kind).toBe("enrolled");
    expect((await enroll(yusuf, next!)).kind).toBe("enrolled");
  });

  it("keeps the limit when one participant's two requests race", async () => {
    // Ten participants, each asking for both sessions at once (two chats, say): row locks on
    // PostgreSQL, one writer at a time on SQLite; either way each ends with one place.
    const {
      sessionIds: [first, second],
    } = await addProgramme(db.prisma, now, {
      sessions: [{ daysAhead: 7 }, { daysAhead: 14 }],
    });
    const people = await Promise.all(Array.from({ length: 10 }, (_, i) => addParticipant(db.prisma, `Peserta ${i}`)));
    const outcomes = await Promise.all(
      people.flatMap((p) => [enroll(p, first!), enroll(p, second!)]).map((o) => o.then((x) => x.kind)),
    );
    expect(outcomes.filter((k) => k === "enrolled")).toHaveLength(10);
    expect(outcomes.filter((k) => k === "programme_taken")).toHaveLength(10);
    for (const p of people) expect(await active(p)).toHaveLength(1);
  });
});
