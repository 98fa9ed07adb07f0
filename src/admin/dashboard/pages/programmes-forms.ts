/**
 * The forms of the programme pages: their zod schemas, the lists they choose from, and local
 * times. Staff type times as the programme's local time (WIB, WITA or WIT); the database keeps
 * UTC, so every time goes through the programme's zone on its way in and out.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { DateTime } from "luxon";
import { z } from "zod";
import { regencies, sectors } from "../../../../flows/catalog.js";
import { notFoundPage, renderError } from "../errors.js";
import { bilingual, type FieldErrors } from "../forms.js";
import { text, type Text } from "../text.js";
import { certificateFields } from "./programmes-certificate-fields.js";

/** The zones a programme may be in: Indonesia's three. */
export const timeZones = [
  { value: "Asia/Jakarta", label: text("WIB (Waktu Indonesia Barat)", "WIB (Western Indonesia Time)") },
  { value: "Asia/Makassar", label: text("WITA (Waktu Indonesia Tengah)", "WITA (Central Indonesia Time)") },
  { value: "Asia/Jayapura", label: text("WIT (Waktu Indonesia Timur)", "WIT (Eastern Indonesia Time)") },
] as const;

type Option = { value: string; label: Text };

/** The sectors to choose from; a programme's own sector stays one of them even if not in the catalog. */
export function sectorOptions(current?: string): Option[] {
  const options: Option[] = sectors.map((s) => ({ value: s.id, label: text(s.label.id, s.label.en) }));
  if (current && !options.some((o) => o.value === current))
    options.push({ value: current, label: text(current, current) });
  return options;
}

export const regencyOptions: Option[] = regencies.map((r) => ({ value: r, label: text(r, r) }));

const isRegency = (value: string) => (regencies as readonly string[]).includes(value);

