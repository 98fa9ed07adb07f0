/**
 * WhatsApp message templates (Cloud API). Outside the 24-hour customer-service window Meta only
 * delivers templates it approved, so the bot keeps a registry of them: each template's name and
 * language as approved, how Meta bills it (utility or marketing), its body with {{1}}, {{2}}...,
 * what fills each placeholder, and the kind of outgoing message it carries (`usedFor`).
 *
 * Here: the form schema staff fill on the Kanal page, the registry's create, update, delete and
 * list, the lookup the outbox makes (`templateFor`), the parameters it sends
 * (`fillTemplateParameters`), the window test (`insideServiceWindow`) and the broadcast
 * preview's count of WhatsApp recipients inside and outside the window (`windowSplit`).
 */
import { z } from "zod";
import type { Database, Db, Tx } from "../db/database.js";
import { forProvider, queryRows, sqlTime } from "../db/raw-sql.js";
import { toPlainText } from "../engine/markup.js";
import { lastChatJoin } from "./recipients.js";
import type { SegmentFilter } from "./segment-filter.js";
import { recipientCondition, segmentCondition } from "./segments.js";
import { audit } from "./staff.js";

/** What fills a placeholder: the participant's name, the message text, the department's name. */
export const templateParameterKinds = ["name", "text", "department"] as const;
export type TemplateParameterKind = (typeof templateParameterKinds)[number];

/**
 * The kinds of outgoing message a template can carry outside the window. "certificate" is a
 * message with the certificate attached (a template with a document header); "broadcast" is the
 * default template of staff broadcasts (a broadcast may also pick any template with no purpose).
 */
export const templatePurposes = ["reminder", "notice", "motivation", "survey", "certificate", "broadcast"] as const;
export type TemplatePurpose = (typeof templatePurposes)[number];

/** Meta's language codes of the two languages the bot speaks. */
export const templateLanguages = ["id", "en"] as const;
export type TemplateLanguage = (typeof templateLanguages)[number];

/** How Meta bills a template message. */
export const templateCategories = ["utility", "marketing"] as const;
export type TemplateCategory = (typeof templateCategories)[number];

/** Meta's limits: a template name, its body, and one body parameter. */
export const templateNameMax = 512;
export const templateBodyMax = 1024;
export const templateParameterMax = 1024;
/** More placeholders than this in one body is a mistake, not a template. */
export const templateParametersMax = 10;

