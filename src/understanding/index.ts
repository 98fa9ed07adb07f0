/**
 * Understanding: what a participant's text means at the step they are at (DESIGN.md section
 * 2, step 4). Pure functions over the data files in data/; no database, no network, no clock.
 *
 * The order of readings, for a question with options and/or free text:
 * 1. the text is wholly one option (its number, its label, an alias, a synonym, a place);
 * 2. an everyday yes, no or skip, for a question whose options mean those, unless the text is
 *    mostly something else ("mau daftar yg AC juga" asks to join; "ya, saya mau ikut" is a yes);
 * 3. an intent (a question or wish) that explains more of the text than any option does;
 * 4. an option that explains most of the text, or several equally (ask which);
 * 5. the free-text answer, for questions that take one, when it can be one (not "ok", not 😂);
 * 6. else not understood.
 */
import type { Choice } from "../engine/types.js";
import { answerOf, isFiller, type Polarity } from "./answers.js";
import { matchChoice } from "./choices.js";
import { freeAnswer } from "./free-text.js";
import { matchIntent, type IntentMatch } from "./intents.js";
import { analyse, key, looksLikeMashing, type Analysis } from "./text.js";
import type { FreeTextKind, Question, Reading } from "./types.js";
import { isOnlyPlaces, namesOnlyProvince } from "./vocabulary.js";

export { detectLanguage } from "./language.js";
export { findProgrammes, outsidePlaces, placeNames, sectorWords, shortRegency } from "./vocabulary.js";
export { analyse, tokenize } from "./text.js";
export type { FreeTextKind, Intent, IntentName, Question, Reading } from "./types.js";

type Meaning = Exclude<Polarity, "unsure">;

/** What a choice means as an everyday answer: its `means`, or its id when that is yes, no or skip. */
function meaningOf(choice: Choice): Meaning | null {
  if (choice.means) return choice.means;
  return choice.id === "yes" || choice.id === "no" || choice.id === "skip" ? choice.id : null;
}

/** The option an everyday answer picks: a "no" may skip, a "skip" may say no, "not sure" only skips. */
function choiceFor(polarity: Polarity, choices: Choice[]): Choice | undefined {
  const order: Meaning[] =
    polarity === "yes" ? ["yes"] : polarity === "no" ? ["no", "skip"] : polarity === "skip" ? ["skip", "no"] : ["skip"];
  for (const p of order) {
    const found = choices.find((c) => meaningOf(c) === p);
    if (found) return found;
  }
  return undefined;
}

const shareOf = (found: IntentMatch) => found.explained / Math.max(1, found.content);

/** Intents that change something: never read into a question about what would happen. */
const actions = new Set([
  "cancel_enrollment",
  "delete_data",
  "stop",
  "cancel",
  "start",
  "motivation_off",
  "motivation_on",
]);
const conditionals = new Set(["kalau", "jika", "apabila", "seandainya", "if", "apakah", "bagaimana"].map(key));

/** "kalo dihapus, pendaftaran sy ikut batal?" asks what would happen; it does not ask to cancel. */
function hypothetical(a: Analysis, found: IntentMatch | null): IntentMatch | null {
  if (!found || !actions.has(found.intent.name) || !a.asks) return found;
  return a.words.slice(0, 3).some((w) => conditionals.has(key(w))) ? null : found;
}

/** Whether an intent is what the text is about, rather than an answer to the question. */
function intentWins(found: IntentMatch, question: Question, a: Analysis, choiceShare: number): boolean {
  const share = shareOf(found);
  if (question.choices.length && share <= choiceShare) return false;
  const free = question.free;
  // A phone number or an NIB without digits is no answer: the words must be about something else.
  if ((free === "phone" || free === "nib") && a.digits === 0) return share >= 0.34;
  // "jam brp acaranya" at the name question is a question; "Toko Menu Sehat" is a name, and so is
  // "Salam Hidayat": a greeting or thanks must be the whole message there.
  if (free && (found.intent.name === "greeting" || found.intent.name === "thanks")) return share === 1;
  if (free) return share >= 0.6 || (a.asks && share >= 0.3);
  if (question.choices.length) return share >= 0.5;
  return share >= 0.34 || found.covered >= 2;
}

