import { describe, expect, it } from "vitest";
import { readBusinessName, readPersonName, type NameProblem } from "../../src/understanding/names.js";

const problemOf = (reading: ReturnType<typeof readPersonName>): NameProblem | null =>
  reading.ok ? null : reading.problem;

describe("a person's name", () => {
  it.each([
    "Hj. Siti Aminah",
    "Ir. Bambang",
    "I Gusti Ayu",
    "I Gusti Ayu Made Sri Wahyuni",
    "Nur'aini",
    "Budi Santoso S.Pd",
    "Budi Santoso, S.E.",
    "Dr. Ir. H. Muhammad Yusuf, M.Si.",
    "Ahmad Ma'ruf",
    "Siti Nurhaliza",
    "Ni Luh Putu Ayu",
    "Andi Tenri Abeng",
    "Lim Ah Kow",
    "Tan Siok Lan",
    "Yohanes Kristian Tanoto",
    "Muh. Rizal",
    "Sri",
    "Jo",
    "Maria Ulfa-Wijaya",
    "Teuku Umar",
    "Cut Nyak Dien",
    "Okke Sepatu",
    "Siti Benar",
    "BUDI SANTOSO",
    "José Ramírez",
    "Zoë Ñúñez",
    "Ибрагим Петров",
    "王小明",
  ])("takes %s", (name) => {
    expect(readPersonName(name)).toEqual({ ok: true, value: name });
  });

  it("tidies spaces, curly apostrophes and the comma before a degree", () => {
    expect(readPersonName("  Siti   Aminah \n")).toEqual({ ok: true, value: "Siti Aminah" });
    expect(readPersonName("Ahmad Ma\u2019ruf")).toEqual({ ok: true, value: "Ahmad Ma'ruf" });
    expect(readPersonName("Budi Santoso ,S.E.")).toEqual({ ok: true, value: "Budi Santoso, S.E." });
    expect(readPersonName("Budi Santoso,")).toEqual({ ok: true, value: "Budi Santoso" });
    // An accent typed as a separate mark is joined to its letter.
    expect(readPersonName("Jose\u0301")).toEqual({ ok: true, value: "José" });
  });

  it.each<[string, NameProblem]>([
    ["<script>alert(1)</script>", "markup"],
    ["Budi <b>Santoso</b>", "markup"],
    ["{{name}}", "markup"],
    ["[Budi]", "markup"],
    ["`Budi`", "markup"],
    ["https://contoh.example", "markup"],
    ["www http budi", "markup"],
    ["ya", "yes_no"],
    ["Ya", "yes_no"],
    ["Ya!", "yes_no"],
    ["iya", "yes_no"],
    ["iyaaa", "yes_no"],
    ["ok", "yes_no"],
    ["OKE", "yes_no"],
    ["oke sip", "yes_no"],
    ["Siap pak", "yes_no"],
    ["iya kak", "yes_no"],
    ["tidak", "yes_no"],
    ["gak", "yes_no"],
    ["yes", "yes_no"],
    ["no", "yes_no"],
    ["siap", "yes_no"],
    ["setuju", "yes_no"],
    ["Ya, setuju", "yes_no"],
    ["sudah", "yes_no"],
    ["12345", "digits"],
    ["Budi 2", "digits"],
    ["081234567890", "digits"],
    ["😀😀", "emoji"],
    ["Budi 🙏", "emoji"],
    ["🇮🇩 Budi", "emoji"],
    ["a", "too_short"],
    ["", "too_short"],
    ["   ", "too_short"],
    ["A.", "too_short"],
    ["a".repeat(81), "too_long"],
    [`${"Budi ".repeat(16)}Santoso`, "too_long"],
    ["Budi!", "characters"],
    ["budi_santoso", "characters"],
    ["@budi", "characters"],
    ["Budi; DROP TABLE", "characters"],
    ["-Budi", "characters"],
    ["...", "characters"],
  ])("refuses %j: %s", (name, expected) => {
    expect(problemOf(readPersonName(name))).toBe(expected);
  });

  it("takes 80 letters, and not 81", () => {
    expect(readPersonName("a".repeat(80)).ok).toBe(true);
    expect(problemOf(readPersonName("a".repeat(81)))).toBe("too_long");
  });
});

describe("a business name", () => {
  it.each([
    "Lada Jaya",
    "UD. Lada Putih Sejahtera",
    "CV. Maju & Jaya (Koba)",
    "Toko 99",
    "Konveksi Ibu Ani & Putri",
    "Servis AC 24 Jam",
    "PT Sinar Bangka/Belitung",
    "Kopi Tuk'Tuk",
    "Bengkel Pak-Budi",
    "3 Saudara",
    "Warung Bu Yati, Koba",
  ])("takes %s", (name) => {
    expect(readBusinessName(name)).toEqual({ ok: true, value: name });
  });

  it.each<[string, NameProblem]>([
    ["<script>alert(1)</script>", "markup"],
    ["http://toko.example", "markup"],
    ["ya", "yes_no"],
    ["Oke sip", "yes_no"],
    ["12345", "no_letter"],
    ["99 & 100", "no_letter"],
    ["😀😀", "emoji"],
    ["Toko #1", "characters"],
    ["Lada_Jaya", "characters"],
    ["a", "too_short"],
    ["x".repeat(101), "too_long"],
  ])("refuses %j: %s", (name, expected) => {
    expect(problemOf(readBusinessName(name))).toBe(expected);
  });
});
