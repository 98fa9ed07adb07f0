/**
 * From raw chat text to words: case, accents, punctuation, letter elongation ("iyaaa"),
 * reduplication written with 2 ("hati2"), emoji as tokens, then the colloquial lexicon
 * (data/lexicon.txt: "udh" -> "sudah", "brp" -> "berapa") and the Indonesian stemmer of nlp.js.
 */
import { StemmerId, StopwordsId } from "@nlpjs/lang-id";
import { dataLines, items } from "./data-file.js";

/** A text read once, in the forms the matchers need. */
export type Analysis = {
  /** Tokens as typed: lower case, no accents, runs of three or more letters cut to one, emoji kept. */
  tokens: string[];
  /** The tokens in standard Indonesian (the lexicon applied); multi-word forms may change the count. */
  words: string[];
  /** Stems of `words` ("pelatihannya" -> "latih"), for intent patterns. */
  stems: string[];
  /** The text asks something (a question mark). */
  asks: boolean;
  /** Letters and digits in the text, to tell nonsense from an answer. */
  letters: number;
  digits: number;
};

const pictograph = /\p{Extended_Pictographic}/u;

/** Lower case, accents gone, apostrophes dropped ("Nur'aini" -> "nuraini"). */
export function fold(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['’`´]/g, "");
}

/**
 * The comparison key of a word: doubled letters collapsed ("iyaa", "okee", "sipp", "maaf" ->
 * "iya", "oke", "sip", "maf"). Data entries and typed words are compared by key, so an extra
 * letter never stops a match; the words themselves keep their spelling for the stemmer.
 */
export function key(word: string): string {
  return word.replace(/(\p{L})\1+/gu, "$1");
}

/** Splits folded text into word tokens and emoji tokens. */
export function tokenize(text: string): string[] {
  const folded = fold(text)
    .replace(/\u{200D}|\u{FE0F}|[\u{1F3FB}-\u{1F3FF}]/gu, "")
    .replace(/(\p{L})\1{2,}/gu, "$1");
  const out: string[] = [];
  for (const m of folded.matchAll(/\p{Extended_Pictographic}|[\p{L}\p{N}]+/gu)) {
    const token = m[0];
    if (pictograph.test(token)) {
      // 👍👍👍 is one 👍.
      if (out.at(-1) !== token) out.push(token);
      continue;
    }
    // "kota nya", "lokasi ny": the suffix typed apart belongs to the word before.
    if ((token === "nya" || token === "ny") && out.length && !pictograph.test(out.at(-1)!)) {
      out[out.length - 1] += "nya";
      continue;
    }
    const ordinal = /^ke(\d{1,2})$/.exec(token);
    const doubled = /^(\p{L}{2,})2$/u.exec(token);
    if (ordinal) out.push("ke", ordinal[1]!);
    else if (doubled) out.push(doubled[1]!, doubled[1]!);
    else out.push(token);
  }
  return out;
}

// ------------------------------------------------------------------ the lexicon

/** A form of the lexicon: its words as written and as keys, and the standard words it stands for. */
type LexiconEntry = { form: string[]; formKeys: string[]; standard: string[] };

/** Forms by their first word's key, longest first, so "gk jd" wins over "gk". */
function loadLexicon(): Map<string, LexiconEntry[]> {
  const byFirst = new Map<string, LexiconEntry[]>();
  for (const { line, text } of dataLines("lexicon.txt")) {
    const [forms, standard] = text.split("=>").map((s) => s.trim());
    if (!forms || !standard) throw new Error(`data/lexicon.txt line ${line}: expected "form, form => standard"`);
    const standardWords = tokenize(standard);
    for (const written of items(forms)) {
      const form = tokenize(written);
      if (!form.length) continue;
      const formKeys = form.map(key);
      const list = byFirst.get(formKeys[0]!) ?? [];
      list.push({ form, formKeys, standard: standardWords });
      byFirst.set(formKeys[0]!, list);
    }
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.form.length - a.form.length);
  return byFirst;
}

const lexicon = loadLexicon();

/**
 * The tokens in standard forms, longest lexicon match first at each position. A form is found as
 * written; by its key (doubled letters collapsed) only when the typed word has a doubled letter
 * to forgive ("udahh"), so "berapa" is never taken for "bberapa" (beberapa).
 */
export function standardize(tokens: string[]): string[] {
  const out: string[] = [];
  const keys = tokens.map(key);
  for (let i = 0; i < tokens.length;) {
    const candidates = lexicon.get(keys[i]!) ?? [];
    const fits = (e: LexiconEntry, exact: boolean) =>
      e.form.every((w, j) => (exact ? tokens[i + j] === w : keys[i + j] === e.formKeys[j]));
    // By key only when the typed word has a doubled letter to forgive ("udahh"), never "berapa" for "bberapa".
    const doubled = keys[i] !== tokens[i];
    const entry =
      candidates.find((e) => fits(e, true)) ?? (doubled ? candidates.find((e) => fits(e, false)) : undefined);
    if (entry) {
      out.push(...entry.standard);
      i += entry.form.length;
    } else {
      out.push(tokens[i]!);
      i += 1;
    }
  }
  return out;
}

// ------------------------------------------------------------------ stems

const stemmer = new StemmerId();
const stems = new Map<string, string>();

/** The stem of a standard word, remembered (a few thousand words at most). */
export function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    s = /^\p{L}{4,}$/u.test(word) ? stemmer.stem(word) || word : word;
    if (stems.size > 20_000) stems.clear();
    stems.set(word, s);
  }
  return s;
}

