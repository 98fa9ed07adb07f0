import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { forProvider, queryRows } from "../../src/db/raw-sql.js";
import type { SegmentConditions, SegmentFilter } from "../../src/domain/segment-filter.js";
import {
  describeSegment,
  parseSegmentFilter,
  previewSegment,
  recipientCondition,
  segmentCondition,
} from "../../src/domain/segments.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

const timeZone = "Asia/Jakarta";
const LADA = 1;
const KONVEKSI = 2;
const SERVIS_AC = 3;
const programmes = [
  { id: LADA, slug: "lada", title: "Lada" },
  { id: KONVEKSI, slug: "konveksi", title: "Konveksi" },
  { id: SERVIS_AC, slug: "servis-ac", title: "Servis AC" },
];
const sessions = [
  { id: 1, programmeId: LADA, code: "lada-1" },
  { id: 2, programmeId: LADA, code: "lada-2" },
  { id: 3, programmeId: KONVEKSI, code: "konveksi-1" },
  { id: 4, programmeId: KONVEKSI, code: "konveksi-2" },
  { id: 5, programmeId: SERVIS_AC, code: "servis-ac-1" },
];
const BANGKA_TENGAH = "Kabupaten Bangka Tengah";
const BELITUNG = "Kabupaten Belitung";
const regencies = [BANGKA_TENGAH, BELITUNG, "Kota Pangkalpinang", "Kabupaten Bangka"];
const statuses = ["enrolled", "waitlisted", "cancelled", "attended", "absent"] as const;
const channels = ["telegram", "whatsapp", "web"] as const;

type Chat = { channel: string; blocked: boolean };
type Rsvp = "confirmed" | "declined" | null;
type Seat = { sessionId: number; programmeId: number; status: (typeof statuses)[number]; rsvp: Rsvp };
type Person = {
  id: number;
  sector: string | null;
  regency: string | null;
  language: string;
  registeredAt: Date | null;
  optedOut: boolean;
  deleted: boolean;
  chats: Chat[];
  seats: Seat[];
};

/** A small seeded generator, so the population is the same on every run and both databases. */
function random(seed: number) {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const some = <T>(items: readonly T[], n: number): T[] => [...items].sort(() => next() - 0.5).slice(0, n);
  return { next, pick, some };
}

const jakarta = (iso: string) => DateTime.fromISO(iso, { zone: timeZone }).toJSDate();
const seat = (sessionId: number, status: Seat["status"], rsvp: Rsvp = null): Seat => ({
  sessionId,
  programmeId: sessions.find((s) => s.id === sessionId)!.programmeId,
  status,
  rsvp,
});

function population(): Person[] {
  const r = random(20250301);
  const people: Person[] = [];
  for (let id = 1; id <= 60; id++) {
    const registeredAt = DateTime.fromJSDate(jakarta("2025-03-01T00:00"))
      .plus({ days: Math.floor(r.next() * 20), minutes: Math.floor(r.next() * 1440) })
      .toJSDate();
    people.push({
      id,
      sector: r.pick(["lada", "konveksi", "servis-ac", null]),
      regency: r.pick([...regencies, null]),
      language: r.pick(["id", "id", "en"]),
      registeredAt,
      optedOut: r.next() < 0.15,
      deleted: false,
      chats: r.some(channels, 1 + Math.floor(r.next() * 3)).map((channel) => ({ channel, blocked: r.next() < 0.2 })),
      seats: r
        .some(sessions, Math.floor(r.next() * 4))
        .map((s) => seat(s.id, r.pick(statuses), r.pick<Rsvp>(["confirmed", "declined", null, null]))),
    });
  }
  const set = (id: number, change: Partial<Person>) => Object.assign(people[id - 1]!, change);
  // Enrolled in lada, waitlisted in konveksi: "lada and waitlisted" must not match.
  set(1, { regency: BANGKA_TENGAH, seats: [seat(1, "enrolled"), seat(3, "waitlisted")] });
  // Everyone enrolled in the pepper programme in Bangka Tengah who has not confirmed.
  set(2, { regency: BANGKA_TENGAH, optedOut: false, seats: [seat(2, "enrolled")] });
  set(3, { optedOut: false, chats: [channelOf("telegram", true), channelOf("whatsapp", true)] });
  set(4, { optedOut: true, chats: [channelOf("web", true)] });
  // Around local midnight in Jakarta (UTC+7) on 10 and 11 March.
  set(5, { registeredAt: new Date("2025-03-09T16:59:59.999Z") });
  set(6, { registeredAt: new Date("2025-03-09T17:00:00.000Z") });
  set(7, { registeredAt: new Date("2025-03-10T16:59:59.999Z") });
  set(8, { registeredAt: new Date("2025-03-10T17:00:00.000Z") });
  // Would match almost everything but is not registered, or deleted their data.
  set(9, { registeredAt: null, chats: [channelOf("telegram", false)], seats: [seat(1, "enrolled")] });
  set(10, { deleted: true, chats: [channelOf("whatsapp", false)], seats: [seat(1, "enrolled")] });
  // No chat left at all counts as blocked.
  set(11, { optedOut: false, chats: [] });
  return people;
}

