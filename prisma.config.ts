// Prisma CLI configuration for SQLite (the default). PostgreSQL: prisma.postgres.config.ts.
// The JavaScript schema engine with a driver adapter keeps the CLI offline (DESIGN.md section 4).
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "sqlite", "schema.prisma"),
  migrations: { path: path.join("prisma", "sqlite", "migrations") },
  async adapter() {
    return new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? "file:data/sapa.db" });
  },
});
