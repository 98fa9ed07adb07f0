/**
 * The participants list as CSV, with the filters of the page it was downloaded from: UTF-8 with
 * a BOM (so Excel reads the accents right), the columns the import reads back. The export is
 * recorded in the audit log (who, how many, which filters), since it carries personal data.
 */
import { stringify } from "csv-stringify/sync";
import { DateTime } from "luxon";
import { sectorLabel } from "../../../../flows/catalog.js";
import { formatPhone } from "../../../understanding/phone.js";
import { participantCsvColumns } from "../../../domain/check-participant-csv.js";
import { audit } from "../../../domain/staff.js";
import { definePage } from "../page.js";
import { loadParticipantWhere, readFilters } from "./participants-query.js";

/**
 * A cell a spreadsheet would not run as a formula: one starting with = + - or @ gets an
 * apostrophe in front (the import takes it off again).
 */
export const spreadsheetSafe = (value: string) => (/^[=+\-@]/.test(value) ? `'${value}` : value);

/** Rows read from the database at a time. */
const batchSize = 1000;

export const exportParticipantsPage = definePage({
  path: "/dashboard/peserta/csv",
  async handler({ request, reply, deps, staff }) {
    const prisma = deps.database.prisma;
    const filters = readFilters(request.query);
    const where = await loadParticipantWhere(prisma, filters, deps.database.provider);
    const zone = deps.config.defaultTimeZone;
    const localTime = (date: Date | null) =>
      date ? DateTime.fromJSDate(date, { zone }).toFormat("yyyy-MM-dd HH:mm") : "";
    const records: string[][] = [];
    // In batches after the last id, so a large export never holds one huge query result.
    for (let after = 0; ;) {
      const batch = await prisma.participant.findMany({
        where: { AND: [where, { id: { gt: after } }] },
        orderBy: { id: "asc" },
        take: batchSize,
        include: { identities: { select: { channel: true }, orderBy: { id: "asc" } } },
      });
      for (const p of batch)
        records.push([
          String(p.id),
          p.name ?? "",
          p.businessName ?? "",
          p.sector ? sectorLabel(p.sector, "id") : "",
          p.regency ?? "",
          p.phone ? formatPhone(p.phone, true) : "",
          p.nib ?? "",
          p.language,
          localTime(p.registeredAt),
          localTime(p.optedOutAt),
          [...new Set(p.identities.map((i) => i.channel))].join(" "),
        ]);
      if (batch.length < batchSize) break;
      after = batch.at(-1)!.id;
    }
    const csv = stringify(
      records.map((r) => r.map(spreadsheetSafe)),
      { bom: true, header: true, columns: [...participantCsvColumns], record_delimiter: "windows" },
    );
    await audit(prisma, staff.id, "participants.exported", null, {
      count: records.length,
      // Which filters, not their values: a search may be someone's name.
      filters: Object.entries(filters)
        .filter(([key, value]) => key !== "page" && value)
        .map(([key]) => key),
    });
    const day = DateTime.now().setZone(zone).toFormat("yyyy-MM-dd");
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="peserta-${day}.csv"`)
      .header("cache-control", "no-store")
      .send(csv);
  },
});
