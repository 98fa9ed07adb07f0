/**
 * One cell of an imported participant row, read as registration in the chat reads the same
 * answer: phone numbers, names, the catalog's sectors and regencies, the language and the
 * opt-out date, each with the reason (in both languages) when it is refused.
 */
import { DateTime } from "luxon";
import { regencies, sectors } from "../../flows/catalog.js";
import type { LocalText } from "../engine/types.js";
import type { PhoneReading } from "../understanding/phone.js";

export const bilingual = (id: string, en: string): LocalText => ({ id, en });

/** Quotes what someone wrote, shortened so one long cell does not flood the list of problems. */
export const quote = (value: string) => `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;

/** Why a phone number is refused (as registration refuses it), or null when it is taken. */
export function phoneProblem(raw: string, reading: PhoneReading): LocalText | null {
  if (reading.ok) return null;
  const shown = quote(raw);
  switch (reading.problem) {
    case "empty":
      return bilingual("nomor HP wajib diisi", "the phone number is required");
    case "characters":
      return bilingual(
        `nomor HP ${shown} berisi huruf atau tanda selain angka (tulis seperti 081234567890)`,
        `the phone number ${shown} has letters or signs other than digits (write it like 081234567890)`,
      );
    case "too_short":
      return bilingual(`nomor HP ${shown} terlalu pendek`, `the phone number ${shown} is too short`);
    case "too_long":
      return bilingual(`nomor HP ${shown} terlalu panjang`, `the phone number ${shown} is too long`);
    case "landline":
      return bilingual(
        `nomor ${shown} adalah telepon rumah/kantor; isi nomor HP/WhatsApp, bukan telepon rumah`,
        `the number ${shown} is a landline; give a mobile (WhatsApp) number, not a landline`,
      );
    case "invalid":
      return bilingual(
        `nomor HP ${shown} tidak valid (nomor Indonesia diawali 08 atau +62 8; nomor luar negeri ditulis dengan + dan kode negara)`,
        `the phone number ${shown} is not valid (Indonesian numbers start with 08 or +62 8; numbers from abroad with + and the country code)`,
      );
  }
}

/** Free text as registration takes it: within a length and with at least one letter. */
export function textProblem(value: string, min: number, max: number, what: LocalText): LocalText | null {
  if (value.length < min || !/\p{L}/u.test(value))
    return bilingual(
      `${what.id} ${quote(value)} terlalu pendek (minimal ${min} huruf)`,
      `${what.en} ${quote(value)} is too short (at least ${min} letters)`,
    );
  if (value.length > max)
    return bilingual(
      `${what.id} terlalu panjang (paling banyak ${max} karakter)`,
      `${what.en} is too long (at most ${max} characters)`,
    );
  return null;
}

export const lower = (s: string) => s.toLocaleLowerCase("id-ID");
/** A catalog sector by its id or either label ("lada", "Lada (pengolahan lada)", "Pepper processing"). */
export function catalogSector(value: string): string | null {
  const v = lower(value);
  const found = sectors.find(
    (s) =>
      s.id === v ||
      lower(s.label.id) === v ||
      lower(s.label.en) === v ||
      lower(s.label.id.replace(/\s*\(.*\)$/, "")) === v,
  );
  return found?.id ?? null;
}

/** A regency of the catalog, forgiving case, "Kab." and a missing "Kabupaten"/"Kota". */
export function catalogRegency(value: string): string | null {
  const v = lower(value).replace(/^kab\.?\s+/, "kabupaten ");
  return regencies.find((r) => lower(r) === v || lower(r.replace(/^(Kota|Kabupaten) /, "")) === v) ?? null;
}

export function languageOf(value: string): "id" | "en" | null {
  const v = lower(value);
  if (["", "id", "indonesia", "bahasa indonesia", "indonesian"].includes(v)) return "id";
  if (["en", "english", "inggris", "bahasa inggris"].includes(v)) return "en";
  return null;
}

/** Empty or "tidak": not opted out; "ya" or a date: opted out (then, or now). */
export function optedOutOf(value: string, now: Date, timeZone: string): Date | null | undefined {
  const v = lower(value);
  if (["", "tidak", "no", "-"].includes(v)) return null;
  if (["ya", "yes"].includes(v)) return now;
  for (const format of ["yyyy-MM-dd HH:mm", "yyyy-MM-dd"]) {
    const date = DateTime.fromFormat(value, format, { zone: timeZone });
    if (date.isValid) return date.toJSDate();
  }
  const iso = DateTime.fromISO(value, { zone: timeZone });
  return iso.isValid ? iso.toJSDate() : undefined;
}
