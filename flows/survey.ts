/**
 * Surveys after a session (the feedback, the follow-ups): questions as data (survey-questions.ts)
 * asked one by one, each answer stored as it comes (a flow_result_recorded event per question,
 * tied to the enrollment and the round). A job starts a survey for someone idle at its first
 * question (surveyOpening); someone in the middle of something gets an offer instead
 * (surveyOffer), whose buttons work from anywhere (route-message.ts) and bring them back where
 * they were afterwards (detour.ts).
 *
 * The survey's variables are kept apart from the flow it may have interrupted: `surveyEnrollmentId`,
 * `surveyRound`, `surveyIndex` (the question asked), `surveyKind` (its kind, for the sync check).
 */
import type {
  Choice,
  ConversationState,
  Flow,
  FlowContext,
  FlowNode,
  Input,
  Language,
  LocalText,
  OutgoingMessage,
  RequestedEvent,
  Route,
  Validation,
  Vars,
} from "../src/engine/types.js";
import { bold, plain } from "../src/engine/markup.js";
import { tokenize } from "../src/understanding/index.js";
import { rememberPlace, routeBack } from "./detour.js";
import type { SurveyQuestion } from "./survey-questions.js";
import { t } from "./texts.js";

/** The most of a typed answer kept. */
export const answerLimit = 1000;

/** The survey flows (a job may start them; an offer leads to them). */
const surveyFlowNames = new Set(["feedback", "followup"]);

/** A typed "other" answer is stored under the question's key with this ending. */
export const otherSuffix = "_other";

// ------------------------------------------------------------------ the questions' words

const ratingWords: Record<string, number> = {
  satu: 1,
  dua: 2,
  tiga: 3,
  empat: 4,
  lima: 5,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
};

/**
 * A rating typed: "5", "lima", "⭐⭐⭐⭐⭐", "bintang 4", "4/5". The number said (it may be out of
 * range: the caller says so), or null when the text holds no single number.
 */
export function readRating(text: string): number | null {
  const stars = [...text.matchAll(/[⭐★🌟]/gu)].length;
  if (stars > 0 && text.replace(/[⭐★🌟\s\uFE0F]/gu, "") === "") return stars;
  const numbers = tokenize(text.replace(/(\d)\s*\/\s*5\b/, "$1"))
    .map((w) => (/^\d{1,3}$/.test(w) ? Number(w) : (ratingWords[w] ?? null)))
    .filter((n): n is number => n !== null);
  return numbers.length === 1 ? numbers[0]! : null;
}

/**
 * A rating typed at a rating question ("⭐⭐⭐⭐", "4/5", "saya kasih 4"), as the button it means;
 * null for anything else (the question reads it as usual: a "7" is told the range).
 */
export function ratingPressed(state: ConversationState, input: Input): Input | null {
  if (input.kind !== "text" || state.vars.surveyKind !== "rating" || !surveyFlowNames.has(state.flow)) return null;
  if (state.node !== "ask") return null;
  const n = readRating(input.text);
  return n !== null && n >= 1 && n <= 5 ? { kind: "choice", choiceId: String(n) } : null;
}

const ratingChoices: Choice[] = [1, 2, 3, 4, 5].map((n) => ({
  id: String(n),
  label: t(String(n), String(n)),
  aliases: Object.entries(ratingWords).flatMap(([w, v]) => (v === n ? [w] : [])),
}));

const yesNoChoices: Choice[] = [
  { id: "yes", label: t("Ya", "Yes"), aliases: ["boleh", "iya", "yes", "ok"] },
  { id: "no", label: t("Tidak", "No"), aliases: ["tidak", "jangan", "no", "nggak"] },
];

const otherChoice: Choice = {
  id: "other",
  label: t("Lainnya", "Other"),
  aliases: ["lain", "lainnya", "yang lain", "other"],
};

const skipChoice: Choice = {
  id: "skip",
  label: t("Lewati", "Skip"),
  aliases: ["lewati", "lewat", "skip", "tidak ada", "-"],
  means: "skip",
};

