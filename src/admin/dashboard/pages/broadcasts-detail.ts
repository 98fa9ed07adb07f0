/**
 * One broadcast: its texts, who it goes to in words, its progress (refreshing itself while it
 * is sent) and the buttons its status and the reader's role allow. Every action goes through
 * the broadcast service (deps.bot.broadcasts), which checks the status again and writes the
 * audit log; what it refuses is shown as the page's message. While WhatsApp's daily messaging
 * limit holds the broadcast's WhatsApp messages back, the progress says so.
 */
import { DateTime } from "luxon";
import { BroadcastError, type BroadcastView } from "../../../domain/broadcast-types.js";
import { forProvider, queryRows } from "../../../db/raw-sql.js";
import { formatDateTime, zoneAbbreviation } from "../../../engine/format.js";
import { tierWait } from "../../../outbox/messaging-tier.js";
import { notFoundPage, renderError } from "../errors.js";
import type { FieldErrors } from "../forms.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text, type Text } from "../text.js";
import { describeFilter, recipientSummary } from "./broadcasts-segment.js";
import {
  broadcastId,
  composerScript,
  invalidFilterLabel,
  liveStatuses,
  progressFigures,
  refusalText,
} from "./broadcasts-view.js";

const detailPath = (id: number) => `/dashboard/siaran/${id}`;

/** What the reader may do with a broadcast now. */
function actionsFor(view: BroadcastView, ctx: PageContext) {
  const s = view.status;
  const isAdmin = ctx.staff.role === "admin";
  const isAuthor = view.createdBy?.id === ctx.staff.id;
  return {
    send: s === "draft",
    approve: s === "pending_approval" && isAdmin && !isAuthor,
    // Shown instead of the approve button, so nobody presses a button the service will refuse.
    approveOwn: s === "pending_approval" && isAdmin && isAuthor,
    waitsForAdmin: s === "pending_approval" && !isAdmin,
    pause: s === "scheduled" || s === "sending",
    resume: s === "paused",
    cancel: s === "draft" || s === "pending_approval" || s === "scheduled" || s === "sending" || s === "paused",
  };
}

/** The broadcast's WhatsApp messages not sent yet. */
const pendingWhatsAppSql = `SELECT COUNT(*) AS n FROM "BroadcastRecipient" r JOIN "OutboxItem" o ON o."messageId" = r."messageId"
  WHERE r."broadcastId" = $1 AND o.channel = 'whatsapp' AND o.status IN ('pending', 'sending')`;

/**
 * "Waiting for WhatsApp's daily limit...", when the limit holds sending back (the outbox notes
 * it in Redis) and this broadcast still has WhatsApp messages to send; else null.
 */
async function tierWaitText(ctx: PageContext, view: BroadcastView): Promise<string | null> {
  const { deps, language } = ctx;
  if (!liveStatuses.includes(view.status)) return null;
  const wait = await tierWait(deps.redis, deps.config.redis.prefix).catch(() => null);
  if (!wait) return null;
  const [row] = await queryRows<{ n: number | bigint }>(
    deps.database,
    deps.database.prisma,
    forProvider(pendingWhatsAppSql, deps.database.provider),
    [view.id],
  );
  if (!row || Number(row.n) === 0) return null;
  const when = formatDateTime(wait.until, deps.config.defaultTimeZone, language);
  const n = (value: number) => value.toLocaleString(language === "en" ? "en-GB" : "id-ID");
  return language === "en"
    ? `Waiting for WhatsApp's daily limit: ${n(wait.reached)} of ${n(wait.limit)} people reached in the last 24 hours. WhatsApp messages go on from about ${when}.`
    : `Menunggu batas harian WhatsApp: ${n(wait.reached)} dari ${n(wait.limit)} orang sudah dihubungi dalam 24 jam terakhir. Pesan WhatsApp dilanjutkan sekitar ${when}.`;
}

/** "2026-12-03T09:00", the value a datetime-local field takes, in `timeZone`. */
const localInput = (date: Date, timeZone: string) =>
  DateTime.fromJSDate(date, { zone: timeZone }).toFormat("yyyy-LL-dd'T'HH:mm");

