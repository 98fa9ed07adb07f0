/**
 * Matching a text to the options of a question by meaning, word by word: the number shown
 * ("2", "dua", "yang kedua"), a label or any of its aliases (synonyms, places) found in the
 * text or the text found in a label, forgiving typos, missing or extra spaces ("pangkal
 * pinang") and polite words around the answer. Close calls are reported, not guessed.
 */
import type { Choice } from "../engine/types.js";
import { isFiller } from "./answers.js";
import { phraseKeys } from "./phrases.js";
import { beginsWord, sameWord } from "./similar.js";
import { key, numberOf, type Analysis } from "./text.js";

/** How a text matched the options. `share` is the part of the text's words the best option explains. */
export type ChoiceMatch =
  | { kind: "one"; id: string; share: number; whole: boolean }
  | { kind: "several"; ids: string[]; share: number }
  | { kind: "none" };

/** Words that only introduce a number: "nomor 2", "pilihan kedua", "yang ke 3", "option 1". */
const numberWords = new Set(
  ["nomor", "no", "nmr", "angka", "pilihan", "pilih", "opsi", "option", "number", "yang", "ke", "the", "nr"].map(key),
);
const lastWords = new Set(["terakhir", "last", "paling bawah"].map(key));

/** Longer texts are not answers to a choice; matching stops looking after this many words. */
const maxWords = 24;

const nameCache = new Map<string, string[]>();
/** The content keys of an option's name (label or alias): lexicon applied, fillers dropped. */
function nameKeys(name: string): string[] {
  let keys = nameCache.get(name);
  if (!keys) {
    const all = phraseKeys(name);
    const content = all.filter((k) => !isFiller(k));
    keys = content.length ? content : all;
    if (nameCache.size > 5000) nameCache.clear();
    nameCache.set(name, keys);
  }
  return keys;
}

function namesOf(choice: Choice): string[][] {
  return [choice.label.id, choice.label.en, ...(choice.aliases ?? [])].map(nameKeys).filter((k) => k.length);
}

/** The option a number points at, when the text is only a number and the words around one. */
function byNumber(content: string[], choices: Choice[]): ChoiceMatch | null {
  const rest = content.filter((k) => !numberWords.has(k));
  if (rest.length === 1 && lastWords.has(rest[0]!)) return one(choices.at(-1)!.id, 1, true);
  if (rest.length !== 1) return null;
  const n = numberOf(rest[0]!);
  if (n === null) return null;
  const choice = choices[n - 1];
  return choice ? one(choice.id, 1, true) : null;
}

const one = (id: string, share: number, whole: boolean): ChoiceMatch => ({ kind: "one", id, share, whole });

type Alignment = { textHits: Set<number>; nameHits: number; nameLength: number; exactHits: number };

/**
 * Which of the text's words a name explains, and how many of the name's words were found.
 * A name word matches a text word (or two text words written together, or a text word that
 * is two name words together), exactly, with a slip, or as its beginning.
 */
function align(text: string[], name: string[]): Alignment {
  const textHits = new Set<number>();
  let nameHits = 0;
  let exactHits = 0;
  for (let j = 0; j < name.length; j++) {
    const n = name[j]!;
    const pair = j + 1 < name.length ? n + name[j + 1]! : null;
    let hit = false;
    for (let i = 0; i < text.length && !hit; i++) {
      if (textHits.has(i)) continue;
      const t = text[i]!;
      if (t === n || sameWord(t, n)) {
        textHits.add(i);
        if (t === n) exactHits++;
        hit = true;
      } else if (i + 1 < text.length && !textHits.has(i + 1) && t + text[i + 1]! === n) {
        textHits.add(i).add(i + 1);
        exactHits++;
        hit = true;
      } else if (pair && t === pair) {
        textHits.add(i);
        exactHits++;
        nameHits++;
        j++;
        hit = true;
      } else if (beginsWord(t, n)) {
        textHits.add(i);
        hit = true;
      }
    }
    if (hit) nameHits++;
  }
  return { textHits, nameHits, nameLength: name.length, exactHits };
}

type Score = { id: string; covered: number; full: boolean; exact: number; length: number };

/** Compares two options' best alignments: more text explained, a whole name found, more exact words, a longer name. */
function better(a: Score, b: Score): number {
  return (
    b.covered - a.covered ||
    Number(b.full) - Number(a.full) ||
    b.exact - a.exact ||
    b.length - a.length
  );
}

/** How `a` matches the options. */
export function matchChoice(a: Analysis, choices: Choice[]): ChoiceMatch {
  if (!choices.length) return { kind: "none" };
  const keys = a.words.map(key).slice(0, maxWords);
  const content = keys.filter((k) => !isFiller(k));
  const words = content.length ? content : keys;
  if (!words.length) return { kind: "none" };

  const number = byNumber(words, choices);
  if (number) return number;

  // The whole text is an option's name.
  const exact = choices.filter((c) => namesOf(c).some((n) => n.length === words.length && n.every((k, i) => k === words[i])));
  if (exact.length === 1) return one(exact[0]!.id, 1, true);
  if (exact.length > 1) return { kind: "several", ids: exact.map((c) => c.id), share: 1 };

  const scores: Score[] = [];
  for (const choice of choices) {
    let best: Score | null = null;
    for (const name of namesOf(choice)) {
      const m = align(words, name);
      if (!m.textHits.size) continue;
      const full = m.nameHits === m.nameLength;
      // A name counts when all of it is in the text, or when all the text is in it.
      if (!full && m.textHits.size < words.length) continue;
      const s: Score = { id: choice.id, covered: m.textHits.size, full, exact: m.exactHits, length: m.nameLength };
      if (!best || better(s, best) < 0) best = s;
    }
    if (best) scores.push(best);
  }
  if (!scores.length) return { kind: "none" };
  scores.sort(better);
  const top = scores[0]!;
  const share = top.covered / words.length;
  const tied = scores.filter((s) => s.covered === top.covered && s.full === top.full && s.exact === top.exact);
  if (tied.length > 1) return { kind: "several", ids: tied.map((s) => s.id), share };
  return one(top.id, share, top.covered === words.length);
}
