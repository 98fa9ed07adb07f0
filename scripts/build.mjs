// `npm run build`: the app compiled to JavaScript for production (tsconfig.build.json), then
// src's other files (dashboard views and assets, the web chat page, the understanding data)
// copied next to the compiled modules, which read them relative to their own location. The
// output mirrors the tree: dist/src/main.js, dist/src/cli.js, dist/flows/...; it is run from the
// project folder, whose package.json ("type": "module"), node_modules and prisma/ it uses.
//
//   node scripts/build.mjs [--out-dir <dir>] [--no-check]
//
// --out-dir: another folder than dist/ (inside the project, so that node_modules is found).
// --no-check: emit without type-checking (the build test; `npm run typecheck` checks the types).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out-dir");
const outDir = path.resolve(outIndex >= 0 ? args[outIndex + 1] : path.join(root, "dist"));
const check = !args.includes("--no-check");

// Built in a fresh folder beside it (no compiled module of a source file since moved or deleted),
// which then takes its place: processes still running the previous build (an upgrade, before
// their restart) find a complete dist/ all along but for a moment.
const next = `${outDir}.new`;
fs.rmSync(next, { recursive: true, force: true });

const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
const tscArgs = ["-p", path.join(root, "tsconfig.build.json"), "--outDir", next];
if (!check) tscArgs.push("--noCheck");
const result = spawnSync(process.execPath, [tsc, ...tscArgs], { cwd: root, stdio: "inherit" });
if (result.status !== 0) {
  fs.rmSync(next, { recursive: true, force: true });
  console.error("build: tsc failed");
  process.exit(result.status ?? 1);
}

for (const dir of ["src", "flows"]) {
  fs.cpSync(path.join(root, dir), path.join(next, dir), {
    recursive: true,
    filter: (from) => fs.statSync(from).isDirectory() || !from.endsWith(".ts"),
  });
}
fs.rmSync(outDir, { recursive: true, force: true });
fs.renameSync(next, outDir);
console.log(
  `build: ${path.relative(root, outDir)} ready (node ${path.relative(root, path.join(outDir, "src", "main.js"))})`,
);
