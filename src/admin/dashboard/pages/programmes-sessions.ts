/**
 * Training sessions of a programme: creating and editing one, moving it to another time and
 * cancelling it. Moving and cancelling first show what will happen and how many participants will
 * be told, and act only on a second, confirming form.
 */
import type { FastifyReply } from "fastify";
import { cancelTrainingSession } from "../../../domain/cancel-training-session.js";
import { moveTrainingSession } from "../../../domain/move-training-session.js";
import { countAudience, fillFreeSeats, seatStatuses, type SeatsFilled } from "../../../domain/roster.js";
import { audit } from "../../../domain/staff.js";
import { formatDateTime, zoneAbbreviation } from "../../../engine/format.js";
import { parseForm, type FieldErrors } from "../forms.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text } from "../text.js";
import {
  checkTimes,
  idParam,
  isUniqueViolation,
  moveSchema,
  newSessionSchema,
  notFound,
  regencyOptions,
  sessionDetailsSchema,
  toLocalInput,
  typedValues,
} from "./programmes-forms.js";

const rosterPath = (id: number) => `/dashboard/program/jadwal/${id}`;

const codeTaken = {
  code: text("Kode ini sudah dipakai jadwal lain.", "Another session already uses this code."),
};

/** The session of the `:sessionId` in the path, with its programme; null when there is none. */
async function sessionOf(ctx: PageContext) {
  const id = idParam(ctx.request, "sessionId");
  if (!id) return null;
  return ctx.deps.database.prisma.trainingSession.findUnique({
    where: { id },
    include: { programme: { select: { id: true, titleId: true, titleEn: true, timeZone: true, slug: true } } },
  });
}
type SessionWithProgramme = NonNullable<Awaited<ReturnType<typeof sessionOf>>>;

/** Sends staff back to the roster with a message, when a cancelled session is asked to change. */
const refuseCancelled = (reply: FastifyReply, id: number) =>
  redirectWithFlash(
    reply,
    rosterPath(id),
    text("Jadwal ini sudah dibatalkan dan tidak bisa diubah.", "This session is cancelled and cannot be changed."),
    "error",
  );

type SessionFormState = {
  programme: { id: number; titleId: string; titleEn: string; timeZone: string };
  /** Null for a new session. */
  sessionId: number | null;
  values: Record<string, string>;
  errors?: FieldErrors;
};

function renderSessionForm(ctx: PageContext, form: SessionFormState, status = 200): Promise<FastifyReply> {
  const { t } = ctx;
  const editing = form.sessionId !== null;
  return render(
    ctx.reply,
    "session-form",
    {
      title: editing ? t("Ubah jadwal", "Edit session") : t("Jadwal baru", "New session"),
      programme: form.programme,
      editing,
      action: editing
        ? `/dashboard/program/jadwal/${form.sessionId}/ubah`
        : `/dashboard/program/${form.programme.id}/jadwal-baru`,
      back: editing ? rosterPath(form.sessionId!) : `/dashboard/program#program-${form.programme.id}`,
      values: form.values,
      errors: form.errors ?? {},
      regencies: regencyOptions,
      zone: zoneAbbreviation,
    },
    { status },
  );
}

async function programmeOf(ctx: PageContext) {
  const id = idParam(ctx.request, "programmeId");
  return id ? ctx.deps.database.prisma.programme.findUnique({ where: { id } }) : null;
}

export const newSessionPage = definePage({
  path: "/dashboard/program/:programmeId/jadwal-baru",
  async handler(ctx) {
    const programme = await programmeOf(ctx);
    if (!programme) return notFound(ctx.reply);
    const count = await ctx.deps.database.prisma.trainingSession.count({ where: { programmeId: programme.id } });
    return renderSessionForm(ctx, {
      programme,
      sessionId: null,
      values: { code: `${programme.slug}-${count + 1}`, regency: programme.regency ?? "", capacity: "30" },
    });
  },
});

