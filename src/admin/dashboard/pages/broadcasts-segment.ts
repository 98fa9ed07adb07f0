/**
 * The composer's segment builder: the form fields that make a SegmentFilter, the choices they
 * offer (programmes, sessions, sectors and regencies from the database), and the recipient
 * count in words. Used by the composer page and by its live-count endpoint, so the count a
 * script shows and the count after "Hitung penerima" come from the same code.
 */
import { channelLabel, participantChannels } from "../channel-names.js";
import { DateTime } from "luxon";
import { z } from "zod";
import type { Db } from "../../../db/database.js";
import { databaseId } from "../../../db/ids.js";
import {
  enrollmentStatuses,
  rsvpValues,
  segmentFilterSchema,
  type SegmentConditions,
  type SegmentFilter,
  type SegmentPreview,
} from "../../../domain/segment-filter.js";
import { describeSegment } from "../../../domain/segments.js";
import {
  listTemplates,
  templateCost,
  type TemplateCategory,
  type WindowSplit,
} from "../../../domain/whatsapp-templates.js";
import { bilingual } from "../forms.js";
import { text, type Language, type Text } from "../text.js";

/** A form body as @fastify/formbody gives it: a string, or an array for a repeated name. */
export type FormBody = Record<string, unknown>;

/** Every value of a (possibly repeated) form field, empty ones left out. */
export function many(body: FormBody, name: string): string[] {
  const value = body[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => v.trim());
}

/**
 * A checkbox group: the ticked values, none ticked is no condition. The limits are the segment
 * schema's (500 ids, 100 words), so what passes here passes the service too.
 */
const ticked = <T extends z.ZodType>(item: T, max = 100) =>
  z.preprocess((v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : [v]), z.array(item).max(max));

const idItem = databaseId;
const wordItem = z.string().trim().min(1).max(100);
const localDay = z.union([
  z.literal(""),
  z.iso.date(bilingual("Tulis tanggal dengan format TTTT-BB-HH.", "Write the date as YYYY-MM-DD.")),
]);

/** The segment fields of the composer; the "except" group keeps to programmes, regencies and channels. */
export const segmentFields = {
  programmeIds: ticked(idItem, 500),
  trainingSessionIds: ticked(idItem, 500),
  enrollmentStatus: ticked(z.enum(enrollmentStatuses)),
  rsvp: ticked(z.enum(rsvpValues)),
  sectors: ticked(wordItem),
  regencies: ticked(wordItem),
  channels: ticked(wordItem),
  registeredFrom: localDay.default(""),
  registeredTo: localDay.default(""),
  exProgrammeIds: ticked(idItem, 500),
  exRegencies: ticked(wordItem),
  exChannels: ticked(wordItem),
};

/** The registration dates in order; a function, so forms that add fields can check it too. */
export const datesInOrder = <T extends z.ZodType<{ registeredFrom: string; registeredTo: string }>>(schema: T) =>
  schema.refine((f) => !f.registeredFrom || !f.registeredTo || f.registeredFrom <= f.registeredTo, {
    path: ["registeredTo"],
    error: bilingual(
      "Tanggal akhir tidak boleh sebelum tanggal mulai.",
      "The end date cannot be before the start date.",
    ),
  });

export const segmentFormSchema = datesInOrder(z.object(segmentFields));
export type SegmentForm = z.output<typeof segmentFormSchema>;

/** The filter the form describes; nothing ticked is everyone. */
export function filterFromForm(form: SegmentForm): SegmentFilter {
  const conditions: SegmentConditions = {};
  if (form.programmeIds.length) conditions.programmeIds = form.programmeIds;
  if (form.trainingSessionIds.length) conditions.trainingSessionIds = form.trainingSessionIds;
  if (form.enrollmentStatus.length) conditions.enrollmentStatus = form.enrollmentStatus;
  if (form.rsvp.length) conditions.rsvp = form.rsvp;
  if (form.sectors.length) conditions.sectors = form.sectors;
  if (form.regencies.length) conditions.regencies = form.regencies;
  if (form.channels.length) conditions.channels = form.channels;
  if (form.registeredFrom) conditions.registeredFrom = form.registeredFrom;
  if (form.registeredTo) conditions.registeredTo = form.registeredTo;
  const exclude: SegmentConditions = {};
  if (form.exProgrammeIds.length) exclude.programmeIds = form.exProgrammeIds;
  if (form.exRegencies.length) exclude.regencies = form.exRegencies;
  if (form.exChannels.length) exclude.channels = form.exChannels;
  // The service's own schema: a filter it would refuse is caught here, before anything is saved.
  return segmentFilterSchema.parse(Object.keys(exclude).length ? { ...conditions, exclude } : conditions);
}

