/**
 * Button labels that fit a phone: the part that tells options apart comes first, since a
 * phone shows only the start of a long button (about 30 characters on Telegram, where the
 * channel cuts longer labels; the whole label is still what typed answers are matched with).
 */
import { formatShortDate } from "../src/engine/format.js";
import type { Language, SessionView } from "../src/engine/types.js";

/** What a phone shows of a button before it cuts the label. */
export const labelMax = 30;

/** Cuts a label to `max` characters at a word, with an ellipsis. */
export function fitLabel(label: string, max = labelMax): string {
  const chars = [...label];
  if (chars.length <= max) return label;
  const cut = chars.slice(0, max - 1).join("");
  const space = cut.lastIndexOf(" ");
  return `${(space >= max / 2 ? cut.slice(0, space) : cut).replace(/[\s,–·:-]+$/u, "")}…`;
}

/**
 * Labels that share their start ("Produksi Konveksi (Belitung)", "Produksi Konveksi
 * (Pangkalpinang)") get the part that differs first ("Belitung · Produksi Konveksi"), then fit.
 */
export function distinctLabels(labels: string[], max = labelMax): string[] {
  const words = labels.map((l) => l.split(" "));
  return labels.map((label, i) => {
    let shared = 0;
    for (const [j, other] of words.entries()) {
      if (j === i) continue;
      let n = 0;
      while (n < other.length && n < words[i]!.length - 1 && other[n] === words[i]![n]) n++;
      shared = Math.max(shared, n);
    }
    if (!shared || [...label].length <= max) return label;
    const head = words[i]!.slice(shared).join(" ").replace(/^\(|\)$/g, "");
    const tail = words[i]!.slice(0, shared).join(" ").replace(/[\s(]+$/, "");
    return `${head} · ${tail}`;
  });
}

/** "15 Des" / "15 Dec": a session's day, short (the weekday and year are in the message). */
export function shortDay(s: SessionView, language: Language): string {
  return formatShortDate(s.startsAt, s.timeZone, language)
    .replace(/^[^,]+,\s*/, "")
    .replace(/\s\d{4}$/, "");
}
