/**
 * The console channel and a file sent with a message (a certificate): the message is printed,
 * then the path of the file it wrote, which holds the bytes sent.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createConsoleAdapter } from "../../src/channels/console.js";

describe("the console channel with a document", () => {
  it("prints the message and the path of the file it wrote", async () => {
    let printed = "";
    const output = new Writable({
      write(chunk, _encoding, done) {
        printed += String(chunk);
        done();
      },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-console-"));
    const adapter = createConsoleAdapter(output, dir);
    const bytes = Buffer.from("%PDF-1.3 contoh");
    await adapter.send("console-1", {
      text: "Selamat! Ini sertifikat Anda.",
      document: { fileName: "../sertifikat-SI-2026-000001-ABCD.pdf", mimeType: "application/pdf", bytes },
    });
    const file = path.join(dir, "sertifikat-SI-2026-000001-ABCD.pdf");
    expect(printed).toContain("Selamat! Ini sertifikat Anda.");
    expect(printed).toContain(`[Berkas / File: ${file}]`);
    // The name cannot lead the file out of the folder.
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
