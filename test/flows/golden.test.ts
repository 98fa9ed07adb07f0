/**
 * Golden transcripts of every flow, in the goflow manner: each script is a list of inputs to one
 * chat; every step records the bot's replies, the engine's events (without message_created,
 * whose text is in the replies) and where the conversation rests. The expected transcripts live
 * in golden/<name>.json; `UPDATE_GOLDEN=1 npx vitest run test/flows/golden.test.ts` rewrites them.
 * Time is frozen and each transcript gets a freshly seeded database, so ids and dates repeat.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { describe, expect, it } from "vitest";
import type { EngineEvent, Language } from "../../src/engine/types.js";
import { createHarness, registrationAnswers, type Harness, type Reply } from "../support/harness.js";

/**
 * A text, a press on an option of the latest question that offers it, a sticker, or a press on
 * a button of an earlier step's message (`old`: the option, `from`: that step's index), as
 * someone scrolling up and tapping an old button does.
 */
type Input = string | { choice: string } | { media: "sticker" } | { old: string; from: number };

type Step = {
  input: Input;
  replies: Reply[];
  events: Exclude<EngineEvent, { type: "message_created" }>[];
  /** "<flow>.<node>", or null when the conversation ended. */
  state: string | null;
};

type Transcript = { name: string; language: Language; steps: Step[] };

const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

/**
 * Sends each input to one chat on a fresh bot and records what happened at every step; in the web
 * chat unless `channel` says otherwise (staff commands work on Telegram and WhatsApp only).
 */
async function record(
  name: string,
  language: Language,
  inputs: Input[],
  setup?: (h: Harness) => Promise<void>,
  channel = "web",
): Promise<Transcript> {
  const h = await createHarness("sqlite", { channels: { [channel]: { buttons: true } } });
  const chatId = `golden-${name}`;
  try {
    await setup?.(h);
    const steps: Step[] = [];
    const offered: string[][] = [];
    for (const input of inputs) {
      const before = h.turns.get(chatId)?.length ?? 0;
      let sent: Parameters<Harness["send"]>[1];
      if (typeof input === "object" && "old" in input) {
        const id = offered[input.from]?.find((c) => c.startsWith(`${input.old}@`));
        if (!id) throw new Error(`step ${input.from} offered no ${input.old}`);
        sent = { choice: id };
      } else sent = input;
      const replies = await h.send(chatId, sent, channel);
      offered.push(replies.some((r) => r.choices) ? await h.offeredIds(chatId) : []);
      const turns = (h.turns.get(chatId) ?? []).slice(before);
      expect(turns, `one engine turn for ${JSON.stringify(input)}`).toHaveLength(1);
      const { state, events } = turns[0]!;
      steps.push({
        input,
        replies,
        events: events.filter((e) => e.type !== "message_created"),
        state: state ? `${state.flow}.${state.node}` : null,
      });
    }
    // As JSON would have it, so the comparison with the file sees no undefined fields.
    return JSON.parse(JSON.stringify({ name, language, steps })) as Transcript;
  } finally {
    await h.close();
  }
}

/**
 * Compares a transcript with its golden file, or rewrites the file when UPDATE_GOLDEN=1. Files
 * are written the way Prettier formats them (JSON.stringify alone spreads short arrays over
 * many lines, which `prettier --check` refuses), so rewriting and formatting agree.
 */
async function expectGolden(actual: Transcript): Promise<void> {
  const file = path.join(goldenDir, `${actual.name}.json`);
  if (update) {
    fs.mkdirSync(goldenDir, { recursive: true });
    const options = { ...(await resolveConfig(file)), filepath: file };
    fs.writeFileSync(file, await format(JSON.stringify(actual, null, 2), options));
    return;
  }
  if (!fs.existsSync(file))
    throw new Error(
      `Missing golden file ${path.relative(process.cwd(), file)}: run UPDATE_GOLDEN=1 npx vitest run test/flows/golden.test.ts`,
    );
  const expected = JSON.parse(fs.readFileSync(file, "utf8")) as Transcript;
  expect(actual).toEqual(expected);
}

/** Registers Budi (lada, Kabupaten Bangka Tengah, no NIB) in Indonesian. */
const registerId = registrationAnswers();

