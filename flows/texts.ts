/**
 * Texts and small helpers every flow shares. Bahasa Indonesia first, polite ("Anda"), short.
 */
import { formatLongDate, formatTimeRange } from "../src/engine/format.js";
import { plain } from "../src/engine/markup.js";
import {
  businessNameLength,
  personNameLength,
  readBusinessName,
  readPersonName,
  type NameProblem,
} from "../src/understanding/names.js";
import type { Choice, Language, LocalText, SessionView, Validation } from "../src/engine/types.js";
import { formatPhone as formatStoredPhone, parsePhone } from "../src/understanding/phone.js";

export const t = (id: string, en: string): LocalText => ({ id, en });

/** The version of the consent text; stored with each participant's consent. */
export const consentVersion = "2026-11";

export const backToMenu: Choice = {
  id: "menu",
  label: t("Kembali ke menu", "Back to menu"),
  aliases: ["menu", "kembali", "back"],
};

export const texts = {
  mediaNotSupported: t(
    "Maaf, saya hanya bisa membaca pesan teks dan pilihan. Silakan balas dengan mengetik.",
    "Sorry, I can only read text messages and choices. Please reply by typing.",
  ),
  notUnderstood: t(
    "Maaf, saya belum mengerti. Silakan jawab pertanyaan di bawah ini, atau ketik MENU.",
    "Sorry, I did not understand. Please answer the question below, or type MENU.",
  ),
  invalidChoice: (count: number, buttons: boolean) =>
    buttons
      ? t(
          "Maaf, jawaban itu belum ada di pilihan. Silakan tekan salah satu tombol di bawah, atau ketik jawabannya. Ketik MENU untuk kembali ke menu.",
          "Sorry, that is not one of the options. Please press one of the buttons below, or type your answer. Type MENU for the menu.",
        )
      : count > 1
        ? t(
            `Maaf, jawaban itu belum ada di pilihan. Balas dengan angka 1 sampai ${count} atau dengan kata-kata Anda, atau ketik MENU.`,
            `Sorry, that is not one of the options. Reply with a number from 1 to ${count} or in your own words, or type MENU.`,
          )
        : t(
            "Maaf, jawaban itu belum ada di pilihan. Balas dengan angka 1, atau ketik MENU.",
            "Sorry, that is not an option. Reply with 1, or type MENU.",
          ),
  whichOne: t("Maksud Anda yang mana?", "Which one do you mean?"),
  cannotAnswer: t(
    "Maaf, pertanyaan itu belum bisa saya jawab di sini. Saya bisa menjawab jadwal, tempat, dan daftar pelatihan; ketik BANTUAN untuk selengkapnya. Kita lanjutkan:",
    "Sorry, I cannot answer that question here. I can tell you about dates, venues and the programmes; type HELP for more. Let us carry on:",
  ),
  staleButton: t(
    "Tombol itu dari pertanyaan sebelumnya, jadi tidak ada yang diubah. Ini pertanyaan yang sedang berjalan:",
    "That button belongs to an earlier question, so nothing was changed. This is the current question:",
  ),
  expired: t(
    "Percakapan kita sebelumnya sudah lama berhenti, jadi kita mulai lagi dari menu.",
    "Our previous conversation was idle for a while, so we are starting again from the menu.",
  ),
};