/** What the composer shows in its fields: typed text, and the ticked values of each group. */
export type ComposerValues = {
  text: Record<string, string>;
  ticked: Record<string, string[]>;
};

const textFields = ["title", "textId", "textEn", "registeredFrom", "registeredTo", "templateId"] as const;
const groupFields = [
  "programmeIds",
  "trainingSessionIds",
  "enrollmentStatus",
  "rsvp",
  "sectors",
  "regencies",
  "channels",
  "exProgrammeIds",
  "exRegencies",
  "exChannels",
] as const;

/** The form as it was sent, to fill it again (valid or not). */
export function valuesFromBody(body: FormBody): ComposerValues {
  const textValues: Record<string, string> = {};
  for (const name of textFields) {
    const v = body[name];
    textValues[name] = typeof v === "string" ? v : "";
  }
  const groups: Record<string, string[]> = {};
  for (const name of groupFields) groups[name] = many(body, name);
  return { text: textValues, ticked: groups };
}

/** The form filled from an existing broadcast ("copy to a new broadcast"). */
export function valuesFromBroadcast(b: {
  title: string;
  textId: string;
  textEn: string | null;
  filter: SegmentFilter;
  template?: { id: number } | null;
}): ComposerValues {
  const f = b.filter;
  const strings = (list: readonly (string | number)[] | undefined) => (list ?? []).map(String);
  return {
    text: {
      title: b.title,
      textId: b.textId,
      textEn: b.textEn ?? "",
      registeredFrom: f.registeredFrom ?? "",
      registeredTo: f.registeredTo ?? "",
      templateId: b.template ? String(b.template.id) : "",
    },
    ticked: {
      programmeIds: strings(f.programmeIds),
      trainingSessionIds: strings(f.trainingSessionIds),
      enrollmentStatus: strings(f.enrollmentStatus),
      rsvp: strings(f.rsvp),
      sectors: strings(f.sectors),
      regencies: strings(f.regencies),
      channels: strings(f.channels),
      exProgrammeIds: strings(f.exclude?.programmeIds),
      exRegencies: strings(f.exclude?.regencies),
      exChannels: strings(f.exclude?.channels),
    },
  };
}

export const emptyValues = (): ComposerValues => valuesFromBody({});

export type Choice = { value: string; label: string; hint?: string };

/** What the segment builder offers, in the reader's language. */
export type SegmentChoices = {
  programmes: Choice[];
  sessions: Choice[];
  enrollmentStatus: Choice[];
  rsvp: Choice[];
  sectors: Choice[];
  regencies: Choice[];
  channels: Choice[];
};

const statusLabels: Record<(typeof enrollmentStatuses)[number], Text> = {
  enrolled: text("Terdaftar", "Enrolled"),
  waitlisted: text("Daftar tunggu", "Waiting list"),
  attended: text("Hadir", "Attended"),
  absent: text("Tidak hadir", "Absent"),
};
const rsvpLabels: Record<(typeof rsvpValues)[number], Text> = {
  confirmed: text("Sudah konfirmasi hadir", "Confirmed"),
  declined: text("Menyatakan tidak hadir", "Declined"),
  none: text("Belum menjawab", "No answer yet"),
};

/** Sessions older than this are not offered (a follow-up after a session is usually soon after it). */
const pastSessionDays = 120;

const byLabel = (a: Choice, b: Choice) => a.label.localeCompare(b.label, "id");