async function renderDetail(
  ctx: PageContext,
  view: BroadcastView,
  options: { errors?: FieldErrors; values?: Record<string, string>; status?: number } = {},
) {
  const { reply, deps, language } = ctx;
  const timeZone = deps.config.defaultTimeZone;
  const db = deps.database.prisma;
  // Before sending starts there is no ledger yet: say how many the segment reaches today.
  const forecast =
    !view.invalidFilter &&
    (view.status === "draft" || view.status === "pending_approval" || view.status === "scheduled")
      ? recipientSummary(await deps.bot.broadcasts.preview(view.filter), language)
      : null;
  const now = new Date();
  const inAnHour = DateTime.fromJSDate(now, { zone: timeZone }).plus({ hours: 1 }).startOf("hour").toJSDate();
  return render(
    reply,
    "broadcast-detail",
    {
      title: view.title,
      script: composerScript,
      b: view,
      figures: progressFigures(view, language),
      tierWait: await tierWaitText(ctx, view),
      live: liveStatuses.includes(view.status),
      segment: view.invalidFilter
        ? invalidFilterLabel(language)
        : await describeFilter(db, view.filter, language, timeZone),
      forecast,
      actions: actionsFor(view, ctx),
      zone: zoneAbbreviation(timeZone),
      minAt: localInput(now, timeZone),
      errors: options.errors ?? {},
      values: options.values ?? { at: localInput(inAnHour, timeZone) },
    },
    { status: options.status ?? 200 },
  );
}

/** The broadcast of the address, or a 404 page. */
async function load(ctx: PageContext): Promise<BroadcastView | null> {
  const id = broadcastId(ctx.request.params);
  return id ? ctx.deps.bot.broadcasts.get(id) : null;
}

export const broadcastDetailPage = definePage({
  path: "/dashboard/siaran/:id",
  async handler(ctx) {
    const view = await load(ctx);
    if (!view) return renderError(ctx.reply, 404, notFoundPage);
    return renderDetail(ctx, view);
  },
});

/** The progress for the page's script, which asks every 2 seconds while the broadcast is live. */
export const broadcastProgressPage = definePage({
  path: "/dashboard/siaran/:id/progres",
  async handler(ctx) {
    const view = await load(ctx);
    ctx.reply.header("cache-control", "no-store");
    if (!view) return ctx.reply.code(404).send({ ok: false });
    return ctx.reply.send({
      ok: true,
      live: liveStatuses.includes(view.status),
      ...progressFigures(view, ctx.language),
      tierWait: await tierWaitText(ctx, view),
    });
  },
});

/**
 * Runs one action of the service and goes back to the broadcast's page with what happened, or
 * with why the service refused (the status changed meanwhile, the author approving their own).
 */
async function act(ctx: PageContext, run: (id: number) => Promise<BroadcastView>, done: (view: BroadcastView) => Text) {
  const id = broadcastId(ctx.request.params);
  if (!id) return renderError(ctx.reply, 404, notFoundPage);
  try {
    const view = await run(id);
    return redirectWithFlash(ctx.reply, detailPath(id), done(view));
  } catch (error) {
    const current = await ctx.deps.bot.broadcasts.get(id);
    const refusal = refusalText(error, current?.status ?? null);
    if (!refusal) throw error;
    if (!current) return renderError(ctx.reply, 404, notFoundPage);
    return redirectWithFlash(ctx.reply, detailPath(id), refusal, "error");
  }
}

/** Past by more than this is a mistake, not "now": clocks and typing take a moment. */
const pastToleranceMs = 60_000;

