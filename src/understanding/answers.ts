/**
 * Yes, no and skip in everyday forms ("udh betul", "oke sip", "blm ada", "nggak ada", 👍),
 * Indonesian and English, from data/answers.txt.
 */
import { keyedLists } from "./data-file.js";
import { keyedIndex, wordSet } from "./phrases.js";
import { key, type Analysis } from "./text.js";

export type Polarity = "yes" | "no" | "skip";

const answers = keyedIndex("answers.txt", keyedLists("answers.txt"));
const fillers = wordSet("fillers.txt");

/** Words before a yes that turn it into a no ("tidak setuju", "belum benar", "kurang tepat"). */
const negations = new Set(["tidak", "belum", "bukan", "kurang", "not", "dont", "don"].map(key));
/** After these, what follows is what the person means ("iya tapi ada yang salah"). */
const buts = new Set(["tapi", "tetapi", "namun", "cuma", "but", "however"].map(key));

/** The words that carry no meaning in an answer (politeness, particles, "saya"). */
export function isFiller(wordKey: string): boolean {
  return fillers.has(wordKey);
}

/**
 * Whether the words answer yes, no or skip, or null. An answer word first counts whatever
 * follows ("ya, saya mau ikut" is a yes); elsewhere it must be most of the message.
 */
export function polarityOf(a: Analysis): Polarity | null {
  let keys = a.words.map(key);
  const but = keys.findLastIndex((k) => buts.has(k));
  if (but >= 0 && but < keys.length - 1) keys = keys.slice(but + 1);
  const found = answers.scan(keys);
  if (!found.length) return null;
  const meanings = new Set<Polarity>();
  for (const f of found) {
    let meaning = f.values[0] as Polarity;
    if (meaning === "yes" && f.start > 0 && negations.has(keys[f.start - 1]!)) meaning = "no";
    meanings.add(meaning);
  }
  if (meanings.size !== 1) return null;
  const meaning = [...meanings][0]!;
  const covered = new Set(found.flatMap((f) => range(f.start, f.end)));
  const rest = keys.filter((k, i) => !covered.has(i) && !fillers.has(k) && !negations.has(k));
  const first = found[0]!.start;
  const leading = keys.slice(0, first).every((k) => fillers.has(k) || negations.has(k));
  if (!rest.length || leading || covered.size >= rest.length) return meaning;
  return null;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
