/**
 * Everything stored about a participant, as text they can read in a chat ("see my data"): message
 * markup (src/engine/markup.ts) with everything people typed escaped, so a name reads as typed.
 */
import { formatDateTime } from "../engine/format.js";
import { plain } from "../engine/markup.js";
import type { Language } from "../engine/types.js";
import type { Db, Tx } from "../db/database.js";
import { sectorLabel } from "../../flows/catalog.js";
import { formatPhone } from "../../flows/texts.js";

/** What "see my data" shows, as read from the database (or from a test's in-memory records). */
export type StoredParticipantData = {
  name: string | null;
  businessName: string | null;
  sector: string | null;
  regency: string | null;
  phone: string | null;
  nib: string | null;
  language: string;
  consentAt: Date | null;
  consentVersion: string | null;
  registeredAt: Date | null;
  optedOut: boolean;
  /** The channels of the participant's chat accounts. */
  channels: string[];
  /** Messages stored for those chat accounts, both ways. */
  messages: number;
  /** Oldest first. */
  enrollments: { title: { id: string; en: string }; startsAt: Date; timeZone: string; status: string }[];
};

/** The participant's stored data as message markup, in their language. */
export async function describeParticipantData(db: Db | Tx, participantId: number, language: Language): Promise<string> {
  const p = await db.participant.findUnique({
    where: { id: participantId },
    include: {
      identities: true,
      enrollments: { include: { trainingSession: { include: { programme: true } } }, orderBy: { createdAt: "asc" } },
    },
  });
  if (!p) return language === "id" ? "Tidak ada data yang tersimpan." : "Nothing is stored.";
  const messages = await db.message.count({ where: { identityId: { in: p.identities.map((i) => i.id) } } });
  return formatParticipantData(
    {
      ...p,
      optedOut: p.optedOutAt !== null,
      channels: p.identities.map((i) => i.channel),
      messages,
      enrollments: p.enrollments.map((e) => ({
        title: { id: e.trainingSession.programme.titleId, en: e.trainingSession.programme.titleEn },
        startsAt: e.trainingSession.startsAt,
        timeZone: e.trainingSession.programme.timeZone,
        status: e.status,
      })),
    },
    language,
  );
}

/** The text of describeParticipantData, from the data read. */
export function formatParticipantData(p: StoredParticipantData, language: Language): string {
  const tz = "Asia/Jakarta";
  const when = (d: Date | null) => (d ? formatDateTime(d, tz, language) : "-");
  const id = language === "id";
  const status: Record<string, [string, string]> = {
    enrolled: ["terdaftar", "enrolled"],
    waitlisted: ["daftar tunggu", "waiting list"],
    cancelled: ["dibatalkan", "cancelled"],
    attended: ["hadir", "attended"],
    absent: ["tidak hadir", "absent"],
  };
  const lines = [
    id ? "Data Anda yang tersimpan di Sapa IKM:" : "Your data stored in Sapa IKM:",
    "",
    `${id ? "Nama" : "Name"}: ${plain(p.name ?? "-")}`,
    `${id ? "Nama usaha" : "Business name"}: ${plain(p.businessName ?? "-")}`,
    `${id ? "Bidang usaha" : "Sector"}: ${p.sector ? plain(sectorLabel(p.sector, language)) : "-"}`,
    `${id ? "Kabupaten/kota" : "Regency/city"}: ${plain(p.regency ?? "-")}`,
    `${id ? "Nomor HP" : "Phone"}: ${p.phone ? plain(formatPhone(p.phone)) : "-"}`,
    `NIB: ${plain(p.nib ?? "-")}`,
    `${id ? "Bahasa" : "Language"}: ${p.language === "en" ? "English" : "Bahasa Indonesia"}`,
    `${id ? "Persetujuan data" : "Consent"}: ${when(p.consentAt)} (${id ? "versi" : "version"} ${plain(p.consentVersion ?? "-")})`,
    `${id ? "Terdaftar sejak" : "Registered"}: ${when(p.registeredAt)}`,
    `${id ? "Menerima pesan" : "Receives messages"}: ${p.optedOut ? (id ? "tidak (BERHENTI)" : "no (STOP)") : id ? "ya" : "yes"}`,
    `${id ? "Akun chat" : "Chat accounts"}: ${p.channels.join(", ") || "-"}`,
    `${id ? "Jumlah pesan tersimpan" : "Messages stored"}: ${p.messages}`,
    "",
    id ? "Pendaftaran pelatihan:" : "Training enrollments:",
    ...(p.enrollments.length
      ? p.enrollments.map(
          (e) =>
            `- ${plain(e.title[language])}, ${formatDateTime(e.startsAt, e.timeZone, language)}: ${status[e.status]![id ? 0 : 1]}`,
        )
      : ["-"]),
  ];
  return lines.join("\n");
}