/** The options of a question, as buttons (a free-text question has only "Lewati" if it may be skipped). */
export function choicesOf(q: SurveyQuestion): Choice[] {
  switch (q.kind) {
    case "rating":
      return ratingChoices;
    case "yesno":
      return yesNoChoices;
    case "choice":
      return [...q.choices.map((c) => ({ ...c })), ...(q.other ? [otherChoice] : [])];
    case "text":
      return q.optional ? [skipChoice] : [];
  }
}

const surveyTexts = {
  intro: (title: string | null, count: number) =>
    title
      ? t(
          `Terima kasih sudah mengikuti ${bold(title)}. Kami ingin mendengar pendapat Anda: ${count} pertanyaan singkat.`,
          `Thank you for taking part in ${bold(title)}. We would like to hear from you: ${count} short questions.`,
        )
      : t(
          `Kami ingin mendengar pendapat Anda: ${count} pertanyaan singkat.`,
          `We would like to hear from you: ${count} short questions.`,
        ),
  followUpIntro: (title: string | null, count: number) =>
    title
      ? t(
          `Apa kabar usaha Anda sejak ${bold(title)}? Mohon jawab ${count} pertanyaan singkat ini.`,
          `How is your business since ${bold(title)}? Please answer these ${count} short questions.`,
        )
      : t(
          `Apa kabar usaha Anda sejak pelatihan? Mohon jawab ${count} pertanyaan singkat ini.`,
          `How is your business since the training? Please answer these ${count} short questions.`,
        ),
  textHint: (optional: boolean) =>
    optional
      ? t("Silakan ketik jawaban Anda, atau ketik LEWATI.", "Please type your answer, or type SKIP.")
      : t("Silakan ketik jawaban Anda.", "Please type your answer."),
  ratingOutOfRange: (n: number) =>
    t(
      `Maaf, nilai ${n} tidak ada. Pilih angka 1 sampai 5: 1 kurang, 5 sangat puas.`,
      `Sorry, there is no ${n}. Choose a number from 1 to 5: 1 is poor, 5 is very satisfied.`,
    ),
  ratingNotANumber: t(
    "Terima kasih! Supaya bisa kami hitung, mohon pilih angka 1 sampai 5: 1 kurang, 5 sangat puas.",
    "Thank you! So that we can count it, please choose a number from 1 to 5: 1 is poor, 5 is very satisfied.",
  ),
  pickOne: t(
    "Maaf, jawaban itu belum ada di pilihan. Silakan pilih salah satu di bawah.",
    "Sorry, that is not one of the options. Please choose one below.",
  ),
  emptyText: t("Mohon tulis jawaban Anda dalam beberapa kata.", "Please write your answer in a few words."),
  askOther: t("Silakan ketik jawaban Anda sendiri.", "Please type your own answer."),
  thanks: t(
    "Terima kasih banyak atas jawaban Anda! Masukan Anda membantu kami menyiapkan pelatihan berikutnya.",
    "Thank you very much for your answers! They help us prepare the next training.",
  ),
  offer: t("Ada 1 survei singkat untuk Anda. Isi sekarang?", "There is 1 short survey for you. Fill it in now?"),
  offerLater: t("(Bisa juga nanti: ketik SURVEI kapan saja.)", "(Or later: type SURVEY whenever you like.)"),
  later: t(
    "Baik, nanti kami tawarkan lagi. Kita lanjutkan yang tadi:",
    "All right, we will offer it again later. Let us carry on:",
  ),
  laterIdle: t("Baik, nanti kami tawarkan lagi.", "All right, we will offer it again later."),
  none: t(
    "Saat ini tidak ada survei untuk Anda. Terima kasih!",
    "There is no survey for you at the moment. Thank you!",
  ),
  gone: t(
    "Survei ini sudah tidak tersedia (mungkin sudah diisi). Terima kasih!",
    "This survey is no longer open (perhaps it has been answered). Thank you!",
  ),
};

/** A question as asked: its number of the total, its words, and what to type when it takes text. */
export function questionMessage(q: SurveyQuestion, index: number, count: number, l: Language): OutgoingMessage {
  const hint = q.kind === "text" ? `\n${surveyTexts.textHint(q.optional ?? false)[l]}` : "";
  return {
    text: `(${index + 1}/${count}) ${plain(q.text[l])}${hint}`,
    choices: choicesOf(q).map((c) => ({ id: c.id, label: c.label[l] })),
  };
}

