/**
 * The answer inside a free-text reply: people introduce it ("nama saya Budi", "no hp saya
 * 0812...", "usaha saya Sahang Jaya"). What is left is checked by the flow.
 */
import type { FreeTextKind } from "./types.js";

const greeting = String.raw`(?:(?:halo|hallo|hai|hi|hello|selamat\s+(?:pagi|siang|sore|malam)|assalamu'?alaikum(?:\s+wr\.?\s*wb\.?)?|pagi|siang|sore|malam)(?:\s+(?:kak|pak|bu|min|admin))?[\s,.!]+)?`;
const intro = {
  name: String.raw`(?:nama\s+(?:lengkap\s+)?(?:saya|sy|aku|ku|gue)|nama\s*ku|namaku|nama\s*:|perkenalkan(?:\s*,)?(?:\s+nama\s+saya)?|saya\s+bernama|my\s+(?:full\s+)?name\s+is|my\s+name'?s|i\s+am|i'm)`,
  business: String.raw`(?:nama\s+(?:usaha|toko|bengkel|tempat\s+usaha|ukm|ikm|umkm)(?:\s*nya)?(?:\s+(?:saya|sy|kami|aku))?|(?:usaha|toko|bengkel)(?:\s*nya)?\s+(?:saya|sy|kami|aku)|my\s+(?:business|shop|company)(?:'s\s+name|\s+name)?\s+is|it'?s\s+called)`,
};

const lead = (kind: "name" | "business") =>
  new RegExp(String.raw`^\s*${greeting}${intro[kind]}\s*(?:adalah|ialah|yaitu|is)?\s*[:,\-]?\s*`, "iu");

/** The part of `text` that answers a question of `kind`, trimmed of introductions. */
export function freeAnswer(kind: FreeTextKind, text: string): string {
  if (kind === "name" || kind === "business") {
    const rest = text.replace(lead(kind), "").trim();
    return rest || text.trim();
  }
  if (kind === "phone") {
    const number = /\+?\(?\d[\d\s\-().]{6,}\d/u.exec(text);
    return number ? number[0].trim() : text.trim();
  }
  if (kind === "nib") {
    const number = /\d[\d\s.-]{9,}\d/u.exec(text);
    return number ? number[0].trim() : text.trim();
  }
  return text.trim();
}
