/**
 * Session reminders (DESIGN.md section 2, "Scheduled messages"): the database is the truth,
 * BullMQ the trigger. An enrollment gets one Reminder row per offset of its programme (the day
 * before at a local hour, a number of minutes before); offsets already past are skipped, never
 * sent late. At fire time the row is claimed and the participant checked again (still enrolled,
 * session unchanged and not started, not opted out, a chat that has not blocked the bot).
 */
import { DateTime } from "luxon";
import { z } from "zod";
import type { DatabaseProvider } from "../db/database.js";
import { changes, expect, rows, type Plan } from "../db/plan.js";
import { forProvider, prepareStatements, sqlTime } from "../db/raw-sql.js";
import type { Language } from "../engine/types.js";
import { createCampaignsForManyPlan, writeCampaignsPlan } from "./campaigns.js";
import { memoize } from "../memo.js";
import { latestOpenChatSql } from "./latest-chat.js";
import { quietUntil, type QuietHours } from "./quiet-hours.js";

const minutesBefore = z
  .number()
  .int()
  .min(1)
  .max(60 * 24 * 14);

const offsetSchema = z.union([
  z.object({ kind: z.literal("day-before"), at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) }),
  z.object({ kind: z.literal("before"), minutes: minutesBefore }),
  // Sent only to those who have not answered "will you come?" by then.
  z.object({ kind: z.literal("nudge"), minutes: minutesBefore }),
]);
export type ReminderOffset = z.infer<typeof offsetSchema>;

/** A programme's offsets as stored (JSON); entries that do not parse are left out. */
export function parseOffsets(value: unknown): ReminderOffset[] {
  return typeof value === "string" ? parseOffsetsText(value) : parseOffsetList(value);
}

/** The same programme's offsets come as the same text on every enrollment (SQLite's JSON). */
const parseOffsetsText = memoize(
  (text: string) => text,
  (text: string) => parseOffsetList(JSON.parse(text) as unknown),
);

function parseOffsetList(list: unknown): ReminderOffset[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((o) => {
    const parsed = offsetSchema.safeParse(o);
    return parsed.success ? [parsed.data] : [];
  });
}

export const offsetKey = (o: ReminderOffset) =>
  o.kind === "day-before" ? `day-before@${o.at}` : `before-${o.minutes}m`;

/** When a reminder of this offset is due, for a session starting at `startsAt` in `timeZone`. */
export function dueTime(offset: ReminderOffset, startsAt: Date, timeZone: string): Date {
  if (offset.kind !== "day-before") return new Date(startsAt.getTime() - offset.minutes * 60_000);
  return new Date(dayBefore(offset.at, startsAt.getTime(), timeZone));
}

/**
 * The day before `startsAt`, at `at` in `timeZone` (ms). Remembered: everyone enrolling in a
 * session asks the same, and the time zone arithmetic costs more than the rest of an enrollment's
 * reminders together.
 */
const dayBefore = memoize(
  (at: string, startsAt: number, timeZone: string) => `${at} ${startsAt} ${timeZone}`,
  (at: string, startsAt: number, timeZone: string) => {
    const [hour, minute] = at.split(":").map(Number);
    return DateTime.fromMillis(startsAt, { zone: timeZone })
      .minus({ days: 1 })
      .set({ hour: hour!, minute: minute!, second: 0, millisecond: 0 })
      .toMillis();
  },
);

/** The reminders still ahead for a session, by offset key (past ones are left out). */
export function upcomingReminders(
  offsets: ReminderOffset[],
  startsAt: Date,
  timeZone: string,
  now: Date,
): { offsetKey: string; dueAt: Date }[] {
  return offsets
    .map((o) => ({ offsetKey: offsetKey(o), dueAt: dueTime(o, startsAt, timeZone) }))
    .filter((r) => r.dueAt > now && r.dueAt < startsAt);
}

/** How early a reminder job may fire and still send (timers are not exact). */
const earlyToleranceMs = 60_000;

/** A reminder due in quiet hours waits for their end only if that leaves this long before the session. */
export const quietLeadMs = 30 * 60_000;

export type ScheduledReminder = { id: number; enrollmentId: number; offsetKey: string; dueAt: Date };

