/**
 * Whether what someone typed as a name looks like a name, and the name cleaned up. Pure: the
 * flows (and the CSV import) turn a problem into words for the person who typed it.
 *
 * A person's name is letters of any script (with their accents), spaces, apostrophes
 * ("Nur'aini", "Ma'ruf"), dots of titles and initials ("Hj.", "Ir.", "S.Pd"), hyphens, and a
 * comma before academic degrees ("Budi Santoso, S.E."). A business name may also have digits and
 * & / ( ), as shop signs do ("Toko 99", "CV. Maju & Jaya (Koba)").
 */

/** Why a typed name is not taken. */
export type NameProblem =
  /** Fewer than 2 characters, or fewer than 2 letters ("a", "A."). */
  | "too_short"
  /** More than the most allowed (80 for a person, 100 for a business). */
  | "too_long"
  /** Looks like code or a link: < > { } [ ] or a backtick, or "http". */
  | "markup"
  /** Has an emoji. */
  | "emoji"
  /** A person's name with a digit in it. */
  | "digits"
  /** An answer, not a name: "ya", "oke sip", "tidak", "siap pak". */
  | "yes_no"
  /** A character names do not have ("Budi!", "budi_santoso", "@budi"), or it does not start with a letter. */
  | "characters"
  /** A business name with no letter at all ("12345"). */
  | "no_letter";

/** The name as it will be stored, or what is wrong with it. */
export type NameReading = { ok: true; value: string } | { ok: false; problem: NameProblem };

/** Limits of a person's name, after trimming and collapsing spaces. */
export const personNameLength = { min: 2, max: 80 } as const;
/** Limits of a business name, after trimming and collapsing spaces. */
export const businessNameLength = { min: 2, max: 100 } as const;

/**
 * Words that answer a question rather than name someone (with the elongations people type,
 * "yaaa", "okee", "siappp"). Kept here, not in a shared lexicon, because a name check must not
 * change when the yes/no vocabulary grows: "Benar" or "Mau" may be somebody's name one day, so
 * only words no one is called belong here.
 */
const answerWords = new Set([
  "ya",
  "iya",
  "iye",
  "y",
  "yes",
  "yep",
  "yup",
  "yoi",
  "ok",
  "oke",
  "okey",
  "okay",
  "okeh",
  "sip",
  "siap",
  "setuju",
  "tidak",
  "tdk",
  "gak",
  "ga",
  "gk",
  "nggak",
  "ngga",
  "enggak",
  "engga",
  "ndak",
  "no",
  "nope",
  "sudah",
  "udah",
  "belum",
  "lanjut",
  "boleh",
  "betul",
  "batal",
]);

/** Words that go with an answer ("iya kak", "siap pak", "oke deh"): an answer still, not a name. */
const fillerWords = new Set([
  "kak",
  "pak",
  "bu",
  "bang",
  "mas",
  "mbak",
  "dong",
  "deh",
  "sih",
  "aja",
  "saja",
  "nih",
  "kok",
]);

const markup = /[<>{}[\]`]|http/i;
const emoji = /\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}]/u;
const digit = /\p{Nd}/u;
const personCharacters = /^[\p{L}\p{M}' .,-]+$/u;
const businessCharacters = /^[\p{L}\p{M}\p{Nd}&.,'\-/() ]+$/u;

/** Trimmed, one space between words, one kind of apostrophe and hyphen, "X ,Y" as "X, Y", no comma at the end. */
function tidy(text: string): string {
  return text
    .normalize("NFC")
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u2010\u2011\u2012\u2013]/g, "-")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/ ?, ?/g, ", ")
    .replace(/,\s*$/, "");
}

/** A word without the letter it repeats at its end: "yaaa" -> "ya", "siappp" -> "siap", "Okke" stays. */
const unstretched = (word: string) => word.replace(/(\p{L})\1+$/u, "$1");

/** "Ya!", "oke sip", "iya kak": only answer words (and words that go with them), at least one answer word. */
function isAnswer(value: string): boolean {
  const words = value
    .toLocaleLowerCase("id-ID")
    .replace(/[^\p{L}\s]/gu, " ")
    .split(/\s+/)
    .filter(Boolean)
    .map(unstretched);
  return (
    words.length > 0 &&
    words.some((w) => answerWords.has(w)) &&
    words.every((w) => answerWords.has(w) || fillerWords.has(w))
  );
}

const countLetters = (value: string) => value.match(/\p{L}/gu)?.length ?? 0;

const problem = (p: NameProblem): NameReading => ({ ok: false, problem: p });

/**
 * Reads a person's full name ("Hj. Siti Aminah", "I Gusti Ayu Made", "Budi Santoso, S.E.").
 * The first problem found is returned, the more telling ones first: markup before digits (a
 * script tag has both), an answer before a stray character ("Ya!").
 */
export function readPersonName(text: string): NameReading {
  const value = tidy(text);
  if (value.length < personNameLength.min) return problem("too_short");
  if (markup.test(value)) return problem("markup");
  if (emoji.test(value)) return problem("emoji");
  if (digit.test(value)) return problem("digits");
  if (isAnswer(value)) return problem("yes_no");
  if (!personCharacters.test(value) || !/^\p{L}/u.test(value)) return problem("characters");
  if (value.length > personNameLength.max) return problem("too_long");
  if (countLetters(value) < 2) return problem("too_short");
  return { ok: true, value };
}

/** Reads a business name ("UD. Lada Jaya", "Toko 99", "Konveksi Ibu Ani & Putri"). */
export function readBusinessName(text: string): NameReading {
  const value = tidy(text);
  if (value.length < businessNameLength.min) return problem("too_short");
  if (markup.test(value)) return problem("markup");
  if (emoji.test(value)) return problem("emoji");
  if (isAnswer(value)) return problem("yes_no");
  if (!businessCharacters.test(value)) return problem("characters");
  if (value.length > businessNameLength.max) return problem("too_long");
  if (countLetters(value) < 1) return problem("no_letter");
  return { ok: true, value };
}
