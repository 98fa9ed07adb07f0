// Generates the Prisma clients for SQLite and PostgreSQL (run by `npm ci` through postinstall).
// The CLI needs DATABASE_URL to be set, or it tries to download a query engine; its value is
// not used by `generate`, so a placeholder of the right kind is given when none is set.
import { spawnSync } from "node:child_process";

const targets = [
  { config: "prisma.config.ts", url: "file:data/sapa.db" },
  { config: "prisma.postgres.config.ts", url: "postgresql://localhost:5432/placeholder" },
];

for (const { config, url } of targets) {
  const result = spawnSync("npx", ["prisma", "generate", "--no-hints", "--config", config], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
  if (result.status !== 0) {
    console.error(`prisma generate failed for ${config}`);
    process.exit(result.status ?? 1);
  }
}
