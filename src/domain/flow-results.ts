/**
 * Answers to a flow's questions (surveys), one FlowResult row per participant, flow, round,
 * question and enrollment: answering again replaces the answer. A row tied to an enrollment
 * keeps its session and programme, so results count per session without joins; an erasure
 * blanks what the participant typed (free text) and keeps their ratings and choices, anonymous.
 */
import type { DatabaseProvider, Tx } from "../db/database.js";
import { changes, rows, type Plan } from "../db/plan.js";
import { prepareStatements, sqlTime } from "../db/raw-sql.js";
import {
  defaultFollowUpQuestions,
  feedbackQuestions,
  parseSurveyQuestions,
  type SurveyQuestion,
} from "../../flows/survey-questions.js";

export type FlowResultInput = {
  flow: string;
  round: string;
  questionKey: string;
  value: string;
  numberValue?: number;
  enrollmentId?: number;
};

/** The most of an answer kept. */
export const resultValueLimit = 1000;

/** A typed "other" answer to a choice is kept under the question's key and this ending. */
export const otherSuffix = "_other";

const statements = {
  enrollment: `SELECT e."trainingSessionId", s."programmeId" FROM "Enrollment" e
    JOIN "TrainingSession" s ON s.id = e."trainingSessionId" WHERE e.id = $1 AND e."participantId" = $2`,
  remove: `DELETE FROM "FlowResult" WHERE "participantId" = $1 AND flow = $2 AND round = $3 AND "questionKey" = $4
    AND COALESCE("enrollmentId", 0) = $5`,
  insert: `INSERT INTO "FlowResult" ("participantId", flow, round, "questionKey", value, "numberValue", "enrollmentId",
      "trainingSessionId", "programmeId", "answeredAt", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamp(3), $11::timestamp(3), $12::timestamp(3))`,
};

const prepared = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

/** Stores an answer (replacing an earlier one to the same question); an enrollment not the participant's is left out. */
export function* recordFlowResultPlan(
  provider: DatabaseProvider,
  participantId: number,
  result: FlowResultInput,
  now: Date,
): Plan<void> {
  const sql = prepared[provider];
  const at = sqlTime(now, provider);
  const [enrollment] =
    result.enrollmentId !== undefined
      ? yield* rows<{ trainingSessionId: number; programmeId: number }>(sql.enrollment, [
          result.enrollmentId,
          participantId,
        ])
      : [];
  const enrollmentId = enrollment ? result.enrollmentId! : null;
  yield* changes(sql.remove, [participantId, result.flow, result.round, result.questionKey, enrollmentId ?? 0]);
  yield* changes(sql.insert, [
    participantId,
    result.flow,
    result.round,
    result.questionKey,
    result.value.slice(0, resultValueLimit),
    result.numberValue ?? null,
    enrollmentId,
    enrollment?.trainingSessionId ?? null,
    enrollment?.programmeId ?? null,
    at,
    at,
    at,
  ]);
}

const freeTextKeys = (questions: SurveyQuestion[]) => questions.filter((q) => q.kind === "text").map((q) => q.key);

/** Blanks the free-text answers of a participant (an erasure): those of text questions and typed "other" answers. */
export async function blankFreeTextResults(tx: Tx, participantId: number): Promise<number> {
  const programmeIds = (
    await tx.flowResult.findMany({
      where: { participantId, programmeId: { not: null } },
      select: { programmeId: true },
      distinct: ["programmeId"],
    })
  ).map((r) => r.programmeId!);
  const programmes = programmeIds.length
    ? await tx.programme.findMany({ where: { id: { in: programmeIds } }, select: { followUpQuestions: true } })
    : [];
  const keys = new Set([
    ...freeTextKeys(feedbackQuestions),
    ...freeTextKeys(defaultFollowUpQuestions),
    ...programmes.flatMap((p) => freeTextKeys(parseSurveyQuestions(p.followUpQuestions) ?? [])),
  ]);
  const { count } = await tx.flowResult.updateMany({
    where: { participantId, OR: [{ questionKey: { in: [...keys] } }, { questionKey: { endsWith: otherSuffix } }] },
    data: { value: "" },
  });
  return count;
}
