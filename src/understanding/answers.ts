/**
 * Yes, no and skip in everyday forms ("udh betul", "oke sip", "blm ada", "nggak ada", 👍),
 * Indonesian and English, from data/answers.txt.
 */
import { keyedLists } from "./data-file.js";
import { keyedIndex, wordSet } from "./phrases.js";
import { key, type Analysis } from "./text.js";

/** `unsure` ("gak tau", "nanti dulu") skips an optional question and answers no other. */
export type Polarity = "yes" | "no" | "skip" | "unsure";

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

/** Words that are an answer by themselves, whatever follows ("ya, saya mau ikut pelatihan lada"). */
const strongWords = new Set(
  [
    "ya",
    "iya",
    "yes",
    "ok",
    "oke",
    "okay",
    "setuju",
    "betul",
    "benar",
    "siap",
    "sip",
    "tidak",
    "no",
    "bukan",
    "jangan",
  ].map(key),
);

/** An everyday answer found in a text, with how much of the text it is. */
export type AnswerMatch = {
  polarity: Polarity;
  /** Share of the text's meaningful words the answer words are. */
  share: number;
  /** The text opens with a word that is an answer whatever follows ("ya", "tidak", "oke"). */
  strong: boolean;
  /** The answer opens the text (after polite words): "blm punya nama usaha" opens with "belum punya". */
  opens: boolean;
};

/**
 * Whether the words answer yes, no, skip or "not sure", or null. An answer that opens the text
 * with a strong word counts whatever follows; otherwise it must be most of the message. Answers
 * that disagree ("iya, eh tidak") are no answer, unless a "tapi" says which one is meant.
 */
export function answerOf(a: Analysis): AnswerMatch | null {
  let keys = a.words.map(key);
  const but = keys.findLastIndex((k) => buts.has(k));
  // After "tapi" is what is meant when it answers; else it is a remark ("hadir tp agak telat" is a yes).
  if (but > 0 && but < keys.length - 1)
    keys = answers.scan(keys.slice(but + 1)).length ? keys.slice(but + 1) : keys.slice(0, but);
  const found = answers.scan(keys);
  if (!found.length) return null;
  const meanings = new Set<Polarity>(found.map((f) => meaningAt(f, keys)));
  // "lupa nomornya, lewati dulu": not knowing and skipping agree.
  if (meanings.has("skip")) meanings.delete("unsure");
  const firstMeaning = meaningAt(found[0]!, keys);
  const opens = keys.slice(0, found[0]!.start).every((k) => fillers.has(k)) && strongWords.has(keys[found[0]!.start]!);
  // "setuju, asal nomor sy gk disebar": an answer that opens the message; what follows are conditions.
  if (meanings.size !== 1 && !opens) return null;
  const polarity = meanings.size === 1 ? [...meanings][0]! : firstMeaning;
  const covered = new Set(found.flatMap((f) => range(f.start, f.end)));
  const meaningful = keys.map((k, i) => i).filter((i) => !fillers.has(keys[i]!) && !negations.has(keys[i]!));
  const rest = meaningful.filter((i) => !covered.has(i));
  const first = found[0]!.start;
  const leading = keys.slice(0, first).every((k) => fillers.has(k) || negations.has(k));
  const strong = leading && (!rest.length || strongWords.has(keys[first]!));
  const share = meaningful.length ? meaningful.filter((i) => covered.has(i)).length / meaningful.length : 1;
  if (strong || covered.size >= rest.length || leading)
    return { polarity, share: strong ? 1 : share, strong, opens: leading };
  return null;
}

/** Positions of "not sure" phrases ("belum tahu", "gak tau"): their "tidak" negates nothing. */
export function unsurePositions(keys: string[]): Set<number> {
  const at = new Set<number>();
  for (const f of answers.scan(keys)) if (f.values.includes("unsure")) for (let i = f.start; i < f.end; i++) at.add(i);
  return at;
}

/** What an answer phrase means where it stands: a yes after "tidak" is a no. */
function meaningAt(f: { start: number; values: string[] }, keys: string[]): Polarity {
  const meaning = f.values[0] as Polarity;
  return meaning === "yes" && f.start > 0 && negations.has(keys[f.start - 1]!) ? "no" : meaning;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
