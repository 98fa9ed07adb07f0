/**
 * Understanding: what a participant's text means at the step they are at (DESIGN.md section
 * 2, step 4). Pure functions over the data files in data/; no database, no network, no clock.
 *
 * The order of readings, for a question with options and/or free text:
 * 1. the text is wholly one option (its number, its label, an alias, a synonym, a place);
 * 2. an everyday yes, no or skip, for a question whose options mean those;
 * 3. an intent (a question or wish) that explains more of the text than any option does;
 * 4. an option that explains most of the text, or several equally (ask which);
 * 5. the free-text answer, for questions that take one;
 * 6. else not understood.
 */
import type { Choice } from "../engine/types.js";
import { polarityOf, type Polarity } from "./answers.js";
import { matchChoice } from "./choices.js";
import { freeAnswer } from "./free-text.js";
import { matchIntent, type IntentMatch } from "./intents.js";
import { analyse, type Analysis } from "./text.js";
import type { Question, Reading } from "./types.js";

export { detectLanguage } from "./language.js";
export { findProgrammes, outsidePlaces, placeNames, sectorWords, shortRegency } from "./vocabulary.js";
export { polarityOf } from "./answers.js";
export { analyse } from "./text.js";
export type { FreeTextKind, Intent, IntentName, Question, Reading } from "./types.js";

/** What a choice means as an everyday answer: its `means`, or its id when that is yes, no or skip. */
function meaningOf(choice: Choice): Polarity | null {
  if (choice.means) return choice.means;
  return choice.id === "yes" || choice.id === "no" || choice.id === "skip" ? choice.id : null;
}

/** The option a yes, no or skip picks: a "no" may skip and a "skip" may say no. */
function choiceFor(polarity: Polarity, choices: Choice[]): Choice | undefined {
  const order: Polarity[] = polarity === "yes" ? ["yes"] : polarity === "no" ? ["no", "skip"] : ["skip", "no"];
  for (const p of order) {
    const found = choices.find((c) => meaningOf(c) === p);
    if (found) return found;
  }
  return undefined;
}

/** Whether an intent is what the text is about, rather than an answer to the question. */
function intentWins(found: IntentMatch, question: Question, a: Analysis, choiceShare: number): boolean {
  const share = found.explained / Math.max(1, found.content);
  if (question.choices.length && share <= choiceShare) return false;
  if (question.free) {
    // "jam brp acaranya" at the name question is a question; "Toko Menu Sehat" is a name.
    return share >= 0.6 || (a.asks && share >= 0.3);
  }
  if (question.choices.length) return share >= 0.5;
  return share >= 0.34 || found.covered >= 2;
}

/** What `text` means at `question`. */
export function read(text: string, question: Question): Reading {
  const a = analyse(text);
  const free = question.free;
  if (!a.tokens.length) return free ? { kind: "free", text: text.trim() } : { kind: "unknown" };
  if ((free === "phone" || free === "nib") && a.digits >= 8) return { kind: "free", text: freeAnswer(free, text) };

  const choices = question.choices;
  const match = matchChoice(a, choices);
  if (match.kind === "one" && match.whole) return { kind: "choice", choiceId: match.id };

  if (choices.some((c) => meaningOf(c) !== null)) {
    const polarity = polarityOf(a);
    const chosen = polarity ? choiceFor(polarity, choices) : undefined;
    if (chosen) return { kind: "choice", choiceId: chosen.id };
  }

  const intent = matchIntent(a);
  const share = match.kind === "none" ? 0 : match.share;
  if (intent && intentWins(intent, question, a, share)) return { kind: "intent", intent: intent.intent };

  if (match.kind === "one" && share >= 0.5) return { kind: "choice", choiceId: match.id };
  if (match.kind === "several" && share >= 0.5) return { kind: "ambiguous", choiceIds: match.ids };
  if (free) return { kind: "free", text: freeAnswer(free, text) };
  return { kind: "unknown" };
}
