/**
 * When two words are the same word typed a little differently: one slip (a letter wrong,
 * missing, extra, or two swapped) in words of five letters or more that begin alike (and, at
 * five letters, end alike), two slips from eight letters. Short words ("ac", "hp", "ya") must
 * be exact, and a word the data knows is never a slip of another ("batal" is not "batam",
 * "tinggal" is not "tanggal").
 */
import { distance } from "fastest-levenshtein";
import { isKnownWord } from "./text.js";

export function sameWord(typed: string, word: string): boolean {
  if (typed === word) return true;
  if (typed.length < 5 || word.length < 5 || /\d/.test(typed) || /\d/.test(word)) return false;
  if (typed[0] !== word[0] || isKnownWord(typed)) return false;
  const shorter = Math.min(typed.length, word.length);
  if (shorter === 5 && typed.at(-1) !== word.at(-1)) return false;
  const allowed = shorter >= 8 ? 2 : 1;
  if (Math.abs(typed.length - word.length) > allowed) return false;
  return distance(typed, word) <= allowed || swapped(typed, word);
}

/** One pair of neighbouring letters swapped ("pelaithan"), which Levenshtein counts as two. */
function swapped(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length && diff.length <= 2; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}

/** One word begins the other ("konv" and "konveksi", "des" and "desember"): three letters or more, no digits. */
export function beginsWord(short: string, long: string): boolean {
  return short.length >= 3 && long.length > short.length && long.startsWith(short) && !/\d/.test(short);
}
