import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: "info" }, stream), output: () => lines.join("") };
}

describe("logging", () => {
  it("masks names, phone numbers and message text", () => {
    const { logger, output } = capture();
    logger.info(
      {
        participant: { name: "Budi Santoso", phone: "6281234567890" },
        chatId: "6281234567890",
        text: "nama saya Budi",
      },
      "registered",
    );
    const out = output();
    expect(out).not.toContain("Budi");
    expect(out).not.toContain("6281234567890");
    expect(out).toContain("B*** S***");
    expect(out).toContain("6281******890");
    expect(out).toContain("[14 chars]");
  });

  it("masks phone numbers inside messages and errors", () => {
    const { logger, output } = capture();
    logger.warn("send to 081234567890 failed");
    logger.error({ err: new Error("chat 6289876543210 not found") }, "oops");
    logger.warn("sender +60123456789 is from abroad");
    const out = output();
    expect(out).not.toContain("081234567890");
    expect(out).not.toContain("6289876543210");
    expect(out).not.toContain("60123456789");
  });
});
