/**
 * Button labels that fit a phone: the part that tells options apart comes first, since a
 * phone shows only the start of a long button (about 30 characters on Telegram, where the
 * channel cuts longer labels; the whole label is still what typed answers are matched with).
 */
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
