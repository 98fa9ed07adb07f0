/**
 * The golden transcripts of golden/ (written by golden.test.ts through the runtime on a
 * database) replayed through the engine and the flows with in-memory services
 * (test/support/flow-sim.ts): the same inputs must give the same replies, events and places.
 * Every golden file is replayed; a new one is picked up by itself. Replies that come from the
 * database rather than from the flows are left to golden.test.ts, step by step, below.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { EngineEvent, Language } from "../../src/engine/types.js";
import { FlowSim, type Reply } from "../support/flow-sim.js";
import { registrationAnswers } from "../support/harness.js";

type Input = string | { choice: string } | { media: "sticker" } | { old: string; from: number };
type Step = {
  input: Input;
  replies: Reply[];
  events: Exclude<EngineEvent, { type: "message_created" }>[];
  state: string | null;
};
type Transcript = { name: string; language: Language; steps: Step[] };

type Scene = {
  /** The channel the transcript's chat writes on (web unless said). */
  channel?: string;
  /** What golden.test.ts sets up before the first input, done in memory. */
  setup?: (sim: FlowSim) => Promise<void>;
  /** Steps whose replies are made after the turn, on the database; their events and places are still compared. */
  repliesOnDatabase?: Record<number, string>;
};

const scenes: Record<string, Scene> = {
  "enrollment-waitlist-en": {
    setup: async (sim) => {
      // lada-bangka-tengah-1, the first session of the seed.
      sim.world.sessions.find((s) => s.id === 1)!.capacity = 0;
    },
  },
  "staff-command-refused-id": { channel: "telegram" },
  "staff-broadcast-id": {
    channel: "telegram",
    setup: async (sim) => {
      for (const text of [...registrationAnswers(), "1", "1", { choice: "s1" }, "ya"]) await sim.send("budi", text);
      sim.world.staff.set("telegram:golden-staff-broadcast-id", { id: 1, name: "Rina", role: "staff" });
    },
    repliesOnDatabase: {
      8: "the broadcast is created after the commit (runStaffAction)",
      9: "/status lists broadcasts from the database",
      10: "/statistik counts enrollments in SQL",
    },
  },
};

const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const transcripts = fs
  .readdirSync(goldenDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(fs.readFileSync(`${goldenDir}${f}`, "utf8")) as Transcript);

/** Replays a transcript's inputs on a fresh simulation; returns the steps as golden.test.ts records them. */
async function replay(t: Transcript, scene: Scene): Promise<Step[]> {
  const channel = scene.channel ?? "web";
  const sim = new FlowSim({ channels: { [channel]: { buttons: true } } });
  const chatId = `golden-${t.name}`;
  await scene.setup?.(sim);
  const steps: Step[] = [];
  const offered: string[][] = [];
  for (const input of t.steps.map((s) => s.input)) {
    let sent: Parameters<FlowSim["send"]>[1];
    if (typeof input === "object" && "old" in input) {
      const id = offered[input.from]?.find((c) => c.startsWith(`${input.old}@`));
      if (!id) throw new Error(`step ${input.from} offered no ${input.old}`);
      sent = { choice: id };
    } else sent = input;
    const before = sim.turns.get(chatId)?.length ?? 0;
    const replies = await sim.send(chatId, sent, channel);
    offered.push(replies.some((r) => r.choices) ? sim.offeredIds(chatId, channel) : []);
    const turns = (sim.turns.get(chatId) ?? []).slice(before);
    expect(turns, `one engine turn for ${JSON.stringify(input)}`).toHaveLength(1);
    const { state, events } = turns[0]!;
    steps.push({
      input,
      replies,
      events: events.filter((e): e is Step["events"][number] => e.type !== "message_created"),
      state: state ? `${state.flow}.${state.node}` : null,
    });
  }
  return JSON.parse(JSON.stringify(steps)) as Step[];
}

describe("golden transcripts through the engine, without a database", () => {
  it("finds the golden files", () => {
    expect(transcripts.length).toBeGreaterThanOrEqual(17);
    for (const name of Object.keys(scenes)) expect(transcripts.map((t) => t.name)).toContain(name);
  });

  for (const t of transcripts)
    it(`${t.name}: the same replies, events and places`, async () => {
      const scene = scenes[t.name] ?? {};
      const actual = await replay(t, scene);
      const skipped = scene.repliesOnDatabase ?? {};
      const expected = t.steps.map((s, i) => (i in skipped ? { ...s, replies: actual[i]!.replies } : s));
      expect(actual).toEqual(expected);
    });
});
