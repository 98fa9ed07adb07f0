/**
 * A property-based fuzz of the flows (fast-check), on the engine with in-memory services
 * (test/support/flow-sim.ts). For every node that waits, in every flow: a chat is put at it
 * (a participant or a newcomer, plausible variables, sometimes ids that do not exist, a few
 * enrollments), its question is asked, then it gets a few generated inputs: answers, known
 * words, numbers, buttons old and foreign, stickers, shared contacts, odd Unicode, blank and
 * very long text, SQL and HTML, deep links. After each input:
 * - the bot answers, and no reply is empty; nothing throws;
 * - the conversation rests at a node that waits, with plain JSON variables (or has ended);
 * - no reply breaks a platform limit: Telegram and WhatsApp texts fit 4096 characters after
 *   splitting, and every button's data fits Telegram's 64 bytes;
 * - a sticker, a photo and the like, and nonsense at a question with options (however long),
 *   keep the participant's place.
 * A failure is shrunk to a small case and reported with its seed and path; replay it with
 * FUZZ_SEED=<seed> npx vitest run test/flows/fuzz.test.ts (FUZZ_RUNS sets runs per node).
 * What needs the database (storing any text) is fuzzed in fuzz-storage.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flowSet } from "../../flows/index.js";
import { regencies, sectors } from "../../flows/catalog.js";
import { defaultFollowUpQuestions, feedbackQuestions } from "../../flows/survey-questions.js";
import {
  renderForTelegram,
  renderForWhatsApp,
  telegramTextLimit,
  whatsappTextLimit,
} from "../../src/channels/render.js";
import type { ConversationState, FlowContext, OutgoingMessage, Vars } from "../../src/engine/types.js";
import type { InboundMessage } from "../../src/runtime/inbound-message.js";
import { FlowSim } from "../support/flow-sim.js";
import { parseTelegramHtml } from "../support/telegram-html.js";

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261127;
const runsPerNode = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 12;
const missingId = 999999;

// ------------------------------------------------------------------ inputs

const knownWords = [
  "ya",
  "tidak",
  "menu",
  "batal",
  "stop",
  "mulai",
  "bahasa",
  "bantuan",
  "daftar lada",
  "DAFTAR",
  "daftar konveksi belitung",
  "daftar tidak ada",
  "Ya",
  "YES",
  "no",
  "ok",
  "berhenti",
  "cancel",
  "help",
  "language",
  "menuuu",
  "bantuab",
  "stop pls",
  "/start",
  "mulai lagi",
  "halo",
  "lain",
  "lainnya",
  "kembali",
  "hapus",
  "lihat",
  "jadwal",
  "profil",
  "privasi",
  "simpan",
  "ubah",
  "sudah",
  "lewati",
  "english",
  "indonesia",
  "/siaran",
  "status",
  "/tautkan 1234 5678",
  "ga bisa dateng",
  "kapan?",
  "dimana",
  "hapus data saya",
  "mau ikut pelatihan AC",
  "makasih",
  "motivasi off",
  "lewati",
  "-",
  "lima",
  "⭐⭐⭐⭐⭐",
  "bagus",
  "nanti",
  "survei",
  "4/5",
];
const numbers = ["0", "-1", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "99", "1e9", "3.5", "007", "1.", "١"];
const sqlLike = [
  `'; DROP TABLE "Participant"; --`,
  `" OR 1=1 --`,
  `Robert'); DELETE FROM "Conversation"; --`,
  `1; UPDATE "Enrollment" SET status='cancelled'`,
];
const htmlLike = [
  "<script>alert(1)</script>",
  `<img src=x onerror="alert('x')">`,
  "<b>Budi</b> &amp; <i>Lada</i>",
  "*bold* _italic_ `code` [link](http://example.com)",
  "{{name}} ${name} %s %d",
];
const choiceIds = [
  "s999",
  `s${missingId}`,
  "yes",
  "no",
  "",
  "menu",
  "other",
  "fix",
  `p${missingId}`,
  `c${missingId}`,
  "p1",
  "s1",
  "c1",
  "enrollment",
  "schedule",
  "profile",
  "privacy",
  "language",
  "help",
  "summary",
  "name",
  "nib",
  "see",
  "delete",
  "en",
  "id",
  "lada",
  "Kota Pangkalpinang",
  "hadir-1",
  `tidak-${missingId}`,
  "x".repeat(200),
  "yes@zzz0",
  "survey-ya-1",
  `survey-nanti-${missingId}`,
  "5",
  "other",
  "skip",
];
const media = ["sticker", "photo", "voice", "video", "document", "location", "other"] as const;
/** Free-text answers; those a node's check accepts are its valid answers. */
const freeAnswers = [
  "Budi Santoso",
  "Siti Aminah",
  "Lada Jaya",
  "Konveksi Maju Bersama",
  "Kerajinan timah",
  "Kota Palembang, Sumatera Selatan",
  "081234567890",
  "+62 812-3456-7890",
  "6281298765432",
  "1234567890123",
  "1234.5678.90123",
  "Ny. Dewi",
];
const unicodePieces = [
  "😀",
  "👨‍👩‍👧‍👦",
  "🇮🇩",
  "中文",
  "مرحبا",
  "e\u0301",
  "\u200b",
  "\u202e",
  "\u0000",
  "\ud800",
  "\udc00",
  "\ufeff",
  "ß",
  "Ⅻ",
  "ｍｅｎｕ",
  " ",
  "\n",
  "a",
  "1",
  "?",
];

