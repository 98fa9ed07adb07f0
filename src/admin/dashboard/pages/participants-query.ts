/**
 * The participants list's search and filters, read from the address (so a filtered list can be
 * bookmarked, shared and exported as it is) and turned into one Prisma condition that works on
 * both databases.
 */
import { channelLabel, participantChannels } from "../channel-names.js";
import { z } from "zod";
import { regencies, sectors } from "../../../../flows/catalog.js";
import type { DatabaseProvider, Db } from "../../../db/database.js";
import { findSharedPhones } from "../../../domain/shared-phones.js";
import type { Prisma } from "../../../db/generated/sqlite/client.js";

/** Rows on one page of the list. */
export const pageSize = 50;

/** The value of a sector or regency filter meaning "anything outside the catalog". */
export const otherValue = "lainnya";

/** Channels a participant can chat on. */
export const channelIds = participantChannels;

export { channelLabel };

/** One value of the query string (the first, if it is repeated), or undefined if it is not valid. */
const one = <T extends z.ZodType<string>>(schema: T) =>
  z.preprocess((v) => (Array.isArray(v) ? v[0] : v), schema.optional().catch(undefined));

const querySchema = z.object({
  q: one(z.string().trim().max(100)),
  sektor: one(z.string().trim().max(100)),
  kabupaten: one(z.string().trim().max(100)),
  program: one(z.string().regex(/^\d{1,9}$/)),
  kanal: one(z.string().trim().max(30)),
  status: one(z.enum(["aktif", "berhenti"])),
  hp: one(z.enum(["sama"])),
  halaman: one(z.string().regex(/^\d{1,6}$/)),
});

/** What staff searched for; empty strings for "any". */
export type ParticipantFilters = {
  q: string;
  sector: string;
  regency: string;
  programmeId: number | null;
  channel: string;
  /** "aktif": still receiving messages; "berhenti": typed BERHENTI. */
  status: "" | "aktif" | "berhenti";
  /** Only those whose phone number another participant also gave ("hp=sama"). */
  sharedPhone: boolean;
  page: number;
};

/** Reads the filters from a query string; anything malformed counts as not given. */
export function readFilters(query: unknown): ParticipantFilters {
  const parsed = querySchema.safeParse(query ?? {});
  const q = parsed.success ? parsed.data : {};
  return {
    q: q.q ?? "",
    sector: q.sektor ?? "",
    regency: q.kabupaten ?? "",
    programmeId: q.program ? Number(q.program) : null,
    channel: q.kanal ?? "",
    status: q.status ?? "",
    sharedPhone: q.hp === "sama",
    page: Math.max(1, Number(q.halaman ?? 1)),
  };
}

/** The filters as a query string (without the page unless asked), for links that keep them. */
export function filterQuery(f: ParticipantFilters, page?: number): string {
  const params = new URLSearchParams();
  if (f.q) params.set("q", f.q);
  if (f.sector) params.set("sektor", f.sector);
  if (f.regency) params.set("kabupaten", f.regency);
  if (f.programmeId) params.set("program", String(f.programmeId));
  if (f.channel) params.set("kanal", f.channel);
  if (f.status) params.set("status", f.status);
  if (f.sharedPhone) params.set("hp", "sama");
  if (page && page > 1) params.set("halaman", String(page));
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** Whether any filter (not the page) is set. */
export const isFiltered = (f: ParticipantFilters) =>
  Boolean(f.q || f.sector || f.regency || f.programmeId || f.channel || f.status || f.sharedPhone);

/**
 * Text that contains `value`, ignoring case. PostgreSQL needs `mode: "insensitive"`; SQLite's
 * LIKE, which Prisma uses there, ignores the case of ASCII letters already and knows no `mode`
 * (the shared client type is SQLite's, hence the cast).
 */
function containsText(value: string, provider: DatabaseProvider): Prisma.StringNullableFilter {
  return (
    provider === "postgresql" ? { contains: value, mode: "insensitive" } : { contains: value }
  ) as Prisma.StringNullableFilter;
}

/**
 * Registered participants whose data is not deleted, matching every filter given. The search
 * looks in the name and the business name, and in the phone number when it has digits: phones
 * are stored as 628…, so a leading 0 ("0812…") is dropped before comparing. `sharedPhones` are
 * the numbers more than one participant gave (findSharedPhones), for the `sharedPhone` filter.
 */
export function participantWhere(
  f: ParticipantFilters,
  provider: DatabaseProvider,
  sharedPhones: Iterable<string> = [],
): Prisma.ParticipantWhereInput {
  const and: Prisma.ParticipantWhereInput[] = [{ registeredAt: { not: null } }, { deletedAt: null }];
  if (f.q) {
    const or: Prisma.ParticipantWhereInput[] = [
      { name: containsText(f.q, provider) },
      { businessName: containsText(f.q, provider) },
    ];
    const digits = f.q.replace(/\D/g, "");
    if (digits.length >= 3 && /^[\d\s+\-().]+$/.test(f.q)) or.push({ phone: { contains: digits.replace(/^0/, "") } });
    and.push({ OR: or });
  }
  const sectorIds = sectors.map((s) => s.id);
  if (f.sector === otherValue) and.push({ sector: { not: null } }, { sector: { notIn: sectorIds } });
  else if (f.sector) and.push({ sector: f.sector });
  if (f.regency === otherValue) and.push({ regency: { not: null } }, { regency: { notIn: [...regencies] } });
  else if (f.regency) and.push({ regency: f.regency });
  if (f.programmeId)
    and.push({
      enrollments: { some: { status: { not: "cancelled" }, trainingSession: { programmeId: f.programmeId } } },
    });
  if (f.channel) and.push({ identities: { some: { channel: f.channel } } });
  if (f.status === "aktif") and.push({ optedOutAt: null });
  if (f.status === "berhenti") and.push({ optedOutAt: { not: null } });
  if (f.sharedPhone) and.push({ phone: { in: [...sharedPhones] } });
  return { AND: and };
}

/** participantWhere, with the shared phone numbers read first when that filter is on. */
export async function loadParticipantWhere(
  prisma: Db,
  f: ParticipantFilters,
  provider: DatabaseProvider,
): Promise<Prisma.ParticipantWhereInput> {
  return participantWhere(f, provider, f.sharedPhone ? await findSharedPhones(prisma) : []);
}
