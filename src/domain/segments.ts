/**
 * Segments (segment-filter.ts) as SQL: the condition a broadcast selects its participants with,
 * the preview staff see before sending, and a short description of a filter in their language.
 */
import { DateTime } from "luxon";
import type { Database, DatabaseProvider } from "../db/database.js";
import { forProvider, queryRows, sqlTime } from "../db/raw-sql.js";
import {
  segmentFilterSchema,
  type SegmentConditions,
  type SegmentFilter,
  type SegmentPreview,
} from "./segment-filter.js";

/** A boolean SQL condition and its parameters, in the order their placeholders appear. */
export type SqlCondition = { sql: string; params: unknown[] };

/**
 * Placeholders numbered from `next`, each written once and in order, so the same text works on
 * PostgreSQL ($n) and, after forProvider, on SQLite (positional ?).
 */
class Placeholders {
  readonly params: unknown[] = [];
  constructor(
    readonly provider: DatabaseProvider,
    private next: number,
    /** Where the registration dates of a filter are local dates. */
    readonly timeZone: string,
  ) {}

  add(value: unknown, cast = ""): string {
    this.params.push(value);
    return `$${this.next++}${cast}`;
  }

  /** `column` is one of `values`. Enum columns are compared as text on PostgreSQL. */
  inList(column: string, values: readonly (number | string)[], kind: "int" | "text"): string {
    if (this.provider === "sqlite")
      return `${column} IN (SELECT value FROM json_each(${this.add(JSON.stringify(values))}))`;
    return `${column} = ANY(${this.add([...values], `::${kind}[]`)})`;
  }

  time(column: string, operator: ">=" | "<", date: Date): string {
    return `${column} ${operator} ${this.add(sqlTime(date, this.provider), "::timestamp(3)")}`;
  }
}

/** The start of a local day (YYYY-MM-DD) in `timeZone`. */
function startOfLocalDay(day: string, timeZone: string): DateTime {
  const start = DateTime.fromISO(day, { zone: timeZone }).startOf("day");
  if (!start.isValid)
    throw new Error(`Cannot read the date ${day} in time zone ${timeZone}: ${start.invalidExplanation}`);
  return start;
}

/** Enum columns are typed enums on PostgreSQL and text on SQLite. */
const asText = (column: string, provider: DatabaseProvider) => (provider === "postgresql" ? `${column}::text` : column);

/** The given conditions, joined with AND; null when there are none. */
function conditionsSql(c: SegmentConditions, ph: Placeholders): string | null {
  const parts: string[] = [];

  // One EXISTS for all enrollment conditions, so they must hold for the same enrollment:
  // "lada and waitlisted" must not match someone enrolled in lada and waitlisted elsewhere.
  if (c.programmeIds || c.trainingSessionIds || c.enrollmentStatus || c.rsvp) {
    const e = [`e."participantId" = p.id`, `e.status <> 'cancelled'`];
    if (c.programmeIds) e.push(ph.inList(`s."programmeId"`, c.programmeIds, "int"));
    if (c.trainingSessionIds) e.push(ph.inList(`e."trainingSessionId"`, c.trainingSessionIds, "int"));
    if (c.enrollmentStatus) e.push(ph.inList(asText("e.status", ph.provider), c.enrollmentStatus, "text"));
    if (c.rsvp) {
      // "none" is not a stored value: it means no answer yet (rsvp NULL).
      const answers = c.rsvp.filter((r) => r !== "none");
      const either: string[] = [];
      if (answers.length) either.push(ph.inList(asText("e.rsvp", ph.provider), answers, "text"));
      if (c.rsvp.includes("none")) either.push("e.rsvp IS NULL");
      e.push(either.length > 1 ? `(${either.join(" OR ")})` : either[0]!);
    }
    parts.push(
      `EXISTS (SELECT 1 FROM "Enrollment" e JOIN "TrainingSession" s ON s.id = e."trainingSessionId" WHERE ${e.join(" AND ")})`,
    );
  }
  if (c.sectors) parts.push(ph.inList("p.sector", c.sectors, "text"));
  if (c.regencies) parts.push(ph.inList("p.regency", c.regencies, "text"));
  if (c.channels) {
    parts.push(
      `EXISTS (SELECT 1 FROM "ChannelIdentity" c WHERE c."participantId" = p.id AND ${ph.inList("c.channel", c.channels, "text")})`,
    );
  }
  if (c.registeredFrom) {
    const start = startOfLocalDay(c.registeredFrom, ph.timeZone);
    parts.push(ph.time(`p."registeredAt"`, ">=", start.toJSDate()));
  }
  if (c.registeredTo) {
    // Inclusive: everything before the next local day starts (a day may not be 24 hours long).
    const end = startOfLocalDay(c.registeredTo, ph.timeZone).plus({ days: 1 });
    parts.push(ph.time(`p."registeredAt"`, "<", end.toJSDate()));
  }
  return parts.length ? parts.join(" AND ") : null;
}

