/**
 * Button labels that fit a phone: the part that tells options apart comes first, since a
 * phone shows only the start of a long button (about 30 characters on Telegram, where the
 * channel cuts longer labels; the whole label is still what typed answers are matched with).
 */
import { DateTime } from "luxon";
import { formatShortDate } from "../src/engine/format.js";
import type { Language, SessionView } from "../src/engine/types.js";

/** What a phone shows of a button (Telegram cuts longer labels; see src/channels/render.ts). */
const labelMax = 30;

/**
 * Labels that share their start ("Produksi Konveksi (Belitung)", "Produksi Konveksi
 * (Pangkalpinang)") get the part that differs first ("Belitung · Produksi Konveksi"), then fit.
 */
export function distinctLabels(labels: string[], max = labelMax): string[] {
  const words = labels.map((l) => l.split(" "));
  const shared = words.map((mine, i) => {
    let most = 0;
    for (const [j, other] of words.entries()) {
      if (j === i) continue;
      let n = 0;
      while (n < other.length && n < mine.length - 1 && other[n] === mine[n]) n++;
      most = Math.max(most, n);
    }
    return most;
  });
  // Labels that share a start are turned together, so they still read alike.
  const turn = labels.map(
    (_, i) =>
      shared[i]! > 0 &&
      labels.some(
        (other, j) =>
          shared[j]! > 0 &&
          words[j]!.slice(0, shared[j]).join(" ") === words[i]!.slice(0, shared[i]).join(" ") &&
          [...other].length > max,
      ),
  );
  return labels.map((label, i) => {
    if (!turn[i]) return label;
    const head = words[i]!.slice(shared[i])
      .join(" ")
      .replace(/^\(|\)$/g, "");
    const tail = words[i]!.slice(0, shared[i])
      .join(" ")
      .replace(/[\s(]+$/, "");
    return `${head} · ${tail}`;
  });
}

/** "15 Des" / "15 Dec": a session's day, short (the weekday and year are in the message). */
export function shortDay(s: SessionView, language: Language): string {
  return formatShortDate(s.startsAt, s.timeZone, language)
    .replace(/^[^,]+,\s*/, "")
    .replace(/\s\d{4}$/, "");
}

const dayWordCache = new Map<string, string[]>();

/**
 * The words people use for a session's day, for matching what they type: "15 Des", "15
 * Desember 2026", "15", "Selasa", "pertengahan Desember" (and in English). Remembered, since
 * every question with sessions asks for them again.
 */
export function dayWords(s: Pick<SessionView, "startsAt" | "timeZone">): string[] {
  const cacheKey = `${s.startsAt.getTime()}|${s.timeZone}`;
  let words = dayWordCache.get(cacheKey);
  if (!words) {
    const d = DateTime.fromJSDate(s.startsAt, { zone: s.timeZone });
    const [id, en] = d.day <= 10 ? ["awal", "early"] : d.day <= 20 ? ["pertengahan", "mid"] : ["akhir", "late"];
    const inId = d.setLocale("id");
    const inEn = d.setLocale("en-GB");
    words = [
      inId.toFormat("d LLL"),
      inEn.toFormat("d LLL"),
      inId.toFormat("d LLLL yyyy"),
      inEn.toFormat("d LLLL yyyy"),
      String(d.day),
      inId.toFormat("cccc"),
      inEn.toFormat("cccc"),
      `${id} ${inId.toFormat("LLLL")}`,
      `${en} ${inEn.toFormat("LLLL")}`,
    ];
    if (dayWordCache.size > 5000) dayWordCache.clear();
    dayWordCache.set(cacheKey, words);
  }
  return words;
}