/** An input as generated; `pick` inputs are resolved against what the bot offered last. */
type FuzzInput =
  | { kind: "valid"; pick: number; as: "button" | "number" | "label" | "contact" }
  | { kind: "text"; text: string }
  | { kind: "nonsense"; text: string }
  | { kind: "choice"; id: string }
  | { kind: "tampered"; pick: number }
  | { kind: "media"; media: (typeof media)[number] }
  | { kind: "contact"; phone: string }
  | { kind: "deepLink"; payload: string };

/** Words no lexicon knows; a text of them answers no question with options. */
const nonsense = fc.array(fc.stringMatching(/^[qxzvj]{4,9}$/), { minLength: 1, maxLength: 4 }).chain((words) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(words.join(" ")) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 4_100, max: 10_000 }).map((n) => `${words.join(" ")} `.repeat(n).slice(0, n)),
    },
  ),
);

const longText = fc
  .array(fc.constantFrom("lada", "budi", "x", "menu", "🌶️", "pelatihan", "a".repeat(50), "ya"), {
    minLength: 1,
    maxLength: 8,
  })
  .chain((words) => fc.integer({ min: 4_000, max: 10_240 }).map((n) => `${words.join(" ")} `.repeat(n).slice(0, n)));

const fuzzInput: fc.Arbitrary<FuzzInput> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({
      kind: fc.constant("valid" as const),
      pick: fc.nat(20),
      as: fc.constantFrom(
        "button" as const,
        "button" as const,
        "number" as const,
        "label" as const,
        "contact" as const,
      ),
    }),
  },
  { weight: 15, arbitrary: fc.constantFrom(...knownWords).map((text) => ({ kind: "text" as const, text })) },
  { weight: 10, arbitrary: fc.constantFrom(...numbers).map((text) => ({ kind: "text" as const, text })) },
  { weight: 6, arbitrary: fc.constantFrom(...choiceIds).map((id) => ({ kind: "choice" as const, id })) },
  { weight: 3, arbitrary: fc.nat(20).map((pick) => ({ kind: "tampered" as const, pick })) },
  { weight: 5, arbitrary: fc.constantFrom(...media).map((m) => ({ kind: "media" as const, media: m })) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom("+6281234567890", "081234567890", "12345", "", "+1 (555) 010-9999")
      .map((phone) => ({ kind: "contact" as const, phone })),
  },
  {
    weight: 8,
    arbitrary: fc
      .array(fc.constantFrom(...unicodePieces), { minLength: 1, maxLength: 12 })
      .map((p) => ({ kind: "text" as const, text: p.join("") })),
  },
  {
    weight: 4,
    arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map((text) => ({ kind: "text" as const, text })),
  },
  {
    weight: 4,
    arbitrary: fc.constantFrom("", " ", "   \n\t  ", "\u00a0", "\n").map((text) => ({ kind: "text" as const, text })),
  },
  { weight: 1, arbitrary: longText.map((text) => ({ kind: "text" as const, text })) },
  { weight: 5, arbitrary: nonsense.map((text) => ({ kind: "nonsense" as const, text })) },
  {
    weight: 6,
    arbitrary: fc.constantFrom(...sqlLike, ...htmlLike).map((text) => ({ kind: "text" as const, text })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom("daftar-lada", "daftar-konveksi-belitung", "daftar-", "x")
      .map((payload) => ({ kind: "deepLink" as const, payload })),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...knownWords), fc.constantFrom("dong", "ya", "kak", "🙏", "123", "lada"))
      .map(([a, b]) => ({ kind: "text" as const, text: `${a} ${b}` })),
  },
);

