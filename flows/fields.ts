/**
 * The profile questions, shared by registration (which collects them) and the profile flow
 * (which changes one at a time).
 */
import { bold } from "../src/engine/markup.js";
import type { Choice, FlowContext, FlowNode, LocalText, ProfileField, Route, Validation } from "../src/engine/types.js";
import {
  outsidePlaces,
  placeNames,
  read,
  sectorWords,
  shortRegency,
  type FreeTextKind,
} from "../src/understanding/index.js";
import { otherSector, regencies, sectorLabel, sectors } from "./catalog.js";
import {
  t,
  validateBusinessName,
  validateNib,
  validatePersonName,
  validatePhone,
  validatePlainAnswer,
} from "./texts.js";

export type FieldQuestion = {
  ask: (ctx: FlowContext) => LocalText;
  choices?: () => Choice[];
  validate?: (text: string) => Validation;
  expects?: FreeTextKind;
  requestPhone?: boolean;
};

const other: Choice = { id: "other", label: otherSector, aliases: ["lain", "lainnya", "other", "yang lain"] };

/** The sectors, each with the words owners use for it ("sahang", "tukang jahit", "servis ac"). */
export function sectorChoices(): Choice[] {
  return sectorList;
}
const sectorList: Choice[] = [...sectors.map((s) => ({ id: s.id, label: s.label, aliases: sectorWords(s.id) })), other];

/** The regencies and cities, each with its districts and towns, so "Sungailiat" names Kabupaten Bangka. */
export function regencyChoices(): Choice[] {
  return regencyList;
}
const regencyList: Choice[] = [
  ...regencies.map((r) => ({ id: r, label: t(r, r), aliases: [shortRegency(r), ...placeNames(r)] })),
  {
    ...other,
    label: t("Lainnya (luar provinsi)", "Other (outside the province)"),
    aliases: [...other.aliases!, "luar bangka belitung", "luar babel", "luar provinsi", ...outsidePlaces()],
  },
];

export const fieldLabels: Record<ProfileField, LocalText> = {
  name: t("Nama", "Name"),
  businessName: t("Nama usaha", "Business name"),
  sector: t("Bidang usaha", "Sector"),
  regency: t("Kabupaten/kota", "Regency/city"),
  phone: t("Nomor HP", "Phone number"),
  nib: t("NIB", "NIB"),
};

/** Other words for each field, so "ganti no wa" or "nama toko" picks it. */
export const fieldAliases: Record<ProfileField, string[]> = {
  name: ["nama", "nama lengkap", "name", "full name"],
  businessName: ["nama usaha", "nama toko", "usaha", "toko", "nama bengkel", "business", "business name", "shop"],
  sector: ["bidang usaha", "bidang", "sektor", "jenis usaha", "sector"],
  regency: ["kabupaten", "kota", "kabupaten kota", "daerah", "domisili", "lokasi usaha", "regency", "city"],
  phone: [
    "nomor hp",
    "no hp",
    "hp",
    "nomor wa",
    "no wa",
    "wa",
    "whatsapp",
    "nomor telepon",
    "telepon",
    "nomor",
    "phone",
  ],
  nib: ["nib", "nomor induk berusaha", "izin usaha"],
};

/** The fields as options ("Ubah nama", or just "Nama"), known by their other words too. */
export function fieldChoices(verb: { id: string; en: string } | null): Choice[] {
  return (Object.keys(fieldLabels) as ProfileField[]).map((f) => ({
    id: f,
    label: verb
      ? t(`${verb.id} ${fieldLabels[f].id.toLowerCase()}`, `${verb.en} ${fieldLabels[f].en.toLowerCase()}`)
      : fieldLabels[f],
    aliases: [fieldLabels[f].id, fieldLabels[f].en, ...fieldAliases[f]],
  }));
}