/** A template as the registry holds it. */
export type WhatsAppTemplate = {
  id: number;
  name: string;
  language: TemplateLanguage;
  category: TemplateCategory;
  body: string;
  parameters: TemplateParameterKind[];
  usedFor: TemplatePurpose | null;
  document: boolean;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * A zod message in both languages, in the encoding the dashboard's form errors read
 * (src/admin/dashboard/forms.ts `bilingual`: the two joined by U+001F).
 */
const bilingual = (id: string, en: string) => `${id}\u001f${en}`;

/** A checkbox ("on"), a boolean, or absent (false). */
const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

/**
 * The parameters in order: a list (JSON, or a form's repeated field) or one comma-separated text.
 * Empty entries at the end are unused selects of the form and dropped; one in the middle stays
 * and is refused, since every placeholder needs something.
 */
const parameterList = z.preprocess(
  (v) => {
    const list = Array.isArray(v) ? v : typeof v === "string" ? v.split(",") : v === undefined ? [] : v;
    if (!Array.isArray(list)) return list;
    const trimmed = list.map((p) => (typeof p === "string" ? p.trim() : p));
    while (trimmed.length && trimmed.at(-1) === "") trimmed.pop();
    return trimmed;
  },
  z
    .array(
      z.enum(
        templateParameterKinds,
        bilingual(
          "Pilih isi untuk setiap tempat {{n}}: nama peserta, teks pesan atau nama dinas.",
          "Choose what fills each {{n}}: the participant's name, the message text or the department's name.",
        ),
      ),
    )
    .max(templateParametersMax),
);

/** The placeholders of a body in order of appearance, as numbers; null when one is malformed. */
export function bodyPlaceholders(body: string): number[] | null {
  const found = [...body.matchAll(/\{\{(\d{1,3})\}\}/g)].map((m) => Number(m[1]));
  const rest = body.replace(/\{\{\d{1,3}\}\}/g, "");
  return rest.includes("{{") || rest.includes("}}") ? null : found;
}

/** The template form (and the API's input): Meta's rules, errors in both languages by field. */
export const templateFormSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(templateNameMax)
      .regex(
        /^[a-z0-9_]+$/,
        bilingual(
          "Nama templat hanya boleh huruf kecil, angka dan garis bawah, persis seperti di WhatsApp Manager (misalnya sapa_pengingat).",
          "A template name has lowercase letters, digits and underscores only, exactly as in WhatsApp Manager (for example sapa_pengingat).",
        ),
      ),
    language: z.enum(templateLanguages, bilingual("Pilih bahasa templat.", "Choose the template's language.")),
    category: z.enum(
      templateCategories,
      bilingual("Pilih kategori: utilitas atau pemasaran.", "Choose the category: utility or marketing."),
    ),
    body: z.preprocess(
      (v) => (typeof v === "string" ? v.replace(/\r\n?/g, "\n") : v),
      z.string().trim().min(1).max(templateBodyMax),
    ),
    parameters: parameterList,
    usedFor: z.preprocess(
      (v) => (v === "" || v === null ? undefined : v),
      z
        .enum(templatePurposes, bilingual("Pilih salah satu jenis pesan.", "Choose one of the kinds of message."))
        .optional(),
    ),
    document: checkbox,
  })
  .superRefine((t, ctx) => {
    const found = bodyPlaceholders(t.body);
    if (found === null) {
      ctx.addIssue({
        code: "custom",
        path: ["body"],
        message: bilingual(
          "Tempat isian ditulis {{1}}, {{2}} dan seterusnya, tanpa spasi di dalam kurung kurawal.",
          "Placeholders are written {{1}}, {{2}} and so on, with no spaces inside the braces.",
        ),
      });
      return;
    }
    const distinct = [...new Set(found)].sort((a, b) => a - b);
    if (distinct.some((n, i) => n !== i + 1)) {
      ctx.addIssue({
        code: "custom",
        path: ["body"],
        message: bilingual(
          `Tempat isian harus bernomor urut mulai {{1}} tanpa loncat; teks ini memakai ${distinct.map((n) => `{{${n}}}`).join(", ")}.`,
          `Placeholders are numbered from {{1}} with none skipped; this body uses ${distinct.map((n) => `{{${n}}}`).join(", ")}.`,
        ),
      });
      return;
    }
    if (distinct.length !== t.parameters.length)
      ctx.addIssue({
        code: "custom",
        path: ["parameters"],
        message: bilingual(
          `Teks templat punya ${distinct.length} tempat isian, tetapi ${t.parameters.length} isian dipilih: pilih satu untuk setiap {{n}}.`,
          `The body has ${distinct.length} placeholder${distinct.length === 1 ? "" : "s"} but ${t.parameters.length} ${t.parameters.length === 1 ? "is" : "are"} chosen: choose one for each {{n}}.`,
        ),
      });
    // A document header is what makes a certificate template; any other message has no file to send.
    if (t.usedFor === "certificate" && !t.document)
      ctx.addIssue({
        code: "custom",
        path: ["document"],
        message: bilingual(
          "Templat sertifikat harus memiliki header dokumen (sertifikatnya dilampirkan di sana).",
          "A certificate template needs a document header (the certificate is attached there).",
        ),
      });
    if (t.document && t.usedFor !== "certificate")
      ctx.addIssue({
        code: "custom",
        path: ["document"],
        message: bilingual(
          "Hanya templat sertifikat yang boleh memiliki header dokumen: pesan lain tidak punya berkas untuk dilampirkan.",
          "Only a certificate template may have a document header: other messages have no file to attach.",
        ),
      });
  });

export type TemplateInput = z.output<typeof templateFormSchema>;

/** A refused registry change: the field it is about and the reason in both languages. */
export class TemplateError extends Error {
  override name = "TemplateError";
  constructor(
    readonly field: "name" | "usedFor" | "form",
    readonly reason: { id: string; en: string },
    readonly code: "duplicate_name" | "purpose_taken" | "not_found" | "in_use",
  ) {
    super(reason.en);
  }
}

