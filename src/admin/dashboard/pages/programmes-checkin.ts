/**
 * Check-in on the roster page: the session's poster as a PDF to print, and staff's decision on
 * each walk-in (someone who checked in without a seat). Decisions go to the audit log.
 */
import { checkInLink, loadPosterSession, renderCheckInPoster, type ChatLinks } from "../../../domain/checkin-poster.js";
import { decideWalkIn } from "../../../domain/decide-walk-in.js";
import { audit } from "../../../domain/staff.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash } from "../render.js";
import { text } from "../text.js";
import { idParam, notFound } from "./programmes-forms.js";

/** Where the chat is, for the poster: the settings, else the running Telegram bot's own name. */
export function chatLinksOf(ctx: Pick<PageContext, "deps">): ChatLinks {
  const { chatLinks } = ctx.deps.config;
  const adapter = ctx.deps.channels?.telegram as { telegraf?: { botInfo?: { username?: string } } } | undefined;
  return { ...chatLinks, telegramBot: chatLinks.telegramBot ?? adapter?.telegraf?.botInfo?.username ?? null };
}

/** The check-in links the roster page offers (one per channel whose address is known). */
export function checkInLinks(checkInCode: string, links: ChatLinks) {
  return (["telegram", "whatsapp"] as const).flatMap((channel) => {
    const url = checkInLink(channel, checkInCode, links);
    return url ? [{ channel, url }] : [];
  });
}

export const checkInPosterPage = definePage({
  path: "/dashboard/program/jadwal/:sessionId/poster.pdf",
  async handler(ctx) {
    const { request, reply, deps } = ctx;
    const id = idParam(request, "sessionId");
    const session = id ? await loadPosterSession(deps.database.prisma, id) : null;
    if (!session) return notFound(reply);
    const wanted = (request.query as Record<string, unknown>).kanal;
    const channel = wanted === "telegram" || wanted === "whatsapp" ? wanted : undefined;
    const pdf = await renderCheckInPoster(session, chatLinksOf(ctx), channel ? { channel } : {});
    const fileName = `poster-checkin-${session.sessionCode.replace(/[^A-Za-z0-9_-]/g, "_")}.pdf`;
    return reply
      .type("application/pdf")
      .header("content-disposition", `attachment; filename="${fileName}"`)
      .header("cache-control", "no-store")
      .send(pdf);
  },
});

export const decideWalkInPage = definePage({
  method: "POST",
  path: "/dashboard/program/jadwal/:sessionId/walk-in/:walkInId",
  async handler({ request, reply, deps, staff }) {
    const id = idParam(request, "sessionId");
    const walkInId = idParam(request, "walkInId");
    const body = (request.body ?? {}) as Record<string, unknown>;
    const decision = body.decision === "confirmed" || body.decision === "rejected" ? body.decision : null;
    if (!id || !walkInId) return notFound(reply);
    const back = `/dashboard/program/jadwal/${id}#walk-in`;
    if (!decision)
      return redirectWithFlash(reply, back, text("Pilih Konfirmasi atau Tolak.", "Choose Confirm or Reject."), "error");
    const outcome = await decideWalkIn(deps.database, id, walkInId, decision, staff.id, new Date());
    if (outcome.kind === "not_found") return notFound(reply);
    if (outcome.kind === "already")
      return redirectWithFlash(
        reply,
        back,
        outcome.status === "confirmed"
          ? text("Kedatangan ini sudah dikonfirmasi sebelumnya.", "This walk-in was already confirmed.")
          : text("Kedatangan ini sudah ditolak sebelumnya.", "This walk-in was already rejected."),
        "error",
      );
    await audit(
      deps.database.prisma,
      staff.id,
      decision === "confirmed" ? "walk_in.confirmed" : "walk_in.rejected",
      `trainingSession:${id}`,
      { walkInId, participantId: outcome.participantId, enrollmentId: outcome.enrollmentId },
    );
    return redirectWithFlash(
      reply,
      back,
      decision === "confirmed"
        ? text(
            "Kedatangan dikonfirmasi: peserta tercatat hadir.",
            "Walk-in confirmed: the participant is marked attended.",
          )
        : text("Kedatangan ditolak.", "Walk-in rejected."),
    );
  },
});
