/**
 * A fresh database for the soak benchmark, as bench/support.ts's freshDatabase makes one
 * (created, migrated, opened, tuned as the server does, seeded), but also giving its URL: the
 * application processes need it, and Database keeps only a description with any password hidden.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase, tuneSqlite, type Database, type DatabaseProvider } from "../../src/db/database.js";
import { migrateDatabase } from "../../src/db/migrations.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { postgresAdminUrl, withPostgresAdmin } from "../support.js";

export type SoakDatabase = { database: Database; url: string; drop(): Promise<void> };

export async function freshSoakDatabase(provider: DatabaseProvider): Promise<SoakDatabase> {
  let url: string;
  let remove: () => Promise<void>;
  if (provider === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-soak-"));
    url = `file:${path.join(dir, "soak.db")}`;
    remove = async () => fs.rmSync(dir, { recursive: true, force: true });
  } else {
    const name = `sapa_bench_soak_${crypto.randomBytes(4).toString("hex")}`;
    await withPostgresAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
    const u = new URL(postgresAdminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    remove = () => withPostgresAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {});
  }
  let database: Database | undefined;
  const drop = async () => {
    await database?.close().catch(() => {});
    await remove();
  };
  try {
    await migrateDatabase(url);
    database = openDatabase(url);
    await tuneSqlite(database);
    await seedDatabase(database.prisma);
    return { database, url, drop };
  } catch (err) {
    await drop();
    throw err;
  }
}