// ------------------------------------------------------------------ the nodes

type Place = { flow: string; node: string };
const key = (p: Place) => `${p.flow}.${p.node}`;
const waitOf = (p: Place) => flowSet.flows[p.flow]?.nodes[p.node]?.wait;

const waitingNodes: Place[] = Object.values(flowSet.flows).flatMap((flow) =>
  Object.entries(flow.nodes)
    .filter(([, node]) => node.wait)
    .map(([node]) => ({ flow: flow.name, node })),
);

const registrationOrder: Record<string, number> = {
  consent: 0,
  ask_name: 1,
  ask_business: 2,
  ask_sector: 3,
  ask_sector_other: 3,
  check_sector: 3,
  ask_regency: 4,
  ask_regency_other: 4,
  check_regency: 4,
  ask_phone: 5,
  ask_has_nib: 6,
  ask_nib: 6,
};

/** Numbers drawn by fast-check, read one by one: shrinking them towards 0 makes the scene simpler. */
class Picks {
  private i = 0;
  constructor(private readonly values: number[]) {}
  int(n: number): number {
    return (this.values[this.i++ % this.values.length] ?? 0) % n;
  }
  /** True for the simplest draw (0), so shrinking keeps what a chance adds. */
  chance(p: number): boolean {
    return this.int(100) < p * 100;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
}

/** A chat put at a node: who they are, their enrollments, the variables of the conversation. */
type Scene = { registered: boolean; english: boolean; optedOut: boolean; enrolledIn: number[]; picks: number[] };

const sceneFor = (place: Place): fc.Arbitrary<Scene> =>
  fc.record({
    registered:
      place.flow === "registration" ? fc.constant(false) : place.flow === "language" ? fc.boolean() : fc.constant(true),
    english: fc.boolean(),
    optedOut: fc.boolean(),
    enrolledIn: fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { maxLength: 3 }),
    picks: fc.array(fc.nat(1000), { minLength: 12, maxLength: 12 }),
  });

/** Plausible variables for a node, sometimes with ids that do not exist (as in a conversation stored long ago). */
function varsFor(place: Place, r: Picks, sim: FlowSim, participantId: number | null, depth = 0): Vars {
  const vars: Vars = {};
  const sessions = sim.world.sessions;
  const mine = sim.world.enrollments.filter((e) => e.participantId === participantId);
  switch (place.flow) {
    case "registration": {
      const answers: [string, string | null][] = [
        ["consentAt", sim.clock.now.toISOString()],
        ["name", r.pick(["Budi Santoso", "Siti Aminah"])],
        ["businessName", "Lada Jaya"],
        ["sector", r.chance(0.8) ? r.pick(sectors).id : "Kerajinan timah"],
        ["regency", r.chance(0.8) ? r.pick(regencies) : "Kota Palembang, Sumatera Selatan"],
        ["phone", "6281234567890"],
        ["nib", r.chance(0.5) ? "1234567890123" : null],
      ];
      const correcting = !r.chance(0.8) && place.node !== "consent";
      const known = correcting ? answers.length : (registrationOrder[place.node] ?? answers.length);
      for (const [name, value] of answers.slice(0, known)) vars[name] = value;
      if (correcting) vars.correcting = true;
      if (!r.chance(0.85)) vars.linkQuery = r.pick(["lada", "konveksi", "tidak ada"]);
      break;
    }
    case "enrollment": {
      const session = r.pick(sessions);
      if (place.node === "choose_session") vars.programmeId = r.chance(0.85) ? session.programmeId : missingId;
      if (place.node === "confirm") {
        vars.programmeId = session.programmeId;
        vars.sessionId = r.chance(0.85) ? session.id : missingId;
      }
      break;
    }
    case "schedule":
    case "attendance": {
      const others = sim.world.enrollments.filter((e) => e.participantId !== participantId);
      const roll = r.int(100);
      vars.enrollmentId =
        roll < 60 && mine.length ? r.pick(mine).id : roll < 80 && others.length ? r.pick(others).id : missingId;
      break;
    }
    case "feedback":
    case "followup": {
      // A survey at any of its questions, about one of the participant's enrollments (or one gone).
      vars.surveyEnrollmentId = mine.length && r.chance(0.8) ? r.pick(mine).id : missingId;
      vars.surveyRound = place.flow === "feedback" ? "feedback" : r.pick(["followup-30d", "followup-90d"]);
      const questions = place.flow === "feedback" ? feedbackQuestions : defaultFollowUpQuestions;
      const index = r.int(questions.length + 1);
      vars.surveyIndex = index;
      vars.surveyKind = questions[index]?.kind ?? null;
      break;
    }
    case "survey_offer": {
      const offered = mine.length ? r.pick(mine) : null;
      if (offered && r.chance(0.7)) {
        const id = sim.world.invitations.length + 1;
        sim.world.invitations.push({
          id,
          participantId: participantId!,
          flow: r.pick(["feedback", "followup"]),
          round: "feedback",
          enrollmentId: offered.id,
          status: r.pick(["offered", "offered", "sent"]),
        });
        vars.surveyInvite = id;
      } else vars.surveyInvite = missingId;
      break;
    }
    case "language": {
      if (depth === 0 && r.chance(0.7)) {
        const targets = waitingNodes.filter(
          (p) => p.flow !== "language" && (participantId === null) === (p.flow === "registration"),
        );
        const target = r.pick(targets);
        Object.assign(vars, varsFor(target, r, sim, participantId, depth + 1), {
          returnFlow: target.flow,
          returnNode: target.node,
        });
      }
      break;
    }
  }
  if (participantId === null && !r.chance(0.8)) vars.language = "en";
  return vars;
}

