/**
 * Motivasi (Motivation): the library the weekly motivation rounds pick from. A message is its
 * slug; each language of it is a row of its own (MotivationalMessage, unique per slug and
 * language), shown side by side. Any staff member may add, edit, disable or enable one; every
 * change goes in the audit log. How often a message was sent counts MotivationDelivery rows by
 * slug (a delivery does not record its language).
 */
import { z } from "zod";
import { idParam } from "../../../db/ids.js";
import { motivationText } from "../../../../flows/outcomes.js";
import { audit } from "../../../domain/staff.js";
import { notFoundPage, renderError } from "../errors.js";
import { bilingual, parseForm, type FieldErrors } from "../forms.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text, type Language, type Text } from "../text.js";

/** A participant sees at most this much of a motivation message (before the "how to stop" line). */
export const motivationTextMax = 1000;

const languages = ["id", "en"] as const;
type MessageLanguage = (typeof languages)[number];

const languageLabels: Record<MessageLanguage, Text> = {
  id: text("Bahasa Indonesia", "Indonesian"),
  en: text("Bahasa Inggris", "English"),
};

/** The topics of the seeded library in words; a new topic shows as its key. */
const topicLabels: Record<string, Text> = {
  "positive-thinking": text("Berpikir positif", "Positive thinking"),
  innovation: text("Inovasi", "Innovation"),
  creativity: text("Kreativitas", "Creativity"),
  "selling-online": text("Jualan online", "Selling online"),
  bookkeeping: text("Pembukuan", "Bookkeeping"),
  "product-quality": text("Mutu produk", "Product quality"),
  "customer-care": text("Layanan pelanggan", "Customer care"),
  "hard-times": text("Masa sulit", "Hard times"),
};

const topicLabel = (topic: string, language: Language) => {
  const label = topicLabels[topic];
  return label ? (language === "en" ? label.en : label.id) : topic;
};

const key = z
  .string()
  .trim()
  .toLowerCase()
  .min(2)
  .max(60)
  .regex(
    /^[a-z0-9]+(-[a-z0-9]+)*$/,
    bilingual(
      "Gunakan huruf kecil, angka dan tanda hubung saja, misalnya jualan-online-foto.",
      "Use lowercase letters, digits and hyphens only, for example selling-online-photos.",
    ),
  );

/** Browsers send a textarea's line breaks as CRLF; the limit counts what participants get. */
const messageText = z.preprocess(
  (v) => (typeof v === "string" ? v.replace(/\r\n?/g, "\n") : v),
  z.string().trim().min(1).max(motivationTextMax),
);

const createSchema = z.object({ slug: key, topic: key, language: z.enum(languages), text: messageText });
const updateSchema = z.object({ topic: key, text: messageText });

const messageId = (params: unknown) => idParam(params);

// ---------------------------------------------------------------- the library

export const motivationListPage = definePage({
  path: "/dashboard/motivasi",
  nav: { id: "Motivasi", en: "Motivation", order: 50 },
  async handler({ request, reply, deps, t, language }) {
    const db = deps.database.prisma;
    const query = request.query as { topik?: unknown; bahasa?: unknown };
    const [rows, sent] = await Promise.all([
      db.motivationalMessage.findMany({ orderBy: { id: "asc" } }),
      db.motivationDelivery.groupBy({ by: ["slug"], _count: { _all: true } }),
    ]);
    const topics = [...new Set(rows.map((r) => r.topic))];
    const topic = typeof query.topik === "string" && topics.includes(query.topik) ? query.topik : "";
    const only = languages.find((l) => l === query.bahasa) ?? null;
    const sentBySlug = new Map(sent.map((s) => [s.slug, s._count._all]));

    // One entry per slug, in library order (the order rounds pick in), grouped by topic.
    type Entry = { slug: string; topic: string; sent: number; id?: (typeof rows)[number]; en?: (typeof rows)[number] };
    const bySlug = new Map<string, Entry>();
    for (const row of rows) {
      if (topic && row.topic !== topic) continue;
      const entry = bySlug.get(row.slug) ?? { slug: row.slug, topic: row.topic, sent: sentBySlug.get(row.slug) ?? 0 };
      if (row.language === "id" || row.language === "en") entry[row.language] = row;
      bySlug.set(row.slug, entry);
    }
    const groups = new Map<string, Entry[]>();
    for (const entry of bySlug.values()) {
      if (only && !entry[only]) continue;
      groups.set(entry.topic, [...(groups.get(entry.topic) ?? []), entry]);
    }
    const count = (l: MessageLanguage, active: boolean) =>
      rows.filter((r) => r.language === l && r.active === active).length;
    const filters = new URLSearchParams({ ...(topic ? { topik: topic } : {}), ...(only ? { bahasa: only } : {}) });
    return render(reply, "motivation", {
      title: t("Pustaka motivasi", "Motivation library"),
      back: filters.size ? `?${filters}` : "",
      topic,
      only,
      topics: topics.map((value) => ({ value, label: topicLabel(value, language) })),
      groups: [...groups].map(([key, entries]) => ({ topic: key, label: topicLabel(key, language), entries })),
      languages: languages.map((l) => ({ value: l, label: languageLabels[l] })),
      totals: languages.map((l) => ({ label: languageLabels[l], active: count(l, true), inactive: count(l, false) })),
    });
  },
});

