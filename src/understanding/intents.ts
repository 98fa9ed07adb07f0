/**
 * Intents from the patterns in data/intents.txt: what someone asks for whatever the step
 * ("jam brp acaranya", "ga bisa dateng", "english please"). Words are compared by stem (the
 * nlp.js Indonesian stemmer), by key, or with one slip in longer words.
 */
import type { Language } from "../engine/types.js";
import { isFiller, unsurePositions } from "./answers.js";
import { dataLines, items } from "./data-file.js";
import { isProgrammeWord, programmeWords } from "./vocabulary.js";
import { sameWord } from "./similar.js";
import { isKnownWord, key, knowWords, standardize, stem, tokenize, type Analysis } from "./text.js";
import type { Intent, IntentName } from "./types.js";

/** One word of a pattern in the forms it is compared by; `index` is its place in `vocabulary`. */
type PatternWord = { stem: string; key: string; index: number };
type Slot = { alternatives: PatternWord[][]; optional: boolean };
type Pattern = { intent: IntentName; rank: number; slots: Slot[] };

/** Every word of an intent's patterns: other such words in a message are more evidence of it. */
const intentWords = new Map<IntentName, Set<number>>();

/**
 * Words that say a message is about something else than the intent (`not @certkind` in its
 * section): "sertifikat halal" is a certification a business seeks, not the participant's
 * certificate of attendance. Compared exactly (stem or key), never by a slip.
 */
const vetoes = new Map<IntentName, PatternWord[][]>();

const intentNames: IntentName[] = [
  "menu",
  "help",
  "cancel",
  "stop",
  "start",
  "language",
  "motivation_off",
  "motivation_on",
  "join",
  "programmes",
  "when",
  "where",
  "cancel_enrollment",
  "schedule",
  "profile",
  "change_phone",
  "delete_data",
  "certificate",
  "thanks",
  "greeting",
];

/** Social words only win when nothing else is asked ("halo kak, jam berapa acaranya?" asks when). */
const social = new Set<IntentName>(["greeting", "thanks"]);

/** Every distinct pattern word, so a typed word is compared with each once and remembered. */
const vocabulary: PatternWord[] = [];
const vocabularyByForm = new Map<string, PatternWord>();

function patternWords(phrase: string): PatternWord[] {
  return standardize(tokenize(phrase)).map((w) => {
    const form = `${stem(w)}|${key(w)}`;
    let word = vocabularyByForm.get(form);
    if (!word) {
      word = { stem: stem(w), key: key(w), index: vocabulary.length };
      vocabulary.push(word);
      knowWords([word.key]);
      vocabularyByForm.set(form, word);
    }
    return word;
  });
}

function loadPatterns(): Pattern[] {
  const concepts = new Map<string, PatternWord[][]>();
  const patterns: Pattern[] = [];
  let intent: IntentName | null = null;
  for (const { line, text } of dataLines("intents.txt")) {
    const where = `data/intents.txt line ${line}`;
    const concept = /^@([\w-]+)\s*=\s*(.+)$/.exec(text);
    if (concept) {
      concepts.set(concept[1]!, items(concept[2]!).map(patternWords));
      continue;
    }
    const section = /^\[([\w_]+)\]$/.exec(text);
    if (section) {
      if (!intentNames.includes(section[1] as IntentName)) throw new Error(`${where}: unknown intent ${section[1]}`);
      intent = section[1] as IntentName;
      continue;
    }
    if (!intent) throw new Error(`${where}: a pattern before the first [intent]`);
    const veto = /^not\s+(.+)$/.exec(text);
    if (veto) {
      const list = vetoes.get(intent) ?? [];
      for (const raw of veto[1]!.split(/\s+/)) {
        const alternatives = raw.startsWith("@") ? concepts.get(raw.slice(1)) : [patternWords(raw.replace(/_/g, " "))];
        if (!alternatives) throw new Error(`${where}: unknown concept ${raw}`);
        list.push(...alternatives);
      }
      vetoes.set(intent, list);
      continue;
    }
    const slots = text.split(/\s+/).map((raw): Slot => {
      const optional = raw.endsWith("?");
      const body = optional ? raw.slice(0, -1) : raw;
      if (body.startsWith("@")) {
        const alternatives = concepts.get(body.slice(1));
        if (!alternatives) throw new Error(`${where}: unknown concept ${body}`);
        return { alternatives, optional };
      }
      return { alternatives: body.split("|").map((w) => patternWords(w.replace(/_/g, " "))), optional };
    });
    patterns.push({ intent, rank: patterns.length, slots });
    const words = intentWords.get(intent) ?? new Set<number>();
    for (const slot of slots) for (const alt of slot.alternatives) for (const w of alt) words.add(w.index);
    intentWords.set(intent, words);
  }
  return patterns;
}

