/**
 * Quiet hours: the local hours in which the bot starts no conversation (motivation, broadcasts).
 * A reminder is held only while it can still go out before its session (src/domain/reminders.ts).
 */
import { DateTime } from "luxon";

/** Local start and end, in minutes after midnight; start > end spans midnight (20:00-07:00). */
export type QuietHours = { start: number; end: number };

const clock = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "20:00-07:00" -> QuietHours; "off" -> null; anything else -> undefined. */
export function parseQuietHours(value: string): QuietHours | null | undefined {
  const v = value.trim().toLowerCase();
  if (v === "off" || v === "none") return null;
  const [from, to, ...rest] = v.split("-").map((p) => p.trim());
  const a = from?.match(clock);
  const b = to?.match(clock);
  if (!a || !b || rest.length) return undefined;
  const start = Number(a[1]) * 60 + Number(a[2]);
  const end = Number(b[1]) * 60 + Number(b[2]);
  return start === end ? undefined : { start, end };
}

/**
 * When quiet hours end, if `at` falls inside them in `timeZone`; null when `at` is outside
 * (or there are no quiet hours).
 */
export function quietUntil(at: Date, timeZone: string, quiet: QuietHours | null): Date | null {
  if (!quiet) return null;
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  const minute = local.hour * 60 + local.minute;
  const spansMidnight = quiet.start > quiet.end;
  const inside = spansMidnight
    ? minute >= quiet.start || minute < quiet.end
    : minute >= quiet.start && minute < quiet.end;
  if (!inside) return null;
  // The end falls today when we are before it, else tomorrow (only when spanning midnight).
  const day = spansMidnight && minute >= quiet.start ? local.plus({ days: 1 }) : local;
  return day.set({ hour: Math.floor(quiet.end / 60), minute: quiet.end % 60, second: 0, millisecond: 0 }).toJSDate();
}
