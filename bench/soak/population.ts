/**
 * The soak benchmark's day, in the database: one programme whose two reminders come a few
 * minutes before its sessions, and the participants who did not register through the bot,
 * written straight to the database (registered, one Telegram chat each, enrolled).
 */
import crypto from "node:crypto";
import type { Database } from "../../src/db/database.js";
import { runAtomically } from "../../src/db/raw-sql.js";
import { createRemindersForManyPlan, type ScheduledReminder } from "../../src/domain/reminders.js";
import { addParticipants } from "../../test/support/population.js";

export const soakRegency = "Kabupaten Bangka Tengah";

/**
 * Takes every other programme out of the catalogue (so the bot offers this one first) and adds
 * the soak programme with reminders `offsetsMinutes` before each session, and `count` sessions,
 * far away for now (setSessionTimes moves them). Returns the programme and the session ids in
 * the order the bot lists them.
 */
export async function createProgramme(
  database: Database,
  count: number,
  capacity: number,
  offsetsMinutes: number[],
): Promise<{ programmeId: number; sessionIds: number[] }> {
  const db = database.prisma;
  await db.programme.updateMany({ data: { active: false } });
  const slug = `soak-${crypto.randomBytes(3).toString("hex")}`;
  const programme = await db.programme.create({
    data: {
      slug,
      sector: "lada",
      titleId: "Pelatihan Uji Beban",
      titleEn: "Soak Training",
      descriptionId: "Sehari penuh dalam beberapa menit.",
      descriptionEn: "A whole day in a few minutes.",
      reminderOffsets: offsetsMinutes.map((minutes) => ({ kind: "before", minutes })),
    },
  });
  const farAway = Date.now() + 30 * 86_400_000;
  const sessionIds: number[] = [];
  for (let k = 0; k < count; k++) {
    const startsAt = new Date(farAway + k * 60_000);
    const session = await db.trainingSession.create({
      data: {
        code: `${slug}-${k + 1}`,
        programmeId: programme.id,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 4 * 3_600_000),
        venue: `Aula ${k + 1}`,
        address: "Jl. Uji Beban, Koba",
        regency: soakRegency,
        capacity,
      },
    });
    sessionIds.push(session.id);
  }
  return { programmeId: programme.id, sessionIds };
}

/**
 * `count` registered participants with Telegram chats `firstChat`, `firstChat + 1`, ..., the
 * i-th enrolled in session `sessionIds[i % sessionIds.length]`, in chunks of 500 (no reminders
 * yet: the sessions are far away until setSessionTimes).
 */
export async function addEnrolledParticipants(
  database: Database,
  count: number,
  firstChat: number,
  sessionIds: number[],
): Promise<void> {
  const ids = await addParticipants(database.prisma, count, {
    channel: "telegram",
    firstChatId: firstChat,
    regency: soakRegency,
  });
  for (let start = 0; start < ids.length; start += 500)
    await database.prisma.enrollment.createMany({
      data: ids.slice(start, start + 500).map((participantId, k) => ({
        participantId,
        trainingSessionId: sessionIds[(start + k) % sessionIds.length]!,
        status: "enrolled" as const,
      })),
    });
}

/**
 * Moves the sessions to `startsAt` (as staff editing the schedule would) and makes the reminder
 * rows of everyone enrolled so far; returns them, for their jobs.
 */
export async function setSessionTimes(
  database: Database,
  sessionIds: number[],
  startsAt: Date[],
): Promise<ScheduledReminder[]> {
  const db = database.prisma;
  for (const [k, id] of sessionIds.entries())
    await db.trainingSession.update({
      where: { id },
      data: { startsAt: startsAt[k]!, endsAt: new Date(startsAt[k]!.getTime() + 4 * 3_600_000) },
    });
  const enrollments = await db.enrollment.findMany({ where: { status: "enrolled" }, select: { id: true } });
  const ids = enrollments.map((e) => e.id);
  const reminders: ScheduledReminder[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    reminders.push(
      ...(await runAtomically(database, () => createRemindersForManyPlan(database.provider, chunk, new Date()))),
    );
  }
  return reminders;
}
