/**
 * Once per test run: migrate one empty SQLite file and one empty PostgreSQL database with the
 * project's own `prisma migrate deploy`. Each test file then copies them (a file copy, or
 * CREATE DATABASE ... TEMPLATE), which is fast. Every PostgreSQL database this run made is
 * dropped at the end.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../../src/db/migrations.js";
import { adminUrl, databaseUrl, dropRunDatabases } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    runId: string;
    sqliteTemplate: string;
    postgresTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const runId = `sapa_t${process.pid}_${Date.now().toString(36)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-test-"));
  const sqliteTemplate = path.join(dir, "template.db");
  const postgresTemplate = `${runId}_template`;

  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${postgresTemplate}"`);
  await admin.end();

  await Promise.all([migrateDatabase(`file:${sqliteTemplate}`), migrateDatabase(databaseUrl(postgresTemplate))]);

  project.provide("runId", runId);
  project.provide("sqliteTemplate", sqliteTemplate);
  project.provide("postgresTemplate", postgresTemplate);

  return async () => {
    await dropRunDatabases(runId);
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
