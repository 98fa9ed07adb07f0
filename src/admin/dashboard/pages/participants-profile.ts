/**
 * One participant: their profile, consent and message settings, chats, enrollments and the
 * conversation (the last 100 messages both ways). Staff see the texts here to help someone who
 * is stuck; the logs never hold them (src/logger.ts).
 */
import { sectorLabel } from "../../../../flows/catalog.js";
import { formatPhone } from "../../../../flows/texts.js";
import { findOthersWithPhone } from "../../../domain/shared-phones.js";
import { notFoundPage, renderError } from "../errors.js";
import { definePage } from "../page.js";
import { render } from "../render.js";
import { pick, text, type Text } from "../text.js";
import { channelLabel } from "./participants-query.js";

/** Messages shown, newest last. */
export const historyLength = 100;

const deliveryLabels: Record<string, Text> = {
  received: text("Diterima", "Received"),
  queued: text("Dalam antrean", "Queued"),
  sent: text("Terkirim", "Sent"),
  delivered: text("Sampai", "Delivered"),
  read: text("Dibaca", "Read"),
  failed: text("Gagal", "Failed"),
};

const enrollmentLabels: Record<string, Text> = {
  enrolled: text("Terdaftar", "Enrolled"),
  waitlisted: text("Daftar tunggu", "Waiting list"),
  cancelled: text("Dibatalkan", "Cancelled"),
  attended: text("Hadir", "Attended"),
  absent: text("Tidak hadir", "Absent"),
};

const rsvpLabels: Record<string, Text> = {
  confirmed: text("Konfirmasi hadir", "Confirmed"),
  declined: text("Tidak bisa hadir", "Declined"),
};

const label = (labels: Record<string, Text>, value: string) => labels[value] ?? text(value, value);

export const participantProfilePage = definePage({
  path: "/dashboard/peserta/:id",
  async handler({ request, reply, deps, staff, t, language }) {
    const id = (request.params as { id?: string }).id ?? "";
    if (!/^\d{1,9}$/.test(id)) return renderError(reply, 404, notFoundPage);
    const prisma = deps.database.prisma;
    const participant = await prisma.participant.findFirst({
      where: { id: Number(id), deletedAt: null },
      include: {
        identities: { orderBy: { id: "asc" } },
        enrollments: {
          include: { trainingSession: { include: { programme: true } } },
          orderBy: { trainingSession: { startsAt: "desc" } },
        },
      },
    });
    if (!participant) return renderError(reply, 404, notFoundPage);
    const identityIds = participant.identities.map((i) => i.id);
    const newestFirst = identityIds.length
      ? await prisma.message.findMany({
          where: { identityId: { in: identityIds } },
          orderBy: { id: "desc" },
          take: historyLength,
        })
      : [];
    const messages = newestFirst.reverse();
    const samePhone = await findOthersWithPhone(prisma, participant.id, participant.phone);
    const p = participant;
    return render(reply, "participant-profile", {
      title: p.name ?? t("Peserta", "Participant"),
      participant: p,
      sector: p.sector ? sectorLabel(p.sector, language) : "",
      phone: p.phone ? formatPhone(p.phone) : "",
      samePhone,
      languageName: p.language === "en" ? t("Inggris", "English") : t("Indonesia", "Indonesian"),
      consentSource:
        p.consentVersion === "import"
          ? t("diimpor dari CSV oleh staf", "imported from CSV by staff")
          : t("diberikan di obrolan", "given in the chat"),
      identities: p.identities.map((i) => ({ ...i, channelName: pick(channelLabel(i.channel), language) })),
      enrollments: p.enrollments.map((e) => ({
        id: e.id,
        programme: language === "en" ? e.trainingSession.programme.titleEn : e.trainingSession.programme.titleId,
        startsAt: e.trainingSession.startsAt,
        timeZone: e.trainingSession.programme.timeZone,
        venue: e.trainingSession.venue,
        status: pick(label(enrollmentLabels, e.status), language),
        waitlistPosition: e.waitlistPosition,
        rsvp: e.rsvp ? pick(label(rsvpLabels, e.rsvp), language) : t("Belum menjawab", "No answer yet"),
      })),
      messages: messages.map((m) => ({
        id: m.id,
        direction: m.direction,
        channelName: pick(channelLabel(m.channel), language),
        text: m.text,
        at: m.createdAt,
        status: pick(label(deliveryLabels, m.status), language),
        failed: m.status === "failed",
        error: m.error,
      })),
      historyLength,
      historyFull: newestFirst.length === historyLength,
      // Erasing is for admins (participants-erase.ts); staff are told whom to ask.
      canErase: staff.role === "admin",
    });
  },
});
