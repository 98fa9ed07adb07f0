/**
 * Siaran baru (New broadcast): title, texts, the segment builder, the recipient count and a
 * preview of the message as participants see it. "Hitung penerima" re-renders the page with the
 * count (works without JavaScript); broadcast-composer.js asks /dashboard/siaran/pratinjau for
 * it while the form is filled in, and /dashboard/siaran/pratinjau-teks for the chat bubbles as
 * the texts are typed (their *bold* and _italic_ rendered by the one renderer the web chat uses).
 * Saving makes a draft; sending is done from its own page.
 *
 * With the WhatsApp Cloud API, recipients on WhatsApp who have not written in 24 hours can only
 * get an approved template: the composer offers the templates for broadcasts, shows how many are
 * inside and outside the window and what that costs, and will not save a broadcast whose
 * recipients outside the window would get nothing (no template chosen). Scheduling and approval
 * check again (src/domain/broadcasts.ts), since the window moves.
 */
import { z } from "zod";
import { renderWebHtml } from "../../../channels/render.js";
import { databaseId } from "../../../db/ids.js";
import { broadcastTextMax } from "../../../domain/broadcast-types.js";
import type { SegmentFilter, SegmentPreview } from "../../../domain/segment-filter.js";
import { windowSplit, type WindowSplit } from "../../../domain/whatsapp-templates.js";
import { bilingual, parseForm, type FieldErrors } from "../forms.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text } from "../text.js";
import {
  datesInOrder,
  describeFilter,
  emptyValues,
  filterFromForm,
  loadSegmentChoices,
  loadTemplateChoices,
  recipientSummary,
  segmentFields,
  segmentFormSchema,
  valuesFromBody,
  valuesFromBroadcast,
  windowSummary,
  type ComposerValues,
  type FormBody,
  type TemplateChoice,
} from "./broadcasts-segment.js";
import { broadcastId, composerScript } from "./broadcasts-view.js";

/** Browsers send a textarea's line breaks as CRLF; participants get (and limits count) LF. */
const lines = (schema: z.ZodString) =>
  z.preprocess((v) => (typeof v === "string" ? v.replace(/\r\n?/g, "\n") : v), schema);

const composeSchema = datesInOrder(
  z.object({
    title: z.string().trim().min(1).max(200),
    textId: lines(z.string().trim().min(1).max(broadcastTextMax)),
    textEn: lines(z.string().trim().max(broadcastTextMax)).default(""),
    templateId: z
      .union([z.literal(""), databaseId], bilingual("Pilih salah satu templat.", "Choose one of the templates."))
      .default(""),
    ...segmentFields,
  }),
);

/** Errors of list fields come as "programmeIds.0": they belong next to the whole group. */
function byField(errors: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [key, message] of Object.entries(errors)) out[key.split(".")[0]!] ??= message;
  return out;
}

type Counted = {
  preview: SegmentPreview;
  summary: string;
  segment: string;
  /** WhatsApp Cloud API only: the WhatsApp recipients by the 24-hour window, and what it means. */
  window: (WindowSplit & { summary: string | null }) | null;
} | null;

const usesTemplates = (ctx: PageContext) => ctx.deps.config.whatsapp.provider === "cloud";

/** The templates a broadcast may use; none unless WhatsApp runs on the Cloud API. */
const templateChoices = (ctx: PageContext) =>
  usesTemplates(ctx) ? loadTemplateChoices(ctx.deps.database.prisma, ctx.language) : Promise.resolve([]);

/** The template chosen in the form: the one given, or none. */
const chosen = (choices: TemplateChoice[], value: string | undefined) => choices.find((c) => c.value === value) ?? null;

async function count(ctx: PageContext, filter: SegmentFilter, templateId?: string): Promise<Counted> {
  const { deps, language } = ctx;
  const preview = await deps.bot.broadcasts.preview(filter);
  let window: NonNullable<Counted>["window"] = null;
  if (usesTemplates(ctx)) {
    const split = await windowSplit(deps.database, { filter, timeZone: deps.config.defaultTimeZone }, new Date());
    const template = chosen(await templateChoices(ctx), templateId);
    window = { ...split, summary: windowSummary(split, template, deps.config.whatsapp.cloud?.price ?? null, language) };
  }
  return {
    preview,
    summary: recipientSummary(preview, language),
    segment: await describeFilter(deps.database.prisma, filter, language, deps.config.defaultTimeZone),
    window,
  };
}

async function renderComposer(
  ctx: PageContext,
  values: ComposerValues,
  options: { errors?: FieldErrors; counted?: Counted; status?: number; notice?: string } = {},
) {
  const { reply, deps, t, language } = ctx;
  const ticked = (group: string, value: string) => (values.ticked[group] ?? []).includes(value);
  const templates = await templateChoices(ctx);
  return render(
    reply,
    "broadcast-compose",
    {
      title: t("Siaran baru", "New broadcast"),
      notice: options.notice ?? null,
      script: composerScript,
      choices: await loadSegmentChoices(deps.database.prisma, language, deps.config.defaultTimeZone),
      values: values.text,
      ticked,
      // The "except" group starts folded, unless something in it is ticked or wrong.
      exceptOpen: ["exProgrammeIds", "exRegencies", "exChannels"].some(
        (g) => values.ticked[g]?.length || options.errors?.[g],
      ),
      errors: options.errors ?? {},
      counted: options.counted ?? null,
      textMax: broadcastTextMax,
      // Offered with the Cloud API; the select shows only when some recipient is on WhatsApp.
      templates: usesTemplates(ctx) ? templates : null,
    },
    { status: options.status ?? 200 },
  );
}

