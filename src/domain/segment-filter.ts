/**
 * A segment: which participants a broadcast goes to. Every condition given must hold; lists
 * within a condition are alternatives ("pepper or garment"). The enrollment conditions
 * (programme, training session, enrollment status, RSVP) must hold for one and the same
 * enrollment. `exclude` removes everyone who matches it. An empty filter is everyone.
 * Opted-out participants and those whose every chat has blocked the bot are always left out
 * (src/domain/segments.ts counts them in the preview).
 */
import { z } from "zod";
import { maxDatabaseId } from "../db/ids.js";

export { maxDatabaseId };
const ids = z.array(z.number().int().positive().max(maxDatabaseId)).min(1).max(500);
// NUL cannot be stored in PostgreSQL's JSON, and no sector or regency has one.
const words = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(100)
      .refine((w) => !w.includes("\0"), "Contains a NUL character (\\u0000)"),
  )
  .min(1)
  .max(100);
const day = z.iso.date();

export const enrollmentStatuses = ["enrolled", "waitlisted", "attended", "absent"] as const;
export const rsvpValues = ["confirmed", "declined", "none"] as const;

const conditions = {
  programmeIds: ids.optional(),
  trainingSessionIds: ids.optional(),
  enrollmentStatus: z.array(z.enum(enrollmentStatuses)).min(1).optional(),
  rsvp: z.array(z.enum(rsvpValues)).min(1).optional(),
  /** Participant's sector (the programme sectors: "lada", "konveksi", "servis-ac", ...). */
  sectors: words.optional(),
  /** Participant's regency or city, as stored (e.g. "Kabupaten Bangka Tengah"). */
  regencies: words.optional(),
  /** Has a chat on one of these channels ("telegram", "whatsapp", "web"). */
  channels: words.optional(),
  /** Registered on or after this local date (DEFAULT_TIME_ZONE), YYYY-MM-DD. */
  registeredFrom: day.optional(),
  /** Registered on or before this local date, YYYY-MM-DD. */
  registeredTo: day.optional(),
};

export const segmentConditionsSchema = z.strictObject(conditions);

export const segmentFilterSchema = z.strictObject({
  ...conditions,
  exclude: segmentConditionsSchema.optional(),
});

export type SegmentConditions = z.infer<typeof segmentConditionsSchema>;
export type SegmentFilter = z.infer<typeof segmentFilterSchema>;

/** How many a filter reaches, and who is left out and why. */
export type SegmentPreview = {
  /** Participants the filter matches (registered, data not deleted). */
  matched: number;
  /** Of those, the ones a broadcast would go to. */
  recipients: number;
  leftOut: {
    /** Typed BERHENTI / STOP. */
    optedOut: number;
    /** Every chat they have has blocked the bot (and they did not opt out). */
    blocked: number;
  };
};
