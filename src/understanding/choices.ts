/**
 * Matching a text to the options of a question by meaning, word by word: the number shown
 * ("2", "dua", "yang kedua"), a label or an alias (synonyms, places) found whole in the text,
 * or the text found inside a label (a label typed in part). Words are compared by key, by stem
 * and with a slip; missing or extra spaces ("pangkal pinang") are forgiven, and polite words
 * around the answer do not count. Close calls are reported, not guessed.
 */
import type { Choice } from "../engine/types.js";
import { isFiller } from "./answers.js";
import { phraseKeys } from "./phrases.js";
import { beginsWord, sameWord } from "./similar.js";
import { key, numberOf, stem, type Analysis } from "./text.js";

/** How a text matched the options. `share` is the part of the text's words the best option explains. */
export type ChoiceMatch =
  | { kind: "one"; id: string; share: number; whole: boolean; full: boolean }
  | { kind: "several"; ids: string[]; share: number }
  | { kind: "none" };

/** Words that only introduce a number: "nomor 2", "pilihan kedua", "yang ke 3", "option 1". */
const numberWords = new Set(
  ["nomor", "no", "nmr", "angka", "pilihan", "pilih", "opsi", "option", "number", "yang", "ke", "the", "nr", "one"].map(
    key,
  ),
);
/** After these a number is a date, not an option's number ("tanggal 8"). */
const dateWords = new Set(["tanggal", "tgl", "date", "hari"].map(key));

/** Longer texts are not answers to a choice; matching stops looking after this many words. */
const maxWords = 24;

type Word = { key: string; stem: string };
/** A label or an alias in the forms it is compared by; `label` names may be typed in part. */
type Name = { words: Word[]; content: string[]; label: boolean };

const nameCache = new Map<string, Name>();
function nameOf(text: string, label: boolean): Name {
  const cacheKey = `${label ? "L" : "A"}${text}`;
  let name = nameCache.get(cacheKey);
  if (!name) {
    const keys = phraseKeys(text);
    const content = keys.filter((k) => !isFiller(k));
    name = { words: keys.map((k) => ({ key: k, stem: stem(k) })), content: content.length ? content : keys, label };
    if (nameCache.size > 20_000) nameCache.clear();
    nameCache.set(cacheKey, name);
  }
  return name;
}

function namesOf(choice: Choice): Name[] {
  return [
    nameOf(choice.label.id, true),
    nameOf(choice.label.en, true),
    ...(choice.aliases ?? []).map((a) => nameOf(a, false)),
  ].filter((n) => n.words.length);
}

/** The same word, exactly (by key or stem), or typed with a slip or in part. */
function hit(typed: Word, word: Word): "exact" | "near" | null {
  if (typed.key === word.key || (typed.stem.length >= 4 && typed.stem === word.stem)) return "exact";
  if (sameWord(typed.key, word.key) || beginsWord(typed.key, word.key) || beginsWord(word.key, typed.key))
    return "near";
  return null;
}

type Alignment = { hits: Set<number>; found: number; exact: number; inOrder: boolean };

/**
 * Which typed words a name explains, and how many of the name's words were found. A name word
 * matches a typed word, two typed words written apart ("pangkal pinang"), or a typed word that
 * is two name words written together.
 */
function align(typed: Word[], name: Name): Alignment {
  const hits = new Set<number>();
  let found = 0;
  let exact = 0;
  let last = -1;
  let inOrder = true;
  const words = name.words;
  const at = (i: number) => {
    if (i < last) inOrder = false;
    last = i;
  };
  for (let j = 0; j < words.length; j++) {
    const w = words[j]!;
    const pair = j + 1 < words.length ? w.key + words[j + 1]!.key : null;
    for (let i = 0; i < typed.length; i++) {
      if (hits.has(i)) continue;
      const t = typed[i]!;
      const h = hit(t, w);
      if (h) {
        at(i);
        hits.add(i);
        found++;
        if (h === "exact") exact++;
        break;
      }
      if (i + 1 < typed.length && !hits.has(i + 1) && t.key + typed[i + 1]!.key === w.key) {
        at(i);
        hits.add(i).add(i + 1);
        found++;
        exact++;
        break;
      }
      if (pair && t.key === pair) {
        at(i);
        hits.add(i);
        found += 2;
        exact += 2;
        j++;
        break;
      }
    }
  }
  return { hits, found, exact, inOrder };
}

/** The option a number points at, when the text is only a number and the words around one. */
function byNumber(keys: string[], content: number[], choices: Choice[]): ChoiceMatch | null {
  if (keys.some((k) => dateWords.has(k))) return null;
  let rest = content.map((i) => keys[i]!).filter((k) => !numberWords.has(k));
  if (!rest.length) rest = content.map((i) => keys[i]!).filter((k) => numberOf(k) !== null);
  if (rest.length !== 1) return null;
  const n = numberOf(rest[0]!);
  if (n === null) return null;
  const choice = choices[n - 1];
  return choice ? one(choice.id, 1, true) : null;
}

const one = (id: string, share: number, whole: boolean, full = true): ChoiceMatch => ({
  kind: "one",
  id,
  share,
  whole,
  full,
});