/** The stored parameters (JSON, or JSON text from raw SQL) as kinds; throws on anything else. */
export function parameterKinds(value: unknown): TemplateParameterKind[] {
  const list: unknown = typeof value === "string" ? JSON.parse(value) : value;
  if (!Array.isArray(list) || !list.every((k) => templateParameterKinds.includes(k as TemplateParameterKind)))
    throw new Error(`A template's parameters must be a list of ${templateParameterKinds.join(", ")}`);
  return list as TemplateParameterKind[];
}

type TemplateRow = {
  id: number;
  name: string;
  language: string;
  category: string;
  body: string;
  parameters: unknown;
  usedFor: string | null;
  document: boolean;
  createdAt: Date;
  updatedAt: Date;
};

const view = (row: TemplateRow): WhatsAppTemplate => ({
  ...row,
  language: row.language as TemplateLanguage,
  category: row.category as TemplateCategory,
  parameters: parameterKinds(row.parameters),
  usedFor: row.usedFor as TemplatePurpose | null,
});

/** Every template: those with a purpose first (in the order of templatePurposes), then by name and language. */
export async function listTemplates(db: Db): Promise<WhatsAppTemplate[]> {
  const rows = await db.whatsAppTemplate.findMany({ orderBy: [{ name: "asc" }, { language: "asc" }] });
  const rank = (t: TemplateRow) => (t.usedFor ? templatePurposes.indexOf(t.usedFor as TemplatePurpose) : 99);
  return rows.sort((a, b) => rank(a) - rank(b)).map(view);
}

export async function getTemplate(db: Db, id: number): Promise<WhatsAppTemplate | null> {
  const row = await db.whatsAppTemplate.findUnique({ where: { id } });
  return row ? view(row) : null;
}

/** What clashes with `input` among the other templates (both uniques), as the error to throw. */
async function clash(db: Db | Tx, input: TemplateInput, exceptId: number | null): Promise<TemplateError | null> {
  const other = exceptId === null ? {} : { id: { not: exceptId } };
  const sameName = await db.whatsAppTemplate.findFirst({
    where: { name: input.name, language: input.language, ...other },
  });
  if (sameName)
    return new TemplateError(
      "name",
      {
        id: `Templat ${input.name} dalam bahasa ini sudah terdaftar. Ubah yang sudah ada, atau pakai nama lain.`,
        en: `The template ${input.name} is already registered in this language. Edit that one, or use another name.`,
      },
      "duplicate_name",
    );
  if (!input.usedFor) return null;
  const samePurpose = await db.whatsAppTemplate.findFirst({
    where: { usedFor: input.usedFor, language: input.language, ...other },
  });
  if (samePurpose)
    return new TemplateError(
      "usedFor",
      {
        id: `Jenis pesan ini dalam bahasa ini sudah memakai templat ${samePurpose.name}. Kosongkan atau ganti di templat itu dulu.`,
        en: `This kind of message in this language already uses the template ${samePurpose.name}. Clear or change it on that template first.`,
      },
      "purpose_taken",
    );
  return null;
}

const isUniqueViolation = (error: unknown) => (error as { code?: unknown }).code === "P2002";

const data = (input: TemplateInput) => ({
  name: input.name,
  language: input.language,
  category: input.category,
  body: input.body,
  parameters: input.parameters,
  usedFor: input.usedFor ?? null,
  document: input.document,
});

/** Adds a template (audit-logged); TemplateError for a name or purpose already taken in its language. */
export async function createTemplate(db: Db, staffId: number | null, input: TemplateInput): Promise<WhatsAppTemplate> {
  const refused = await clash(db, input, null);
  if (refused) throw refused;
  try {
    const row = await db.$transaction(async (tx) => {
      const created = await tx.whatsAppTemplate.create({ data: data(input) });
      await audit(tx, staffId, "whatsapp_template.create", `whatsapp_template:${created.id}`, {
        name: input.name,
        language: input.language,
        category: input.category,
        usedFor: input.usedFor ?? null,
      });
      return created;
    });
    return view(row);
  } catch (error) {
    // Someone added the same one a moment ago: say which, as if it had been there before.
    if (isUniqueViolation(error)) throw (await clash(db, input, null)) ?? error;
    throw error;
  }
}

