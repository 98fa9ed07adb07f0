/**
 * The certificates benchmark: BENCH_CERTIFICATES certificates (default 1,000) rendered to PDF one
 * after another, each from its own row (names, businesses and numbers differ), as the outbox
 * worker renders them before sending.
 *   certificates          how many were rendered
 *   ms_per_certificate    median time of one rendering (the first, which parses the fonts, included)
 *   p95_ms                95th percentile of one rendering
 *   first_ms              the first rendering (reads and parses the font files)
 *   total_s               all of them
 *   kb_per_certificate    mean size of a PDF
 *   peak_rss_mb           the process's peak resident memory (max RSS) at the end
 * No database, no Redis: the rendering alone.
 */
import { performance } from "node:perf_hooks";
import { renderCertificatePdf } from "../src/domain/certificate-pdf.js";
import { certificateNumber } from "../src/domain/certificates.js";
import { sampleCertificate } from "../src/domain/certificate-sample.js";
import type { BenchOutcome, Benchmark } from "./run.js";
import { percentile, positiveInt, round } from "./support.js";

const count = positiveInt(process.env.BENCH_CERTIFICATES, 1000);
const progress = (line: string) => console.error(`[certificates] ${line}`);

const firstNames = ["Siti", "Budi", "Rina", "Ahmad", "Dewi", "Hendra", "Nur", "Yusuf", "Maria", "Agus"];
const lastNames = ["Aminah", "Santoso", "Wati", "Fauzi", "Lestari", "Wijaya", "Hidayah", "Pratama", "Ulfa", "Salim"];

async function run(): Promise<BenchOutcome> {
  const base = sampleCertificate(new Date("2026-12-03T00:00:00Z"), {
    issuer: "Dinas Perindustrian dan Perdagangan Provinsi Kepulauan Bangka Belitung",
    baseUrl: "https://sapa.example.go.id",
  });
  const times: number[] = [];
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const row = {
      ...base,
      number: certificateNumber(i + 1, 2026),
      holderName: `${firstNames[i % 10]} ${lastNames[Math.floor(i / 10) % 10]}`,
      businessName: `Usaha Lada ${i + 1}`,
    };
    const start = performance.now();
    const pdf = await renderCertificatePdf(row, "https://sapa.example.go.id");
    times.push(performance.now() - start);
    bytes += pdf.length;
    if ((i + 1) % 250 === 0) progress(`${i + 1} rendered`);
  }
  const total = performance.now() - started;
  const sorted = [...times].sort((a, b) => a - b);
  return {
    name: "certificates",
    date: new Date().toISOString(),
    node: process.version,
    database: "none",
    metrics: {
      certificates: count,
      ms_per_certificate: round(percentile(sorted, 50)),
      p95_ms: round(percentile(sorted, 95)),
      first_ms: round(times[0]!),
      total_s: round(total / 1000),
      kb_per_certificate: round(bytes / count / 1024),
      // maxRSS is in kilobytes.
      peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
    },
  };
}

export const certificates: Benchmark = {
  name: "certificates",
  description: "1,000 certificate PDFs rendered one after another: median time per certificate and peak memory",
  run,
};