type Score = { id: string; covered: number; full: boolean; exact: number; at: Set<number> };

/** More of the text explained, a whole name found, more words matched exactly. */
function better(a: Score, b: Score): number {
  return b.covered - a.covered || Number(b.full) - Number(a.full) || b.exact - a.exact;
}

const buts = new Set(["tapi", "tetapi", "namun", "but", "however"].map(key));
const negations = new Set(["tidak", "belum", "bukan", "not", "dont", "cant", "cannot"].map(key));

/** How `a` matches the options: what follows a "tapi" first ("rumah di pkp tp usahanya di sungailiat"). */
export function matchChoice(a: Analysis, choices: Choice[]): ChoiceMatch {
  const keys = a.words.map(key);
  const but = keys.findLastIndex((k) => buts.has(k));
  if (but > 0 && but < keys.length - 1) {
    const after = matchWords({ ...a, words: a.words.slice(but + 1), stems: a.stems.slice(but + 1) }, choices);
    if (after.kind !== "none") return after;
    // Nothing after it: a remark ("hadir tp agak telat"), so the part before is the answer.
    const before = matchWords({ ...a, words: a.words.slice(0, but), stems: a.stems.slice(0, but) }, choices);
    if (before.kind !== "none") return before;
  }
  return matchWords(a, choices);
}

function matchWords(a: Analysis, choices: Choice[]): ChoiceMatch {
  if (!choices.length) return { kind: "none" };
  const keys = a.words.map(key).slice(0, maxWords);
  const typed: Word[] = keys.map((k, i) => ({ key: k, stem: a.stems[i] ?? k }));
  let content = keys.map((_, i) => i).filter((i) => !isFiller(keys[i]!));
  if (!content.length) content = keys.map((_, i) => i);
  if (!content.length) return { kind: "none" };

  const number = byNumber(keys, content, choices);
  if (number) return number;

  // The text's words are exactly an option's name.
  const contentKeys = content.map((i) => keys[i]!);
  const sameWords = (n: Name) => n.words.length === keys.length && n.words.every((w, i) => w.key === keys[i]);
  const sameContent = (n: Name) =>
    n.content.length === contentKeys.length && n.content.every((k, i) => k === contentKeys[i]);
  let exact = choices.filter((c) => namesOf(c).some(sameWords));
  if (!exact.length) exact = choices.filter((c) => namesOf(c).some(sameContent));
  if (exact.length === 1) return one(exact[0]!.id, 1, true);
  if (exact.length > 1) return { kind: "several", ids: exact.map((c) => c.id), share: 1 };

  // Words a "tidak"/"belum" just before negates: "tidak bisa datang" does not say "datang".
  const negated = new Set(keys.flatMap((k, i) => (negations.has(k) ? [i + 1, i + 2] : [])));
  // A name word can only meet a typed word that begins with its letter (or whose stem does): an
  // alias with a word no typed word could be is passed over at once (there are hundreds of places).
  const firsts = new Set<string>();
  for (const w of typed) firsts.add(w.key[0]!).add(w.stem[0]!);
  const scores: Score[] = [];
  for (const choice of choices) {
    const covered = new Set<number>();
    let full = false;
    let exactWords = 0;
    for (const name of namesOf(choice)) {
      if (!name.label && !name.words.every((w) => firsts.has(w.key[0]!) || firsts.has(w.stem[0]!))) continue;
      const m = align(typed, name);
      if (!m.hits.size) continue;
      if (!name.words.some((w) => negations.has(w.key)) && [...m.hits].some((i) => negated.has(i))) continue;
      // Its words in its order: "tidak bisa datang" is not in "bisa datang atau tidak".
      const whole = m.found >= name.words.length && m.inOrder;
      // A name counts when all of it is in the text; a label also when all the text is in it.
      const inside = name.label && content.every((i) => m.hits.has(i));
      if (!whole && !inside) continue;
      full ||= whole;
      exactWords = Math.max(exactWords, m.exact);
      m.hits.forEach((i) => covered.add(i));
    }
    const explained = content.filter((i) => covered.has(i)).length;
    const at = new Set(content.filter((i) => covered.has(i)));
    if (explained) scores.push({ id: choice.id, covered: explained, full, exact: exactWords, at });
  }
  if (!scores.length) return { kind: "none" };
  scores.sort(better);
  const top = scores[0]!;
  const share = top.covered / content.length;
  const tied = scores.filter((s) => better(s, top) === 0);
  // Options close on the same words ("konveksi": two programmes), or options each named whole by
  // words of their own ("jahit sama servis ac"): ask which one.
  const apart = scores.filter((s) => s !== top && s.full && top.full && [...s.at].every((i) => !top.at.has(i)));
  const asked = tied.length > 1 ? tied : apart.length ? [top, ...apart] : [];
  if (asked.length > 1) {
    const union = new Set(asked.flatMap((s) => [...s.at]));
    return { kind: "several", ids: asked.map((s) => s.id), share: union.size / content.length };
  }
  return one(top.id, share, top.covered === content.length, top.full);
}
