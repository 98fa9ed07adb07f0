/**
 * A programme with sessions written straight to the database, for domain tests of enrolling and
 * moving: each session a day long, `daysAhead` days after `now` (negative: in the past).
 */
import type { Db } from "../../src/db/database.js";
import { defaultReminderOffsets } from "../../prisma/seed/programmes.js";

export type SessionShape = { daysAhead: number; capacity?: number; status?: "scheduled" | "cancelled" };

let counter = 0;

/** Adds a programme and its sessions; returns their ids, sessions in the order given. */
export async function addProgramme(
  db: Db,
  now: Date,
  options: { seatsPerParticipant?: number; title?: { id: string; en: string }; sessions: SessionShape[] },
): Promise<{ programmeId: number; sessionIds: number[] }> {
  const n = ++counter;
  const programme = await db.programme.create({
    data: {
      slug: `uji-${n}`,
      sector: "lada",
      titleId: options.title?.id ?? `Program Uji ${n}`,
      titleEn: options.title?.en ?? `Test Programme ${n}`,
      descriptionId: "Program untuk pengujian.",
      descriptionEn: "A programme for tests.",
      reminderOffsets: defaultReminderOffsets,
      seatsPerParticipant: options.seatsPerParticipant ?? 1,
    },
  });
  const sessionIds: number[] = [];
  for (const [i, s] of options.sessions.entries()) {
    const startsAt = new Date(now.getTime() + s.daysAhead * 24 * 3_600_000);
    const session = await db.trainingSession.create({
      data: {
        programmeId: programme.id,
        code: `uji-${n}-${i + 1}`,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 7 * 3_600_000),
        venue: `Aula ${i + 1}`,
        address: "Koba",
        regency: "Kabupaten Bangka Tengah",
        capacity: s.capacity ?? 20,
        status: s.status ?? "scheduled",
      },
    });
    sessionIds.push(session.id);
  }
  return { programmeId: programme.id, sessionIds };
}

/** A registered participant; returns their id. */
export async function addParticipant(db: Db, name: string): Promise<number> {
  const p = await db.participant.create({ data: { name, registeredAt: new Date(), consentAt: new Date() } });
  return p.id;
}