/** A short answer in plain words (a sector, a regency): trimmed, single spaces, within a length, with at least one letter. */
export function validatePlainAnswer(min: number, max: number, what: LocalText) {
  return (text: string): Validation => {
    const value = text.replace(/\s+/g, " ").trim();
    if (/[<>{}[\]`]|https?:/i.test(value))
      return {
        error: t(
          `Mohon tulis ${what.id} dengan kata-kata biasa, tanpa tanda seperti < > { } [ ] atau tautan.`,
          `Please write ${what.en} in plain words, without signs such as < > { } [ ] or links.`,
        ),
      };
    if (value.length < min || !/\p{L}/u.test(value))
      return {
        error: t(
          `Mohon tulis ${what.id} (minimal ${min} huruf).`,
          `Please write ${what.en} (at least ${min} letters).`,
        ),
      };
    if (value.length > max)
      return {
        error: t(
          `${capitalize(what.id)} terlalu panjang. Mohon tulis paling banyak ${max} huruf.`,
          `That ${what.en} is too long. Please use at most ${max} characters.`,
        ),
      };
    return { value };
  };
}

/** 6281234567890 -> "0812-3456-7890", as people write their numbers; from abroad "+60 12 345 6789". */
export function formatPhone(phone: string): string {
  return formatStoredPhone(phone);
}

/** The answer to "what is your phone number?": the number as stored, or what to fix. */
export function validatePhone(text: string): Validation {
  const reading = parsePhone(text);
  if (reading.ok) return { value: reading.phone };
  return {
    error:
      reading.problem === "landline"
        ? t(
            "Sepertinya itu nomor telepon rumah atau kantor. Mohon tulis nomor HP/WhatsApp Anda, bukan telepon rumah. Contoh: 081234567890.",
            "That looks like a landline. Please write your mobile (WhatsApp) number, not a landline. Example: 081234567890.",
          )
        : t(
            "Nomor HP belum sesuai. Contoh yang benar: 081234567890.",
            "That phone number does not look right. Example: 081234567890.",
          ),
  };
}

/** What is wrong with a typed name, said so the person can fix it. */
function nameProblemText(problem: NameProblem, what: LocalText, max: number): LocalText {
  switch (problem) {
    case "too_short":
    case "no_letter":
      return t(`Mohon tulis ${what.id} (minimal 2 huruf).`, `Please write ${what.en} (at least 2 letters).`);
    case "too_long":
      return t(
        `${capitalize(what.id)} terlalu panjang. Mohon tulis paling banyak ${max} huruf.`,
        `That ${what.en} is too long. Please use at most ${max} characters.`,
      );
    case "markup":
    case "characters":
      return t(
        `Mohon tulis ${what.id} dengan huruf biasa saja, tanpa tanda seperti < > { } [ ] atau tautan.`,
        `Please write ${what.en} in plain letters, without signs such as < > { } [ ] or links.`,
      );
    case "emoji":
      return t(`Mohon tulis ${what.id} tanpa emoji.`, `Please write ${what.en} without emoji.`);
    case "digits":
      return t(
        `Mohon tulis ${what.id} dengan huruf saja, tanpa angka.`,
        `Please write ${what.en} in letters only, without digits.`,
      );
    case "yes_no":
      return t(
        `Sepertinya itu jawaban ya/tidak, bukan ${what.id}. Silakan tulis ${what.id}.`,
        `That looks like a yes or no, not ${what.en}. Please write ${what.en}.`,
      );
  }
}

/** A person's name: letters, spaces, apostrophes, titles with dots ("Hj.", "Ir."), 2 to 80 characters. */
export function validatePersonName(text: string): Validation {
  const reading = readPersonName(text);
  return reading.ok
    ? { value: reading.value }
    : { error: nameProblemText(reading.problem, t("nama Anda", "your name"), personNameLength.max) };
}

/** A business name: looser than a person's name (digits, & and the like), 2 to 100 characters. */
export function validateBusinessName(text: string): Validation {
  const reading = readBusinessName(text);
  return reading.ok
    ? { value: reading.value }
    : { error: nameProblemText(reading.problem, t("nama usaha Anda", "your business name"), businessNameLength.max) };
}

/** NIB (Nomor Induk Berusaha) is 13 digits. */
export function validateNib(text: string): Validation {
  const digits = text.replace(/[\s.-]/g, "");
  return /^\d{13}$/.test(digits)
    ? { value: digits }
    : {
        error: t(
          "NIB terdiri dari 13 angka. Mohon periksa lagi, atau pilih Lewati.",
          "An NIB has 13 digits. Please check it, or choose Skip.",
        ),
      };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Several lines about one training session, for lists and confirmations. */
export function describeSession(s: SessionView, language: Language, withSeats = true): string {
  const lines = [
    `📅 ${formatLongDate(s.startsAt, s.timeZone, language)}, ${formatTimeRange(s.startsAt, s.endsAt, s.timeZone, language)}`,
    `📍 ${plain(s.venue)}, ${plain(s.address)}`,
  ];
  if (s.mapUrl) lines.push(`🗺️ ${plain(s.mapUrl)}`);
  if (withSeats)
    lines.push(
      s.seatsLeft > 0
        ? language === "id"
          ? `Sisa kursi: ${s.seatsLeft} dari ${s.capacity}`
          : `Seats left: ${s.seatsLeft} of ${s.capacity}`
        : language === "id"
          ? `Kursi penuh – Anda bisa masuk daftar tunggu`
          : `Full – you can join the waiting list`,
    );
  return lines.join("\n");
}