/** The choices of the segment builder, read from the database. */
export async function loadSegmentChoices(
  db: Db,
  language: Language,
  timeZone: string,
  now = new Date(),
): Promise<SegmentChoices> {
  const pick = (t: Text) => (language === "en" ? t.en : t.id);
  const [programmes, sessions, participantPlaces, programmeSectors] = await Promise.all([
    db.programme.findMany({ orderBy: [{ active: "desc" }, { titleId: "asc" }] }),
    db.trainingSession.findMany({
      where: { startsAt: { gte: new Date(now.getTime() - pastSessionDays * 86_400_000) } },
      include: { programme: { select: { titleId: true, titleEn: true, timeZone: true } } },
      orderBy: { startsAt: "asc" },
      take: 300,
    }),
    db.participant.findMany({
      where: { registeredAt: { not: null }, deletedAt: null },
      distinct: ["regency", "sector"],
      select: { regency: true, sector: true },
    }),
    db.programme.findMany({ distinct: ["sector"], select: { sector: true } }),
  ]);
  const regencies = new Set<string>();
  const sectors = new Set<string>(programmeSectors.map((p) => p.sector));
  for (const p of participantPlaces) {
    if (p.regency) regencies.add(p.regency);
    if (p.sector) sectors.add(p.sector);
  }
  for (const s of sessions) regencies.add(s.regency);
  const inactive = language === "en" ? " (inactive)" : " (tidak aktif)";
  return {
    programmes: programmes.map((p) => ({
      value: String(p.id),
      label: (language === "en" ? p.titleEn : p.titleId) + (p.active ? "" : inactive),
    })),
    sessions: sessions.map((s) => ({
      value: String(s.id),
      label: `${language === "en" ? s.programme.titleEn : s.programme.titleId}: ${sessionDay(s.startsAt, s.programme.timeZone || timeZone, language)}`,
      hint: `${s.venue}, ${s.regency}${s.status === "cancelled" ? (language === "en" ? " (cancelled)" : " (dibatalkan)") : ""}`,
    })),
    enrollmentStatus: enrollmentStatuses.map((s) => ({ value: s, label: pick(statusLabels[s]) })),
    rsvp: rsvpValues.map((r) => ({ value: r, label: pick(rsvpLabels[r]) })),
    sectors: [...sectors].map((s) => ({ value: s, label: s })).sort(byLabel),
    regencies: [...regencies].map((r) => ({ value: r, label: r })).sort(byLabel),
    channels: participantChannels.map((value) => ({ value, label: pick(channelLabel(value)) })),
  };
}

/** "3 Des 2026" / "3 Dec 2026": short, since the programme title comes first. */
function sessionDay(date: Date, timeZone: string, language: Language): string {
  return DateTime.fromJSDate(date, { zone: timeZone })
    .setLocale(language === "en" ? "en-GB" : "id")
    .toFormat("d LLL yyyy");
}

/** The names describeSegment needs: programme titles and session labels, in one language. */
export async function segmentNames(
  db: Db,
  filters: SegmentFilter[],
  language: Language,
  timeZone: string,
): Promise<{ programmes: Map<number, string>; sessions: Map<number, string> }> {
  const programmeIds = new Set<number>();
  const sessionIds = new Set<number>();
  for (const f of filters)
    for (const c of [f, f.exclude ?? {}]) {
      for (const id of c.programmeIds ?? []) programmeIds.add(id);
      for (const id of c.trainingSessionIds ?? []) sessionIds.add(id);
    }
  const [programmes, sessions] = await Promise.all([
    programmeIds.size
      ? db.programme.findMany({ where: { id: { in: [...programmeIds] } } })
      : Promise.resolve([] as { id: number; titleId: string; titleEn: string }[]),
    sessionIds.size
      ? db.trainingSession.findMany({
          where: { id: { in: [...sessionIds] } },
          include: { programme: { select: { titleId: true, titleEn: true, timeZone: true } } },
        })
      : Promise.resolve([]),
  ]);
  return {
    programmes: new Map(programmes.map((p) => [p.id, language === "en" ? p.titleEn : p.titleId])),
    sessions: new Map(
      sessions.map((s) => [
        s.id,
        `${language === "en" ? s.programme.titleEn : s.programme.titleId} ${sessionDay(s.startsAt, s.programme.timeZone || timeZone, language)} (${s.regency})`,
      ]),
    ),
  };
}

/** A filter in words, with the names of its programmes and sessions. */
export async function describeFilter(
  db: Db,
  filter: SegmentFilter,
  language: Language,
  timeZone: string,
): Promise<string> {
  return describeSegment(filter, await segmentNames(db, [filter], language, timeZone), language);
}

/**
 * "230 penerima · 12 tidak ikut (10 berhenti berlangganan, 2 memblokir bot)", in the reader's
 * language; who is left out is said only when someone is.
 */