const patterns = loadPatterns();

/** The pattern words a typed word matches, and whether any of them exactly (not a slip). */
type Matches = { all: Set<number>; exact: boolean };
const matchesOf = new Map<string, Matches>();
const noMatches: Matches = { all: new Set(), exact: false };

/**
 * The pattern words a typed word matches: the same stem, the same key, or (both six letters
 * or more, and the typed word not part of a place or sector name: "pandan" in "tanjung pandan"
 * is no slip of "panduan") one slip away. Remembered per word.
 */
function matchesFor(stemmed: string, wordKey: string, named: boolean): Matches {
  const form = `${stemmed}|${wordKey}|${named}`;
  let found = matchesOf.get(form);
  if (!found) {
    found = { all: new Set<number>(), exact: false };
    const exactOnly = named || isProgrammeWord(wordKey) || isKnownWord(wordKey);
    for (const w of vocabulary) {
      if (w.stem === stemmed || w.key === wordKey) {
        found.all.add(w.index);
        found.exact = true;
      } else if (!exactOnly && w.key.length >= 6 && sameWord(wordKey, w.key)) found.all.add(w.index);
    }
    if (matchesOf.size > 20_000) matchesOf.clear();
    matchesOf.set(form, found);
  }
  return found;
}

/** Words a pattern may skip between two of its slots. */
const maxGap = 3;
/** Intents are looked for in the first words only: a long message is read from its start. */
const maxWords = 40;

type Typed = { stem: string; key: string; matches: Matches }[];

/** The text positions of `pattern` from slot `slot` on, starting at `from`, or null. */
function fitFrom(pattern: Pattern, typed: Typed, slot: number, from: number, last: number | null): number[] | null {
  if (slot === pattern.slots.length) return [];
  const s = pattern.slots[slot]!;
  const limit = last === null ? typed.length : Math.min(typed.length, last + 1 + maxGap);
  for (let i = from; i < limit; i++) {
    // The longest alternative that fits at i.
    let best: PatternWord[] | null = null;
    for (const alt of s.alternatives) {
      if (best && alt.length <= best.length) continue;
      let fits = true;
      for (let j = 0; j < alt.length && fits; j++) fits = typed[i + j]?.matches.all.has(alt[j]!.index) ?? false;
      if (fits) best = alt;
    }
    if (best) {
      const rest = fitFrom(pattern, typed, slot + 1, i + best.length, i + best.length - 1);
      if (rest) {
        const here: number[] = [];
        for (let j = 0; j < best.length; j++) here.push(i + j);
        return here.concat(rest);
      }
    }
  }
  return s.optional ? fitFrom(pattern, typed, slot + 1, from, last) : null;
}

/**
 * The text positions a pattern covers, or null when it does not fit. Most patterns are turned
 * away at once: a slot that must be there needs one of its words among those typed.
 */
function fitPattern(pattern: Pattern, typed: Typed, present: Set<number>): number[] | null {
  for (const slot of pattern.slots)
    if (!slot.optional && !slot.alternatives.some((alt) => present.has(alt[0]!.index))) return null;
  const covered = fitFrom(pattern, typed, 0, 0, null);
  return covered && covered.length ? covered : null;
}