/** Changes a template (audit-logged with the fields changed); null when there is no such template. */
export async function updateTemplate(
  db: Db,
  staffId: number | null,
  id: number,
  input: TemplateInput,
): Promise<WhatsAppTemplate | null> {
  const before = await db.whatsAppTemplate.findUnique({ where: { id } });
  if (!before) return null;
  const refused = await clash(db, input, id);
  if (refused) throw refused;
  const next = data(input);
  const changed = (Object.keys(next) as (keyof typeof next)[]).filter(
    (k) => JSON.stringify(next[k]) !== JSON.stringify(k === "parameters" ? parameterKinds(before[k]) : before[k]),
  );
  if (!changed.length) return view(before);
  try {
    const row = await db.$transaction(async (tx) => {
      const updated = await tx.whatsAppTemplate.update({ where: { id }, data: next });
      await audit(tx, staffId, "whatsapp_template.update", `whatsapp_template:${id}`, {
        name: input.name,
        language: input.language,
        changed,
      });
      return updated;
    });
    return view(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw (await clash(db, input, id)) ?? error;
    throw error;
  }
}

/**
 * Removes a template (audit-logged). Refused while a broadcast that is not finished or cancelled
 * chose it: its recipients outside the window would then fail. Null when there is no such template.
 */
export async function deleteTemplate(db: Db, staffId: number | null, id: number): Promise<WhatsAppTemplate | null> {
  const row = await db.whatsAppTemplate.findUnique({ where: { id } });
  if (!row) return null;
  const waiting = await db.broadcast.count({ where: { templateId: id, status: { notIn: ["done", "cancelled"] } } });
  if (waiting)
    throw new TemplateError(
      "form",
      {
        id: `Templat ${row.name} dipilih oleh ${waiting} siaran yang belum selesai; batalkan siaran itu atau tunggu sampai selesai.`,
        en: `The template ${row.name} is chosen by ${waiting} broadcast${waiting === 1 ? "" : "s"} not yet finished; cancel ${waiting === 1 ? "it" : "them"} or wait until done.`,
      },
      "in_use",
    );
  await db.$transaction(async (tx) => {
    await tx.whatsAppTemplate.delete({ where: { id } });
    await audit(tx, staffId, "whatsapp_template.delete", `whatsapp_template:${id}`, {
      name: row.name,
      language: row.language,
      usedFor: row.usedFor,
    });
  });
  return view(row);
}

/**
 * The template a kind of outgoing message goes as outside the window: the one mapped to it in
 * the participant's language, else in the other language (a message in the wrong language beats
 * none), else null (the send will fail outside the window until one is added).
 */
export async function templateFor(
  db: Db,
  purpose: TemplatePurpose,
  language: string,
): Promise<WhatsAppTemplate | null> {
  const found = await db.whatsAppTemplate.findMany({ where: { usedFor: purpose } });
  const own = found.find((t) => t.language === language) ?? found.find((t) => t.language !== language);
  return own ? view(own) : null;
}

/** Per language, the purposes no template carries yet (for the Kanal page's note). */
export function missingPurposes(templates: WhatsAppTemplate[]): Record<TemplateLanguage, TemplatePurpose[]> {
  const has = (purpose: TemplatePurpose, language: TemplateLanguage) =>
    templates.some((t) => t.usedFor === purpose && t.language === language);
  return {
    id: templatePurposes.filter((p) => !has(p, "id")),
    en: templatePurposes.filter((p) => !has(p, "en")),
  };
}

// ---------------------------------------------------------------- parameters

/** What a missing name becomes: polite, and right for anyone. */
export const nameFallback = "Bapak/Ibu";

/** A line that ends a sentence or a clause runs on after a space; any other gets a separator. */
const endsClause = /[.!?,;:…]$/;
/** Bullets of a list line ("- ", "• ", "* "), dropped: the separator says where an item ends. */
const bullet = /^[-•*]\s+/;

/**
 * Text as one line Meta accepts in a body parameter: no newlines or tabs, never more than one
 * space in a row. Lines join with a space after punctuation ("Halo Budi, Besok ..."), otherwise
 * with " · " ("Tempat: Balai Desa · Waktu: 09.00"), which reads as a list in Indonesian too.
 */
function oneLine(value: string): string {
  const lines = value
    .split(/\r\n?|\n/)
    .map((line) =>
      line
        .replace(/[\t\v\f\u00a0]+/g, " ")
        .trim()
        .replace(bullet, ""),
    )
    .filter(Boolean);
  let out = "";
  for (const line of lines) out += !out ? line : endsClause.test(out) ? ` ${line}` : ` · ${line}`;
  return out.replace(/ {2,}/g, " ");
}

/** Cut to `max` characters at a word, with "…" (the cut never splits a surrogate pair). */
function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  let head = value.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  const space = head.lastIndexOf(" ");
  // A word longer than half the limit is cut where it is rather than losing half the text.
  if (space > max / 2) head = head.slice(0, space);
  return `${head.replace(/[\s,;:·-]+$/, "")}…`;
}