/** Registers Siti in English: the language is switched at the consent question. */
const registerEn = [
  "halo",
  "LANGUAGE",
  "English",
  "yes",
  "Siti Aminah",
  "Lada Siti",
  "1",
  "4",
  "0812 9876 5432",
  "skip",
  "yes",
];

describe("golden transcripts", () => {
  it("registration-id: consent, the profile, a wrong NIB, a correction, saved", async () => {
    await expectGolden(
      await record("registration-id", "id", [
        "halo",
        "ya",
        "Budi Santoso",
        "Lada Jaya",
        "1",
        "4",
        "0812 3456 7890",
        "Sudah, saya isi",
        "123",
        "1234567890123",
        "ada yang perlu diubah",
        "nama",
        "Budi Santoso Putra",
        "Ya!",
      ]),
    );
  });

  it("registration-refused-id: a refusal ends the conversation; the next message asks again", async () => {
    await expectGolden(await record("registration-refused-id", "id", ["halo", "tidak", "halo"]));
  });

  it("registration-en: English chosen with LANGUAGE, a typed sector and regency", async () => {
    await expectGolden(
      await record("registration-en", "en", [
        "halo",
        "LANGUAGE",
        "English",
        "yes",
        "Siti Aminah",
        "Batik Siti",
        "other",
        "Batik and handicrafts",
        "other",
        "Kota Palembang, Sumatera Selatan",
        "+62 812-9876-5432",
        "skip",
        "yes",
      ]),
    );
  });

  it("enrollment-id: a programme, a session, enrolled; the same session again is already taken", async () => {
    await expectGolden(
      await record("enrollment-id", "id", [
        ...registerId,
        "1",
        "1",
        { choice: "s1" },
        "ya, daftarkan saya",
        "daftar pelatihan",
        "1",
        "1",
        "lihat jadwal saya",
      ]),
    );
  });

  it("enrollment-deep-link-id: DAFTAR LADA registers, then goes straight to the lada sessions", async () => {
    await expectGolden(
      await record("enrollment-deep-link-id", "id", ["DAFTAR LADA", ...registerId.slice(1), "2", "ya"]),
    );
  });

  it("enrollment-waitlist-en: a full session puts the participant on the waiting list", async () => {
    await expectGolden(
      await record("enrollment-waitlist-en", "en", [...registerEn, "enroll", "1", "1", "yes", "my schedule"], (h) =>
        h.db.prisma.trainingSession
          .update({ where: { code: "lada-bangka-tengah-1" }, data: { capacity: 0 } })
          .then(() => undefined),
      ),
    );
  });

  it("schedule-cancel-id: an enrollment cancelled from the schedule", async () => {
    await expectGolden(
      await record("schedule-cancel-id", "id", [
        ...registerId,
        "1",
        "1",
        "1",
        "ya",
        "jadwal saya",
        "1",
        "ya, batalkan",
        "jadwal",
      ]),
    );
  });

  it("profile-id: the business name and a typed sector changed, back to the menu", async () => {
    await expectGolden(
      await record("profile-id", "id", [
        ...registerId,
        "profil",
        "ubah nama usaha",
        "Lada Jaya Makmur",
        "ubah bidang usaha",
        "Lainnya",
        "Kerajinan timah",
        "kembali ke menu",
      ]),
    );
  });

  it("privacy-id: the stored data shown, then deleted; the next message registers afresh", async () => {
    await expectGolden(
      await record("privacy-id", "id", [
        ...registerId,
        "privasi",
        "lihat data saya",
        "privasi",
        "hapus data saya",
        "ya",
        "halo",
      ]),
    );
  });

  it("staff-broadcast-id: linked staff broadcast to the unconfirmed of a programme in one regency, then /status and /statistik", async () => {
    await expectGolden(
      await record(
        "staff-broadcast-id",
        "id",
        [
          "/siaran",
          "",
          "Yth. Bapak/Ibu peserta bimtek lada, mohon membawa KTP dan contoh produk. Terima kasih.",
          { choice: "yes" },
          "Dear participants, please bring your ID card and a product sample. Thank you.",
          { choice: "p1" },
          { choice: "unconfirmed" },
          { choice: "r3" },
          { choice: "send" },
          "/status",
          "statistik",
          "/siaran",
          "BATAL",
        ],
        async (h) => {
          // Budi (lada, Kabupaten Bangka Tengah) enrolls and has not confirmed; the chat is linked staff.
          for (const text of [...registerId, "1", "1", { choice: "s1" }, "ya"]) await h.send("budi", text);
          const staff = await h.db.prisma.staff.create({
            data: { email: "rina@disperindag.example.go.id", name: "Rina", role: "staff", passwordHash: "!" },
          });
          await h.db.prisma.staffIdentity.create({
            data: { staffId: staff.id, channel: "telegram", platformUserId: "golden-staff-broadcast-id" },
          });
        },
        "telegram",
      ),
    );
  });

  it("staff-command-refused-id: a participant who types a staff command gets the ordinary help", async () => {
    await expectGolden(
      await record("staff-command-refused-id", "id", [...registerId, "/siaran", "status"], undefined, "telegram"),
    );
  });

  it("everyday-id: a newcomer writes as people chat, asks out of turn, and is understood at every step", async () => {
    await expectGolden(
      await record("everyday-id", "id", [
        "halo kak, mau ikut pelatihan AC dong",
        "jam brp acaranya?",
        "hmm",
        "oke sip",
        "nama saya Siti Aminah",
        "ya",
        "Servis Dingin Jaya",
        "tukang ac",
        "Pangkal Pinang",
        "no hp sy 0812 3456 7001",
        "blm ada",
        "udh betul",
        "yg pertama",
        "siap",
        "alamatnya dimana ya",
        "makasih min",
      ]),
    );
  });

  it("everyday-places-id: towns name their regency, a sector of one's own is checked, close options are asked about", async () => {
    await expectGolden(
      await record("everyday-places-id", "id", [
        "assalamualaikum",
        "iyaa setuju",
        "Hj. Rosmawati",
        "Konveksi Berkah",
        "lainnya",
        "servis ac",
        "iya betul",
        "Sungailiat",
        "081234567890",
        "belum punya",
        "sudah benar",
        "mau ikut konveksi",
        "yang di pkp",
        "1",
        "ya",
      ]),
    );
  });

  it("cancel-not-cancelled-id: BATAL stops a step and says what did not happen; an enrollment is cancelled only after a confirmation", async () => {
    await expectGolden(
      await record("cancel-not-cancelled-id", "id", [
        ...registerId,
        "1",
        "1",
        "1",
        "ya",
        "daftar pelatihan",
        "2",
        "1",
        "batal",
        "batal",
        "tidak jadi",
        "jadwal saya",
        "ga bisa dateng",
        "gak jadi, tetap ikut",
        "saya berhalangan hadir",
        "iya batalkan",
        "jadwal",
      ]),
    );
  });

  it("old-button-id: a button of an earlier question changes nothing, even where it would delete data", async () => {
    // The registration summary ("Sudah benar?") answers the NIB question, the step before the last.
    const summaryStep = registerId.length - 2;
    await expectGolden(
      await record("old-button-id", "id", [
        ...registerId.slice(0, -1),
        { choice: "yes" },
        "privasi",
        "hapus data saya",
        // "Ya, simpan" of the registration summary, pressed while the bot asks "Yakin ingin menghapus?".
        { old: "yes", from: summaryStep },
        { old: "yes", from: summaryStep },
        "tidak jadi",
        "lihat data saya",
      ]),
    );
  });

  it("english-first-en: a first message in English gets English, and a switch mid-way keeps the place", async () => {
    await expectGolden(
      await record("english-first-en", "en", [
        "Hello, I would like to join the pepper training",
        "yes",
        "my name is Andi Wijaya",
        "Andi Pepper House",
        "pepper",
        "koba",
        "+62 812-5555-0101",
        "no",
        "bahasa indonesia",
        "ya betul",
      ]),
    );
  });

  it("keywords-and-fallback-id: media, long text, nonsense and every global keyword", async () => {
    await expectGolden(
      await record("keywords-and-fallback-id", "id", [
        ...registerId,
        { media: "sticker" },
        "Selamat pagi, saya ingin bertanya tentang pelatihan. ".repeat(100).slice(0, 5000),
        "xyz nonsense",
        "menu!",
        "Bantuan dong",
        "stop pls",
        "mulai",
        "bahasa",
        "English",
      ]),
    );
  });
});
