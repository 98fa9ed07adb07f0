/**
 * The understanding benchmark: every message of the corpus (test/understanding/corpus.json) is
 * read at its question, built from the real flows (test/understanding/questions.ts), and judged
 * as the corpus test judges it (test/understanding/evaluate.ts).
 *   utterances          messages in the corpus
 *   accuracy            share read as expected; target at least 0.97
 *   accuracy_<kind>     the same by the kind of the expected reading: yes_no and choice (answers
 *                       at yes/no questions and at other questions), free_text, intent, unknown,
 *                       ambiguous
 *   p50_ms, p99_ms      one read() call, over BENCH_UNDERSTANDING_PASSES passes (default 20) of
 *                       the whole corpus after a warm-up pass; target p99 at most 5 on 2 cores
 *   holdout_accuracy    the same for test/understanding/holdout.json, a second writer's 300
 *                       messages (see loadHoldout); BENCH_UNDERSTANDING_HOLDOUT_MISSES=1 prints its misses
 * The misses (question, text, expected, got) are printed after the metrics. No database, no Redis.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { read } from "../src/understanding/index.js";
import { evaluate, formatMisses, kinds, loadCorpus, loadHoldout } from "../test/understanding/evaluate.js";
import { buildQuestions } from "../test/understanding/questions.js";
import type { BenchOutcome, Benchmark } from "./run.js";
import { percentile, positiveInt } from "./support.js";

const passes = positiveInt(process.env.BENCH_UNDERSTANDING_PASSES, 20);

const progress = (line: string) => console.error(`[understanding] ${line}`);
const fraction = (n: number) => Math.round(n * 10_000) / 10_000;
const ms = (n: number) => Math.round(n * 1000) / 1000;

async function run(): Promise<BenchOutcome> {
  const corpus = loadCorpus();
  const questions = await buildQuestions();
  const evaluation = evaluate(corpus, questions);

  // Timing: the same calls again, one at a time, after a pass that lets the JIT settle.
  const inputs = corpus.map((u) => [u.text, questions[u.q]] as const);
  for (const [text, question] of inputs) read(text, question);
  const times = new Float64Array(passes * inputs.length);
  let i = 0;
  for (let pass = 0; pass < passes; pass++)
    for (const [text, question] of inputs) {
      const start = performance.now();
      read(text, question);
      times[i++] = performance.now() - start;
    }
  const sorted = Array.from(times).sort((a, b) => a - b);
  progress(`${corpus.length} messages, ${times.length} timed reads on ${os.cpus().length} cores`);

  const metrics: Record<string, number> = {
    utterances: evaluation.utterances,
    accuracy: fraction(evaluation.accuracy),
  };
  for (const kind of kinds) metrics[`accuracy_${kind}`] = fraction(evaluation.byKind[kind].accuracy);
  metrics.p50_ms = ms(percentile(sorted, 50));
  metrics.p99_ms = ms(percentile(sorted, 99));
  // The second writer's set: how the rules do on sentences written apart from the corpus.
  const holdout = evaluate(loadHoldout(), questions);
  metrics.holdout_utterances = holdout.utterances;
  metrics.holdout_accuracy = fraction(holdout.accuracy);
  if (process.env.BENCH_UNDERSTANDING_HOLDOUT_MISSES === "1") console.log(formatMisses(holdout.misses));

  return {
    name: "understanding",
    date: new Date().toISOString(),
    node: process.version,
    database: "none",
    metrics,
    details: () => {
      const counts = kinds.map((k) => `${k} ${evaluation.byKind[k].correct}/${evaluation.byKind[k].count}`);
      console.log(`Read as expected, by kind: ${counts.join(", ")}`);
      if (!evaluation.misses.length) return console.log("No misses.");
      console.log(`${evaluation.misses.length} misses:`);
      console.table(evaluation.misses);
    },
  };
}

export const understanding: Benchmark = {
  name: "understanding",
  description: "the corpus of everyday messages read at the real questions: accuracy by kind, and read() latency",
  run,
};