/**
 * The participants (alias `p`, table "Participant") a filter matches: registered, data not
 * deleted, every condition given, and not matched by `exclude` (an empty `exclude` leaves no one
 * out). Opted-out and blocked participants still match; add `recipientCondition` to send.
 * Placeholders are `$n` from `options.firstParam` on; pass the statement through forProvider.
 * Registration dates are local dates in `options.timeZone`, both bounds inclusive.
 */
export function segmentCondition(
  filter: SegmentFilter,
  provider: DatabaseProvider,
  options: { firstParam: number; timeZone: string },
): SqlCondition {
  const ph = new Placeholders(provider, options.firstParam, options.timeZone);
  const { exclude, ...conditions } = filter;
  const parts = [`p."registeredAt" IS NOT NULL`, `p."deletedAt" IS NULL`];
  const included = conditionsSql(conditions, ph);
  if (included) parts.push(included);
  const excluded = exclude ? conditionsSql(exclude, ph) : null;
  // A NULL sector or regency makes the excluded test NULL, and NOT NULL would drop the person:
  // someone without a regency is not "in Belitung", so they stay.
  if (excluded) parts.push(`NOT COALESCE(${excluded}, FALSE)`);
  return { sql: `(${parts.join(" AND ")})`, params: ph.params };
}

/**
 * Who of the matched a broadcast goes to (alias `p`, no parameters): not opted out, and with at
 * least one chat that has not blocked the bot. `WHERE ${segment.sql} AND ${recipientCondition}`.
 */
export const recipientCondition = `(p."optedOutAt" IS NULL AND EXISTS (SELECT 1 FROM "ChannelIdentity" rc WHERE rc."participantId" = p.id AND rc."blockedAt" IS NULL))`;

/** How many a filter matches, how many would receive a broadcast, and why the others would not. */
export async function previewSegment(
  database: Database,
  filter: SegmentFilter,
  timeZone: string,
): Promise<SegmentPreview> {
  const segment = segmentCondition(filter, database.provider, { firstParam: 1, timeZone });
  // Someone who opted out and is blocked too is counted once, as opted out.
  const sql = forProvider(
    `SELECT COUNT(*) AS matched,
      SUM(CASE WHEN ${recipientCondition} THEN 1 ELSE 0 END) AS recipients,
      SUM(CASE WHEN p."optedOutAt" IS NOT NULL THEN 1 ELSE 0 END) AS "optedOut",
      SUM(CASE WHEN p."optedOutAt" IS NULL AND NOT EXISTS (SELECT 1 FROM "ChannelIdentity" oc
        WHERE oc."participantId" = p.id AND oc."blockedAt" IS NULL) THEN 1 ELSE 0 END) AS blocked
    FROM "Participant" p WHERE ${segment.sql}`,
    database.provider,
  );
  type Counts = Record<"matched" | "recipients" | "optedOut" | "blocked", number | bigint | string | null>;
  const [row] = await queryRows<Counts>(database, database.prisma, sql, segment.params);
  // COUNT and SUM are bigint (or numeric text) on PostgreSQL; SUM over no rows is NULL.
  const count = (value: Counts[keyof Counts] | undefined) => Number(value ?? 0);
  return {
    matched: count(row?.matched),
    recipients: count(row?.recipients),
    leftOut: { optedOut: count(row?.optedOut), blocked: count(row?.blocked) },
  };
}

/** A filter as stored (the "filter" column: JSON text on SQLite, an object on PostgreSQL); throws the ZodError. */
export function parseSegmentFilter(value: unknown): SegmentFilter {
  return segmentFilterSchema.parse(typeof value === "string" ? (JSON.parse(value) as unknown) : value);
}

type Language = "id" | "en";
type Names = { programmes: Map<number, string>; sessions: Map<number, string> };

