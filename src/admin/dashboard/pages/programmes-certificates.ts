/**
 * Certificates on a session's roster: each enrollment's certificate number (linking to its public
 * verification page), and revoking one (admins; audit-logged by domain/certificates.ts). A
 * revoked certificate keeps its number and row; its page then says it is revoked.
 */
import { z } from "zod";
import type { Db } from "../../../db/database.js";
import { findCertificate, revokeCertificate } from "../../../domain/certificates.js";
import { definePage } from "../page.js";
import { redirectWithFlash } from "../render.js";
import { text } from "../text.js";
import { idParam, notFound } from "./programmes-forms.js";

export type RosterCertificate = { number: string; revokedAt: Date | null };

/** The certificates of these enrollments, by enrollment id. */
export async function rosterCertificates(db: Db, enrollmentIds: number[]): Promise<Record<number, RosterCertificate>> {
  if (!enrollmentIds.length) return {};
  const rows = await db.certificate.findMany({
    where: { enrollmentId: { in: enrollmentIds } },
    select: { enrollmentId: true, number: true, revokedAt: true },
  });
  return Object.fromEntries(rows.map((r) => [r.enrollmentId!, { number: r.number, revokedAt: r.revokedAt }]));
}

const revokeSchema = z.object({ number: z.string().max(100).default(""), reason: z.string().max(1000).default("") });

export const revokeCertificatePage = definePage({
  method: "POST",
  path: "/dashboard/program/jadwal/:sessionId/sertifikat/cabut",
  role: "admin",
  async handler({ request, reply, deps, staff }) {
    const sessionId = idParam(request, "sessionId");
    const session = sessionId
      ? await deps.database.prisma.trainingSession.findUnique({ where: { id: sessionId }, select: { id: true } })
      : null;
    if (!session) return notFound(reply);
    const back = `/dashboard/program/jadwal/${session.id}#sertifikat`;
    const form = revokeSchema.safeParse(request.body ?? {});
    const input = form.success ? form.data : { number: "", reason: "" };
    const prisma = deps.database.prisma;
    // Only a certificate of this session's roster is revoked from its page.
    const found = await findCertificate(prisma, input.number);
    const enrollment = found?.enrollmentId
      ? await prisma.enrollment.findUnique({ where: { id: found.enrollmentId }, select: { trainingSessionId: true } })
      : null;
    if (!found || enrollment?.trainingSessionId !== session.id)
      return redirectWithFlash(
        reply,
        back,
        text("Tidak ada sertifikat dengan nomor itu di jadwal ini.", "No certificate of this session has that number."),
        "error",
      );
    const outcome = await prisma.$transaction((tx) =>
      revokeCertificate(tx, found.number, input.reason, staff.id, new Date()),
    );
    switch (outcome.kind) {
      case "revoked":
        return redirectWithFlash(
          reply,
          back,
          text(`Sertifikat ${found.number} dicabut.`, `Certificate ${found.number} revoked.`),
        );
      case "no_reason":
        return redirectWithFlash(
          reply,
          back,
          text(
            "Tuliskan alasan pencabutan (paling sedikit 3 huruf).",
            "Give the reason for revoking it (at least 3 characters).",
          ),
          "error",
        );
      case "already_revoked":
        return redirectWithFlash(
          reply,
          back,
          text(
            `Sertifikat ${found.number} sudah dicabut sebelumnya.`,
            `Certificate ${found.number} was already revoked.`,
          ),
          "error",
        );
      case "not_found":
        return notFound(reply);
    }
  },
});