function channelOf(channel: string, blocked: boolean): Chat {
  return { channel, blocked };
}

const localDay = (d: Date) => DateTime.fromJSDate(d, { zone: timeZone }).toISODate()!;
const isEmpty = (c: SegmentConditions) => Object.values(c).every((v) => v === undefined);

/** The filter's meaning, written independently of the SQL. */
function holds(p: Person, c: SegmentConditions): boolean {
  if (c.programmeIds || c.trainingSessionIds || c.enrollmentStatus || c.rsvp) {
    const one = p.seats.some(
      (s) =>
        s.status !== "cancelled" &&
        (!c.programmeIds || c.programmeIds.includes(s.programmeId)) &&
        (!c.trainingSessionIds || c.trainingSessionIds.includes(s.sessionId)) &&
        (!c.enrollmentStatus || (c.enrollmentStatus as string[]).includes(s.status)) &&
        (!c.rsvp || (c.rsvp as string[]).includes(s.rsvp ?? "none")),
    );
    if (!one) return false;
  }
  if (c.sectors && !(p.sector !== null && c.sectors.includes(p.sector))) return false;
  if (c.regencies && !(p.regency !== null && c.regencies.includes(p.regency))) return false;
  if (c.channels && !p.chats.some((ch) => c.channels!.includes(ch.channel))) return false;
  if (c.registeredFrom && !(p.registeredAt && localDay(p.registeredAt) >= c.registeredFrom)) return false;
  if (c.registeredTo && !(p.registeredAt && localDay(p.registeredAt) <= c.registeredTo)) return false;
  return true;
}

function matches(p: Person, filter: SegmentFilter): boolean {
  const { exclude, ...conditions } = filter;
  if (!p.registeredAt || p.deleted || !holds(p, conditions)) return false;
  return !(exclude && !isEmpty(exclude) && holds(p, exclude));
}

const isRecipient = (p: Person) => !p.optedOut && p.chats.some((c) => !c.blocked);

const people = population();
const expectedIds = (filter: SegmentFilter, also: (p: Person) => boolean = () => true) =>
  people.filter((p) => matches(p, filter) && also(p)).map((p) => p.id);

