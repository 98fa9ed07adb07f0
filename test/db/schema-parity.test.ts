import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { listMigrations } from "../../src/db/migrations.js";

const read = (p: string) => fs.readFileSync(p, "utf8");

/** Removes the two lines allowed to differ: the provider and the generated client's folder. */
const normalise = (schema: string) =>
  schema
    .replace(/^\s*provider\s*=\s*"(sqlite|postgresql)"\s*$/m, "<provider>")
    .replace(/^\s*output\s*=\s*"[^"]*generated\/(sqlite|postgres)"\s*$/m, "<output>");

describe("the SQLite and PostgreSQL schemas", () => {
  it("differ in nothing but the provider", () => {
    const sqlite = read("prisma/sqlite/schema.prisma");
    const postgres = read("prisma/postgres/schema.prisma");
    expect(sqlite).toMatch(/provider\s*=\s*"sqlite"/);
    expect(postgres).toMatch(/provider\s*=\s*"postgresql"/);
    expect(normalise(postgres)).toBe(normalise(sqlite));
  });

  it("have the same migrations, by name", () => {
    expect(listMigrations("postgresql")).toEqual(listMigrations("sqlite"));
    expect(listMigrations("sqlite").length).toBeGreaterThan(0);
  });
});
