/**
 * The feedback survey after a session (round "feedback"): a 1-5 rating, what was most useful,
 * which training next, may we follow up. Started by the campaign job for those who attended
 * (src/jobs/campaigns.ts); the questions are the same for every programme (survey-questions.ts).
 */
import { surveyFlow } from "./survey.js";
import { feedbackQuestions } from "./survey-questions.js";

export const feedback = surveyFlow({
  name: "feedback",
  defaultRound: "feedback",
  fallback: feedbackQuestions,
  questions: async () => feedbackQuestions,
});