/** An intent found, with how much of the message it explains. */
export type IntentMatch = {
  intent: Intent;
  /** Words the pattern covered. */
  covered: number;
  /** Words that carry meaning (not fillers), of the part read. */
  content: number;
  /** Content words explained: the pattern's plus those naming a programme. */
  explained: number;
};

const englishWords = new Set(["english", "inggris", "eng", "en"].map(key));
const indonesianWords = new Set(["indonesia", "indonesian", "indo", "id"].map(key));

/** The intent the words express best, or null. */
export function matchIntent(a: Analysis): IntentMatch | null {
  const words = a.words.slice(0, maxWords);
  const keys = words.map(key);
  const named = programmeWords(keys);
  const unsure = unsurePositions(keys);
  const typed: Typed = words.map((w, i) => ({
    stem: a.stems[i]!,
    key: keys[i]!,
    matches: unsure.has(i) ? noMatches : matchesFor(a.stems[i]!, keys[i]!, named.has(i)),
  }));
  let best: { pattern: Pattern; covered: number[] } | null = null;
  const present = new Set<number>();
  for (const t of typed) for (const w of t.matches.all) present.add(w);
  const same = (t: Typed[number], w: PatternWord) => t.stem === w.stem || t.key === w.key;
  const vetoed = new Set<IntentName>();
  for (const [name, phrases] of vetoes)
    if (phrases.some((phrase) => typed.some((_, i) => phrase.every((w, j) => typed[i + j] && same(typed[i + j]!, w)))))
      vetoed.add(name);
  for (const pattern of patterns) {
    if (vetoed.has(pattern.intent)) continue;
    const covered = fitPattern(pattern, typed, present);
    // A pattern fitted only through slips ("tinggal" for "tanggal") is no evidence.
    if (!covered || !covered.some((i) => typed[i]!.matches.exact)) continue;
    const wins =
      !best ||
      (social.has(best.pattern.intent) && !social.has(pattern.intent)) ||
      (social.has(best.pattern.intent) === social.has(pattern.intent) && covered.length > best.covered.length);
    if (wins) best = { pattern, covered };
  }
  if (!best) return null;
  // "Selamat pagi, saya ingin bertanya tentang pelatihan": the greeting is said besides, not asked.
  const polite = new Set<number>();
  if (!social.has(best.pattern.intent))
    for (const pattern of patterns)
      if (social.has(pattern.intent)) for (const i of fitPattern(pattern, typed, present) ?? []) polite.add(i);
  const covered = new Set(best.covered);
  // A closing "ya" ("kpn ya") is politeness here, not an answer.
  let contentIdx = typed
    .map((t, i) => i)
    .filter((i) => !isFiller(typed[i]!.key) && typed[i]!.key !== "ya" && !polite.has(i));
  // "permisi kak": only polite words around the greeting, so it is the whole message.
  if (!contentIdx.length) contentIdx = [...best.covered];
  const leftover = contentIdx.filter((i) => !covered.has(i));
  const intent: Intent = { name: best.pattern.intent };
  // "alamat kantor dinas dmn": "di mana" says where as much as "alamat" does.
  const own = intentWords.get(intent.name)!;
  let explained = contentIdx.filter(
    (i) => covered.has(i) || [...typed[i]!.matches.all].some((w) => own.has(w) && typed[i]!.matches.exact),
  ).length;
  if (["join", "programmes", "when", "where", "cancel_enrollment"].includes(intent.name)) {
    const naming = leftover.filter((i) => named.has(i));
    if (naming.length) intent.programme = naming.map((i) => words[i]!).join(" ");
    explained += naming.length;
  }
  if (intent.name === "language") {
    const language: Language | null = typed.some((t) => englishWords.has(t.key))
      ? "en"
      : typed.some((t) => indonesianWords.has(t.key))
        ? "id"
        : null;
    if (language) intent.language = language;
  }
  return { intent, covered: covered.size, content: contentIdx.length, explained };
}
