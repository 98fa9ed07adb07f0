/**
 * Form input checked with zod, with errors in both languages next to the fields.
 *
 *   const schema = z.object({
 *     title: z.string().trim().min(3),
 *     capacity: z.coerce.number().int().min(1, bilingual("Minimal 1 kursi.", "At least 1 seat.")),
 *   });
 *   const form = parseForm(schema, request.body);
 *   if (!form.ok) return render(reply, "programme-form", { errors: form.errors, values: form.values }, { status: 400 });
 *   // form.data is typed
 *
 * Common problems (empty, too short, too long, not an email, not one of the options) get a
 * polite message in both languages on their own; `bilingual(id, en)` gives a field its own.
 */
import type { z } from "zod";
import { text, type Text } from "./text.js";

// A character no one types, between the two languages of one zod message.
const separator = "\u001f";

/** A zod error message in both languages: `z.string().min(3, bilingual("...", "..."))`. */
export function bilingual(id: string, en: string): string {
  return `${id}${separator}${en}`;
}

/** One message per field, by its name (nested fields joined with "."). */
export type FieldErrors = Record<string, Text>;

export type FormResult<T> =
  | { ok: true; data: T }
  /** `values`: what was typed, to fill the form again (never passwords or the CSRF token). */
  | { ok: false; errors: FieldErrors; values: Record<string, string> };

const decode = (message: string): Text => {
  const [id, en] = message.split(separator);
  return text(id!, en ?? id!);
};

type Issue = { code: string; input?: unknown; origin?: string; minimum?: unknown; maximum?: unknown; format?: string };

const isEmpty = (input: unknown) => input === undefined || (typeof input === "string" && input.trim() === "");

/** The message of an issue whose schema gave none. */
function defaultMessage(issue: Issue): string {
  const n = String(issue.minimum ?? issue.maximum ?? "");
  const required = bilingual("Wajib diisi.", "This field is required.");
  switch (issue.code) {
    case "invalid_type":
      return isEmpty(issue.input) ? required : bilingual("Isian ini tidak sesuai.", "This value is not valid.");
    case "too_small":
      if (issue.origin === "string")
        return issue.minimum === 1 || isEmpty(issue.input)
          ? required
          : bilingual(`Isi paling sedikit ${n} karakter.`, `Use at least ${n} characters.`);
      if (issue.origin === "array" || issue.origin === "set")
        return bilingual(`Pilih paling sedikit ${n}.`, `Choose at least ${n}.`);
      return bilingual(`Paling kecil ${n}.`, `Must be at least ${n}.`);
    case "too_big":
      if (issue.origin === "string")
        return bilingual(`Isi paling banyak ${n} karakter.`, `Use at most ${n} characters.`);
      if (issue.origin === "array" || issue.origin === "set")
        return bilingual(`Pilih paling banyak ${n}.`, `Choose at most ${n}.`);
      return bilingual(`Paling besar ${n}.`, `Must be at most ${n}.`);
    case "invalid_format":
      return issue.format === "email"
        ? bilingual("Alamat email ini tidak valid.", "This is not a valid email address.")
        : bilingual("Formatnya tidak sesuai.", "The format is not right.");
    case "invalid_value":
      return isEmpty(issue.input)
        ? required
        : bilingual("Silakan pilih salah satu pilihan.", "Please choose one of the options.");
    default:
      return bilingual("Isian ini tidak valid.", "This value is not valid.");
  }
}

const hiddenField = /passw|_csrf/i;

/** What was typed, as strings, to put back in the form; passwords and the CSRF token are left out. */
function typedValues(body: unknown): Record<string, string> {
  if (!body || typeof body !== "object") return {};
  return Object.fromEntries(
    Object.entries(body as Record<string, unknown>).flatMap(([name, value]) =>
      typeof value === "string" && !hiddenField.test(name) ? [[name, value]] : [],
    ),
  );
}

/** Parses a form body (from @fastify/formbody: strings, arrays for repeated names). */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): FormResult<z.output<S>> {
  const result = schema.safeParse(body ?? {}, { error: (issue) => defaultMessage(issue as Issue) });
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path.map(String).join(".") || "form";
    // The first problem of a field is the one to fix first.
    errors[field] ??= decode(issue.message);
  }
  return { ok: false, errors, values: typedValues(body) };
}
