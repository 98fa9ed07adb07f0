/**
 * Survey questions as data: the feedback after a session and the follow-ups months later. A
 * programme may keep its own follow-up questions (Programme.followUpQuestions, edited by staff
 * on the dashboard); answers are stored one row per question (FlowResult), so a new question
 * needs no schema change. Keys are stable (results are counted by them); texts are in both
 * languages.
 */
import { z } from "zod";
import type { LocalText } from "../src/engine/types.js";
import { t } from "./texts.js";

const localText = z.object({ id: z.string().trim().min(1).max(300), en: z.string().trim().min(1).max(300) });
const key = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, "a key is lower-case letters, digits and _ (at most 40), starting with a letter");

const choiceSchema = z.object({
  id: key,
  label: localText,
  aliases: z.array(z.string().trim().min(1).max(60)).max(20).optional(),
});

export const surveyQuestionSchema = z.discriminatedUnion("kind", [
  /** One of the choices (buttons); `other` adds "Lainnya" with a typed answer. */
  z.object({
    kind: z.literal("choice"),
    key,
    text: localText,
    choices: z.array(choiceSchema).min(2).max(10),
    other: z.boolean().optional(),
  }),
  /** A whole number from 1 to 5, as buttons. */
  z.object({ kind: z.literal("rating"), key, text: localText }),
  /** Free text (at most 1,000 characters kept). */
  z.object({ kind: z.literal("text"), key, text: localText, optional: z.boolean().optional() }),
  /** Ya / Tidak. */
  z.object({ kind: z.literal("yesno"), key, text: localText }),
]);
export type SurveyQuestion = z.infer<typeof surveyQuestionSchema>;

export const surveyQuestionsSchema = z
  .array(surveyQuestionSchema)
  .min(1)
  .max(12)
  .refine((qs) => new Set(qs.map((q) => q.key)).size === qs.length, "each question needs its own key");

/** A programme's stored questions, or null when there are none or they do not parse (the defaults apply). */
export function parseSurveyQuestions(value: unknown): SurveyQuestion[] | null {
  if (value === null || value === undefined) return null;
  let list: unknown = value;
  if (typeof value === "string") {
    try {
      list = JSON.parse(value) as unknown;
    } catch {
      return null;
    }
  }
  const parsed = surveyQuestionsSchema.safeParse(list);
  return parsed.success ? parsed.data : null;
}

const c = (id: string, label: LocalText, aliases?: string[]) => ({ id, label, ...(aliases ? { aliases } : {}) });

/** The feedback survey after a session (the same for every programme). Round "feedback". */
export const feedbackQuestions: SurveyQuestion[] = [
  {
    kind: "rating",
    key: "rating",
    text: t(
      "Seberapa puas Anda dengan pelatihan ini? Pilih 1 (kurang) sampai 5 (sangat puas).",
      "How satisfied are you with this training? Choose 1 (poor) to 5 (very satisfied).",
    ),
  },
  {
    kind: "text",
    key: "most_useful",
    text: t("Apa yang paling bermanfaat bagi usaha Anda?", "What was most useful for your business?"),
    optional: true,
  },
  {
    kind: "choice",
    key: "next_training",
    text: t("Pelatihan apa yang ingin Anda ikuti berikutnya?", "Which training would you like next?"),
    choices: [
      c("digital_marketing", t("Pemasaran digital", "Digital marketing"), ["jualan online", "marketplace", "medsos"]),
      c("packaging", t("Kemasan dan merek", "Packaging and branding"), ["kemasan", "packaging", "merek", "label"]),
      c("bookkeeping", t("Pembukuan usaha", "Bookkeeping"), ["pembukuan", "keuangan", "catat keuangan"]),
      c("product_quality", t("Mutu dan sertifikasi produk", "Product quality and certification"), [
        "halal",
        "pirt",
        "sni",
        "mutu",
      ]),
    ],
    other: true,
  },
  {
    kind: "yesno",
    key: "may_follow_up",
    text: t(
      "Bolehkah kami menghubungi Anda lagi dalam beberapa bulan untuk menanyakan perkembangan usaha Anda?",
      "May we contact you again in a few months to ask how your business is doing?",
    ),
  },
];

/** The follow-up questions 30 and 90 days after a session, unless the programme keeps its own. */
export const defaultFollowUpQuestions: SurveyQuestion[] = [
  {
    kind: "yesno",
    key: "new_product",
    text: t(
      "Sejak pelatihan, apakah Anda sudah membuat produk atau layanan baru?",
      "Since the training, have you made a new product or service?",
    ),
  },
  {
    kind: "choice",
    key: "sales_change",
    text: t(
      "Bagaimana penjualan Anda dibanding sebelum pelatihan?",
      "How are your sales compared with before the training?",
    ),
    choices: [
      c("up", t("Naik", "Up"), ["naik", "meningkat", "lebih banyak", "rame"]),
      c("same", t("Sama saja", "About the same"), ["sama", "biasa aja", "stabil"]),
      c("down", t("Turun", "Down"), ["turun", "menurun", "sepi"]),
    ],
  },
  {
    kind: "yesno",
    key: "sells_online",
    text: t(
      "Apakah Anda sekarang menjual atau menerima pesanan lewat aplikasi (WhatsApp Business, marketplace, ojek online)?",
      "Do you now sell or take orders through an app (WhatsApp Business, a marketplace, ride-hailing food apps)?",
    ),
  },
];
