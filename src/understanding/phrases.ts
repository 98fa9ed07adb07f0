/**
 * A dictionary of phrases (one or more words) matched inside a text by word keys, longest
 * first: the building block of the answers, synonym and place lists.
 */
import { dataLines, items } from "./data-file.js";
import { key, knowWords, standardize, tokenize } from "./text.js";

/** A phrase found in a text: words start..end-1 (keys), and what it stands for. */
export type Found<T> = { start: number; end: number; values: T[] };

/** The keys a phrase is compared by: tokenized, put in standard form by the lexicon, keyed. */
export function phraseKeys(phrase: string): string[] {
  return standardize(tokenize(phrase)).map(key);
}

export class PhraseIndex<T> {
  private readonly byFirst = new Map<string, { keys: string[]; values: T[] }[]>();

  /** Adds a phrase; the same phrase added with another value stands for both. */
  add(phrase: string | string[], value: T): this {
    const keys = typeof phrase === "string" ? phraseKeys(phrase) : phrase;
    if (!keys.length) return this;
    knowWords(keys);
    const list = this.byFirst.get(keys[0]!) ?? [];
    const same = list.find((e) => e.keys.length === keys.length && e.keys.every((k, i) => k === keys[i]));
    if (same) {
      if (!same.values.includes(value)) same.values.push(value);
    } else {
      list.push({ keys, values: [value] });
      list.sort((a, b) => b.keys.length - a.keys.length);
    }
    this.byFirst.set(keys[0]!, list);
    return this;
  }

  /** The phrase starting at `at` that is longest, or null. */
  at(keys: string[], at: number): Found<T> | null {
    const entry = this.byFirst.get(keys[at]!)?.find((e) => e.keys.every((k, j) => keys[at + j] === k));
    return entry ? { start: at, end: at + entry.keys.length, values: entry.values } : null;
  }

  /** Phrases found left to right, never overlapping, the longest at each position. */
  scan(keys: string[]): Found<T>[] {
    const out: Found<T>[] = [];
    for (let i = 0; i < keys.length;) {
      const found = this.at(keys, i);
      if (found) {
        out.push(found);
        i = found.end;
      } else i += 1;
    }
    return out;
  }

  /** Whether the whole of `keys` is one phrase; its values, else null. */
  whole(keys: string[]): T[] | null {
    const found = keys.length ? this.at(keys, 0) : null;
    return found && found.end === keys.length ? found.values : null;
  }

  /** Every phrase, with its values (for checks and tests). */
  entries(): { keys: string[]; values: T[] }[] {
    return [...this.byFirst.values()].flat();
  }
}

/** A data file of `key: phrase, phrase` lines as a phrase index from phrase to key. */
export function keyedIndex(file: string, lists: Map<string, string[]>): PhraseIndex<string> {
  const index = new PhraseIndex<string>();
  for (const [k, phrases] of lists) for (const p of phrases) index.add(p, k);
  if (!index.entries().length) throw new Error(`data/${file} has no entries`);
  return index;
}

/** The set of word keys in a file of comma-separated words (fillers.txt). */
export function wordSet(file: string): Set<string> {
  const set = new Set<string>();
  for (const { text } of dataLines(file)) for (const w of items(text)) for (const k of phraseKeys(w)) set.add(k);
  knowWords(set);
  return set;
}
