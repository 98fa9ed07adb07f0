/**
 * When two words are the same word typed a little differently: equal keys, or one slip
 * (a letter wrong, missing, extra, or two swapped) in words of four letters or more, two
 * slips from seven. Short words ("ac", "hp", "ya") must be exact: one slip makes another word.
 */
import { distance } from "fastest-levenshtein";

export function sameWord(typed: string, word: string): boolean {
  if (typed === word) return true;
  if (typed.length < 4 || word.length < 4 || /\d/.test(typed) || /\d/.test(word)) return false;
  const allowed = Math.min(typed.length, word.length) >= 7 ? 2 : 1;
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

/** The typed word begins the longer word ("konv", "pangk"): only for three letters or more. */
export function beginsWord(typed: string, word: string): boolean {
  return typed.length >= 3 && word.length > typed.length && word.startsWith(typed) && !/\d/.test(typed);
}
