/**
 * The language of a first message: English when it is clearly written in English ("Hello, I
 * want to join the training"), Indonesian when clearly Indonesian, else null (a bare "hi" or
 * "ok" says nothing).
 */
import type { Language } from "../engine/types.js";
import { key, standardize, tokenize } from "./text.js";

const english = new Set(
  (
    "i me my mine you your we our the a an to of for and or is are am was be do does did have has can could would " +
    "will want wanna like join register sign up enroll training course class program programme please thanks thank " +
    "hello hey good morning afternoon evening how what when where which who why schedule time date place address " +
    "information info about english speak help need interested cancel come attend phone number name business yes " +
    "sure okay there this that it"
  )
    .split(" ")
    .map(key),
);
const indonesian = new Set(
  (
    "saya aku kami kita anda mau ingin ikut daftar pelatihan bimtek apa kapan di mana dan yang tidak ya ada bisa " +
    "halo selamat pagi siang sore malam terima kasih berapa jam tempat alamat usaha nama nomor tolong bantu " +
    "dong kak pak bu min sudah belum jadwal bagaimana gimana untuk dengan dari ke ini itu juga lagi boleh " +
    "setuju benar betul iya tanya info informasi pendaftaran lada konveksi saja"
  )
    .split(" ")
    .map(key),
);

export function detectLanguage(text: string): Language | null {
  const raw = tokenize(text).map(key);
  if (raw.includes("english") || raw.includes("inggris")) return "en";
  const words = standardize(tokenize(text)).map(key);
  const en = raw.filter((w) => english.has(w) && !indonesian.has(w)).length;
  const id = words.filter((w) => indonesian.has(w)).length;
  if (en >= 2 && en > id * 2) return "en";
  if (id >= 1 && id >= en) return "id";
  return null;
}