const questionWords = new Set(
  [
    "apa",
    "apakah",
    "berapa",
    "bagaimana",
    "kenapa",
    "mengapa",
    "siapa",
    "kapan",
    "what",
    "how",
    "why",
    "who",
    "where",
    "when",
  ].map(key),
);

/** Text that cannot be the answer to a free-text question of `kind`, whatever the flow would accept. */
function notAnAnswer(a: Analysis, question: Question, kind: FreeTextKind): boolean {
  if (kind === "phone" || kind === "nib") return a.digits === 0;
  // Beside options, a bare number is an option's number (out of range), and a place is no sector.
  if (question.choices.length && (/^\d+$/.test(a.tokens.join("")) || isOnlyPlaces(a))) return true;
  const words = a.tokens.filter((t) => /[\p{L}\p{N}]/u.test(t));
  if (!words.length) return true; // emoji only
  const answer = answerOf(a);
  if (answer && answer.share === 1 && !answer.strong && words.length <= 3) return true; // "ok", "sudah"
  if (answer?.strong && words.length <= 2) return true; // "ya", "iya kak"
  if (words.filter((w) => looksLikeMashing(w)).length * 2 >= words.length) return true; // "asdfgh"
  if (a.asks || words.some((w) => questionWords.has(key(w)))) return true; // a question is no answer
  // "blm punya nama usaha", "gak tau": saying one has none is not a name.
  if ((kind === "name" || kind === "business") && answer && answer.polarity !== "yes" && answer.opens) return true;
  return false;
}

/** What `text` means at `question`. */
export function read(text: string, question: Question): Reading {
  const a = analyse(text);
  const free = question.free;
  if (!a.tokens.length) return free ? { kind: "free", text: text.trim() } : { kind: "unknown" };
  if ((free === "phone" || free === "nib") && a.digits >= 8) return { kind: "free", text: freeAnswer(free, text) };

  const choices = question.choices;
  // "Bangka Belitung" is the province, not one of its regencies.
  if (choices.length && namesOnlyProvince(a)) return { kind: "unknown" };
  const match = matchChoice(a, choices);
  if (match.kind === "one" && match.whole) return { kind: "choice", choiceId: match.id };

  const found = choices.some((c) => meaningOf(c) !== null) ? answerOf(a) : null;
  // "bisa bawa teman?" asks something; only a plain "ya?" is still an answer.
  const answer = found && (!a.asks || found.strong) ? found : null;
  const chosen = answer ? choiceFor(answer.polarity, choices) : undefined;
  const intent = hypothetical(a, matchIntent(a));
  if (chosen && (answer!.strong || !intent || shareOf(intent) <= answer!.share))
    return { kind: "choice", choiceId: chosen.id };

  const share = match.kind === "none" ? 0 : match.share;
  if (intent && intentWins(intent, question, a, share)) {
    // An option may stand for a wish at its question ("ga bisa dateng" is "Tidak bisa hadir" after a
    // reminder), unless the words name something more (another programme, a language).
    const plainWish = !intent.intent.programme && !intent.intent.language;
    const standsFor = plainWish ? choices.find((c) => c.intents?.includes(intent.intent.name)) : undefined;
    return standsFor ? { kind: "choice", choiceId: standsFor.id } : { kind: "intent", intent: intent.intent };
  }
  if (chosen) return { kind: "choice", choiceId: chosen.id };

  if (match.kind === "one" && (share >= 0.5 || (match.full && share >= 0.3)))
    return { kind: "choice", choiceId: match.id };
  if (match.kind === "several" && share >= 0.5) return { kind: "ambiguous", choiceIds: match.ids };
  if (free && !notAnAnswer(a, question, free)) return { kind: "free", text: freeAnswer(free, text) };
  return isQuestion(a) ? { kind: "unknown", asks: true } : { kind: "unknown" };
}

/** A question mark, or a question word opening the message ("berapa biayanya", "apakah gratis"). */
function isQuestion(a: Analysis): boolean {
  const words = a.words.map(key).filter((k) => !isFiller(k));
  return a.asks || (words.length > 1 && questionWords.has(words[0]!));
}
