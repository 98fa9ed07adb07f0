/**
 * Applying migrations with Prisma's own `migrate deploy`, run offline through the JavaScript
 * schema engine (prisma.config.ts, prisma.postgres.config.ts). It records each migration in
 * `_prisma_migrations`, so `prisma migrate status` agrees afterwards.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sqliteFilePath } from "../config.js";

/**
 * The project's folder (prisma/, node_modules/, scripts/): the nearest folder above this module
 * with a package.json, so that it is the same from src/db (tsx) and from dist/src/db (the build).
 */
export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const folder = (provider: "sqlite" | "postgresql") => (provider === "sqlite" ? "sqlite" : "postgres");

/** The Prisma config file for a provider. */
export function prismaConfigFile(provider: "sqlite" | "postgresql"): string {
  return path.join(projectRoot, provider === "sqlite" ? "prisma.config.ts" : "prisma.postgres.config.ts");
}

/** Names of the project's migrations for a provider, in order. */
export function listMigrations(provider: "sqlite" | "postgresql"): string[] {
  const dir = path.join(projectRoot, "prisma", folder(provider), "migrations");
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort();
}

export type PrismaCliResult = { code: number; output: string };

/** Runs a Prisma CLI command against the database at `url`, collecting its output. */
export function runPrismaCli(args: string[], url: string): Promise<PrismaCliResult> {
  const provider = url.startsWith("file:") ? "sqlite" : "postgresql";
  // The CLI resolves relative SQLite paths against its own working directory: make it absolute.
  const absoluteUrl = provider === "sqlite" ? `file:${sqliteFilePath(url)}` : url;
  if (provider === "sqlite") fs.mkdirSync(path.dirname(sqliteFilePath(url)), { recursive: true });
  const bin = path.join(projectRoot, "node_modules", "prisma", "build", "index.js");
  const preload = path.join(projectRoot, "scripts", "unref-long-timers.cjs");
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--require", preload, bin, ...args, "--config", prismaConfigFile(provider)],
      {
        cwd: projectRoot,
        env: { ...process.env, DATABASE_URL: absoluteUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Applies all pending migrations; throws with Prisma's output when that fails. */
export async function migrateDatabase(url: string): Promise<string> {
  const result = await runPrismaCli(["migrate", "deploy"], url);
  if (result.code !== 0) throw new Error(`prisma migrate deploy failed:\n${result.output.trim()}`);
  return result.output;
}

/** Prisma's own `migrate status`: code 0 when the database is up to date. */
export function migrationStatus(url: string): Promise<PrismaCliResult> {
  return runPrismaCli(["migrate", "status"], url);
}
