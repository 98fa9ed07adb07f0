/**
 * Hapus data peserta: an admin erases a participant's personal data, as the participant can with
 * "hapus data saya" in the chat. A page first names who will be erased and what goes; the erasure
 * is audited by participant id only (never the name or phone), listed for restores
 * (src/domain/erasures.ts), and cannot be undone. Admins only: it is irreversible, like the other
 * admin-only actions (staff accounts, queues), and staff can ask an admin or point the participant
 * to the chat's Privasi menu.
 */
import { formatPhone } from "../../../../flows/texts.js";
import { eraseParticipant } from "../../../domain/erase-participant.js";
import { ErasureFile, finishErasure } from "../../../domain/erasures.js";
import { audit } from "../../../domain/staff.js";
import { notFoundPage, renderError } from "../errors.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { pick, text } from "../text.js";
import { channelLabel } from "./participants-query.js";

const erasePath = (id: number) => `/dashboard/peserta/${id}/hapus`;

/** The participant of the path, or null (a 404) for a bad id or one already erased. */
async function findParticipant({ request, deps }: PageContext) {
  const id = (request.params as { id?: string }).id ?? "";
  if (!/^\d{1,9}$/.test(id)) return null;
  return deps.database.prisma.participant.findFirst({
    where: { id: Number(id), deletedAt: null },
    include: { identities: { select: { channel: true } }, _count: { select: { enrollments: true } } },
  });
}

export const participantEraseConfirmPage = definePage({
  path: "/dashboard/peserta/:id/hapus",
  role: "admin",
  async handler(ctx) {
    const { reply, t, language } = ctx;
    const p = await findParticipant(ctx);
    if (!p) return renderError(reply, 404, notFoundPage);
    return render(reply, "participant-erase", {
      title: t("Hapus data peserta", "Erase participant data"),
      participant: p,
      phone: p.phone ? formatPhone(p.phone) : "",
      channels: [...new Set(p.identities.map((i) => pick(channelLabel(i.channel), language)))].join(", "),
      enrollments: p._count.enrollments,
      erasePath: erasePath(p.id),
    });
  },
});

export const participantErasePage = definePage({
  method: "POST",
  path: "/dashboard/peserta/:id/hapus",
  role: "admin",
  async handler(ctx) {
    const { reply, staff, deps } = ctx;
    const p = await findParticipant(ctx);
    if (!p) return renderError(reply, 404, notFoundPage);
    const database = deps.database;
    const now = new Date();
    const erased = await database.prisma.$transaction(
      async (tx) => {
        const done = await eraseParticipant(tx, database, p.id, now);
        // The id only: the audit log outlives the erasure and must not hold who it was.
        await audit(tx, staff.id, "participant.erased", `participant:${p.id}`, {
          via: "dashboard",
          chatIdentities: p.identities.length,
          enrollments: p._count.enrollments,
        });
        return done;
      },
      { timeout: 20_000, maxWait: 20_000 },
    );
    await finishErasure(database, new ErasureFile(deps.config.erasures.listFile), erased.erasures, deps.logger);
    // Triggers only: with Redis away, the reconcile passes add the jobs from the rows later.
    await deps.bot.reminders.removeForEnrollments(erased.cancelledEnrollmentIds).catch(() => {});
    await deps.bot.reminders.schedule(erased.reminders).catch(() => {});
    await deps.bot.outbox.enqueueMany(erased.notices).catch(() => {});
    return redirectWithFlash(
      reply,
      "/dashboard/peserta",
      text(
        `Data peserta #${p.id} sudah dihapus: profil, kanal obrolan, dan riwayat pesannya. Pendaftaran pelatihannya tetap tercatat tanpa nama.`,
        `The data of participant #${p.id} was erased: profile, chat channels and message history. Their training enrollments stay on record without a name.`,
      ),
    );
  },
});
