/**
 * The import rules of shared/DESIGN.md are checked by `npm run lint` (eslint.config.js,
 * `layers`). Each case lints a line of code as if it were a file of that layer, so a rule that
 * stops matching (a renamed folder, a pattern that no longer catches `../` imports) fails here.
 */
import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, "../..") });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = x;\n`, { filePath: file });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("layer rules", () => {
  it.each([
    [
      "src/domain/example.ts",
      'import { x } from "../runtime/inbound-runtime.js";',
      "domain may not import the runtime",
    ],
    ["src/domain/example.ts", 'import { x } from "../jobs/reminders.js";', "domain may not import the queues"],
    ["src/domain/example.ts", 'import type { x } from "../channels/telegram.js";', "domain may not import a channel"],
    ["src/domain/example.ts", 'import { x } from "../admin/api.js";', "domain may not import the web server"],
    ["src/domain/example.ts", 'import { x } from "bullmq";', "domain may not import the queues (bullmq)"],
    ["src/runtime/example.ts", 'import { x } from "../jobs/reminders.js";', "runtime may not import the queues"],
    [
      "src/engine/example.ts",
      'import { x } from "../db/database.js";',
      "engine and understanding may not import the database",
    ],
    ["src/understanding/example.ts", 'import { x } from "ioredis";', "may not import Redis"],
    ["flows/example.ts", 'import { x } from "../src/db/database.js";', "flow may not import the database"],
    ["flows/example.ts", 'import { x } from "../src/outbox/queue.js";', "flow may not import the outbox"],
    ["flows/example.ts", 'import { x } from "@prisma/client";', "flow may not import the database (@prisma/*)"],
    ["flows/example.ts", 'import { x } from "fastify";', "flow may not import the web server"],
    ["src/channels/example.ts", 'import { x } from "../../flows/router.js";', "channel adapter may not import a flow"],
    [
      "src/channels/example.ts",
      'import { x } from "../domain/roster.js";',
      "channel adapter may not import the domain",
    ],
  ])("%s: refuses %s", async (file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it.each([
    ["src/domain/example.ts", 'import { x } from "../db/database.js";'],
    ["src/runtime/example.ts", 'import { x } from "../domain/roster.js";'],
    ["src/jobs/example.ts", 'import { x } from "../runtime/inbound-runtime.js";'],
    ["flows/example.ts", 'import { x } from "../src/engine/types.js";'],
    ["src/channels/example.ts", 'import type { x } from "../runtime/inbound-message.js";'],
  ])("%s: allows %s", async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
