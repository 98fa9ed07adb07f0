/**
 * The scripts of the pages with charts (the impact page): Chart.js's own UMD build, read from
 * node_modules and served by this server like dashboard.js (no CDN, within the strict CSP), and
 * impact-charts.js, which draws each chart from the JSON data block next to its table. Their
 * addresses carry a version that changes with their content.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

type Script = { file: string; body: string; url: string };

function script(file: string, location: string | URL): Script {
  const body = fs.readFileSync(location, "utf8");
  const version = crypto.createHash("sha256").update(body).digest("hex").slice(0, 12);
  return { file, body, url: `/dashboard/assets/${file}?v=${version}` };
}

// "chart.js" resolves to dist/chart.cjs; the browser build sits beside it.
const chartJsDir = path.dirname(createRequire(import.meta.url).resolve("chart.js"));

/** Chart.js first, then the page's script (both `defer`, so they run in this order). */
export const chartScripts: readonly Script[] = [
  script("chart.umd.js", path.join(chartJsDir, "chart.umd.js")),
  script("impact-charts.js", new URL("./assets/impact-charts.js", import.meta.url)),
];

export const chartScriptUrls = chartScripts.map((s) => s.url);