const introOf = (flow: string, title: LocalText | null, count: number, l: Language): string =>
  (flow === "followup" ? surveyTexts.followUpIntro : surveyTexts.intro)(title ? title[l] : null, count)[l];

// ------------------------------------------------------------------ starting a survey

/** What a job needs to start a survey for a participant. */
export type SurveyStart = {
  flow: string;
  round: string;
  enrollmentId: number;
  programmeTitle: LocalText;
  questions: SurveyQuestion[];
  language: Language;
};

/** The survey's variables at its question `index`. */
const surveyVars = (
  enrollmentId: number | null,
  round: string,
  index: number,
  q: SurveyQuestion | undefined,
): Vars => ({
  surveyEnrollmentId: enrollmentId,
  surveyRound: round,
  surveyIndex: index,
  surveyKind: q?.kind ?? null,
  surveyOptional: q?.kind === "text" ? (q.optional ?? false) : null,
});

/**
 * A survey started by a job for someone idle: the conversation waits at its first question
 * (node `ask`), which goes with a word of introduction.
 */
export function surveyOpening(s: SurveyStart): { node: string; vars: Vars; messages: OutgoingMessage[] } {
  const first = s.questions[0]!;
  const question = questionMessage(first, 0, s.questions.length, s.language);
  return {
    node: "ask",
    vars: surveyVars(s.enrollmentId, s.round, 0, first),
    messages: [
      { ...question, text: `${introOf(s.flow, s.programmeTitle, s.questions.length, s.language)}\n\n${question.text}` },
    ],
  };
}

/** SURVEI (or SURVEY) typed: the survey offered last, as if its "Ya, isi sekarang" were pressed. */
export const asksForSurvey = (text: string | undefined): boolean =>
  text !== undefined && /^\s*(survei|survey|isi survei)\s*[.!]?\s*$/i.test(text);

/** A survey's offer buttons carry it: "survey-ya-12" is "fill it in now" for CampaignMessage 12. */
export function parseSurveyOfferChoice(choiceId: string): { answer: "ya" | "nanti"; campaignMessageId: number } | null {
  const match = /^survey-(ya|nanti)-(\d{1,9})$/.exec(choiceId);
  return match ? { answer: match[1] as "ya" | "nanti", campaignMessageId: Number(match[2]) } : null;
}

const offerChoices = (campaignMessageId?: number): Choice[] => [
  {
    id: campaignMessageId === undefined ? "ya" : `survey-ya-${campaignMessageId}`,
    label: t("Ya, isi sekarang", "Yes, fill it in now"),
    aliases: ["isi sekarang", "sekarang", "now", "boleh"],
    means: "yes",
  },
  {
    id: campaignMessageId === undefined ? "nanti" : `survey-nanti-${campaignMessageId}`,
    label: t("Nanti saja", "Later"),
    aliases: ["nanti", "later", "lain kali", "besok"],
    means: "no",
  },
];

/** The offer to someone busy: "Ada 1 survei singkat untuk Anda. Isi sekarang?" with buttons that work from anywhere. */
export function surveyOffer(campaignMessageId: number, l: Language): OutgoingMessage {
  return {
    text: `${surveyTexts.offer[l]}\n${surveyTexts.offerLater[l]}`,
    choices: offerChoices(campaignMessageId).map((c) => ({ id: c.id, label: c.label[l] })),
  };
}

/** Whether a conversation may be replaced by a survey at once: resting at the menu is not being busy. */
export const restsIdle = (state: Pick<ConversationState, "flow">): boolean => state.flow === "menu";

// ------------------------------------------------------------------ the survey flows

const indexOf = (vars: Vars) =>
  typeof vars.surveyIndex === "number" && Number.isInteger(vars.surveyIndex) && vars.surveyIndex >= 0
    ? vars.surveyIndex
    : 0;
const enrollmentOf = (vars: Vars): number | null =>
  typeof vars.surveyEnrollmentId === "number" && Number.isSafeInteger(vars.surveyEnrollmentId)
    ? vars.surveyEnrollmentId
    : null;

