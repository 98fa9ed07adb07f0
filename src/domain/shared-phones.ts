/**
 * Phone numbers that more than one participant gave. Registration takes such a number (a typed
 * number is not verified, and a family or a business may share one phone), so staff see them
 * marked on the dashboard instead, to check whether two records are one person.
 *
 * Participants whose data is deleted do not count. The queries are Prisma's own (a group-by and
 * plain finds), the same on SQLite and PostgreSQL.
 */
import type { Db } from "../db/database.js";

/** More phones than this in one `IN (...)` list are asked in several queries (parameter limits). */
const chunkSize = 1000;

/**
 * The phone numbers that more than one participant (not deleted) holds. With `among`, only those
 * of these numbers (the rows of one page); without, all of them (a filter over the whole list).
 */
export async function findSharedPhones(prisma: Db, among?: (string | null)[]): Promise<Set<string>> {
  const shared = new Set<string>();
  const query = async (phones: string[] | null) => {
    const groups = await prisma.participant.groupBy({
      by: ["phone"],
      where: { deletedAt: null, phone: phones ? { in: phones } : { not: null } },
      having: { phone: { _count: { gt: 1 } } },
    });
    for (const g of groups) if (g.phone) shared.add(g.phone);
  };
  if (!among) {
    await query(null);
    return shared;
  }
  const phones = [...new Set(among.filter((p): p is string => Boolean(p)))];
  for (let i = 0; i < phones.length; i += chunkSize) await query(phones.slice(i, i + chunkSize));
  return shared;
}

/** Other participants (not deleted) with the same phone number as this one, oldest first. */
export async function findOthersWithPhone(
  prisma: Db,
  participantId: number,
  phone: string | null,
): Promise<{ id: number; name: string | null }[]> {
  if (!phone) return [];
  return prisma.participant.findMany({
    where: { phone, deletedAt: null, id: { not: participantId } },
    orderBy: { id: "asc" },
    select: { id: true, name: true },
  });
}
