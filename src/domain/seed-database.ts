/**
 * Seeds the four programmes, their upcoming training sessions and the motivation library.
 * Idempotent: rows are found by their stable keys (programme slug, session code, message slug
 * and language) and left alone when they exist, so seeding twice changes nothing.
 */
import { DateTime } from "luxon";
import type { Db } from "../db/database.js";
import { defaultReminderOffsets, programmes } from "../../prisma/seed/programmes.js";
import { motivationalMessages } from "../../prisma/seed/motivation.js";

export type SeedResult = { programmes: number; trainingSessions: number; motivationalMessages: number };

/** A working day (Tuesday to Thursday) at least `daysAhead` days after `now`, at `time` local. */
export function upcomingWorkday(now: DateTime, daysAhead: number, time: string): DateTime {
  const [hour, minute] = time.split(":").map(Number);
  let day = now.plus({ days: daysAhead }).startOf("day");
  while (day.weekday < 2 || day.weekday > 4) day = day.plus({ days: 1 });
  return day.set({ hour: hour!, minute: minute! });
}

/** Inserts what is missing; returns how many rows were created. */
export async function seedDatabase(db: Db, now: Date = new Date()): Promise<SeedResult> {
  const created: SeedResult = { programmes: 0, trainingSessions: 0, motivationalMessages: 0 };
  for (const p of programmes) {
    let programme = await db.programme.findUnique({ where: { slug: p.slug } });
    if (!programme) {
      const { sessions: _sessions, ...fields } = p;
      programme = await db.programme.create({ data: { ...fields, reminderOffsets: defaultReminderOffsets } });
      created.programmes++;
    }
    const today = DateTime.fromJSDate(now, { zone: p.timeZone });
    for (const [index, s] of p.sessions.entries()) {
      const code = `${p.slug}-${index + 1}`;
      if (await db.trainingSession.findUnique({ where: { code } })) continue;
      await db.trainingSession.create({
        data: {
          code,
          programmeId: programme.id,
          startsAt: upcomingWorkday(today, s.daysAhead, s.startTime).toJSDate(),
          endsAt: upcomingWorkday(today, s.daysAhead, s.endTime).toJSDate(),
          venue: s.venue,
          address: s.address,
          regency: p.regency,
          mapUrl: s.mapUrl,
          capacity: s.capacity,
        },
      });
      created.trainingSessions++;
    }
  }
  for (const m of motivationalMessages) {
    for (const language of ["id", "en"] as const) {
      const key = { slug_language: { slug: m.slug, language } };
      if (await db.motivationalMessage.findUnique({ where: key })) continue;
      await db.motivationalMessage.create({ data: { slug: m.slug, language, topic: m.topic, text: m[language] } });
      created.motivationalMessages++;
    }
  }
  return created;
}
