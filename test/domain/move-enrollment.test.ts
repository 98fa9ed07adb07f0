/**
 * Moving a participant to another session of the same programme: the old place cancelled and
 * given to the first on its waiting list, the new one taken (or waited for), reminders following;
 * and nothing at all changed when the move cannot be made.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAtomically } from "../../src/db/raw-sql.js";
import { enrollPlan } from "../../src/domain/enroll-participant.js";
import { moveEnrollment, type MoveOutcome } from "../../src/domain/move-enrollment.js";
import { createRemindersPlan } from "../../src/domain/reminders.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { addParticipant, addProgramme } from "../support/programme-sessions.js";

const now = new Date("2026-11-27T03:00:00Z");

describe.each(providers)("moving an enrollment on %s", (provider) => {
  let db: TestDatabase;

  /** Enrolls with reminders, as a turn does; returns the enrollment id. */
  const enroll = (participantId: number, sessionId: number) =>
    runAtomically(db, function* () {
      const outcome = yield* enrollPlan(provider, participantId, sessionId, now);
      if (outcome.kind !== "enrolled" && outcome.kind !== "waitlisted")
        throw new Error(`not enrolled: ${outcome.kind}`);
      if (outcome.kind === "enrolled") yield* createRemindersPlan(provider, outcome.enrollmentId, now);
      return outcome.enrollmentId;
    });
  const move = (participantId: number, enrollmentId: number, sessionId: number): Promise<MoveOutcome> =>
    db.prisma.$transaction((tx) => moveEnrollment(tx, db, participantId, enrollmentId, sessionId, now), {
      timeout: 20_000,
      maxWait: 20_000,
    });
  const places = async (sessionId: number) =>
    (
      await db.prisma.enrollment.findMany({
        where: { trainingSessionId: sessionId },
        orderBy: { id: "asc" },
        include: { participant: true },
      })
    ).map((e) => [e.participant?.name, e.status]);
  const reminderStatuses = async (enrollmentId: number) =>
    (await db.prisma.reminder.findMany({ where: { enrollmentId }, orderBy: { id: "asc" } })).map((r) => r.status);

  beforeAll(async () => {
    db = await openTestDatabase(provider);
  });
  afterAll(() => db?.destroy());

  it("cancels the old place with its reminders and takes the new seat with new ones", async () => {
    const {
      sessionIds: [old, next],
    } = await addProgramme(db.prisma, now, {
      sessions: [{ daysAhead: 7 }, { daysAhead: 14 }],
    });
    const siti = await addParticipant(db.prisma, "Siti Aminah");
    const from = await enroll(siti, old!);
    expect(await reminderStatuses(from)).toEqual(["pending", "pending", "pending"]);

    const outcome = await move(siti, from, next!);
    expect(outcome).toMatchObject({ kind: "moved", fromTrainingSessionId: old, promoted: null });
    if (outcome.kind !== "moved" || outcome.to.kind !== "enrolled") throw new Error("not moved to a seat");
    expect(await places(old!)).toEqual([["Siti Aminah", "cancelled"]]);
    expect(await places(next!)).toEqual([["Siti Aminah", "enrolled"]]);
    expect(await reminderStatuses(from)).toEqual(["cancelled", "cancelled", "cancelled"]);
    const created = await db.prisma.reminder.findMany({ where: { enrollmentId: outcome.to.enrollmentId } });
    expect(created.map((r) => r.status)).toEqual(["pending", "pending", "pending"]);
    // What the caller schedules after commit is exactly those rows.
    expect(outcome.reminders.map((r) => r.id).sort()).toEqual(created.map((r) => r.id).sort());
  });

  it("gives the seat left to the first on that session's waiting list", async () => {
    const {
      sessionIds: [old, next],
    } = await addProgramme(db.prisma, now, {
      sessions: [{ daysAhead: 7, capacity: 1 }, { daysAhead: 14 }],
    });
    const [ani, budi, citra] = [
      await addParticipant(db.prisma, "Ani"),
      await addParticipant(db.prisma, "Budi"),
      await addParticipant(db.prisma, "Citra"),
    ];
    const from = await enroll(ani!, old!);
    const budiWaiting = await enroll(budi!, old!);
    await enroll(citra!, old!);

    const outcome = await move(ani!, from, next!);
    expect(outcome).toMatchObject({
      kind: "moved",
      to: { kind: "enrolled" },
      promoted: { enrollmentId: budiWaiting, participantId: budi },
    });
    expect(await places(old!)).toEqual([
      ["Ani", "cancelled"],
      ["Budi", "enrolled"],
      ["Citra", "waitlisted"],
    ]);
    expect(await places(next!)).toEqual([["Ani", "enrolled"]]);
    // Budi's reminders are created in the move too, and are among those to schedule.
    const budiReminders = await db.prisma.reminder.findMany({ where: { enrollmentId: budiWaiting } });
    expect(budiReminders).toHaveLength(3);
    if (outcome.kind === "moved")
      expect(outcome.reminders.filter((r) => r.enrollmentId === budiWaiting)).toHaveLength(3);
  });

  it("puts the participant at the end of a full session's waiting list", async () => {
    const {
      sessionIds: [old, full],
    } = await addProgramme(db.prisma, now, {
      sessions: [{ daysAhead: 7 }, { daysAhead: 14, capacity: 1 }],
    });
    await enroll(await addParticipant(db.prisma, "Dewi"), full!);
    await enroll(await addParticipant(db.prisma, "Eko"), full!);
    const fajar = await addParticipant(db.prisma, "Fajar");
    const outcome = await move(fajar, await enroll(fajar, old!), full!);
    expect(outcome).toMatchObject({ kind: "moved", to: { kind: "waitlisted", position: 2 }, reminders: [] });
    expect(await places(full!)).toEqual([
      ["Dewi", "enrolled"],
      ["Eko", "waitlisted"],
      ["Fajar", "waitlisted"],
    ]);
  });

  it("changes nothing when the move cannot be made, and says why", async () => {
    const {
      sessionIds: [old, cancelled, started, next],
    } = await addProgramme(db.prisma, now, {
      seatsPerParticipant: 2,
      sessions: [
        { daysAhead: 7 },
        { daysAhead: 10, status: "cancelled" },
        { daysAhead: -0.1 },
        { daysAhead: 14 },
        { daysAhead: 21 },
      ],
    });
    const {
      sessionIds: [elsewhere],
    } = await addProgramme(db.prisma, now, { sessions: [{ daysAhead: 7 }] });
    const gita = await addParticipant(db.prisma, "Gita");
    const hadi = await addParticipant(db.prisma, "Hadi");
    const from = await enroll(gita, old!);
    const snapshot = async () => ({
      enrollments: await db.prisma.enrollment.findMany({ orderBy: { id: "asc" } }),
      reminders: await db.prisma.reminder.findMany({ orderBy: { id: "asc" } }),
    });
    const before = await snapshot();

    expect(await move(gita, from, cancelled!)).toEqual({ kind: "unavailable" });
    expect(await move(gita, from, started!)).toEqual({ kind: "unavailable" });
    expect(await move(gita, from, elsewhere!)).toEqual({ kind: "unavailable" });
    expect(await move(gita, from, 999_999)).toEqual({ kind: "unavailable" });
    expect(await move(gita, from, old!)).toEqual({ kind: "already", status: "enrolled", position: null });
    expect(await move(hadi, from, next!)).toEqual({ kind: "not_found" });
    expect(await move(gita, 999_999, next!)).toEqual({ kind: "not_found" });
    expect(await snapshot()).toEqual(before);

    // Already in the new session (the programme allows two): nothing to move.
    const there = await enroll(gita, next!);
    expect(await move(gita, from, next!)).toEqual({ kind: "already", status: "enrolled", position: null });
    // An old place no longer active.
    await db.prisma.enrollment.update({ where: { id: there }, data: { status: "cancelled" } });
    await db.prisma.enrollment.update({ where: { id: from }, data: { status: "cancelled" } });
    expect(await move(gita, from, next!)).toEqual({ kind: "not_found" });
  });

  it("keeps the old place when the other sessions held already fill the programme's limit", async () => {
    // Three places in a programme that allows two: kept from before the limit was lowered.
    const { programmeId, sessionIds } = await addProgramme(db.prisma, now, {
      seatsPerParticipant: 3,
      sessions: [{ daysAhead: 7 }, { daysAhead: 14 }, { daysAhead: 21 }, { daysAhead: 28 }],
    });
    const indah = await addParticipant(db.prisma, "Indah");
    const held = [];
    for (const id of sessionIds.slice(0, 3)) held.push(await enroll(indah, id));
    await db.prisma.programme.update({ where: { id: programmeId }, data: { seatsPerParticipant: 2 } });
    expect(await move(indah, held[2]!, sessionIds[3]!)).toEqual({
      kind: "programme_taken",
      enrollmentId: held[0],
      trainingSessionId: sessionIds[0],
    });
    expect(await places(sessionIds[2]!)).toEqual([["Indah", "enrolled"]]);
    expect(await places(sessionIds[3]!)).toEqual([]);
  });

  it("lets two people move opposite ways at once, and one person's move and enrollment race safely", async () => {
    const {
      sessionIds: [a, b, c],
    } = await addProgramme(db.prisma, now, {
      sessions: [{ daysAhead: 7, capacity: 5 }, { daysAhead: 14, capacity: 5 }, { daysAhead: 21 }],
    });
    const joko = await addParticipant(db.prisma, "Joko");
    const kartini = await addParticipant(db.prisma, "Kartini");
    const [jokoFrom, kartiniFrom] = [await enroll(joko, a!), await enroll(kartini, b!)];
    const [jokoMove, kartiniMove] = await Promise.all([move(joko, jokoFrom, b!), move(kartini, kartiniFrom, a!)]);
    expect([jokoMove.kind, kartiniMove.kind]).toEqual(["moved", "moved"]);
    expect(await places(a!)).toEqual([
      ["Joko", "cancelled"],
      ["Kartini", "enrolled"],
    ]);

    // Joko moves back to a while a second chat of his asks for c: he ends with one place.
    const current = await db.prisma.enrollment.findFirstOrThrow({ where: { participantId: joko, status: "enrolled" } });
    const [moved, enrolled] = await Promise.all([
      move(joko, current.id, a!),
      runAtomically(db, () => enrollPlan(provider, joko, c!, now)),
    ]);
    expect(enrolled.kind).toBe("programme_taken");
    expect(moved.kind).toBe("moved");
    expect(
      await db.prisma.enrollment.count({ where: { participantId: joko, status: { in: ["enrolled", "waitlisted"] } } }),
    ).toBe(1);
  });
});
