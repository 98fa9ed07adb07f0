/**
 * The follow-up on outcomes, 30 and 90 days after a session (the round is the campaign event's
 * key, "followup-30d" or "followup-90d"): the programme's own questions, kept as data staff
 * edit (Programme.followUpQuestions), or the defaults (new product, sales, selling through an app).
 */
import type { FlowContext } from "../src/engine/types.js";
import { surveyFlow } from "./survey.js";
import { defaultFollowUpQuestions, parseSurveyQuestions, type SurveyQuestion } from "./survey-questions.js";

/** The follow-up questions of a programme as stored, or the defaults. */
export const followUpQuestionsOf = (stored: unknown): SurveyQuestion[] =>
  parseSurveyQuestions(stored) ?? defaultFollowUpQuestions;

export const followup = surveyFlow({
  name: "followup",
  defaultRound: "followup",
  fallback: defaultFollowUpQuestions,
  questions: async (ctx: FlowContext) => {
    const id = ctx.vars.surveyEnrollmentId;
    const subject = typeof id === "number" ? await ctx.services.getSurveySubject(id) : null;
    return followUpQuestionsOf(subject?.followUpQuestions ?? null);
  },
});
