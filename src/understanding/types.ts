/**
 * The vocabulary of understanding: what a participant's text means at the step they are at.
 * Understanding is pure (no I/O); its data (lexicon, synonyms, gazetteer, intent phrases) lives
 * in files under data/, read once when the module loads.
 */
import type { Choice, Language } from "../engine/types.js";

/** What people ask for, from any step. */
export type IntentName =
  // commands that work everywhere
  | "menu"
  | "help"
  /** Stop the current step ("batal" alone). Never cancels an enrollment by itself. */
  | "cancel"
  | "stop"
  | "start"
  | "language"
  | "motivation_off"
  | "motivation_on"
  // questions and wishes
  /** Take part in a programme, named or not ("mau ikut pelatihan AC dong"). */
  | "join"
  /** What programmes there are ("ada pelatihan apa aja"). */
  | "programmes"
  /** When it is ("jam brp acaranya"). */
  | "when"
  /** Where it is ("alamatnya dimana"). */
  | "where"
  /** The participant will not come / wants out of an enrollment ("ga bisa dateng", "batal ikut"). */
  | "cancel_enrollment"
  | "schedule"
  | "profile"
  | "change_phone"
  | "delete_data"
  /** Their certificate ("sertifikat saya mana?", "kapan sertifikatnya dikirim"). */
  | "certificate"
  | "thanks"
  | "greeting";

export type Intent = {
  name: IntentName;
  /** The words that name a programme, when some do ("ac", "lada bangka tengah"): for findProgrammes. */
  programme?: string;
  /** For "language": the language asked for, when the words say ("english please"). */
  language?: Language;
};

/** What free text a question takes (beside or instead of choices). */
export type FreeTextKind = "name" | "business" | "text" | "phone" | "nib";

/** The open question, as understanding needs to know it. */
export type Question = {
  /** The options offered (possibly none). `means` marks a choice as the yes, no or skip answer. */
  choices: Choice[];
  /** The question also takes (or only takes) free text of this kind. */
  free?: FreeTextKind;
};

/**
 * What a text means at a question:
 * - `choice`: one of the options;
 * - `ambiguous`: two or more options are about equally close: ask which one;
 * - `intent`: something asked for instead of an answer;
 * - `free`: the text itself is the answer to a free-text question (the flow still validates it);
 * - `unknown`: none of these, so the question is asked again with a hint.
 */
export type Reading =
  | { kind: "choice"; choiceId: string }
  | { kind: "ambiguous"; choiceIds: string[] }
  | { kind: "intent"; intent: Intent }
  | { kind: "free"; text: string }
  /** `asks`: the text is a question the bot has no answer for ("berapa biayanya?"). */
  | { kind: "unknown"; asks?: boolean };