const cases: [name: string, filter: SegmentFilter, expectEmpty?: boolean][] = [
  ["empty filter", {}],
  ["programme", { programmeIds: [LADA] }],
  ["two programmes", { programmeIds: [KONVEKSI, SERVIS_AC] }],
  ["training sessions", { trainingSessionIds: [2, 4] }],
  ["waitlisted", { enrollmentStatus: ["waitlisted"] }],
  ["attended or absent", { enrollmentStatus: ["attended", "absent"] }],
  ["no answer yet", { rsvp: ["none"] }],
  ["confirmed or no answer", { rsvp: ["confirmed", "none"] }],
  ["declined", { rsvp: ["declined"] }],
  ["sector", { sectors: ["lada"] }],
  ["two sectors", { sectors: ["konveksi", "servis-ac"] }],
  ["regency", { regencies: [BANGKA_TENGAH] }],
  ["channel", { channels: ["whatsapp"] }],
  ["two channels", { channels: ["web", "telegram"] }],
  ["registered from", { registeredFrom: "2025-03-10" }],
  ["registered to", { registeredTo: "2025-03-10" }],
  ["registered on one day", { registeredFrom: "2025-03-10", registeredTo: "2025-03-10" }],
  [
    "enrolled in lada in Bangka Tengah, not confirmed",
    { programmeIds: [LADA], enrollmentStatus: ["enrolled"], rsvp: ["none"], regencies: [BANGKA_TENGAH] },
  ],
  ["lada and waitlisted, in one enrollment", { programmeIds: [LADA], enrollmentStatus: ["waitlisted"] }],
  ["lada programme in a konveksi session", { programmeIds: [LADA], trainingSessionIds: [3] }, true],
  ["konveksi except who declined", { programmeIds: [KONVEKSI], exclude: { rsvp: ["declined"] } }],
  ["all except web chats in Belitung", { exclude: { regencies: [BELITUNG], channels: ["web"] } }],
  ["lada sector not in the lada programme", { sectors: ["lada"], exclude: { programmeIds: [LADA] } }],
  [
    "everything at once",
    {
      sectors: ["lada", "konveksi", "servis-ac"],
      channels: ["telegram", "whatsapp"],
      rsvp: ["confirmed", "none"],
      enrollmentStatus: ["enrolled", "attended"],
      registeredFrom: "2025-03-03",
      registeredTo: "2025-03-18",
      exclude: { regencies: ["Kota Pangkalpinang"], registeredTo: "2025-03-05" },
    },
  ],
  ["an empty exclude leaves no one out", { exclude: {} }],
  ["values are parameters, not SQL", { regencies: ["x' OR 1=1 --"], sectors: ["lada') OR ('1'='1"] }, true],
];

describe("the population the database tests use", () => {
  it("has the people each case needs", () => {
    const lada = { programmeIds: [LADA] };
    expect(expectedIds({ ...lada, enrollmentStatus: ["waitlisted"] })).not.toContain(1);
    // Over any enrollment rather than one, person 1 would match.
    expect(people[0]!.seats.some((s) => s.programmeId === LADA)).toBe(true);
    expect(people[0]!.seats.some((s) => s.status === "waitlisted")).toBe(true);
    expect(
      expectedIds({ ...lada, enrollmentStatus: ["enrolled"], rsvp: ["none"], regencies: [BANGKA_TENGAH] }),
    ).toContain(2);
    expect(expectedIds({ registeredFrom: "2025-03-10", registeredTo: "2025-03-10" })).toEqual(
      expect.arrayContaining([6, 7]),
    );
    expect(expectedIds({ registeredFrom: "2025-03-10", registeredTo: "2025-03-10" })).not.toContain(5);
    expect(expectedIds({ registeredFrom: "2025-03-10", registeredTo: "2025-03-10" })).not.toContain(8);
    // Without a regency, someone is not "in Belitung": an exclusion must not drop them (SQL NULL).
    const noRegencyOnWeb = people.filter((p) => p.regency === null && p.chats.some((c) => c.channel === "web"));
    expect(
      noRegencyOnWeb.filter((p) => matches(p, { exclude: { regencies: [BELITUNG], channels: ["web"] } })),
    ).not.toEqual([]);
    for (const [name, filter, expectEmpty] of cases) {
      const n = expectedIds(filter).length;
      if (expectEmpty) expect(n, name).toBe(0);
      else expect(n, name).toBeGreaterThan(0);
      const narrowing = Object.keys(filter).length && !(filter.exclude && isEmpty(filter.exclude));
      if (!expectEmpty && narrowing) expect(n, `${name} leaves someone out`).toBeLessThan(58);
    }
  });
});