export const createSessionPage = definePage({
  method: "POST",
  path: "/dashboard/program/:programmeId/jadwal-baru",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const prisma = deps.database.prisma;
    const programme = await programmeOf(ctx);
    if (!programme) return notFound(reply);
    const form = parseForm(newSessionSchema, request.body);
    const values = typedValues(request.body);
    const body = values as { startsAt?: string; endsAt?: string };
    // The times are checked even when another field is wrong, so every problem shows at once.
    const times = checkTimes(body.startsAt ?? "", body.endsAt ?? "", programme.timeZone, new Date());
    if (!form.ok || !times.ok) {
      const errors = { ...(times.ok ? {} : times.errors), ...(form.ok ? {} : form.errors) };
      return renderSessionForm(ctx, { programme, sessionId: null, values, errors }, 400);
    }
    const { startsAt, endsAt } = times;
    let sessionId: number;
    try {
      const created = await prisma.trainingSession.create({
        data: {
          programmeId: programme.id,
          code: form.data.code,
          startsAt,
          endsAt: endsAt!,
          venue: form.data.venue,
          address: form.data.address,
          regency: form.data.regency,
          mapUrl: form.data.mapUrl,
          capacity: form.data.capacity,
        },
      });
      sessionId = created.id;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return renderSessionForm(ctx, { programme, sessionId: null, values, errors: codeTaken }, 400);
    }
    await audit(prisma, staff.id, "training_session.created", `trainingSession:${sessionId}`, {
      programmeId: programme.id,
      code: form.data.code,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt!.toISOString(),
      venue: form.data.venue,
      capacity: form.data.capacity,
    });
    const when = (l: "id" | "en") => formatDateTime(startsAt, programme.timeZone, l);
    return redirectWithFlash(
      reply,
      rosterPath(sessionId),
      text(
        `Jadwal ${when("id")} dibuat dan sudah bisa dipilih peserta di bot.`,
        `Session on ${when("en")} created; participants can choose it in the bot now.`,
      ),
    );
  },
});

export const editSessionPage = definePage({
  path: "/dashboard/program/jadwal/:sessionId/ubah",
  async handler(ctx) {
    const session = await sessionOf(ctx);
    if (!session) return notFound(ctx.reply);
    if (session.status === "cancelled") return refuseCancelled(ctx.reply, session.id);
    return renderSessionForm(ctx, {
      programme: session.programme,
      sessionId: session.id,
      values: {
        code: session.code,
        venue: session.venue,
        address: session.address,
        regency: session.regency,
        mapUrl: session.mapUrl ?? "",
        capacity: String(session.capacity),
      },
    });
  },
});

export const updateSessionPage = definePage({
  method: "POST",
  path: "/dashboard/program/jadwal/:sessionId/ubah",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const prisma = deps.database.prisma;
    const session = await sessionOf(ctx);
    if (!session) return notFound(reply);
    if (session.status === "cancelled") return refuseCancelled(reply, session.id);
    const form = parseForm(sessionDetailsSchema, request.body);
    const values = typedValues(request.body);
    const state = { programme: session.programme, sessionId: session.id, values };
    if (!form.ok) return renderSessionForm(ctx, { ...state, errors: form.errors }, 400);
    const taken = await prisma.enrollment.count({
      where: { trainingSessionId: session.id, status: { in: [...seatStatuses] } },
    });
    if (form.data.capacity < taken)
      return renderSessionForm(
        ctx,
        {
          ...state,
          errors: {
            capacity: text(
              `Sudah ada ${taken} peserta di jadwal ini: kapasitas tidak boleh kurang dari itu. Batalkan pendaftaran dulu bila perlu.`,
              `${taken} participants already hold a seat: the capacity cannot be lower. Cancel enrollments first if needed.`,
            ),
          },
        },
        400,
      );
    let filled: SeatsFilled;
    try {
      filled = await prisma.$transaction(
        async (tx) => {
          await tx.trainingSession.update({ where: { id: session.id }, data: form.data });
          // More seats before the start: the waiting list moves up at once, as when someone cancels.
          return form.data.capacity > session.capacity && session.startsAt > new Date()
            ? fillFreeSeats(tx, deps.database, session.id, new Date())
            : { enrollmentIds: [], reminders: [], notices: [] };
        },
        { timeout: 20_000, maxWait: 20_000 },
      );
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return renderSessionForm(ctx, { ...state, errors: codeTaken }, 400);
    }
    // Triggers only: with Redis away, the reconcile passes add the jobs from the rows later.
    await deps.bot.reminders.schedule(filled.reminders).catch(() => {});
    await deps.bot.outbox.enqueueMany(filled.notices).catch(() => {});
    const changed = Object.fromEntries(
      (Object.keys(form.data) as (keyof typeof form.data)[]).flatMap((k) =>
        session[k] === form.data[k] ? [] : [[k, { from: session[k], to: form.data[k] }]],
      ),
    );
    await audit(prisma, staff.id, "training_session.updated", `trainingSession:${session.id}`, {
      ...changed,
      ...(filled.enrollmentIds.length ? { promotedFromWaitlist: filled.enrollmentIds } : {}),
    });
    const n = filled.enrollmentIds.length;
    if (n)
      return redirectWithFlash(
        reply,
        rosterPath(session.id),
        text(
          `Jadwal disimpan. ${n} peserta dari daftar tunggu mendapat kursi dan diberi tahu.`,
          `Session saved. ${n} participant${n === 1 ? "" : "s"} from the waiting list got a seat and were told.`,
        ),
      );
    return redirectWithFlash(reply, rosterPath(session.id), text("Jadwal disimpan.", "Session saved."));
  },
});