// ---------------------------------------------------------------- adding

async function renderNew(ctx: PageContext, values: Record<string, string>, errors: FieldErrors = {}, status = 200) {
  const { reply, deps, t, language } = ctx;
  const topics = await deps.database.prisma.motivationalMessage.findMany({
    distinct: ["topic"],
    select: { topic: true },
  });
  return render(
    reply,
    "motivation-form",
    {
      title: t("Tambah pesan motivasi", "Add a motivational message"),
      mode: "new",
      action: "/dashboard/motivasi/baru",
      values,
      errors,
      topics: topics.map((r) => ({ value: r.topic, label: topicLabel(r.topic, language) })),
      languages: languages.map((l) => ({ value: l, label: languageLabels[l] })),
      textMax: motivationTextMax,
      preview: null,
    },
    { status },
  );
}

export const newMotivationPage = definePage({
  path: "/dashboard/motivasi/baru",
  async handler(ctx) {
    // "Add the English version" on a card opens this form with the slug and topic filled in.
    const query = ctx.request.query as { slug?: unknown; bahasa?: unknown };
    const slug = typeof query.slug === "string" ? query.slug.slice(0, 60) : "";
    const existing = slug ? await ctx.deps.database.prisma.motivationalMessage.findFirst({ where: { slug } }) : null;
    return renderNew(ctx, {
      slug: existing?.slug ?? "",
      topic: existing?.topic ?? "",
      language: languages.find((l) => l === query.bahasa) ?? "id",
      text: "",
    });
  },
});

export const createMotivationPage = definePage({
  method: "POST",
  path: "/dashboard/motivasi/baru",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const form = parseForm(createSchema, request.body);
    if (!form.ok) return renderNew(ctx, form.values, form.errors, 400);
    const { slug, topic, language, text: body } = form.data;
    const db = deps.database.prisma;
    const taken = () =>
      renderNew(
        ctx,
        { slug, topic, language, text: body },
        {
          slug: text(
            `Pesan "${slug}" dalam bahasa ini sudah ada. Ubah pesan itu, atau pakai kode lain.`,
            `The message "${slug}" already exists in this language. Edit that one, or use another key.`,
          ),
        },
        400,
      );
    if (await db.motivationalMessage.findUnique({ where: { slug_language: { slug, language } } })) return taken();
    try {
      await db.$transaction(async (tx) => {
        const created = await tx.motivationalMessage.create({ data: { slug, topic, language, text: body } });
        // The same slug is the same message: its other language follows the topic.
        await tx.motivationalMessage.updateMany({ where: { slug, topic: { not: topic } }, data: { topic } });
        await audit(tx, staff.id, "motivation.create", `motivation:${created.id}`, { slug, language, topic });
      });
    } catch (error) {
      // Someone else added the same one a moment ago (the unique slug and language).
      if ((error as { code?: unknown }).code === "P2002") return taken();
      throw error;
    }
    return redirectWithFlash(
      reply,
      `/dashboard/motivasi?topik=${encodeURIComponent(topic)}#pesan-${slug}`,
      text("Pesan motivasi ditambahkan.", "The motivational message is added."),
    );
  },
});

// ---------------------------------------------------------------- editing

type MessageRow = { id: number; slug: string; language: string; topic: string; text: string; active: boolean };