/** Sets the scene in a fresh simulation; returns the chat's first state and what its question offered. */
async function setScene(place: Place, scene: Scene) {
  const sim = new FlowSim({ channels: { web: { buttons: true } } });
  const r = new Picks(scene.picks);
  let participantId: number | null = null;
  if (scene.registered) {
    participantId = sim.addParticipant(
      {
        name: r.pick(["Budi Santoso", "Siti Aminah", "Ahmad", "Dewi Lestari"]),
        businessName: r.pick(["Lada Jaya", "Konveksi Maju", "Servis AC Prima"]),
        sector: r.chance(0.8) ? r.pick(sectors).id : "Kerajinan timah",
        regency: r.chance(0.8) ? r.pick(regencies) : "Kota Palembang",
        phone: "6281234567890",
        nib: r.chance(0.5) ? "1234567890123" : null,
      },
      { language: scene.english ? "en" : "id", optedOut: scene.optedOut },
    );
    for (const s of scene.enrolledIn) sim.enroll(participantId, s);
  }
  const vars = varsFor(place, r, sim, participantId);
  const chatId = "fuzz";
  const shown = await sim.place(chatId, { ...place, vars }, participantId);
  return { sim, chatId, vars, shown };
}

// ------------------------------------------------------------------ the properties

/** What the bot offered last, as [stamped id, label]. */
const offeredIn = (messages: OutgoingMessage[]) => messages.findLast((m) => m.choices?.length)?.choices ?? [];

/** The inbound fields of an input, given where the chat is and what it was offered. */
function toMessage(input: FuzzInput, at: ConversationState | null, offered: { id: string; label: string }[]) {
  const fields: Partial<InboundMessage> = {};
  switch (input.kind) {
    case "valid": {
      if (offered.length) {
        const i = input.pick % offered.length;
        if (input.as === "number") fields.text = String(i + 1);
        else if (input.as === "label") fields.text = offered[i]!.label;
        else fields.choiceId = offered[i]!.id;
        break;
      }
      const wait = at ? waitOf(at) : undefined;
      if (wait?.requestPhone && input.as === "contact") fields.contactPhone = "+6281234567890";
      else {
        const ok = wait?.validate ? freeAnswers.filter((a) => "value" in wait.validate!(a, {} as FlowContext)) : [];
        const options = ok.length ? ok : ["halo", "ya", "menu"];
        fields.text = options[input.pick % options.length];
      }
      break;
    }
    case "tampered":
      fields.choiceId = offered.length ? `${offered[input.pick % offered.length]!.id}x` : "yes@000";
      break;
    case "text":
    case "nonsense":
      fields.text = input.text;
      break;
    case "choice":
      fields.choiceId = input.id;
      break;
    case "media":
      fields.media = input.media;
      break;
    case "contact":
      fields.contactPhone = input.phone;
      break;
    case "deepLink":
      fields.deepLink = input.payload;
      fields.text = `/start ${input.payload}`;
      break;
  }
  return fields;
}

