/**
 * The understanding corpus (corpus.json) read at the real questions of the flows: the share read
 * as a careful person would read it, overall and by kind. The same evaluation runs in
 * `npm run bench -- understanding`, which also times it; this test asserts no time.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Question } from "../../src/understanding/types.js";
import { checkCorpus, evaluate, formatMisses, intentNames, kinds, loadCorpus, type Utterance } from "./evaluate.js";
import { buildQuestions, questionKeys, type QuestionKey } from "./questions.js";

const overallTarget = 0.97;
const kindTarget = 0.9;

let corpus: Utterance[];
let questions: Record<QuestionKey, Question>;

beforeAll(async () => {
  corpus = loadCorpus();
  questions = await buildQuestions();
});

describe("the understanding corpus", () => {
  it("only expects what the questions offer, and covers every question and intent", () => {
    expect(checkCorpus(corpus, questions)).toEqual([]);
    const uncovered = questionKeys.filter((key) => !corpus.some((u) => u.q === key));
    expect(uncovered, "question keys with no message").toEqual([]);
    const thin = intentNames.filter(
      (name) => corpus.filter((u) => "intent" in u.expect && u.expect.intent === name).length < 5,
    );
    expect(thin, "intents with fewer than 5 messages").toEqual([]);
  });

  it(`is read as expected: at least ${overallTarget} overall and ${kindTarget} of each kind`, () => {
    const result = evaluate(corpus, questions);
    const lines = [
      `overall ${result.accuracy.toFixed(3)} (${result.utterances - result.misses.length}/${result.utterances})`,
      ...kinds.map((k) => {
        const t = result.byKind[k];
        return `${k} ${t.accuracy.toFixed(3)} (${t.correct}/${t.count})`;
      }),
    ];
    const short = result.accuracy < overallTarget || kinds.some((k) => result.byKind[k].accuracy < kindTarget);
    expect(short, `${lines.join("\n")}\n\nMisses:\n${formatMisses(result.misses)}`).toBe(false);
  });
});
