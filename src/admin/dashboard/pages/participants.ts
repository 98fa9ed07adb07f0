/**
 * Peserta (Participants): the list with search and filters, each participant's profile with
 * their conversation, and the CSV export and import. Any staff member may use them all, but
 * erasing a participant (participants-erase.ts) is for admins.
 */
import { regencies, sectorLabel, sectors } from "../../../../flows/catalog.js";
import { formatPhone } from "../../../../flows/texts.js";
import { findSharedPhones } from "../../../domain/shared-phones.js";
import { definePage, type DashboardPage } from "../page.js";
import { render } from "../render.js";
import { exportParticipantsPage } from "./participants-csv.js";
import { participantEraseConfirmPage, participantErasePage } from "./participants-erase.js";
import { importFormPage } from "./participants-import.js";
import { participantProfilePage } from "./participants-profile.js";
import {
  channelIds,
  channelLabel,
  filterQuery,
  isFiltered,
  loadParticipantWhere,
  otherValue,
  pageSize,
  participantWhere,
  readFilters,
} from "./participants-query.js";

export const participantsPage = definePage({
  path: "/dashboard/peserta",
  nav: { id: "Peserta", en: "Participants", order: 30 },
  async handler({ request, reply, deps, t, language }) {
    const prisma = deps.database.prisma;
    const filters = readFilters(request.query);
    const where = await loadParticipantWhere(prisma, filters, deps.database.provider);
    const [matched, registered, programmes] = await Promise.all([
      prisma.participant.count({ where }),
      prisma.participant.count({ where: participantWhere(readFilters({}), deps.database.provider) }),
      prisma.programme.findMany({ orderBy: { titleId: "asc" }, select: { id: true, titleId: true, titleEn: true } }),
    ]);
    const pages = Math.max(1, Math.ceil(matched / pageSize));
    const page = Math.min(filters.page, pages);
    const rows = await prisma.participant.findMany({
      where,
      orderBy: { id: "desc" },
      skip: (page - 1) * pageSize,
      take: pageSize,
      select: {
        id: true,
        name: true,
        businessName: true,
        sector: true,
        regency: true,
        phone: true,
        optedOutAt: true,
        registeredAt: true,
        identities: { select: { channel: true, blockedAt: true }, orderBy: { id: "asc" } },
      },
    });
    // Marked on each row: a number another participant gave too (staff check it is not one person twice).
    const shared = await findSharedPhones(
      prisma,
      rows.map((p) => p.phone),
    );
    return render(reply, "participants", {
      title: t("Peserta", "Participants"),
      filters,
      filtered: isFiltered(filters),
      matched,
      registered,
      page,
      pages,
      first: matched ? (page - 1) * pageSize + 1 : 0,
      last: (page - 1) * pageSize + rows.length,
      pageHref: (n: number) => `/dashboard/peserta${filterQuery(filters, n)}`,
      exportHref: `/dashboard/peserta/csv${filterQuery(filters)}`,
      participants: rows.map((p) => ({
        ...p,
        sector: p.sector ? sectorLabel(p.sector, language) : "",
        phone: p.phone ? formatPhone(p.phone) : "",
        sharedPhone: p.phone !== null && shared.has(p.phone),
        channels: [...new Set(p.identities.map((i) => channelLabel(i.channel)[language]))].join(", "),
      })),
      options: {
        sectors: [
          ...sectors.map((s) => ({ value: s.id, label: s.label[language] })),
          { value: otherValue, label: t("Lainnya", "Other") },
        ],
        regencies: [
          ...regencies.map((r) => ({ value: r, label: r })),
          { value: otherValue, label: t("Lainnya (di luar daftar)", "Other (not on the list)") },
        ],
        programmes: programmes.map((p) => ({ value: String(p.id), label: language === "en" ? p.titleEn : p.titleId })),
        channels: channelIds.map((c) => ({ value: c, label: channelLabel(c)[language] })),
        statuses: [
          { value: "aktif", label: t("Masih menerima pesan", "Still receiving messages") },
          { value: "berhenti", label: t("Berhenti berlangganan", "Opted out") },
        ],
      },
    });
  },
});

// The fixed addresses (csv, impor) before the one with an id; Fastify prefers them anyway.
export const participantPages: DashboardPage[] = [
  participantsPage,
  exportParticipantsPage,
  importFormPage,
  participantProfilePage,
  participantEraseConfirmPage,
  participantErasePage,
];