/** How a survey flow finds its questions (the programme's own, for the follow-ups). */
export type SurveyDefinition = {
  name: string;
  /** The round when none is known (a conversation stored without one). */
  defaultRound: string;
  /** The questions known without reading (used by the synchronous check when the kind is not stored). */
  fallback: SurveyQuestion[];
  questions: (ctx: FlowContext) => Promise<SurveyQuestion[]>;
};

/** Checks a typed answer by the question's kind (choices are matched before this). */
function check(kind: SurveyQuestion["kind"], optional: boolean, text: string): Validation {
  const trimmed = text.trim();
  switch (kind) {
    case "rating": {
      const n = readRating(trimmed);
      if (n === null) return { error: surveyTexts.ratingNotANumber };
      return n >= 1 && n <= 5 ? { value: String(n) } : { error: surveyTexts.ratingOutOfRange(n) };
    }
    case "text":
      if (/^[-–—.\s]*$/.test(trimmed)) return optional ? { value: "skip" } : { error: surveyTexts.emptyText };
      return { value: trimmed.slice(0, answerLimit) };
    default:
      return { error: surveyTexts.pickOne };
  }
}

/** The survey flow of a definition: `advance` picks the next question, `ask` asks it, `other` takes a typed other. */
export function surveyFlow(def: SurveyDefinition): Flow {
  const current = async (ctx: FlowContext) => {
    const questions = await def.questions(ctx);
    const index = Math.min(indexOf(ctx.vars), questions.length - 1);
    return { questions, index, q: questions[index]! };
  };
  const round = (vars: Vars) =>
    typeof vars.surveyRound === "string" && vars.surveyRound ? vars.surveyRound : def.defaultRound;
  const record = (ctx: FlowContext, questionKey: string, value: string, numberValue?: number) => {
    const enrollmentId = enrollmentOf(ctx.vars);
    return {
      type: "flow_result_recorded" as const,
      flow: def.name,
      round: round(ctx.vars),
      questionKey,
      value,
      ...(numberValue !== undefined ? { numberValue } : {}),
      ...(enrollmentId !== null ? { enrollmentId } : {}),
    };
  };
  const next = (ctx: FlowContext, emit: RequestedEvent[]): Route => ({
    goto: "advance",
    set: { surveyIndex: indexOf(ctx.vars) + 1 },
    emit,
  });
  const kindNow = (vars: Vars): SurveyQuestion["kind"] => {
    const stored = vars.surveyKind;
    if (stored === "rating" || stored === "text" || stored === "choice" || stored === "yesno") return stored;
    return (def.fallback[Math.min(indexOf(vars), def.fallback.length - 1)] ?? { kind: "text" }).kind;
  };

  const advance: FlowNode = {
    next: async (ctx) => {
      const questions = await def.questions(ctx);
      const index = indexOf(ctx.vars);
      if (index >= questions.length) {
        const enrollmentId = enrollmentOf(ctx.vars);
        return {
          goto: "done",
          emit: [
            {
              type: "survey_completed",
              flow: def.name,
              round: round(ctx.vars),
              ...(enrollmentId !== null ? { enrollmentId } : {}),
            },
          ],
        };
      }
      const q = questions[index]!;
      return { goto: "ask", set: { surveyKind: q.kind, surveyOptional: q.kind === "text" && (q.optional ?? false) } };
    },
  };

  const ask: FlowNode = {
    say: async (ctx) => {
      const { questions, index, q } = await current(ctx);
      const message = questionMessage(q, index, questions.length, ctx.language);
      const { choices: _choices, ...text } = message;
      if (index > 0) return text;
      const enrollmentId = enrollmentOf(ctx.vars);
      const subject = enrollmentId !== null ? await ctx.services.getSurveySubject(enrollmentId) : null;
      return [{ text: introOf(def.name, subject?.programmeTitle ?? null, questions.length, ctx.language) }, text];
    },
    wait: {
      choices: async (ctx) => choicesOf((await current(ctx)).q),
      validate: (text, ctx) => {
        const kind = kindNow(ctx.vars);
        const q = def.fallback[indexOf(ctx.vars)];
        const optional =
          typeof ctx.vars.surveyOptional === "boolean"
            ? ctx.vars.surveyOptional
            : q?.kind === "text" && (q.optional ?? false);
        return check(kind, optional, text);
      },
      route: async (value, ctx) => {
        const { q } = await current(ctx);
        switch (q.kind) {
          case "rating": {
            const n = Number(value);
            if (!(n >= 1 && n <= 5)) return { goto: "ask" };
            return next(ctx, [record(ctx, q.key, String(n), n)]);
          }
          case "yesno":
            return value === "yes" || value === "no" ? next(ctx, [record(ctx, q.key, value)]) : { goto: "ask" };
          case "choice":
            if (value === "other" && q.other) return { goto: "other" };
            return q.choices.some((c) => c.id === value) ? next(ctx, [record(ctx, q.key, value)]) : { goto: "ask" };
          case "text":
            if (value === "skip") return q.optional ? next(ctx, []) : { goto: "ask" };
            return next(ctx, [record(ctx, q.key, value.slice(0, answerLimit))]);
        }
      },
    },
  };

  const other: FlowNode = {
    say: () => surveyTexts.askOther,
    wait: {
      validate: (text) => check("text", false, text),
      route: async (value, ctx) => {
        const { q } = await current(ctx);
        return next(ctx, [record(ctx, q.key, "other"), record(ctx, `${q.key}${otherSuffix}`, value)]);
      },
    },
  };

  const done: FlowNode = {
    say: () => surveyTexts.thanks,
    next: (ctx) =>
      routeBack(
        ctx.vars,
        { end: true },
        {
          surveyEnrollmentId: null,
          surveyRound: null,
          surveyIndex: null,
          surveyKind: null,
          surveyOptional: null,
        },
      ),
  };

  return { name: def.name, start: "advance", requiresParticipant: true, nodes: { advance, ask, other, done } };
}