export const composePage = definePage({
  path: "/dashboard/siaran/baru",
  async handler(ctx) {
    const { request, deps } = ctx;
    // "Salin" on a broadcast's page starts a new one from it (a draft cannot be edited in place).
    const from = broadcastId({ id: (request.query as { dari?: unknown }).dari });
    const source = from ? await deps.bot.broadcasts.get(from) : null;
    const values = source ? valuesFromBroadcast(source) : emptyValues();
    // The template for broadcasts is the default choice (listed first); "none" stays possible.
    if (!source && usesTemplates(ctx)) {
      const first = (await templateChoices(ctx))[0];
      if (first?.forBroadcasts) values.text.templateId = first.value;
    }
    // A copy of a broadcast whose stored filter no longer reads keeps its texts but not its
    // recipients: left empty, the filter would mean everyone, so the page says to choose.
    const notice = source?.invalidFilter
      ? ctx.t(
          "Penerima siaran asal tidak dapat dibaca lagi, jadi tidak ikut disalin. Pilih penerimanya di bawah sebelum menyimpan; tanpa pilihan, siaran ini untuk semua peserta.",
          "The original broadcast's recipients can no longer be read, so they were not copied. Choose the recipients below before saving; with none chosen, it goes to every participant.",
        )
      : undefined;
    return renderComposer(ctx, values, {
      counted: await count(ctx, source?.filter ?? {}, values.text.templateId),
      ...(notice ? { notice } : {}),
    });
  },
});

export const saveComposePage = definePage({
  method: "POST",
  path: "/dashboard/siaran/baru",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const body = (request.body ?? {}) as FormBody;
    const values = valuesFromBody(body);
    const segment = parseForm(segmentFormSchema, body);
    const counted = segment.ok ? await count(ctx, filterFromForm(segment.data), values.text.templateId) : null;

    if (body.action === "count") {
      // Only the count was asked for: the texts may still be empty, so only the segment is checked.
      return renderComposer(ctx, values, {
        counted,
        ...(segment.ok ? {} : { errors: byField(segment.errors), status: 400 }),
      });
    }

    const form = parseForm(composeSchema, body);
    if (!form.ok) return renderComposer(ctx, values, { errors: byField(form.errors), counted, status: 400 });
    const { title, textId, textEn } = form.data;
    const templateId = form.data.templateId === "" ? null : form.data.templateId;
    if (templateId !== null && !chosen(await templateChoices(ctx), String(templateId)))
      return renderComposer(ctx, values, {
        errors: { templateId: text("Pilih salah satu templat.", "Choose one of the templates.") },
        counted,
        status: 400,
      });
    // Refused here rather than at sending: who is outside is known now, and the fix (a template) is on this form.
    if (counted?.window && counted.window.outside > 0 && templateId === null)
      return renderComposer(ctx, values, {
        errors: {
          templateId: text(
            `${counted.window.outside} penerima WhatsApp sudah lebih dari 24 jam tidak mengirim pesan dan hanya bisa menerima templat yang disetujui Meta. Pilih templatnya.`,
            `${counted.window.outside} WhatsApp recipient${counted.window.outside === 1 ? " has" : "s have"} not written in 24 hours and can only get a template approved by Meta. Choose the template.`,
          ),
        },
        counted,
        status: 400,
      });
    const view = await deps.bot.broadcasts.create(staff.id, {
      title,
      textId,
      textEn: textEn || null,
      filter: filterFromForm(form.data),
      ...(templateId !== null && usesTemplates(ctx) ? { templateId } : {}),
    });
    return redirectWithFlash(
      reply,
      `/dashboard/siaran/${view.id}`,
      text(
        "Draf siaran disimpan. Periksa sekali lagi, lalu kirim sekarang atau jadwalkan.",
        "The draft is saved. Check it once more, then send it now or schedule it.",
      ),
    );
  },
});

/** The live count: the composer's form in, the count in words out (JSON, for the script). */
export const previewCountPage = definePage({
  method: "POST",
  path: "/dashboard/siaran/pratinjau",
  async handler(ctx) {
    const { request, reply, language } = ctx;
    const segment = parseForm(segmentFormSchema, request.body ?? {});
    reply.header("cache-control", "no-store");
    if (!segment.ok) {
      const errors = Object.fromEntries(
        Object.entries(byField(segment.errors)).map(([k, v]) => [k, language === "en" ? v.en : v.id]),
      );
      return reply.code(400).send({ ok: false, errors });
    }
    const templateId = (request.body as Record<string, unknown> | undefined)?.templateId;
    const counted = (await count(ctx, filterFromForm(segment.data), typeof templateId === "string" ? templateId : ""))!;
    return reply.send({
      ok: true,
      matched: counted.preview.matched,
      recipients: counted.preview.recipients,
      leftOut: counted.preview.leftOut,
      summary: counted.summary,
      segment: counted.segment,
      ...(counted.window
        ? {
            whatsapp: {
              recipients: counted.window.whatsapp,
              inside: counted.window.inside,
              outside: counted.window.outside,
              summary: counted.window.summary,
            },
          }
        : {}),
    });
  },
});

/** The chat bubbles as participants see them: the texts in, safe HTML out (JSON, for the script). */
export const previewTextPage = definePage({
  method: "POST",
  path: "/dashboard/siaran/pratinjau-teks",
  async handler(ctx) {
    const { request, reply } = ctx;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const html = (field: string) => {
      const value = body[field];
      return typeof value === "string" ? renderWebHtml(value.slice(0, broadcastTextMax).trim()) : "";
    };
    reply.header("cache-control", "no-store");
    return reply.send({ ok: true, id: html("textId"), en: html("textEn") });
  },
});
