/**
 * `npm run bench -- <name>` runs one benchmark (no name: all). Each prints a table and writes
 * bench/results/<name>.json: { name, date, node, database, metrics } (DESIGN.md section 6).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { broadcast } from "./broadcast.js";
import { bulk } from "./bulk.js";
import { certificates } from "./certificates.js";
import { inbound } from "./inbound.js";
import { reminders } from "./reminders.js";
import { soak } from "./soak.js";
import { timing } from "./timing.js";
import { understanding } from "./understanding.js";
import { whatsappCloud } from "./whatsapp-cloud.js";

export type BenchResult = {
  name: string;
  date: string;
  node: string;
  database: string;
  metrics: Record<string, number>;
};
/** A result, and optionally something to print after its metrics table (not written to the JSON). */
export type BenchOutcome = BenchResult & { details?: () => void };
export type Benchmark = { name: string; description: string; run(): Promise<BenchOutcome> };

const benchmarks: Benchmark[] = [
  inbound,
  bulk,
  reminders,
  broadcast,
  soak,
  understanding,
  timing,
  certificates,
  whatsappCloud,
];

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const selected = wanted.length ? benchmarks.filter((b) => wanted.includes(b.name)) : benchmarks;
const unknown = wanted.filter((w) => !benchmarks.some((b) => b.name === w));
if (unknown.length) {
  console.error(
    `Unknown benchmark ${unknown.join(", ")}. Known: ${benchmarks.map((b) => b.name).join(", ") || "none yet"}.`,
  );
  process.exit(2);
}
if (!selected.length) console.log("No benchmarks yet.");
for (const bench of selected) {
  console.log(`\n# ${bench.name}: ${bench.description}`);
  const { details, ...result } = await bench.run();
  console.table(result.metrics);
  details?.();
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, `${bench.name}.json`), JSON.stringify(result, null, 2) + "\n");
}