// ------------------------------------------------------------------ the offer

/**
 * The answer to an offer: "Ya" starts the survey (then back to where the participant was),
 * "Nanti" leaves it to be offered again. The buttons work from anywhere (route-message.ts puts
 * the conversation here with `surveyInvite` and the place to return to).
 */
export const surveyOfferFlow: Flow = {
  name: "survey_offer",
  start: "answer",
  requiresParticipant: true,
  nodes: {
    answer: {
      say: () => surveyTexts.offer,
      wait: {
        choices: () => offerChoices(),
        route: async (value, ctx) => {
          if (value === "nanti") return { goto: "later" };
          const id = ctx.vars.surveyInvite;
          const invitation =
            typeof id === "number" && Number.isInteger(id) && id >= 0 && id < 2 ** 31
              ? await ctx.services.getSurveyInvitation(id)
              : null;
          if (!invitation && id === 0) return { goto: "none" };
          if (!invitation || invitation.status !== "offered" || !surveyFlowNames.has(invitation.flow))
            return { goto: "gone" };
          return {
            flow: invitation.flow,
            keepVars: true,
            set: { ...surveyVars(invitation.enrollmentId, invitation.round, 0, undefined), surveyInvite: null },
            emit: [{ type: "survey_offer_accepted", campaignMessageId: invitation.id }],
          };
        },
      },
    },
    later: {
      say: (ctx) => (typeof ctx.vars.returnFlow === "string" ? surveyTexts.later : surveyTexts.laterIdle),
      next: (ctx) => routeBack(ctx.vars, { end: true }, { surveyInvite: null }),
    },
    none: {
      say: () => surveyTexts.none,
      next: (ctx) => routeBack(ctx.vars, { end: true }, { surveyInvite: null }),
    },
    gone: {
      say: () => surveyTexts.gone,
      next: (ctx) => routeBack(ctx.vars, { end: true }, { surveyInvite: null }),
    },
  },
};

/** The variables of an offer's button pressed at `state`: the offer, and the place to come back to. */
export const offerAnswerVars = (state: ConversationState | null, campaignMessageId: number): Vars => {
  const elsewhere = state && state.flow !== "survey_offer";
  return {
    ...(state?.vars ?? {}),
    surveyInvite: campaignMessageId,
    ...(elsewhere ? rememberPlace(state) : state ? {} : { returnFlow: null, returnNode: null }),
  };
};
