/**
 * Two languages everywhere: Bahasa Indonesia first, English second. A text that outlives the
 * request it was made in (a flash message, a form error) keeps both; a page picks one with
 * `t("Teks", "Text")` when it renders.
 */
import type { Language } from "../../engine/types.js";

export type { Language };

/** Something to say in both languages. */
export type Text = { id: string; en: string };

/** Picks by language: `t("Program disimpan.", "Programme saved.")`. */
export type Translate = (id: string, en: string) => string;

export const text = (id: string, en: string): Text => ({ id, en });

export const translator =
  (language: Language): Translate =>
  (id, en) =>
    language === "en" ? en : id;

export const pick = (value: Text, language: Language): string => (language === "en" ? value.en : value.id);

export const isLanguage = (value: unknown): value is Language => value === "id" || value === "en";