// ---------------------------------------------------------------- moving

function renderMoveForm(
  ctx: PageContext,
  session: SessionWithProgramme,
  values: Record<string, string>,
  errors: FieldErrors = {},
  status = 200,
) {
  return render(
    ctx.reply,
    "session-move",
    { title: ctx.t("Pindahkan jadwal", "Move the session"), session, values, errors, zone: zoneAbbreviation },
    { status },
  );
}

/** The new start typed in the form, checked: ahead, a real time in the programme's zone, not the current one. */
function newStart(ctx: PageContext, session: SessionWithProgramme) {
  const form = parseForm(moveSchema, ctx.request.body);
  if (!form.ok) return { ok: false as const, errors: form.errors };
  const times = checkTimes(form.data.startsAt, null, session.programme.timeZone, new Date());
  if (!times.ok) return times;
  if (times.startsAt.getTime() === session.startsAt.getTime())
    return {
      ok: false as const,
      errors: {
        startsAt: text("Ini waktu jadwal sekarang. Pilih waktu lain.", "This is the current time. Choose another."),
      },
    };
  const length = session.endsAt.getTime() - session.startsAt.getTime();
  return { ok: true as const, startsAt: times.startsAt, endsAt: new Date(times.startsAt.getTime() + length) };
}

export const moveSessionPage = definePage({
  path: "/dashboard/program/jadwal/:sessionId/pindah",
  async handler(ctx) {
    const session = await sessionOf(ctx);
    if (!session) return notFound(ctx.reply);
    if (session.status === "cancelled") return refuseCancelled(ctx.reply, session.id);
    return renderMoveForm(ctx, session, { startsAt: toLocalInput(session.startsAt, session.programme.timeZone) });
  },
});

/** Step 1: the new time is checked and the confirmation shown; nothing changes yet. */
export const previewMovePage = definePage({
  method: "POST",
  path: "/dashboard/program/jadwal/:sessionId/pindah",
  async handler(ctx) {
    const session = await sessionOf(ctx);
    if (!session) return notFound(ctx.reply);
    if (session.status === "cancelled") return refuseCancelled(ctx.reply, session.id);
    const move = newStart(ctx, session);
    if (!move.ok) return renderMoveForm(ctx, session, typedValues(ctx.request.body), move.errors, 400);
    return render(ctx.reply, "session-move-confirm", {
      title: ctx.t("Pindahkan jadwal?", "Move the session?"),
      session,
      startsAt: move.startsAt,
      endsAt: move.endsAt,
      startsAtLocal: toLocalInput(move.startsAt, session.programme.timeZone),
      audience: await countAudience(ctx.deps.database.prisma, session.id),
    });
  },
});

