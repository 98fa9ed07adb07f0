// Prisma CLI configuration for PostgreSQL. @prisma/adapter-pg carries a patch (patches/) for
// Prisma bug 27403, without which `migrate deploy` fails on the `name` and `char` column types.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "postgres", "schema.prisma"),
  migrations: { path: path.join("prisma", "postgres", "migrations") },
  async adapter() {
    // The CLI does not close the pool, whose idle connections would keep it alive for 10 s.
    return new PrismaPg({ connectionString: process.env.DATABASE_URL, allowExitOnIdle: true, idleTimeoutMillis: 200 });
  },
});