async function renderEdit(
  ctx: PageContext,
  row: MessageRow,
  values: Record<string, string>,
  errors: FieldErrors = {},
  status = 200,
) {
  const { reply, deps, t, language } = ctx;
  const db = deps.database.prisma;
  const [topics, other, sent] = await Promise.all([
    db.motivationalMessage.findMany({ distinct: ["topic"], select: { topic: true } }),
    db.motivationalMessage.findFirst({ where: { slug: row.slug, id: { not: row.id } } }),
    db.motivationDelivery.count({ where: { slug: row.slug } }),
  ]);
  const rowLanguage = row.language === "en" ? "en" : "id";
  return render(
    reply,
    "motivation-form",
    {
      title: t("Ubah pesan motivasi", "Edit a motivational message"),
      mode: "edit",
      action: `/dashboard/motivasi/${row.id}`,
      row,
      other,
      sent,
      languageLabel: languageLabels[rowLanguage],
      values,
      errors,
      topics: topics.map((r) => ({ value: r.topic, label: topicLabel(r.topic, language) })),
      languages: languages.map((l) => ({ value: l, label: languageLabels[l] })),
      textMax: motivationTextMax,
      // As participants get it: with the line on how to stop motivation at the end.
      preview: motivationText(row.text, rowLanguage),
    },
    { status },
  );
}

async function loadRow(ctx: PageContext): Promise<MessageRow | null> {
  const id = messageId(ctx.request.params);
  return id ? ctx.deps.database.prisma.motivationalMessage.findUnique({ where: { id } }) : null;
}

export const editMotivationPage = definePage({
  path: "/dashboard/motivasi/:id",
  async handler(ctx) {
    const row = await loadRow(ctx);
    if (!row) return renderError(ctx.reply, 404, notFoundPage);
    return renderEdit(ctx, row, { topic: row.topic, text: row.text });
  },
});

export const updateMotivationPage = definePage({
  method: "POST",
  path: "/dashboard/motivasi/:id",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const row = await loadRow(ctx);
    if (!row) return renderError(reply, 404, notFoundPage);
    const form = parseForm(updateSchema, request.body);
    if (!form.ok) return renderEdit(ctx, row, form.values, form.errors, 400);
    const { topic, text: body } = form.data;
    const changed = [...(topic !== row.topic ? ["topic"] : []), ...(body !== row.text ? ["text"] : [])];
    if (changed.length)
      await deps.database.prisma.$transaction(async (tx) => {
        await tx.motivationalMessage.update({ where: { id: row.id }, data: { text: body } });
        // The topic belongs to the message, so both languages of the slug move together.
        await tx.motivationalMessage.updateMany({ where: { slug: row.slug }, data: { topic } });
        await audit(tx, staff.id, "motivation.update", `motivation:${row.id}`, {
          slug: row.slug,
          language: row.language,
          changed,
          ...(changed.includes("topic") ? { topicBefore: row.topic, topic } : {}),
        });
      });
    return redirectWithFlash(
      reply,
      `/dashboard/motivasi?topik=${encodeURIComponent(topic)}#pesan-${row.slug}`,
      changed.length
        ? text("Pesan motivasi disimpan.", "The motivational message is saved.")
        : text("Tidak ada yang berubah.", "Nothing was changed."),
    );
  },
});

/** Disables or enables one language of a message; rounds only pick active ones. */
export const toggleMotivationPage = definePage({
  method: "POST",
  path: "/dashboard/motivasi/:id/status",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const row = await loadRow(ctx);
    if (!row) return renderError(reply, 404, notFoundPage);
    const body = (request.body ?? {}) as { active?: unknown; back?: unknown };
    const active = body.active === "1";
    // Back to the list as it was filtered: only its own query string, nothing that leaves the page.
    const filters = typeof body.back === "string" && /^\?[\w=&%.-]{0,200}$/.test(body.back) ? body.back : "";
    const back = `/dashboard/motivasi${filters}#pesan-${row.slug}`;
    if (row.active !== active)
      await deps.database.prisma.$transaction(async (tx) => {
        await tx.motivationalMessage.update({ where: { id: row.id }, data: { active } });
        await audit(tx, staff.id, active ? "motivation.enable" : "motivation.disable", `motivation:${row.id}`, {
          slug: row.slug,
          language: row.language,
        });
      });
    return redirectWithFlash(
      reply,
      back,
      active
        ? text(
            "Pesan diaktifkan lagi dan bisa terpilih di putaran motivasi.",
            "The message is enabled and can be picked in motivation rounds.",
          )
        : text(
            "Pesan dinonaktifkan dan tidak akan dikirim lagi.",
            "The message is disabled and will not be sent again.",
          ),
    );
  },
});

export const motivationPages = [
  motivationListPage,
  newMotivationPage,
  createMotivationPage,
  editMotivationPage,
  updateMotivationPage,
  toggleMotivationPage,
];