describe.each(providers)("segments on %s", (provider) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    const at = new Date("2025-02-01T00:00:00Z");
    await db.prisma.programme.createMany({
      data: programmes.map((p) => ({
        id: p.id,
        slug: p.slug,
        sector: p.slug,
        titleId: p.title,
        titleEn: p.title,
        descriptionId: p.title,
        descriptionEn: p.title,
        reminderOffsets: [],
      })),
    });
    await db.prisma.trainingSession.createMany({
      data: sessions.map((s) => ({
        id: s.id,
        programmeId: s.programmeId,
        code: s.code,
        startsAt: new Date("2025-04-01T02:00:00Z"),
        endsAt: new Date("2025-04-01T08:00:00Z"),
        venue: "Balai",
        address: "Jl. Sudirman",
        regency: BANGKA_TENGAH,
        capacity: 30,
      })),
    });
    await db.prisma.participant.createMany({
      data: people.map((p) => ({
        id: p.id,
        name: `Peserta ${p.id}`,
        sector: p.sector,
        regency: p.regency,
        language: p.language,
        registeredAt: p.registeredAt,
        optedOutAt: p.optedOut ? at : null,
        deletedAt: p.deleted ? at : null,
      })),
    });
    await db.prisma.channelIdentity.createMany({
      data: people.flatMap((p) =>
        p.chats.map((c) => ({
          channel: c.channel,
          platformUserId: `${c.channel}-${p.id}`,
          chatId: `${c.channel}-${p.id}`,
          participantId: p.id,
          blockedAt: c.blocked ? at : null,
        })),
      ),
    });
    await db.prisma.enrollment.createMany({
      data: people.flatMap((p) =>
        p.seats.map((s) => ({ participantId: p.id, trainingSessionId: s.sessionId, status: s.status, rsvp: s.rsvp })),
      ),
    });
  });
  afterAll(() => db.destroy());

  async function selectIds(filter: SegmentFilter, andAlso = ""): Promise<number[]> {
    const segment = segmentCondition(filter, provider, { firstParam: 1, timeZone });
    const sql = forProvider(`SELECT p.id FROM "Participant" p WHERE ${segment.sql}${andAlso} ORDER BY p.id`, provider);
    const rows = await queryRows<{ id: number }>(db, db.prisma, sql, segment.params);
    return rows.map((r) => Number(r.id));
  }

  it.each(cases)("selects the participants a filter matches: %s", async (_name, filter) => {
    expect(await selectIds(filter)).toEqual(expectedIds(filter));
  });

  it("leaves out opted-out and blocked participants with recipientCondition", async () => {
    for (const [name, filter] of cases) {
      expect(await selectIds(filter, ` AND ${recipientCondition}`), name).toEqual(expectedIds(filter, isRecipient));
    }
  });

  it("numbers placeholders from firstParam, after the caller's own", async () => {
    const filter: SegmentFilter = {
      programmeIds: [LADA, KONVEKSI],
      rsvp: ["confirmed", "none"],
      sectors: ["lada", "konveksi"],
      registeredFrom: "2025-03-05",
      exclude: { channels: ["web"], registeredTo: "2025-03-06" },
    };
    const segment = segmentCondition(filter, provider, { firstParam: 3, timeZone });
    const numbers = [...segment.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
    expect(numbers).toEqual(segment.params.map((_, i) => i + 3));
    const sql = forProvider(
      `SELECT p.id FROM "Participant" p WHERE p.id >= $1 AND p.id <= $2 AND ${segment.sql} ORDER BY p.id`,
      provider,
    );
    const rows = await queryRows<{ id: number }>(db, db.prisma, sql, [10, 40, ...segment.params]);
    const expected = expectedIds(filter, (p) => p.id >= 10 && p.id <= 40);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => Number(r.id))).toEqual(expected);
  });

  it.each(cases)("previews the counts: %s", async (_name, filter) => {
    const matched = people.filter((p) => matches(p, filter));
    const optedOut = matched.filter((p) => p.optedOut).length;
    const blocked = matched.filter((p) => !p.optedOut && !p.chats.some((c) => !c.blocked)).length;
    expect(await previewSegment(db, filter, timeZone)).toEqual({
      matched: matched.length,
      recipients: matched.filter(isRecipient).length,
      leftOut: { optedOut, blocked },
    });
  });

  it("counts opted-out and blocked participants in the preview of everyone", async () => {
    const preview = await previewSegment(db, {}, timeZone);
    expect(preview.leftOut.optedOut).toBeGreaterThan(0);
    expect(preview.leftOut.blocked).toBeGreaterThanOrEqual(2);
    expect(preview.recipients + preview.leftOut.optedOut + preview.leftOut.blocked).toBe(preview.matched);
  });
});