export const questions = {
  name: {
    ask: () => t("Siapa nama lengkap Anda?", "What is your full name?"),
    validate: validatePersonName,
    expects: "name",
  },
  businessName: {
    ask: () => t("Apa nama usaha Anda?", "What is the name of your business?"),
    validate: validateBusinessName,
    expects: "business",
  },
  sector: {
    ask: () => t("Apa bidang usaha Anda?", "What is your business sector?"),
    choices: sectorChoices,
    // A sector of its own typed here ("kuliner, bikin kerupuk") is taken as written.
    validate: validatePlainAnswer(3, 60, t("bidang usaha Anda", "your sector")),
    expects: "text",
  },
  sectorOther: {
    ask: () => t("Silakan tulis bidang usaha Anda.", "Please write your business sector."),
    validate: validatePlainAnswer(3, 60, t("bidang usaha Anda", "your sector")),
  },
  regency: {
    ask: () => t("Di kabupaten/kota mana usaha Anda berada?", "In which regency or city is your business?"),
    choices: regencyChoices,
  },
  regencyOther: {
    ask: () => t("Silakan tulis kabupaten/kota dan provinsi Anda.", "Please write your regency or city and province."),
    validate: validatePlainAnswer(3, 80, t("kabupaten/kota Anda", "your regency or city")),
  },
  phone: {
    ask: (ctx: FlowContext) =>
      ctx.channel.sharePhone
        ? t(
            "Berapa nomor HP Anda? Ketik nomornya, atau tekan tombol Bagikan nomor saya.",
            "What is your phone number? Type it, or press Share my number.",
          )
        : t("Berapa nomor HP Anda? Contoh: 081234567890", "What is your phone number? Example: 081234567890"),
    validate: validatePhone,
    expects: "phone",
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
    expects: "nib",
    choices: () => [{ id: "skip", label: t("Lewati", "Skip"), aliases: ["lewati", "skip", "belum", "tidak ada"] }],
  },
} satisfies Record<string, FieldQuestion>;

/**
 * A typed "other" sector or place that is really one of the options ("servis AC", "Sungailiat"):
 * the option's id, so the flow can ask "Maksud Anda: Reparasi AC?" before storing it as typed.
 */
export function guessOption(text: string, choices: Choice[]): string | null {
  const reading = read(text, { choices: choices.filter((c) => c.id !== "other") });
  return reading.kind === "choice" ? reading.choiceId : null;
}

/**
 * The check after a guess: "Maksud Anda: Reparasi AC?". `vars.guess` holds the option's id and
 * `vars.typed` what was typed; yes keeps the option, no keeps the words as typed.
 */
export function guessNode(
  label: (id: string, ctx: FlowContext) => string,
  onward: (value: string, ctx: FlowContext) => Route,
): FlowNode {
  return {
    say: (ctx) => {
      const guess = label(String(ctx.vars.guess), ctx);
      return {
        text: ctx.language === "id" ? `Maksud Anda: ${bold(guess)}?` : `Do you mean: ${bold(guess)}?`,
      };
    },
    wait: {
      choices: () => [
        { id: "yes", label: t("Ya, betul", "Yes, that is it") },
        { id: "no", label: t("Bukan, simpan yang saya tulis", "No, keep what I wrote"), means: "no" },
      ],
      route: (value, ctx) => {
        const chosen = value === "yes" ? String(ctx.vars.guess) : String(ctx.vars.typed);
        const route = onward(chosen, ctx);
        return "goto" in route ? { ...route, set: { ...route.set, guess: null, typed: null } } : route;
      },
    },
  };
}

/**
 * The "Lainnya" question of a field and its check: what is typed is stored as typed, unless it
 * names an option ("servis AC", "Sungailiat"), which is offered first ("Maksud Anda: ...?").
 * The check node must be called `check_<field>` in the flow.
 */
export function typedOtherNodes(
  field: "sector" | "regency",
  onward: (value: string, ctx: FlowContext) => Route,
): { ask: FlowNode; check: FlowNode } {
  const question = field === "sector" ? questions.sectorOther : questions.regencyOther;
  const options = field === "sector" ? sectorChoices : regencyChoices;
  return {
    ask: {
      say: () => question.ask(),
      wait: {
        validate: question.validate,
        route: (v, ctx) => {
          const guess = guessOption(v, options());
          return guess ? { goto: `check_${field}`, set: { guess, typed: v } } : onward(v, ctx);
        },
      },
    },
    check: guessNode((id, ctx) => (field === "sector" ? sectorLabel(id, ctx.language) : id), onward),
  };
}