export function recipientSummary(preview: SegmentPreview, language: Language): string {
  const n = (value: number) => value.toLocaleString(language === "en" ? "en-GB" : "id-ID");
  const { optedOut, blocked } = preview.leftOut;
  const leftOut = optedOut + blocked;
  if (language === "en") {
    const head = `${n(preview.recipients)} recipient${preview.recipients === 1 ? "" : "s"}`;
    if (!leftOut) return head;
    const why = [optedOut ? `${n(optedOut)} unsubscribed` : "", blocked ? `${n(blocked)} blocked the bot` : ""];
    return `${head} · ${n(leftOut)} left out (${why.filter(Boolean).join(", ")})`;
  }
  const head = `${n(preview.recipients)} penerima`;
  if (!leftOut) return head;
  const why = [optedOut ? `${n(optedOut)} berhenti berlangganan` : "", blocked ? `${n(blocked)} memblokir bot` : ""];
  return `${head} · ${n(leftOut)} tidak ikut (${why.filter(Boolean).join(", ")})`;
}

/** A template the composer offers (WhatsApp Cloud API): for broadcasts, or for nothing in particular. */
export type TemplateChoice = {
  value: string;
  label: string;
  name: string;
  category: TemplateCategory;
  /** Mapped to broadcasts (usedFor "broadcast"): the composer's default. */
  forBroadcasts: boolean;
};

/** The templates a broadcast may use, those for broadcasts first (the default is the first). */
export async function loadTemplateChoices(db: Db, language: Language): Promise<TemplateChoice[]> {
  const templates = (await listTemplates(db)).filter((t) => t.usedFor === null || t.usedFor === "broadcast");
  const words = {
    id: { id: "Indonesia", en: "Inggris", utility: "utilitas", marketing: "pemasaran", default: "bawaan siaran" },
    en: { id: "Indonesian", en: "English", utility: "utility", marketing: "marketing", default: "broadcast default" },
  }[language];
  return templates.map((t) => ({
    value: String(t.id),
    name: t.name,
    category: t.category,
    forBroadcasts: t.usedFor === "broadcast",
    label: `${t.name} (${[words[t.language], words[t.category], ...(t.usedFor ? [words.default] : [])].join(", ")})`,
  }));
}

/**
 * What the 24-hour window means for a broadcast's WhatsApp recipients, in a sentence: inside get
 * the text at no template cost; outside get the chosen template, billed by Meta per message (the
 * estimate when a price is configured for its category); without a template they cannot be sent
 * to. Null when no recipient is on WhatsApp.
 */
export function windowSummary(
  split: WindowSplit,
  template: { name: string; category: TemplateCategory } | null,
  price: { utility: number | null; marketing: number | null } | null,
  language: Language,
): string | null {
  if (!split.whatsapp) return null;
  const n = (value: number) => value.toLocaleString(language === "en" ? "en-GB" : "id-ID");
  const en = language === "en";
  const inside = en
    ? `${n(split.inside)} WhatsApp recipient${split.inside === 1 ? " is" : "s are"} inside the 24-hour window and get${split.inside === 1 ? "s" : ""} this text at no template cost`
    : `${n(split.inside)} penerima WhatsApp berada di dalam jendela 24 jam dan menerima teks ini tanpa biaya templat`;
  if (!split.outside) return `${inside}.`;
  const outsideHead = en
    ? `${n(split.outside)} ${split.outside === 1 ? "is" : "are"} outside it`
    : `${n(split.outside)} di luar jendela`;
  if (!template)
    return en
      ? `${inside}; ${outsideHead} and can only get a template approved by Meta: choose a WhatsApp template, or the broadcast cannot be saved.`
      : `${inside}; ${outsideHead} hanya bisa menerima templat yang disetujui Meta: pilih templat WhatsApp, atau siaran ini tidak dapat disimpan.`;
  const category = en ? template.category : template.category === "utility" ? "utilitas" : "pemasaran";
  const cost = templateCost(split.outside, template.category, price);
  const billed =
    cost === null
      ? en
        ? `billed by Meta per message at its rate card for ${category} templates`
        : `ditagih Meta per pesan menurut tarif Meta untuk templat ${category}`
      : en
        ? `billed by Meta per message: estimated cost Rp ${n(cost)}`
        : `ditagih Meta per pesan: perkiraan biaya Rp ${n(cost)}`;
  return en
    ? `${inside}; ${outsideHead} and get${split.outside === 1 ? "s" : ""} the template ${template.name} (${category}), ${billed}.`
    : `${inside}; ${outsideHead} menerima templat ${template.name} (${category}), ${billed}.`;
}