/**
 * The body parameters of a template send, in the order of its placeholders: each one line, at
 * most 1024 characters, never empty (Meta refuses all three). The text loses the bot's markup.
 */
export function fillTemplateParameters(
  template: { parameters: unknown },
  values: { name: string | null; text: string; department: string },
): string[] {
  const source: Record<TemplateParameterKind, string> = {
    name: values.name?.trim() ? values.name : nameFallback,
    text: toPlainText(values.text),
    department: values.department,
  };
  return parameterKinds(template.parameters).map((kind) => {
    const value = cut(oneLine(source[kind]), templateParameterMax);
    return value || (kind === "name" ? nameFallback : "-");
  });
}

// ---------------------------------------------------------------- the 24-hour window

/** Meta's customer-service window: free-form messages within this many hours of the person's last message. */
export const serviceWindowHours = 24;

/** True when a free-form message may go: the person wrote less than `hours` ago. */
export function insideServiceWindow(lastInboundAt: Date | null, now: Date, hours = serviceWindowHours): boolean {
  return lastInboundAt !== null && now.getTime() - lastInboundAt.getTime() < hours * 3_600_000;
}

/** Recipients to count: a broadcast's segment (as sending picks them) or given participants. */
export type WindowRecipients = { filter: SegmentFilter; timeZone: string } | { participantIds: number[] };

/** WhatsApp recipients, and how many of them are inside and outside the window at the time given. */
export type WindowSplit = { whatsapp: number; inside: number; outside: number };

/**
 * Of the recipients, those a message would reach on WhatsApp (the chat they used last that has
 * not blocked the bot, as broadcast sending picks it), split by the window at `now` (for a
 * scheduled broadcast, its time). Opted-out and fully blocked participants are left out, as
 * sending leaves them out.
 */
export async function windowSplit(
  database: Database,
  recipients: WindowRecipients,
  now: Date,
  hours = serviceWindowHours,
): Promise<WindowSplit> {
  const { provider } = database;
  let condition: string;
  let params: unknown[];
  if ("filter" in recipients) {
    const segment = segmentCondition(recipients.filter, provider, { firstParam: 2, timeZone: recipients.timeZone });
    condition = segment.sql;
    params = segment.params;
  } else {
    if (!recipients.participantIds.length) return { whatsapp: 0, inside: 0, outside: 0 };
    condition = provider === "sqlite" ? `p.id IN (SELECT value FROM json_each($2))` : `p.id = ANY($2::int[])`;
    params = [provider === "sqlite" ? JSON.stringify(recipients.participantIds) : recipients.participantIds];
  }
  const since = sqlTime(new Date(now.getTime() - hours * 3_600_000), provider);
  const sql = forProvider(
    `SELECT COUNT(*) AS whatsapp,
        SUM(CASE WHEN i."lastInboundAt" > $1::timestamp(3) THEN 1 ELSE 0 END) AS inside
      FROM "Participant" p ${lastChatJoin()}
      WHERE ${condition} AND ${recipientCondition} AND i.channel = 'whatsapp'`,
    provider,
  );
  type Counts = { whatsapp: number | bigint | string | null; inside: number | bigint | string | null };
  const [row] = await queryRows<Counts>(database, database.prisma, sql, [since, ...params]);
  // COUNT and SUM are bigint (or numeric text) on PostgreSQL; SUM over no rows is NULL.
  const whatsapp = Number(row?.whatsapp ?? 0);
  const inside = Number(row?.inside ?? 0);
  return { whatsapp, inside, outside: whatsapp - inside };
}

/**
 * Rupiah Meta bills for `count` template messages of a category, at the configured price (null
 * when no price is configured for it: the preview then points to Meta's rate card).
 */
export function templateCost(
  count: number,
  category: TemplateCategory,
  price: { utility: number | null; marketing: number | null } | null,
): number | null {
  const each = price?.[category] ?? null;
  return each === null ? null : Math.round(count * each);
}
