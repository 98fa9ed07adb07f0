import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { createTestDatabaseUrl, removeTestDatabase } from "../support/databases.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";

describe("npm run chat with piped input", () => {
  let url: string;
  const prefix = testPrefix();
  beforeAll(async () => {
    url = await createTestDatabaseUrl("sqlite");
    const db = openDatabase(url);
    await seedDatabase(db.prisma);
    await db.close();
  });
  afterAll(async () => {
    const redis = connectRedis();
    await deletePrefix(redis, prefix);
    await redis.quit();
    await removeTestDatabase(url);
  });

  it("registers and enrolls, printing each reply, and exits after the last line", () => {
    const input = [
      "halo",
      "ya",
      "Siti Aminah",
      "Konveksi Berkah",
      "2",
      "1",
      "081298765432",
      "belum",
      "ya",
      "1",
      "1",
      "1",
      "ya",
    ];
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "chat", "--as", "tester"], {
      input: input.join("\n") + "\n",
      env: { ...process.env, DATABASE_URL: url, QUEUE_PREFIX: prefix },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toContain("Apakah Anda setuju?\n\n1. Ya, saya setuju\n2. Tidak setuju\n3. Lihat pelatihan dulu");
    expect(out).toContain("Terima kasih, Siti Aminah!");
    // Her sector and regency first: konveksi in Pangkalpinang, the place first since it tells the two apart.
    expect(out).toMatch(
      /Pelatihan yang tersedia\. Silakan pilih:\n\n1\. Pangkalpinang · Produksi Konveksi\n2\. Belitung · Produksi Konveksi/,
    );
    // Plain text: no formatting markers in a terminal.
    expect(out).toMatch(/✅ Anda terdaftar di Produksi Konveksi \(Pangkalpinang\), /);
    // The last reply is the menu after enrolling: nothing comes after it.
    expect(out.trimEnd().endsWith("6. Bantuan")).toBe(true);
  });
});