/** A name for links and deep links (a programme's slug, a session's code), like `example`. */
const slugOf = (example: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .min(3)
    .max(60)
    .regex(
      /^[a-z0-9]+(-[a-z0-9]+)*$/,
      bilingual(
        `Gunakan huruf kecil, angka dan tanda hubung saja, misalnya ${example}.`,
        `Use lowercase letters, digits and hyphens only, e.g. ${example}.`,
      ),
    );

const chooseRegency = bilingual("Pilih kabupaten/kota dari daftar.", "Choose a regency or city from the list.");

export const programmeSchema = z.object({
  slug: slugOf("lada-bangka-tengah"),
  sector: z
    .string()
    .trim()
    .min(1)
    .max(60)
    .regex(/^[a-z0-9-]+$/, bilingual("Pilih sektor dari daftar.", "Choose a sector from the list.")),
  regency: z
    .string()
    .trim()
    .optional()
    .refine((v) => !v || isRegency(v), chooseRegency)
    .transform((v) => v || null),
  titleId: z.string().trim().min(3).max(200),
  titleEn: z.string().trim().min(3).max(200),
  descriptionId: z.string().trim().min(10).max(2000),
  descriptionEn: z.string().trim().min(10).max(2000),
  timeZone: z.enum(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
  seatsPerParticipant: z.coerce
    .number()
    .int(bilingual("Isi bilangan bulat, 1 sampai 10.", "Enter a whole number, 1 to 10."))
    .min(1, bilingual("Paling sedikit 1 jadwal per peserta.", "At least 1 session per participant."))
    .max(10, bilingual("Paling banyak 10 jadwal per peserta.", "At most 10 sessions per participant.")),
  // An unticked checkbox is not sent at all.
  active: z
    .string()
    .optional()
    .transform((v) => v === "on"),
  ...certificateFields,
});
export type ProgrammeInput = z.output<typeof programmeSchema>;

/** A local date and time as a datetime-local field sends it: 2026-12-03T09:00. */
const localDateTime = z
  .string()
  .trim()
  .min(1)
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/,
    bilingual("Isi tanggal dan jam, misalnya 03/12/2026 09.00.", "Enter a date and a time, e.g. 03/12/2026 09:00."),
  );

const sessionDetails = {
  code: slugOf("lada-bangka-tengah-3"),
  venue: z.string().trim().min(3).max(200),
  address: z.string().trim().min(3).max(300),
  regency: z.string().trim().min(1).refine(isRegency, chooseRegency),
  mapUrl: z
    .string()
    .trim()
    .max(500)
    .optional()
    .refine(
      (v) => !v || isWebAddress(v),
      bilingual("Isi alamat web lengkap yang diawali https://", "Enter a full web address starting with https://"),
    )
    .transform((v) => v || null),
  capacity: z.coerce
    .number()
    .int(bilingual("Isi bilangan bulat.", "Enter a whole number."))
    .min(1, bilingual("Paling sedikit 1 kursi.", "At least 1 seat."))
    .max(10_000),
};

function isWebAddress(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** A new training session: its details and times. */
export const newSessionSchema = z.object({ ...sessionDetails, startsAt: localDateTime, endsAt: localDateTime });
/** Editing a session: its times change only by moving it, which tells the participants. */
export const sessionDetailsSchema = z.object(sessionDetails);
export const moveSchema = z.object({ startsAt: localDateTime });

/** A local time in `zone` to UTC; null when it is not a real time there. */
export function fromLocal(value: string, zone: string): Date | null {
  const parsed = DateTime.fromISO(value, { zone });
  return parsed.isValid ? parsed.toJSDate() : null;
}

/** A UTC time as the value of a datetime-local field in `zone`. */
export const toLocalInput = (date: Date, zone: string) =>
  DateTime.fromJSDate(date, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

/** Sessions last at most this long (a bimtek runs a few days at most). */
const longestSessionDays = 14;

/**
 * Checks the times of a session typed in its programme's zone: a start still ahead, an end after
 * it. Returns UTC times, or errors for the fields.
 */
export function checkTimes(
  startsAtLocal: string,
  endsAtLocal: string | null,
  zone: string,
  now: Date,
): { ok: true; startsAt: Date; endsAt: Date | null } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const startsAt = fromLocal(startsAtLocal, zone);
  const endsAt = endsAtLocal === null ? null : fromLocal(endsAtLocal, zone);
  if (!startsAt) errors.startsAt = text("Tanggal atau jam ini tidak ada.", "This date or time does not exist.");
  else if (startsAt <= now)
    errors.startsAt = text(
      "Waktu ini sudah lewat. Pilih waktu yang akan datang.",
      "This time has already passed. Choose a time ahead.",
    );
  if (endsAtLocal !== null) {
    if (!endsAt) errors.endsAt = text("Tanggal atau jam ini tidak ada.", "This date or time does not exist.");
    else if (startsAt && endsAt <= startsAt)
      errors.endsAt = text("Waktu selesai harus sesudah waktu mulai.", "The end must be after the start.");
    else if (startsAt && endsAt.getTime() - startsAt.getTime() > longestSessionDays * 24 * 3_600_000)
      errors.endsAt = text(
        `Satu jadwal paling lama ${longestSessionDays} hari.`,
        `A session lasts at most ${longestSessionDays} days.`,
      );
  }
  if (Object.keys(errors).length || !startsAt) return { ok: false, errors };
  return { ok: true, startsAt, endsAt };
}

/** What was typed, to fill a form again after an error (never the CSRF token). */
export function typedValues(body: unknown): Record<string, string> {
  if (!body || typeof body !== "object") return {};
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>).flatMap(([k, v]) =>
      typeof v === "string" && k !== "_csrf" ? [[k, v]] : [],
    ),
  );
}

/** A numeric id from the path, or null (then the page is a 404). */
export function idParam(request: FastifyRequest, name: string): number | null {
  const value = (request.params as Record<string, string | undefined>)[name];
  if (!value || !/^\d{1,9}$/.test(value)) return null;
  const id = Number(value);
  return id > 0 ? id : null;
}

export const notFound = (reply: FastifyReply) => renderError(reply, 404, notFoundPage);

/** True when Prisma refused a row for a unique column (a slug or code already taken). */
export const isUniqueViolation = (err: unknown) =>
  typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