describe("segment filters", () => {
  const issues = (value: unknown) => {
    try {
      parseSegmentFilter(value);
    } catch (err) {
      expect(err).toBeInstanceOf(ZodError);
      return (err as ZodError).issues.map((i) => ({ path: i.path.join("."), code: i.code }));
    }
    throw new Error("the filter was accepted");
  };

  it("rejects unknown keys, empty lists and bad dates, naming the field", () => {
    expect(issues({ programme: [1] })).toEqual([{ path: "", code: "unrecognized_keys" }]);
    expect(issues({ exclude: { colour: "red" } })).toEqual([{ path: "exclude", code: "unrecognized_keys" }]);
    expect(issues({ exclude: { exclude: {} } })).toEqual([{ path: "exclude", code: "unrecognized_keys" }]);
    expect(issues({ programmeIds: [] })).toEqual([{ path: "programmeIds", code: "too_small" }]);
    expect(issues({ exclude: { regencies: [] } })).toEqual([{ path: "exclude.regencies", code: "too_small" }]);
    expect(issues({ registeredFrom: "2025-02-30" })).toEqual([{ path: "registeredFrom", code: "invalid_format" }]);
    expect(issues({ registeredTo: "10/03/2025" })).toEqual([{ path: "registeredTo", code: "invalid_format" }]);
    expect(issues({ rsvp: ["maybe"] })).toEqual([{ path: "rsvp.0", code: "invalid_value" }]);
    expect(() => parseSegmentFilter({ programme: [1] })).toThrow(/programme/);
  });

  it("reads a stored filter, as JSON text or as an object", () => {
    const filter = { programmeIds: [1], exclude: { rsvp: ["declined"] } };
    expect(parseSegmentFilter(JSON.stringify(filter))).toEqual(filter);
    expect(parseSegmentFilter(filter)).toEqual(filter);
  });

  it("rejects a time zone it cannot use", () => {
    expect(() =>
      segmentCondition({ registeredFrom: "2025-03-01" }, "sqlite", { firstParam: 1, timeZone: "Asia/Nowhere" }),
    ).toThrow(/Asia\/Nowhere/);
  });
});

describe("describeSegment", () => {
  const names = {
    programmes: new Map(programmes.map((p) => [p.id, p.title])),
    sessions: new Map([
      [1, "Lada Koba 1 Apr"],
      [2, "Lada Koba 8 Apr"],
    ]),
  };
  const both = (filter: SegmentFilter) => [describeSegment(filter, names, "id"), describeSegment(filter, names, "en")];

  it("says who a filter reaches, in Indonesian and English", () => {
    expect(both({})).toEqual(["Semua peserta", "All participants"]);
    expect(
      both({ programmeIds: [LADA], enrollmentStatus: ["enrolled"], rsvp: ["none"], regencies: [BANGKA_TENGAH] }),
    ).toEqual([
      "Peserta program Lada, status terdaftar, belum konfirmasi, Kabupaten Bangka Tengah",
      "Participants of the Lada programme, enrolled, not confirmed, Kabupaten Bangka Tengah",
    ]);
    expect(both({ exclude: { regencies: [BELITUNG] } })).toEqual([
      "Semua peserta, kecuali Kabupaten Belitung",
      "All participants, except Kabupaten Belitung",
    ]);
    expect(
      both({
        sectors: ["lada", "konveksi"],
        registeredFrom: "2025-03-01",
        registeredTo: "2025-03-31",
        exclude: { channels: ["web"], rsvp: ["declined"] },
      }),
    ).toEqual([
      "Peserta: sektor lada atau konveksi, mendaftar antara 1 Maret 2025 dan 31 Maret 2025, kecuali (menyatakan tidak hadir, lewat chat web)",
      "Participants: sectors lada or konveksi, registered between 1 March 2025 and 31 March 2025, except (declined, on the web chat)",
    ]);
    expect(
      both({ trainingSessionIds: [1, 2, 99], enrollmentStatus: ["waitlisted"], registeredTo: "2025-03-10" }),
    ).toEqual([
      "Peserta sesi Lada Koba 1 Apr, Lada Koba 8 Apr atau #99, status daftar tunggu, mendaftar sampai 10 Maret 2025",
      "Participants of sessions Lada Koba 1 Apr, Lada Koba 8 Apr or #99, waitlisted, registered until 10 March 2025",
    ]);
  });

  it("keeps long lists short", () => {
    const ids = [1, 2, 3, 4, 5, 6, 7];
    expect(describeSegment({ programmeIds: ids }, names, "id")).toBe(
      "Peserta program Lada, Konveksi, Servis AC, #4 atau 3 lainnya",
    );
    expect(describeSegment({ programmeIds: ids }, names, "en")).toBe(
      "Participants of the Lada, Konveksi, Servis AC, #4 or 3 more programmes",
    );
  });
});
