/**
 * Understanding on its own: no database, no flows. What a participant would notice: the right
 * option picked from everyday words, a question answered instead of refused, bad input turned
 * away without guessing. The corpus test measures the rest.
 */
import { describe, expect, it } from "vitest";
import { regencyChoices } from "../../flows/fields.js";
import { analyse, detectLanguage, findProgrammes, read, type Question } from "../../src/understanding/index.js";
import { fixtureProgrammes } from "./questions.js";

const t = (id: string, en = id) => ({ id, en });
const yesNo: Question = {
  choices: [
    { id: "yes", label: t("Ya, saya setuju", "Yes, I agree") },
    { id: "no", label: t("Tidak setuju", "I do not agree") },
  ],
};
/** The regency question as the flows ask it: each regency known by its towns and districts. */
const regencies: Question = { choices: regencyChoices() };
const name: Question = { choices: [], free: "name" };

describe("understanding", () => {
  it("turns chat forms into words: elongation, slang, numbers written 2, two words typed as one", () => {
    expect(analyse("iyaaa kak").tokens).toEqual(["iya", "kak"]);
    expect(analyse("udh brp").words).toEqual(["sudah", "berapa"]);
    expect(analyse("hati2").tokens).toEqual(["hati", "hati"]);
    expect(analyse("udahbenar").words).toContain("benar");
    expect(analyse("👍👍👍").tokens).toEqual(["👍"]);
  });

  it("reads everyday yes and no, with emoji, and never a question as a plain yes", () => {
    for (const text of ["udh betul", "oke sip", "siap", "👍", "iya dong kak", "ya, saya mau ikut pelatihan"])
      expect(read(text, yesNo), text).toEqual({ kind: "choice", choiceId: "yes" });
    for (const text of ["nggak", "tidak setuju", "👎", "jangan simpan data saya"])
      expect(read(text, yesNo), text).toEqual({ kind: "choice", choiceId: "no" });
    expect(read("blm tau, nanti dulu", yesNo)).toEqual({ kind: "unknown" });
    expect(read("bisa bawa teman?", { choices: [{ ...yesNo.choices[0]!, label: t("Hadir") }] }).kind).not.toBe(
      "choice",
    );
  });

  it("finds the regency from a town, a district or a spelling with spaces, and asks when two fit", () => {
    expect(read("Sungailiat", regencies)).toEqual({ kind: "choice", choiceId: "Kabupaten Bangka" });
    expect(read("pangkal pinang", regencies)).toEqual({ kind: "choice", choiceId: "Kota Pangkalpinang" });
    expect(read("di koba kak", regencies)).toEqual({ kind: "choice", choiceId: "Kabupaten Bangka Tengah" });
    expect(read("bangka", regencies)).toEqual({ kind: "choice", choiceId: "Kabupaten Bangka" });
    expect(read("Bangka Belitung", regencies)).toEqual({ kind: "unknown" });
    const island = read("pulau bangka", regencies);
    expect(island.kind).toBe("ambiguous");
  });

  it("answers a question asked instead of an answer, at any step", () => {
    expect(read("jam brp acaranya", name)).toMatchObject({ kind: "intent", intent: { name: "when" } });
    expect(read("alamatnya dimana?", regencies)).toMatchObject({ kind: "intent", intent: { name: "where" } });
    expect(read("ga bisa dateng", { choices: [] })).toMatchObject({ intent: { name: "cancel_enrollment" } });
    expect(read("english please", { choices: [] })).toMatchObject({ intent: { name: "language", language: "en" } });
    expect(read("mau ikut pelatihan AC dong", { choices: [] })).toMatchObject({
      intent: { name: "join", programme: "ac" },
    });
    // A question about what would happen asks for nothing to be done.
    expect(read("kalo dihapus, pendaftaran saya ikut batal?", yesNo).kind).not.toBe("intent");
  });

  it("takes a name as a name, without the words around it, and refuses what cannot be one", () => {
    expect(read("nama saya Siti Aminah", name)).toEqual({ kind: "free", text: "Siti Aminah" });
    expect(read("Toko Menu Sehat", { choices: [], free: "business" })).toEqual({
      kind: "free",
      text: "Toko Menu Sehat",
    });
    for (const text of ["ya", "😂😂", "asdfgh", "blm punya nama usaha kak"])
      expect(read(text, { choices: [], free: "business" }), text).toEqual({ kind: "unknown" });
    expect(read("no hp saya 0812-3456-7890 ya", { choices: [], free: "phone" })).toEqual({
      kind: "free",
      text: "0812-3456-7890",
    });
  });

  it("gives nonsense, emoji, markup, a number out of range and 5,000 characters no option", () => {
    for (const text of ["xyz qwerty", "🙂", "<script>alert(1)</script>", "9", "Selamat pagi. ".repeat(360)])
      expect(read(text, regencies).kind, text.slice(0, 20)).toMatch(/^(unknown|intent)$/);
  });

  it("finds programmes by their sector's local words and their places", () => {
    const slugs = (q: string) => findProgrammes(q, fixtureProgrammes).map((p) => p.slug);
    expect(slugs("sahang")).toEqual(["lada-bangka-tengah"]);
    expect(slugs("tukang ac")).toEqual(["reparasi-ac-pangkalpinang"]);
    expect(slugs("jahit di tanjung pandan")).toEqual(["konveksi-belitung"]);
    expect(slugs("konveksi")).toHaveLength(2);
    expect(slugs("besok")).toEqual([]);
  });

  it("tells a first message in English from one in Indonesian", () => {
    expect(detectLanguage("Hello, I would like to join the training")).toBe("en");
    expect(detectLanguage("halo kak mau daftar")).toBe("id");
    expect(detectLanguage("hi")).toBeNull();
  });
});