const statements = {
  due: `SELECT r.id, r.status, r."offsetKey", r."dueAt", r."enrollmentId", e.status AS "enrollmentStatus", e.rsvp,
      s."startsAt", s."endsAt", s.status AS "sessionStatus", s.venue, s.address, s."mapUrl",
      p."titleId", p."titleEn", p."timeZone", p."reminderOffsets",
      pa.id AS "participantId", pa.language, pa."optedOutAt"
    FROM "Reminder" r
    JOIN "Enrollment" e ON e.id = r."enrollmentId"
    JOIN "TrainingSession" s ON s.id = e."trainingSessionId"
    JOIN "Programme" p ON p.id = s."programmeId"
    LEFT JOIN "Participant" pa ON pa.id = e."participantId"
    WHERE r.id = $1`,
  identity: latestOpenChatSql,
  claim: `UPDATE "Reminder" SET status = 'sent', "sentAt" = $1::timestamp(3), "updatedAt" = $2::timestamp(3)
    WHERE id = $3 AND status = 'pending'`,
  skip: `UPDATE "Reminder" SET status = 'skipped', reason = $1, "updatedAt" = $2::timestamp(3)
    WHERE id = $3 AND status = 'pending'`,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

/**
 * Creates (or renews: a re-enrollment gets its reminders back, due anew) the reminder rows of
 * enrollments; returns those to schedule. Two statements per 500 enrollments. The rows of what
 * is sent after the session (campaigns.ts) are made (or moved) with them; their jobs are added
 * by the campaign scheduler's reconcile pass, long before they fall due.
 */
export function* createRemindersForManyPlan(
  provider: DatabaseProvider,
  enrollmentIds: number[],
  now: Date,
): Plan<ScheduledReminder[]> {
  const created: ScheduledReminder[] = [];
  yield* createCampaignsForManyPlan(provider, enrollmentIds, now);
  const inList = provider === "sqlite" ? "IN (SELECT value FROM json_each($1))" : "= ANY($1::int[])";
  for (let i = 0; i < enrollmentIds.length; i += 500) {
    const chunk = enrollmentIds.slice(i, i + 500);
    const sessions = yield* rows<ReminderSource>(
      forProvider(
        `SELECT e.id AS "enrollmentId", s."startsAt", p."timeZone", p."reminderOffsets"
          FROM "Enrollment" e JOIN "TrainingSession" s ON s.id = e."trainingSessionId" JOIN "Programme" p ON p.id = s."programmeId"
          WHERE e.id ${inList}`,
        provider,
      ),
      [provider === "sqlite" ? JSON.stringify(chunk) : chunk],
      { dates: ["startsAt"], json: ["reminderOffsets"] },
    );
    created.push(...(yield* writeRemindersPlan(provider, sessions, now)));
  }
  return created;
}

/** An enrollment and what its reminders are made from: its session's start, its programme's offsets. */
type ReminderSource = { enrollmentId: number; startsAt: Date; timeZone: string; reminderOffsets: unknown };

/**
 * Writes (or renews) the reminder rows of these enrollments, read by the caller (at most 500);
 * returns them. With `ids` (enough of them, for enrollments that have no reminder rows yet), the
 * rows take those and the statement goes without waiting for an answer.
 */
function* writeRemindersPlan(
  provider: DatabaseProvider,
  sources: ReminderSource[],
  now: Date,
  ids?: number[],
): Plan<ScheduledReminder[]> {
  const wanted = sources.flatMap((s) =>
    upcomingReminders(parseOffsets(s.reminderOffsets), s.startsAt, s.timeZone, now).map((r) => ({
      enrollmentId: s.enrollmentId,
      ...r,
    })),
  );
  if (!wanted.length) return [];
  const at = sqlTime(now, provider);
  const given = ids && ids.length >= wanted.length ? ids : null;
  const values: unknown[] = [];
  const tuples = wanted.map((r, k) => {
    if (given) values.push(given[k]);
    const n = values.length;
    values.push(r.enrollmentId, r.offsetKey, sqlTime(r.dueAt, provider), at, at);
    const id = given ? `$${n}, ` : "";
    return `(${id}$${n + 1}, $${n + 2}, $${n + 3}::timestamp(3), 'pending', $${n + 4}::timestamp(3), $${n + 5}::timestamp(3))`;
  });
  const insert = `INSERT INTO "Reminder" (${given ? "id, " : ""}"enrollmentId", "offsetKey", "dueAt", status, "createdAt", "updatedAt")
    VALUES ${tuples.join(", ")}`;
  if (given) {
    yield* expect("run", forProvider(insert, provider), values, wanted.length);
    return wanted.map((r, k) => ({ id: given[k]!, ...r }));
  }
  const inserted = yield* rows<{ id: number; enrollmentId: number; offsetKey: string }>(
    forProvider(
      `${insert}
        ON CONFLICT ("enrollmentId", "offsetKey") DO UPDATE SET "dueAt" = excluded."dueAt", status = 'pending',
          "sentAt" = NULL, reason = NULL, "updatedAt" = excluded."updatedAt"
        RETURNING id, "enrollmentId", "offsetKey"`,
      provider,
    ),
    values,
  );
  const idOf = new Map(inserted.map((r) => [`${r.enrollmentId}:${r.offsetKey}`, r.id]));
  return wanted.map((r) => ({ id: idOf.get(`${r.enrollmentId}:${r.offsetKey}`)!, ...r }));
}

const scheduleColumns = `s."programmeId", s."startsAt", s."endsAt", s.venue, p."timeZone", p."reminderOffsets",
  p."campaignEvents", p."titleId", p."titleEn"`;
const scheduleSql = {
  sqlite: forProvider(
    `SELECT ${scheduleColumns} FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId" WHERE s.id = $1`,
    "sqlite",
  ),
  // The ids of the enrollment and of its reminders, should it be a new one, taken here: the
  // rows are then written without waiting for RETURNING, while the session's row is locked.
  // Ids taken and not used leave gaps, which nothing minds.
  postgresql: forProvider(
    `SELECT ${scheduleColumns},
       nextval(pg_get_serial_sequence('"Enrollment"', 'id'))::int AS "newEnrollmentId",
       ARRAY(SELECT nextval(pg_get_serial_sequence('"Reminder"', 'id'))::int FROM generate_series(1,
         CASE WHEN jsonb_typeof(p."reminderOffsets") = 'array' THEN jsonb_array_length(p."reminderOffsets") ELSE 0 END))
         AS "newReminderIds"
     FROM "TrainingSession" s JOIN "Programme" p ON p.id = s."programmeId" WHERE s.id = $1`,
    "postgresql",
  ),
};

/**
 * What a new enrollment's reminders, campaign rows and reply are made from, read once for its
 * session before the session's row is locked (sessionSchedulePlan; the enrollment_requested
 * handler in src/runtime/apply-events.ts).
 */
export type SessionSchedule = {
  programmeId: number;
  startsAt: Date;
  endsAt: Date;
  timeZone: string;
  reminderOffsets: unknown;
  campaignEvents: unknown;
  titleId: string;
  titleEn: string;
  venue: string;
  /** PostgreSQL: an id for the enrollment, and one per reminder offset, should it be a new row. */
  newEnrollmentId?: number;
  newReminderIds?: number[];
};

/** The session's schedule, or null when there is no such session. */
export function* sessionSchedulePlan(
  provider: DatabaseProvider,
  trainingSessionId: number,
): Plan<SessionSchedule | null> {
  const [row] = yield* rows<SessionSchedule>(scheduleSql[provider], [trainingSessionId], {
    dates: ["startsAt", "endsAt"],
    json: ["reminderOffsets", "campaignEvents"],
  });
  return row ?? null;
}

/**
 * The reminder and campaign rows of an enrollment just made, from its session as read before
 * the session was locked; `enrollment.session` is the session's start and end as the enrollment
 * read them under the lock. When those differ (the session was moved in between), they are read
 * again, under the lock, as createRemindersPlan does. The campaign rows go without waiting for an
 * answer.
 */
export function* remindersOfNewEnrollmentPlan(
  provider: DatabaseProvider,
  enrollment: { enrollmentId: number; session: { startsAt: Date; endsAt: Date }; fresh: boolean },
  schedule: SessionSchedule,
  now: Date,
): Plan<ScheduledReminder[]> {
  const { enrollmentId, session: seen } = enrollment;
  if (+seen.startsAt !== +schedule.startsAt || +seen.endsAt !== +schedule.endsAt)
    return yield* createRemindersPlan(provider, enrollmentId, now);
  yield* writeCampaignsPlan(provider, [{ enrollmentId, ...schedule }], now, true);
  // A new enrollment row has no reminders yet: they take the ids read with the session.
  const ids = enrollment.fresh ? schedule.newReminderIds : undefined;
  return yield* writeRemindersPlan(provider, [{ enrollmentId, ...schedule }], now, ids);
}

/** Creates (or renews) the reminder rows of an enrollment; returns those to schedule. */
export function createRemindersPlan(provider: DatabaseProvider, enrollmentId: number, now: Date) {
  return createRemindersForManyPlan(provider, [enrollmentId], now);
}

type DueRow = {
  id: number;
  status: string;
  offsetKey: string;
  dueAt: Date;
  enrollmentId: number;
  enrollmentStatus: string;
  rsvp: string | null;
  startsAt: Date;
  endsAt: Date;
  sessionStatus: string;
  venue: string;
  address: string;
  mapUrl: string | null;
  titleId: string;
  titleEn: string;
  timeZone: string;
  reminderOffsets: unknown;
  participantId: number | null;
  language: string | null;
  optedOutAt: Date | null;
};

/** A reminder claimed: who gets it, on which chat, and what it is about (the job words and sends it). */
export type ReminderDelivery = {
  reminderId: number;
  /** When it was due (for the lateness metric). */
  dueAt: Date;
  enrollmentId: number;
  identityId: number;
  channel: string;
  chatId: string;
  language: Language;
  session: { programmeTitle: { id: string; en: string }; startsAt: Date; timeZone: string; venue: string };
  /** Where to go, and which reminder it is (the nudge asks again for an answer). */
  place: { address: string; mapUrl: string | null; kind: ReminderOffset["kind"] };
  /** They already said they will come: the reminder does not ask again. */
  confirmed: boolean;
};

/**
 * At fire time: claims the reminder and says whom to remind of what, or marks it skipped with the
 * reason; the job that fires it words the question and leaves the conversation waiting for the
 * answer, in the same transaction (src/jobs/reminders.ts). Null when there is nothing to send (already handled, or not eligible any more); `held` when it
 * is quiet hours where the session is and the reminder can wait for their end and still come at
 * least half an hour before the session (a 06:00 reminder of an 08:00 session goes at 07:00; one
 * of a 07:15 session goes at 06:00).
 */
export function* fireReminderPlan(
  provider: DatabaseProvider,
  reminderId: number,
  now: Date,
  quiet: QuietHours | null = null,
): Plan<ReminderDelivery | { held: Date } | null> {
  const sql = prepared[provider];
  const at = sqlTime(now, provider);
  const [r] = yield* rows<DueRow>(sql.due, [reminderId], {
    dates: ["dueAt", "startsAt", "endsAt", "optedOutAt"],
    json: ["reminderOffsets"],
  });
  if (!r || r.status !== "pending") return null;
  const skip = function* (reason: string): Plan<null> {
    yield* changes(sql.skip, [reason, at, reminderId]);
    return null;
  };
  if (r.enrollmentStatus !== "enrolled") return yield* skip(`enrollment is ${r.enrollmentStatus}`);
  if (r.sessionStatus !== "scheduled") return yield* skip(`session is ${r.sessionStatus}`);
  if (r.startsAt <= now) return yield* skip("session already started");
  const offset = parseOffsets(r.reminderOffsets).find((o) => offsetKey(o) === r.offsetKey);
  if (!offset || dueTime(offset, r.startsAt, r.timeZone).getTime() !== r.dueAt.getTime())
    return yield* skip("session time or reminder settings changed");
  // A job that fires well before the row's time belongs to an earlier time of a moved session:
  // the job of the new time will come.
  if (r.dueAt.getTime() - now.getTime() > earlyToleranceMs) return null;
  if (offset.kind === "nudge" && r.rsvp !== null) return yield* skip(`attendance already answered (${r.rsvp})`);
  if (r.participantId === null) return yield* skip("participant data deleted");
  if (r.optedOutAt) return yield* skip("participant opted out");
  const [identity] = yield* rows<{ id: number; channel: string; chatId: string }>(sql.identity, [r.participantId]);
  if (!identity) return yield* skip("no chat that has not blocked the bot");
  const quietEnd = quietUntil(now, r.timeZone, quiet);
  if (quietEnd && quietEnd.getTime() <= r.startsAt.getTime() - quietLeadMs) return { held: quietEnd };
  if ((yield* changes(sql.claim, [at, at, reminderId])) !== 1) return null;
  return {
    reminderId,
    dueAt: r.dueAt,
    enrollmentId: r.enrollmentId,
    identityId: identity.id,
    channel: identity.channel,
    chatId: identity.chatId,
    language: r.language === "en" ? "en" : "id",
    session: {
      programmeTitle: { id: r.titleId, en: r.titleEn },
      startsAt: r.startsAt,
      timeZone: r.timeZone,
      venue: r.venue,
    },
    place: { address: r.address, mapUrl: r.mapUrl, kind: offset.kind },
    confirmed: r.rsvp === "confirmed",
  };
}