const words = {
  id: {
    all: "Semua peserta",
    participants: "Peserta",
    of: "Peserta ",
    except: "kecuali",
    or: "atau",
    more: (n: number) => `${n} lainnya`,
    programme: (list: string) => `program ${list}`,
    session: (list: string) => `sesi ${list}`,
    sector: (list: string) => `sektor ${list}`,
    status: (list: string) => `status ${list}`,
    channel: (list: string) => `lewat ${list}`,
    on: (d: string) => `mendaftar pada ${d}`,
    from: (d: string) => `mendaftar sejak ${d}`,
    to: (d: string) => `mendaftar sampai ${d}`,
    between: (a: string, b: string) => `mendaftar antara ${a} dan ${b}`,
    statuses: { enrolled: "terdaftar", waitlisted: "daftar tunggu", attended: "hadir", absent: "tidak hadir" },
    rsvp: { confirmed: "sudah konfirmasi hadir", declined: "menyatakan tidak hadir", none: "belum konfirmasi" },
    channels: { telegram: "Telegram", whatsapp: "WhatsApp", web: "chat web" } as Record<string, string>,
  },
  en: {
    all: "All participants",
    participants: "Participants",
    of: "Participants of ",
    except: "except",
    or: "or",
    more: (n: number) => `${n} more`,
    programme: (list: string, many: boolean) => `the ${list} programme${many ? "s" : ""}`,
    session: (list: string, many: boolean) => `session${many ? "s" : ""} ${list}`,
    sector: (list: string, many: boolean) => `sector${many ? "s" : ""} ${list}`,
    status: (list: string) => list,
    channel: (list: string) => `on ${list}`,
    on: (d: string) => `registered on ${d}`,
    from: (d: string) => `registered from ${d}`,
    to: (d: string) => `registered until ${d}`,
    between: (a: string, b: string) => `registered between ${a} and ${b}`,
    statuses: { enrolled: "enrolled", waitlisted: "waitlisted", attended: "attended", absent: "absent" },
    rsvp: { confirmed: "confirmed", declined: "declined", none: "not confirmed" },
    channels: { telegram: "Telegram", whatsapp: "WhatsApp", web: "the web chat" } as Record<string, string>,
  },
};

/** "A, B or C"; long lists end with "and 3 more" so the description stays short. */
function alternatives(items: string[], language: Language): string {
  const w = words[language];
  const shown = items.length > 5 ? [...items.slice(0, 4), w.more(items.length - 4)] : items;
  return shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(", ")} ${w.or} ${shown.at(-1)!}`;
}

const formatDay = (day: string, language: Language) =>
  DateTime.fromISO(day, { zone: "UTC" }).setLocale(language).toFormat("d MMMM yyyy");

/** The conditions as phrases, programme and session first (they read as "participants of ..."). */
function describeConditions(c: SegmentConditions, names: Names, language: Language): string[] {
  const w = words[language];
  const list = (items: string[]) => alternatives(items, language);
  const parts: string[] = [];
  if (c.programmeIds) {
    const titles = c.programmeIds.map((id) => names.programmes.get(id) ?? `#${id}`);
    parts.push(w.programme(list(titles), titles.length > 1));
  }
  if (c.trainingSessionIds) {
    const titles = c.trainingSessionIds.map((id) => names.sessions.get(id) ?? `#${id}`);
    parts.push(w.session(list(titles), titles.length > 1));
  }
  if (c.enrollmentStatus) parts.push(w.status(list(c.enrollmentStatus.map((s) => w.statuses[s]))));
  if (c.rsvp) parts.push(list(c.rsvp.map((r) => w.rsvp[r])));
  if (c.sectors) parts.push(w.sector(list(c.sectors), c.sectors.length > 1));
  if (c.regencies) parts.push(list(c.regencies));
  if (c.channels) parts.push(w.channel(list(c.channels.map((ch) => w.channels[ch] ?? ch))));
  const from = c.registeredFrom && formatDay(c.registeredFrom, language);
  const to = c.registeredTo && formatDay(c.registeredTo, language);
  if (from && to) parts.push(from === to ? w.on(from) : w.between(from, to));
  else if (from) parts.push(w.from(from));
  else if (to) parts.push(w.to(to));
  return parts;
}

/**
 * A short description of a filter for staff, e.g. "Peserta program Lada, status terdaftar,
 * belum konfirmasi, Kabupaten Bangka Tengah". Names of programmes and sessions come from
 * `names`; an unknown id shows as "#id".
 */
export function describeSegment(filter: SegmentFilter, names: Names, language: Language): string {
  const w = words[language];
  const { exclude, ...conditions } = filter;
  const parts = describeConditions(conditions, names, language);
  const startsWithProgramme = Boolean(conditions.programmeIds ?? conditions.trainingSessionIds);
  let text = !parts.length
    ? w.all
    : startsWithProgramme
      ? `${w.of}${parts.join(", ")}`
      : `${w.participants}: ${parts.join(", ")}`;
  const left = exclude ? describeConditions(exclude, names, language) : [];
  // Brackets keep several excluded conditions together: they must all hold to leave someone out.
  if (left.length) text += `, ${w.except} ${left.length > 1 ? `(${left.join(", ")})` : left[0]!}`;
  return text;
}
