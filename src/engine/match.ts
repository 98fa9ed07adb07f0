/**
 * Understanding what people type: global keywords and answers to choices. Both forgive case,
 * punctuation, repeated letters ("menuuu"), a one-letter slip in longer words ("bantuab") and
 * polite extra words ("Bantuan dong", "stop pls").
 */
import type { Choice, Keyword } from "./types.js";

/** Lower case, accents and punctuation removed, repeated letters collapsed, single spaces. */
export function normalize(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .replace(/(\p{L})\1+/gu, "$1")
    .trim();
}

/** Checked in this order: "stop motivasi" is about motivation, not STOP. */
const keywordWords: Record<Keyword, string[]> = {
  motivation_off: [
    "motivasi off",
    "motivasi stop",
    "motivasi berhenti",
    "stop motivasi",
    "berhenti motivasi",
    "motivation off",
    "motivation stop",
    "stop motivation",
  ],
  motivation_on: [
    "motivasi on",
    "motivasi mulai",
    "mulai motivasi",
    "motivation on",
    "motivation start",
    "start motivation",
  ],
  menu: ["menu", "menu utama", "main menu"],
  help: ["bantuan", "help", "bantu"],
  cancel: ["batal", "cancel", "keluar"],
  stop: ["berhenti", "stop", "unsubscribe"],
  start: ["mulai", "start", "mulai lagi"],
  language: ["bahasa", "language", "ganti bahasa", "change language"],
};

/** The keyword phrases, normalized once, as words. */
const keywordPhrases = (Object.entries(keywordWords) as [Keyword, string[]][]).map(
  ([keyword, phrases]) => [keyword, phrases.map((phrase) => normalize(phrase).split(" "))] as const,
);

/** Words people add around a keyword without changing what they mean. */
const fillers = new Set(
  [
    "dong",
    "donk",
    "deh",
    "ya",
    "yah",
    "kak",
    "min",
    "admin",
    "pls",
    "please",
    "plz",
    "mohon",
    "tolong",
    "saja",
    "aja",
    "sih",
    "nih",
    "bot",
    "pak",
    "bu",
    "me",
    "now",
    "the",
    "lagi",
    "saya",
    "sy",
  ].map(normalize),
);

/** Damerau-free edit distance, enough to forgive one slip. */
function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = Math.min(
        dp[i - 1]![j]! + 1,
        dp[i]![j - 1]! + 1,
        dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return dp[a.length]![b.length]!;
}

function sameWord(typed: string, word: string): boolean {
  if (typed === word) return true;
  return word.length >= 5 && Math.abs(typed.length - word.length) <= 1 && distance(typed, word) <= 1;
}

/**
 * The keyword a message means, or null. `strict` (used while a participant is typing free
 * text such as their name) accepts only the keyword with filler words, never other words.
 */
export function matchKeyword(text: string, strict = false): Keyword | null {
  const words = normalize(text.replace(/^\s*\//, ""))
    .split(" ")
    .filter(Boolean);
  if (words.length === 0 || words.length > 4) return null;
  for (const [keyword, phrases] of keywordPhrases) {
    for (const parts of phrases) {
      const head = words.slice(0, parts.length);
      if (head.length !== parts.length || !head.every((w, i) => sameWord(w, parts[i]!))) continue;
      const rest = words.slice(parts.length);
      if (rest.every((w) => fillers.has(w))) return keyword;
      if (!strict && rest.length <= 2) return keyword;
    }
  }
  return null;
}

const yesWords = new Set(
  [
    "ya",
    "iya",
    "y",
    "yes",
    "yep",
    "ok",
    "oke",
    "okay",
    "setuju",
    "boleh",
    "betul",
    "benar",
    "sip",
    "siap",
    "lanjut",
    "bisa",
  ].map(normalize),
);
const noWords = new Set(
  ["tidak", "tdk", "gak", "ga", "nggak", "ngga", "enggak", "no", "n", "nope", "bukan", "jangan", "tak", "belum"].map(
    normalize,
  ),
);

/**
 * The id of the choice a text answers, or null. Accepts the number shown ("1", "1."), yes and
 * no words for choices whose id is "yes" or "no", a label or alias, or words of one label only.
 */
export function matchChoice(text: string, choices: Choice[]): string | null {
  const typed = normalize(text);
  if (!typed) return null;
  if (/^\d{1,3}$/.test(typed)) {
    const index = Number(typed) - 1;
    return choices[index]?.id ?? null;
  }
  const words = typed.split(" ");
  const first = words[0]!;
  if (choices.some((c) => c.id === "yes") && (yesWords.has(typed) || (words.length <= 3 && yesWords.has(first))))
    return "yes";
  if (choices.some((c) => c.id === "no") && (noWords.has(typed) || (words.length <= 3 && noWords.has(first))))
    return "no";
  const labels = choices.map((c) => ({
    id: c.id,
    names: [c.label.id, c.label.en, ...(c.aliases ?? [])].map(normalize),
  }));
  const exact = labels.find((l) => l.names.includes(typed));
  if (exact) return exact.id;
  // Every typed word appears in one choice's label, and in no other.
  const containing = labels.filter((l) =>
    l.names.some((name) => {
      const nameWords = name.split(" ");
      return words.every((w) => w.length >= 3 && nameWords.some((n) => n.startsWith(w)));
    }),
  );
  return containing.length === 1 ? containing[0]!.id : null;
}
