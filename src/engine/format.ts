/**
 * Dates and times in a session's time zone, written as people there read them: "Kamis,
 * 3 September 2026 pukul 09.00 WIB". The flows use them in participants' messages, the dashboard
 * and domain (a cancelled session's notice, a participant's data) in what staff read.
 */
import { DateTime } from "luxon";
import type { Language } from "./types.js";

const zoneNames: Record<string, string> = {
  "Asia/Jakarta": "WIB",
  "Asia/Pontianak": "WIB",
  "Asia/Makassar": "WITA",
  "Asia/Jayapura": "WIT",
};

/** WIB, WITA or WIT for Indonesian zones; the offset ("UTC+08:00") elsewhere. */
export function zoneAbbreviation(timeZone: string): string {
  return zoneNames[timeZone] ?? DateTime.now().setZone(timeZone).toFormat("'UTC'ZZ");
}

/**
 * Formatting through Intl is slow next to everything else a turn does, and the same few session
 * times are shown over and over: results are kept (a few thousand at most).
 */
const formatted = new Map<string, string>();
function remembered(kind: string, date: Date, timeZone: string, language: Language, make: () => string): string {
  const key = `${kind}|${date.getTime()}|${timeZone}|${language}`;
  let text = formatted.get(key);
  if (text === undefined) {
    if (formatted.size >= 5000) formatted.clear();
    text = make();
    formatted.set(key, text);
  }
  return text;
}

/** "Kamis, 3 September 2026 pukul 09.00 WIB" / "Thursday, 3 September 2026 at 09:00 WIB". */
export function formatDateTime(date: Date, timeZone: string, language: Language): string {
  return remembered("datetime", date, timeZone, language, () => makeDateTime(date, timeZone, language));
}

function makeDateTime(date: Date, timeZone: string, language: Language): string {
  const d = DateTime.fromJSDate(date, { zone: timeZone }).setLocale(language === "id" ? "id" : "en-GB");
  const zone = zoneAbbreviation(timeZone);
  return language === "id"
    ? `${d.toFormat("cccc, d LLLL yyyy")} pukul ${d.toFormat("HH.mm")} ${zone}`
    : `${d.toFormat("cccc, d LLLL yyyy")} at ${d.toFormat("HH:mm")} ${zone}`;
}

/** "Kamis, 3 September 2026" / "Thursday, 3 September 2026". */
export function formatLongDate(date: Date, timeZone: string, language: Language): string {
  return remembered("long", date, timeZone, language, () =>
    DateTime.fromJSDate(date, { zone: timeZone })
      .setLocale(language === "id" ? "id" : "en-GB")
      .toFormat("cccc, d LLLL yyyy"),
  );
}

/** "09.00–15.00 WIB" / "09:00–15:00 WIB". */
export function formatTimeRange(start: Date, end: Date, timeZone: string, language: Language): string {
  return remembered(`range-${end.getTime()}`, start, timeZone, language, () =>
    makeTimeRange(start, end, timeZone, language),
  );
}

function makeTimeRange(start: Date, end: Date, timeZone: string, language: Language): string {
  const f = language === "id" ? "HH.mm" : "HH:mm";
  const s = DateTime.fromJSDate(start, { zone: timeZone }).toFormat(f);
  const e = DateTime.fromJSDate(end, { zone: timeZone }).toFormat(f);
  return `${s}–${e} ${zoneAbbreviation(timeZone)}`;
}

/** "Kamis, 3 Sep 2026" / "Thu, 3 Sep 2026": short enough for a button. */
export function formatShortDate(date: Date, timeZone: string, language: Language): string {
  return remembered("short", date, timeZone, language, () =>
    DateTime.fromJSDate(date, { zone: timeZone })
      .setLocale(language === "id" ? "id" : "en-GB")
      .toFormat("ccc, d LLL yyyy"),
  );
}
