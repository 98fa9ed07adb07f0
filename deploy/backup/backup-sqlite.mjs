#!/usr/bin/env node
// Online backup of Sapa IKM's SQLite database with SQLite's backup API (better-sqlite3's
// db.backup()), safe while the bot runs: it copies a consistent snapshot, including what is still
// in the -wal file, which a plain `cp` of the .db file would miss or tear. The copy is checked
// (integrity_check, the migrations table), turned into a single self-contained file (journal mode
// DELETE), named sapa-<UTC time>.db, and the newest BACKUP_KEEP are kept.
//
//   node deploy/backup/backup-sqlite.mjs [--dir DIR] [--keep N] [--db FILE]
//
// The database: --db, else DATABASE_URL (file:...), else the DATABASE_URL line of ./.env, else
// data/sapa.db, relative to the current directory like the bot's own (run it from the app's
// directory). DIR: --dir, else BACKUP_DIR, else /var/backups/sapa-ikm. N: --keep, else
// BACKUP_KEEP, else 14. See docs/operations.md, Backups.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";

const fail = (message) => {
  console.error(`backup-sqlite: ${message}`);
  process.exit(1);
};

const { values: args } = parseArgs({
  options: { dir: { type: "string" }, keep: { type: "string" }, db: { type: "string" } },
});

if (!args.db && !process.env.DATABASE_URL && fs.existsSync(".env")) process.loadEnvFile(".env");
const url = process.env.DATABASE_URL ?? "file:data/sapa.db";
if (!args.db && !url.startsWith("file:"))
  fail("DATABASE_URL is not a SQLite file: URL (for PostgreSQL use backup-postgres.sh)");
const source = path.resolve(args.db ?? url.replace(/^file:/, "").replace(/\?.*$/, ""));
const dir = path.resolve(args.dir ?? process.env.BACKUP_DIR ?? "/var/backups/sapa-ikm");
const keep = Number(args.keep ?? process.env.BACKUP_KEEP ?? 14);
if (!Number.isInteger(keep) || keep < 1) fail("--keep (BACKUP_KEEP) must be a positive number");
if (!fs.existsSync(source)) fail(`no database at ${source}`);

fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
const name = `sapa-${stamp}.db`;
const partial = path.join(dir, `.${name}.partial`);

const db = new Database(source, { fileMustExist: true });
try {
  // The bot may be writing: wait for its locks rather than fail at once.
  db.pragma("busy_timeout = 10000");
  await db.backup(partial);
} catch (err) {
  fs.rmSync(partial, { force: true });
  fail(`backup failed: ${err.message}`);
} finally {
  db.close();
}
fs.chmodSync(partial, 0o600);

const copy = new Database(partial);
try {
  const integrity = copy.pragma("integrity_check", { simple: true });
  if (integrity !== "ok") throw new Error(`integrity_check says: ${integrity}`);
  const migrations = copy.prepare("SELECT count(*) AS n FROM _prisma_migrations").get().n;
  // The source is in WAL mode, and so is the copy: one file is easier to keep and restore.
  copy.pragma("journal_mode = DELETE");
  copy.close();
  fs.renameSync(partial, path.join(dir, name));
  const size = (fs.statSync(path.join(dir, name)).size / 1024 / 1024).toFixed(1);
  console.log(`backup-sqlite: ${path.join(dir, name)} (${size} MB, ${migrations} migrations recorded)`);
} catch (err) {
  if (copy.open) copy.close();
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(partial + suffix, { force: true });
  fail(`the copy failed its check, removed: ${err.message}`);
}

// Keep the newest `keep` (the names sort by time).
const backups = fs
  .readdirSync(dir)
  .filter((f) => /^sapa-\d{8}T\d{6}Z\.db$/.test(f))
  .sort()
  .reverse();
for (const old of backups.slice(keep)) {
  fs.rmSync(path.join(dir, old));
  console.log(`backup-sqlite: removed ${old}`);
}
