import { describe, expect, it } from "vitest";
import { matchChoice, matchKeyword } from "../../src/engine/match.js";
import type { Choice } from "../../src/engine/types.js";

describe("matchKeyword", () => {
  it.each([
    ["MENU", "menu"],
    ["menu!", "menu"],
    ["  Menu utama ", "menu"],
    ["menuuu", "menu"],
    ["/menu", "menu"],
    ["Bantuan dong", "help"],
    ["bantuab", "help"],
    ["HELP", "help"],
    ["batal", "cancel"],
    ["Cancel.", "cancel"],
    ["stop pls", "stop"],
    ["BERHENTI", "stop"],
    ["berhnti", "stop"],
    ["mulai", "start"],
    ["/start", "start"],
    ["bahasa", "language"],
    ["Language?", "language"],
  ])("%s means %s", (text, keyword) => {
    expect(matchKeyword(text)).toBe(keyword);
  });

  it.each(["Budi Santoso", "halo", "1", "", "saya mau daftar pelatihan lada besok pagi", "menunggu"])(
    "%j is not a keyword",
    (text) => {
      expect(matchKeyword(text)).toBeNull();
    },
  );

  it("accepts only filler words around a keyword while free text is asked", () => {
    expect(matchKeyword("menu dong", true)).toBe("menu");
    expect(matchKeyword("Mulai Jaya", true)).toBeNull();
    expect(matchKeyword("Mulai Jaya", false)).toBe("start");
  });
});

describe("matchChoice", () => {
  const yesNo: Choice[] = [
    { id: "yes", label: { id: "Ya, saya setuju", en: "Yes, I agree" } },
    { id: "no", label: { id: "Tidak setuju", en: "I do not agree" } },
  ];
  const regencies: Choice[] = [
    { id: "pgk", label: { id: "Kota Pangkalpinang", en: "Kota Pangkalpinang" } },
    { id: "bateng", label: { id: "Kabupaten Bangka Tengah", en: "Kabupaten Bangka Tengah" } },
    { id: "babar", label: { id: "Kabupaten Bangka Barat", en: "Kabupaten Bangka Barat" } },
  ];

  it.each(["1", "1.", "ya", "Ya!", "iya", "yes", "ok", "Ya, saya setuju", "setuju"])("%j answers yes", (text) => {
    expect(matchChoice(text, yesNo)).toBe("yes");
  });

  it.each(["2", "tidak", "Tidak!", "no", "gak"])("%j answers no", (text) => {
    expect(matchChoice(text, yesNo)).toBe("no");
  });

  it("accepts the words of one option", () => {
    expect(matchChoice("pangkalpinang", regencies)).toBe("pgk");
    expect(matchChoice("bangka tengah", regencies)).toBe("bateng");
    expect(matchChoice("Kabupaten Bangka Barat", regencies)).toBe("babar");
  });

  it("refuses what matches no option or several", () => {
    expect(matchChoice("bangka", regencies)).toBeNull();
    expect(matchChoice("4", regencies)).toBeNull();
    expect(matchChoice("0", regencies)).toBeNull();
    expect(matchChoice("🙂", regencies)).toBeNull();
    expect(matchChoice("", regencies)).toBeNull();
  });
});