export const scheduleBroadcastPage = definePage({
  method: "POST",
  path: "/dashboard/siaran/:id/jadwalkan",
  async handler(ctx) {
    const { request, deps, staff } = ctx;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const timeZone = deps.config.defaultTimeZone;
    let at: Date | null = null;
    if (body.when === "later") {
      const raw = typeof body.at === "string" ? body.at.trim() : "";
      const parsed = DateTime.fromISO(raw, { zone: timeZone });
      let error: Text | null = null;
      if (!raw) error = text("Pilih tanggal dan jam pengiriman.", "Choose the date and time to send.");
      else if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(raw) || !parsed.isValid)
        error = text("Tanggal dan jam ini tidak bisa dibaca.", "This date and time cannot be read.");
      else if (parsed.toMillis() < Date.now() - pastToleranceMs)
        error = text(
          "Waktu ini sudah lewat. Pilih waktu yang akan datang, atau tekan Kirim sekarang.",
          "This time has passed. Choose a time in the future, or press Send now.",
        );
      if (error) {
        const view = await load(ctx);
        if (!view) return renderError(ctx.reply, 404, notFoundPage);
        return renderDetail(ctx, view, { errors: { at: error }, values: { at: raw }, status: 400 });
      }
      at = parsed.toJSDate();
    }
    return act(
      ctx,
      (id) => deps.bot.broadcasts.schedule(staff.id, id, at),
      (view) => {
        if (view.status === "pending_approval")
          return text(
            "Siaran ini menunggu persetujuan admin lain karena penerimanya banyak. Siaran dikirim setelah disetujui.",
            "This broadcast waits for another admin's approval because it goes to many participants. It is sent once approved.",
          );
        if (at && view.status === "scheduled") {
          const when = (l: "id" | "en") => formatDateTime(at!, timeZone, l);
          return text(`Siaran dijadwalkan pada ${when("id")}.`, `The broadcast is scheduled for ${when("en")}.`);
        }
        return text("Siaran mulai dikirim.", "The broadcast is being sent.");
      },
    );
  },
});

export const approveBroadcastPage = definePage({
  method: "POST",
  path: "/dashboard/siaran/:id/setujui",
  role: "admin",
  handler: (ctx) =>
    act(
      ctx,
      (id) => ctx.deps.bot.broadcasts.approve(ctx.staff.id, id),
      () => text("Siaran disetujui dan dikirim sesuai jadwalnya.", "The broadcast is approved and goes as scheduled."),
    ),
});

export const pauseBroadcastPage = definePage({
  method: "POST",
  path: "/dashboard/siaran/:id/jeda",
  handler: (ctx) =>
    act(
      ctx,
      (id) => ctx.deps.bot.broadcasts.pause(ctx.staff.id, id),
      () =>
        text(
          "Siaran dijeda. Pesan yang belum terkirim ditahan sampai Anda melanjutkannya.",
          "The broadcast is paused. Messages not sent yet wait until you resume it.",
        ),
    ),
});

export const resumeBroadcastPage = definePage({
  method: "POST",
  path: "/dashboard/siaran/:id/lanjutkan",
  handler: (ctx) =>
    act(
      ctx,
      (id) => ctx.deps.bot.broadcasts.resume(ctx.staff.id, id),
      () => text("Siaran dilanjutkan.", "The broadcast is resumed."),
    ),
});

/** Asks before cancelling, on a page of its own, so it works without JavaScript too. */
export const confirmCancelPage = definePage({
  path: "/dashboard/siaran/:id/batalkan",
  async handler(ctx) {
    const view = await load(ctx);
    if (!view) return renderError(ctx.reply, 404, notFoundPage);
    const { t } = ctx;
    if (!actionsFor(view, ctx).cancel)
      return redirectWithFlash(
        ctx.reply,
        detailPath(view.id),
        refusalText(new BroadcastError("invalid_state", `Broadcast ${view.id} cannot be cancelled.`), view.status)!,
        "error",
      );
    return render(ctx.reply, "broadcast-cancel", {
      title: t("Batalkan siaran", "Cancel the broadcast"),
      b: view,
      figures: progressFigures(view, ctx.language),
    });
  },
});

export const cancelBroadcastPage = definePage({
  method: "POST",
  path: "/dashboard/siaran/:id/batalkan",
  handler: (ctx) =>
    act(
      ctx,
      (id) => ctx.deps.bot.broadcasts.cancel(ctx.staff.id, id),
      () =>
        text(
          "Siaran dibatalkan. Pesan yang belum terkirim tidak akan dikirim.",
          "The broadcast is cancelled. Messages not sent yet will not be sent.",
        ),
    ),
});
