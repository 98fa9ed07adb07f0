/**
 * The profile questions, shared by registration (which collects them) and the profile flow
 * (which changes one at a time).
 */
import type { Choice, FlowContext, LocalText, ProfileField, Validation } from "../src/engine/types.js";
import { otherSector, regencies, sectors } from "./catalog.js";
import { t, validateNib, validatePhone, validateText } from "./texts.js";

export type FieldQuestion = {
  ask: (ctx: FlowContext) => LocalText;
  choices?: () => Choice[];
  validate?: (text: string) => Validation;
  requestPhone?: boolean;
};

const other: Choice = { id: "other", label: otherSector, aliases: ["lain", "lainnya", "other"] };

export const fieldLabels: Record<ProfileField, LocalText> = {
  name: t("Nama", "Name"),
  businessName: t("Nama usaha", "Business name"),
  sector: t("Bidang usaha", "Sector"),
  regency: t("Kabupaten/kota", "Regency/city"),
  phone: t("Nomor HP", "Phone number"),
  nib: t("NIB", "NIB"),
};

export const questions = {
  name: {
    ask: () => t("Siapa nama lengkap Anda?", "What is your full name?"),
    validate: validateText(2, 80, t("nama Anda", "your name")),
  },
  businessName: {
    ask: () => t("Apa nama usaha Anda?", "What is the name of your business?"),
    validate: validateText(2, 100, t("nama usaha Anda", "your business name")),
  },
  sector: {
    ask: () => t("Apa bidang usaha Anda?", "What is your business sector?"),
    choices: () => [...sectors.map((s) => ({ id: s.id, label: s.label })), other],
  },
  sectorOther: {
    ask: () => t("Silakan tulis bidang usaha Anda.", "Please write your business sector."),
    validate: validateText(3, 60, t("bidang usaha Anda", "your sector")),
  },
  regency: {
    ask: () => t("Di kabupaten/kota mana usaha Anda berada?", "In which regency or city is your business?"),
    choices: () => [
      ...regencies.map((r) => ({ id: r, label: t(r, r), aliases: [r.replace(/^(Kota|Kabupaten) /, "")] })),
      { ...other, label: t("Lainnya (di luar Bangka Belitung)", "Other (outside Bangka Belitung)") },
    ],
  },
  regencyOther: {
    ask: () => t("Silakan tulis kabupaten/kota dan provinsi Anda.", "Please write your regency or city and province."),
    validate: validateText(3, 80, t("kabupaten/kota Anda", "your regency or city")),
  },
  phone: {
    ask: (ctx: FlowContext) =>
      ctx.channel.buttons
        ? t(
            "Berapa nomor HP Anda? Ketik nomornya, atau tekan tombol Bagikan nomor saya.",
            "What is your phone number? Type it, or press Share my number.",
          )
        : t("Berapa nomor HP Anda? Contoh: 081234567890", "What is your phone number? Example: 081234567890"),
    validate: validatePhone,
    requestPhone: true,
  },
  hasNib: {
    ask: () =>
      t(
        "Apakah usaha Anda sudah punya NIB (Nomor Induk Berusaha)? Ini tidak wajib.",
        "Does your business have an NIB (business registration number)? It is optional.",
      ),
    choices: () => [
      { id: "yes", label: t("Sudah, saya isi", "Yes, I will enter it"), aliases: ["sudah", "punya", "ada"] },
      { id: "no", label: t("Belum / lewati", "Not yet / skip"), aliases: ["lewati", "skip", "belum"] },
    ],
  },
  nib: {
    ask: () => t("Silakan ketik 13 angka NIB Anda.", "Please type the 13 digits of your NIB."),
    validate: validateNib,
    choices: () => [{ id: "skip", label: t("Lewati", "Skip"), aliases: ["lewati", "skip", "belum", "tidak ada"] }],
  },
} satisfies Record<string, FieldQuestion>;
