/**
 * `npm run checkin:poster -- <session code> <file.pdf>`: writes the A4 poster of a session as a
 * PDF that carries its check-in code (in the document's subject, readable in the file), and
 * refuses a session code that does not exist.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/db/database.js";
import { seedDatabase } from "../src/domain/seed-database.js";
import { createTestDatabaseUrl, removeTestDatabase } from "./support/databases.js";

describe("checkin:poster", () => {
  let url: string;
  let database: Database;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-poster-"));

  beforeAll(async () => {
    url = await createTestDatabaseUrl("sqlite");
    database = openDatabase(url);
    await seedDatabase(database.prisma);
  });
  afterAll(async () => {
    await database.close();
    await removeTestDatabase(url);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "checkin-poster", ...args], {
      env: { ...process.env, DATABASE_URL: url, WHATSAPP_NUMBER: "+62 812-3456-7890", LOG_LEVEL: "warn" },
      encoding: "utf8",
      timeout: 60_000,
    });

  it("writes a PDF with the session's check-in code", async () => {
    const session = await database.prisma.trainingSession.findFirstOrThrow({ orderBy: { id: "asc" } });
    const file = path.join(dir, "poster.pdf");
    const result = run(session.code, file, "--channel", "whatsapp");
    expect(result.stderr).toBe("");
    const code = (await database.prisma.trainingSession.findUniqueOrThrow({ where: { id: session.id } })).checkInCode!;
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{6}$/);
    expect(result.stdout).toBe(
      `Poster for ${session.code} written to ${file}: type "HADIR ${code}", QR code for whatsapp.\n`,
    );
    const pdf = fs.readFileSync(file);
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    // The document subject (an uncompressed string object) is the words to type.
    expect(pdf.toString("latin1")).toContain(`(HADIR ${code})`);
    // Asked for Telegram, whose bot is not known here: the QR code is WhatsApp's, and it says so.
    const fallback = run(session.code, path.join(dir, "tg.pdf"), "--channel", "telegram");
    expect(fallback.stderr).toContain("the telegram link is unknown (TELEGRAM_BOT_USERNAME is not set)");
    expect(fallback.stdout).toContain(`"HADIR ${code}", QR code for whatsapp`);
  });

  it("refuses a session code that does not exist, and writes nothing", () => {
    const file = path.join(dir, "none.pdf");
    const result = run("tidak-ada", file);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('No training session with the code "tidak-ada".');
    expect(fs.existsSync(file)).toBe(false);
  });
});