/** What is wrong with where a conversation rests, or null. */
function invalidState(state: ConversationState | null): string | null {
  if (!state) return null;
  const node = flowSet.flows[state.flow]?.nodes[state.node];
  if (!node) return `rests at unknown node ${key(state)}`;
  if (!node.wait) return `rests at ${key(state)}, which does not wait`;
  for (const [name, value] of Object.entries(state.vars))
    if (value !== null && !["string", "number", "boolean"].includes(typeof value))
      return `variable ${name} is not plain: ${String(value)}`;
  if (JSON.stringify(JSON.parse(JSON.stringify(state.vars))) !== JSON.stringify(state.vars))
    return "variables do not survive JSON";
  return null;
}

const utf8 = new TextEncoder();

/** What in a reply breaks a platform's limit, or null. */
function overLimit(m: OutgoingMessage): string | null {
  for (const c of m.choices ?? [])
    if (utf8.encode(c.id).length > 64) return `button data ${JSON.stringify(c.id)} is over 64 bytes`;
  for (const part of renderForTelegram(m).parts) {
    const length = parseTelegramHtml(part).text.length;
    if (length > telegramTextLimit) return `a Telegram part of ${length} characters`;
  }
  for (const part of renderForWhatsApp(m))
    if (part.length > whatsappTextLimit) return `a WhatsApp part of ${part.length} characters`;
  return null;
}

const visited = new Map<string, number>();

/** Runs the inputs at a node and checks every property after each; throws what failed. */
async function checkInputs(place: Place, scene: Scene, inputs: FuzzInput[]): Promise<void> {
  const { sim, chatId, shown } = await setScene(place, scene);
  let offered = offeredIn(shown);
  for (const [i, input] of inputs.entries()) {
    const at = sim.conversation(chatId);
    if (at) visited.set(key(at), (visited.get(key(at)) ?? 0) + 1);
    const where = `input ${i + 1} at ${at ? key(at) : "(no conversation)"}`;
    const turn = await sim.message(chatId, toMessage(input, at, offered));
    if (!turn.replies.length) throw new Error(`${where}: no reply`);
    const blank = turn.replies.findIndex((m) => !m.text.trim() && !m.choices?.length);
    if (blank >= 0) throw new Error(`${where}: reply ${blank + 1} of ${turn.replies.length} is empty`);
    for (const m of [...turn.replies, ...turn.elsewhere.map((e) => e.message)]) {
      const problem = overLimit(m);
      if (problem) throw new Error(`${where}: ${problem}`);
    }
    const after = sim.conversation(chatId);
    const problem = invalidState(after);
    if (problem) throw new Error(`${where}: ${problem}`);
    // The place is kept: media anywhere it is resumed; nonsense where only options answer.
    const wait = at && at.flow !== "staff" ? waitOf(at) : undefined;
    const keeps = input.kind === "media" || (input.kind === "nonsense" && !wait?.validate && !wait?.freeform);
    if (wait && keeps && (!after || key(after) !== key(at!)))
      throw new Error(`${where}: ${input.kind} moved the chat to ${after ? key(after) : "(no conversation)"}`);
    offered = offeredIn(turn.replies);
  }
}

describe(`fuzzing the flows on the engine, without a database (seed ${seed})`, () => {
  for (const [i, place] of waitingNodes.entries()) {
    const nodeSeed = seed + i;
    it(`${key(place)} (seed ${nodeSeed})`, async () => {
      await fc.assert(
        fc.asyncProperty(sceneFor(place), fc.array(fuzzInput, { minLength: 3, maxLength: 5 }), (scene, inputs) =>
          checkInputs(place, scene, inputs),
        ),
        { seed: nodeSeed, numRuns: runsPerNode },
      );
    });
  }

  it("reached every node that waits", () => {
    const missed = waitingNodes.map(key).filter((k) => !visited.has(k));
    expect(missed, `waiting nodes never visited (seed ${seed})`).toEqual([]);
  });
});