/** Step 2: confirmed; the bot moves the session and its reminders and tells the participants. */
export const confirmMovePage = definePage({
  method: "POST",
  path: "/dashboard/program/jadwal/:sessionId/pindah/konfirmasi",
  async handler(ctx) {
    const { reply, deps, staff } = ctx;
    const session = await sessionOf(ctx);
    if (!session) return notFound(reply);
    if (session.status === "cancelled") return refuseCancelled(reply, session.id);
    // Checked again: the confirmation page may have been open long enough for the time to pass.
    const move = newStart(ctx, session);
    if (!move.ok) return renderMoveForm(ctx, session, typedValues(ctx.request.body), move.errors, 400);
    const outcome = await moveTrainingSession(
      {
        database: deps.database,
        reminders: deps.bot.reminders,
        outbox: deps.bot.outbox,
        campaigns: deps.bot.campaigns,
      },
      session.id,
      move.startsAt,
      move.endsAt,
    );
    if (outcome.kind === "not_found") return notFound(reply);
    if (outcome.kind === "cancelled") return refuseCancelled(reply, session.id);
    await audit(deps.database.prisma, staff.id, "training_session.moved", `trainingSession:${session.id}`, {
      from: session.startsAt.toISOString(),
      to: move.startsAt.toISOString(),
      notified: outcome.notices.length,
      reminders: outcome.reminders.length,
    });
    const when = (l: "id" | "en") => formatDateTime(move.startsAt, session.programme.timeZone, l);
    const n = outcome.notices.length;
    return redirectWithFlash(
      reply,
      rosterPath(session.id),
      text(
        `Jadwal dipindahkan ke ${when("id")}. ${n} peserta diberi tahu.`,
        `Session moved to ${when("en")}. ${n} participant${n === 1 ? "" : "s"} notified.`,
      ),
    );
  },
});

// ---------------------------------------------------------------- cancelling

/** A session that has started (or ended) stays as it was: its roster records what happened. */
const refuseStarted = (reply: FastifyReply, id: number) =>
  redirectWithFlash(
    reply,
    rosterPath(id),
    text("Jadwal yang sudah dimulai tidak bisa dibatalkan.", "A session that has already started cannot be cancelled."),
    "error",
  );

export const cancelSessionPage = definePage({
  path: "/dashboard/program/jadwal/:sessionId/batal",
  async handler(ctx) {
    const session = await sessionOf(ctx);
    if (!session) return notFound(ctx.reply);
    if (session.status === "cancelled") return refuseCancelled(ctx.reply, session.id);
    if (session.startsAt <= new Date()) return refuseStarted(ctx.reply, session.id);
    return render(ctx.reply, "session-cancel", {
      title: ctx.t("Batalkan jadwal?", "Cancel the session?"),
      session,
      audience: await countAudience(ctx.deps.database.prisma, session.id),
    });
  },
});

export const confirmCancelPage = definePage({
  method: "POST",
  path: "/dashboard/program/jadwal/:sessionId/batal",
  async handler(ctx) {
    const { reply, deps, staff } = ctx;
    const session = await sessionOf(ctx);
    if (!session) return notFound(reply);
    if (session.status === "cancelled") return refuseCancelled(reply, session.id);
    if (session.startsAt <= new Date()) return refuseStarted(reply, session.id);
    const outcome = await cancelTrainingSession(
      { database: deps.database, reminders: deps.bot.reminders, outbox: deps.bot.outbox },
      session.id,
    );
    if (outcome.kind === "not_found") return notFound(reply);
    if (outcome.kind === "already_cancelled") return refuseCancelled(reply, session.id);
    await audit(deps.database.prisma, staff.id, "training_session.cancelled", `trainingSession:${session.id}`, {
      code: session.code,
      startsAt: session.startsAt.toISOString(),
      enrollmentsCancelled: outcome.enrollmentIds.length,
      notified: outcome.notices.length,
    });
    const n = outcome.notices.length;
    return redirectWithFlash(
      reply,
      rosterPath(session.id),
      text(
        `Jadwal dibatalkan. ${n} peserta diberi tahu.`,
        `Session cancelled. ${n} participant${n === 1 ? "" : "s"} notified.`,
      ),
    );
  },
});
