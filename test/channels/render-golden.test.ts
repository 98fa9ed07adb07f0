/**
 * Every flow's messages as each channel shows them: each transcript in test/flows/golden/ has
 * its replies rendered for Telegram (HTML parts and button labels), WhatsApp (text with numbered
 * choices), the web chat (plain text, safe HTML, labels) and the console, and compared with
 * test/channels/golden-render/<name>.json. `UPDATE_GOLDEN=1 npx vitest run
 * test/channels/render-golden.test.ts` rewrites them (and removes those whose transcript is gone).
 * The transcripts change with the flows; this test reads whatever is there.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { describe, expect, it } from "vitest";
import { renderForConsole, renderForTelegram, renderForWeb, renderForWhatsApp } from "../../src/channels/render.js";
import type { OutgoingMessage } from "../../src/engine/types.js";

type Reply = { text: string; choices?: string[] };
type Transcript = { name: string; steps: { input: unknown; replies: Reply[] }[] };

const transcriptDir = fileURLToPath(new URL("../flows/golden/", import.meta.url));
const goldenDir = fileURLToPath(new URL("./golden-render/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const transcripts = fs
  .readdirSync(transcriptDir)
  .filter((f) => f.endsWith(".json"))
  .sort();

/** One reply as every channel renders it. Transcripts keep labels only: ids are made up. */
function renderEverywhere(reply: Reply) {
  const message: OutgoingMessage = {
    text: reply.text,
    ...(reply.choices ? { choices: reply.choices.map((label, i) => ({ id: `c${i + 1}`, label })) } : {}),
  };
  const telegram = renderForTelegram(message);
  const web = renderForWeb(message);
  return {
    telegram: { html: telegram.parts, buttons: telegram.buttons?.map((b) => b.text) ?? null },
    whatsapp: renderForWhatsApp(message),
    web: { text: web.text, html: web.html, choices: web.choices?.map((c) => c.label) ?? null },
    console: renderForConsole(message),
  };
}

/** Written the way Prettier formats it, so `prettier --check` agrees with a rewrite. */
async function writeGolden(file: string, value: unknown): Promise<void> {
  fs.mkdirSync(goldenDir, { recursive: true });
  const options = { ...(await resolveConfig(file)), filepath: file };
  fs.writeFileSync(file, await format(JSON.stringify(value, null, 2), options));
}

describe("every flow's messages rendered for each channel", () => {
  it("has a transcript to render", () => {
    expect(transcripts.length).toBeGreaterThan(0);
  });

  for (const name of transcripts) {
    it(name.replace(/\.json$/, ""), async () => {
      const transcript = JSON.parse(fs.readFileSync(path.join(transcriptDir, name), "utf8")) as Transcript;
      const actual = {
        name: transcript.name,
        steps: transcript.steps.map((s) => ({ input: s.input, replies: s.replies.map(renderEverywhere) })),
      };
      const file = path.join(goldenDir, name);
      if (update) return writeGolden(file, actual);
      if (!fs.existsSync(file))
        throw new Error(
          `Missing ${path.relative(process.cwd(), file)}: run UPDATE_GOLDEN=1 npx vitest run test/channels/render-golden.test.ts`,
        );
      expect(actual).toEqual(JSON.parse(fs.readFileSync(file, "utf8")));
    });
  }

  it("keeps no rendering of a transcript that is gone", () => {
    const stale = fs.existsSync(goldenDir)
      ? fs.readdirSync(goldenDir).filter((f) => f.endsWith(".json") && !transcripts.includes(f))
      : [];
    if (update) for (const f of stale) fs.rmSync(path.join(goldenDir, f));
    else expect(stale, "run UPDATE_GOLDEN=1 to remove them").toEqual([]);
  });
});