// ------------------------------------------------------------------ known words

/**
 * Word keys some data file knows (lexicon, answers, fillers, patterns, sectors, places, and
 * the common words of the nlp.js Indonesian stopword list). A known word is never taken for a
 * slip of another ("batal" is not "batam"), and two known words typed together are split
 * ("udahbenar", "iyasetuju").
 */
const known = new Set<string>();

/** Adds word keys to the known words (each data module does, as it loads). */
export function knowWords(keys: Iterable<string>): void {
  for (const k of keys) if (k.length >= 2) known.add(k);
}

export function isKnownWord(wordKey: string): boolean {
  return known.has(wordKey);
}

knowWords(Object.keys(new StopwordsId().dictionary ?? {}).map((w) => key(fold(w))));
for (const list of lexicon.values()) for (const e of list) knowWords([...e.formKeys, ...e.standard.map(key)]);

/** "udahbenar" -> ["udah", "benar"]: an unknown word of six letters or more made of two known ones. */
function splitJoined(token: string): string[] {
  const k = key(token);
  if (token.length < 6 || known.has(k) || !/^\p{L}+$/u.test(token)) return [token];
  for (let i = 2; i <= token.length - 2; i++) {
    const left = token.slice(0, i);
    const right = token.slice(i);
    if (known.has(key(left)) && known.has(key(right)) && (left.length >= 3 || right.length >= 3)) return [left, right];
  }
  return [token];
}

/** Reads a text once into every form the matchers use. */
export function analyse(text: string): Analysis {
  const tokens = tokenize(text).flatMap(splitJoined);
  const words = standardize(tokens);
  return {
    tokens,
    words,
    stems: words.map(stem),
    asks: /[?¿？]/.test(text),
    letters: (text.match(/\p{L}/gu) ?? []).length,
    digits: (text.match(/\p{N}/gu) ?? []).length,
  };
}

// ------------------------------------------------------------------ numbers

/** Keys typed in a row on a keyboard ("asdf", "hjkl", "qwer"): someone mashing keys, not writing. */
const keyboardRows = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];

/** Whether a word is keyboard mashing or has no vowel in six letters (not a word of any kind). */
export function looksLikeMashing(word: string): boolean {
  if (!/^\p{L}+$/u.test(word) || known.has(key(word))) return false;
  for (let i = 0; i + 4 <= word.length; i++) {
    const run = word.slice(i, i + 4);
    if (keyboardRows.some((row) => row.includes(run))) return true;
  }
  return word.length >= 6 && !/[aeiouy]/.test(word);
}

const numberWords: Record<string, number> = {
  satu: 1,
  dua: 2,
  tiga: 3,
  empat: 4,
  lima: 5,
  enam: 6,
  tujuh: 7,
  delapan: 8,
  sembilan: 9,
  sepuluh: 10,
  pertama: 1,
  kedua: 2,
  ketiga: 3,
  keempat: 4,
  kelima: 5,
  keenam: 6,
  ketujuh: 7,
  kedelapan: 8,
  kesembilan: 9,
  kesepuluh: 10,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
};

/** The number a word stands for ("2", "dua", "kedua", "second"), or null. */
export function numberOf(word: string): number | null {
  if (/^\d{1,3}$/.test(word)) return Number(word);
  return numberWords[word] ?? null;
}
