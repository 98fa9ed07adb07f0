/**
 * Program & Jadwal: the list of programmes with their sessions, and creating and editing a
 * programme. New programmes get the default reminder offsets (README, "Reminders, attendance and
 * motivation"); the bot picks up a new or changed programme within its 10-second cache.
 */
import type { FastifyReply } from "fastify";
import { defaultReminderOffsets } from "../../../../prisma/seed/programmes.js";
import { sectorLabel } from "../../../../flows/catalog.js";
import type { Db } from "../../../db/database.js";
import { zoneAbbreviation } from "../../../engine/format.js";
import { audit } from "../../../domain/staff.js";
import { seatStatuses } from "../../../domain/roster.js";
import { parseForm, type FieldErrors } from "../forms.js";
import { campaignFormValues, parseCampaignSettings, settingChanged, settingForAudit } from "./programmes-campaign.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text } from "../text.js";
import {
  idParam,
  isUniqueViolation,
  notFound,
  programmeSchema,
  regencyOptions,
  sectorOptions,
  timeZones,
  typedValues,
  type ProgrammeInput,
} from "./programmes-forms.js";
import { certificateData, certificateValues, signatoryDefaults } from "./programmes-certificate-fields.js";

/** Sessions that ended longer ago than this leave the list (their rosters stay reachable by address). */
const recentDays = 30;

/** The programmes, active first, each with its sessions from the last month on and their seat counts. */
export async function loadProgrammeList(prisma: Db, now: Date) {
  const since = new Date(now.getTime() - recentDays * 24 * 3_600_000);
  const programmes = await prisma.programme.findMany({
    orderBy: [{ active: "desc" }, { id: "asc" }],
    include: { trainingSessions: { where: { endsAt: { gt: since } }, orderBy: { startsAt: "asc" } } },
  });
  const sessionIds = programmes.flatMap((p) => p.trainingSessions.map((s) => s.id));
  const counts = sessionIds.length
    ? await prisma.enrollment.groupBy({
        by: ["trainingSessionId", "status"],
        where: { trainingSessionId: { in: sessionIds } },
        _count: { _all: true },
      })
    : [];
  const count = (sessionId: number, statuses: readonly string[]) =>
    counts
      .filter((c) => c.trainingSessionId === sessionId && statuses.includes(c.status))
      .reduce((sum, c) => sum + c._count._all, 0);
  return programmes.map((p) => ({
    id: p.id,
    slug: p.slug,
    title: text(p.titleId, p.titleEn),
    sector: text(sectorLabel(p.sector, "id"), sectorLabel(p.sector, "en")),
    regency: p.regency,
    timeZone: p.timeZone,
    zone: zoneAbbreviation(p.timeZone),
    active: p.active,
    sessions: p.trainingSessions.map((s) => ({
      id: s.id,
      code: s.code,
      startsAt: s.startsAt,
      venue: s.venue,
      regency: s.regency,
      capacity: s.capacity,
      status: s.status,
      past: s.endsAt <= now,
      taken: count(s.id, seatStatuses),
      waitlisted: count(s.id, ["waitlisted"]),
    })),
  }));
}

export const programmeListPage = definePage({
  path: "/dashboard/program",
  nav: { id: "Program & Jadwal", en: "Programmes & schedule", order: 20 },
  async handler({ reply, deps, t }) {
    return render(reply, "programmes", {
      title: t("Program & Jadwal", "Programmes & schedule"),
      programmes: await loadProgrammeList(deps.database.prisma, new Date()),
    });
  },
});

/** The programme form, new or with a programme's values; `status` 400 when it comes back with errors. */
function renderProgrammeForm(
  ctx: PageContext,
  form: { programmeId: number | null; values: Record<string, string>; errors?: FieldErrors },
  status = 200,
): Promise<FastifyReply> {
  const { t } = ctx;
  const editing = form.programmeId !== null;
  return render(
    ctx.reply,
    "programmes-form",
    {
      title: editing ? t("Ubah program", "Edit programme") : t("Program baru", "New programme"),
      action: editing ? `/dashboard/program/${form.programmeId}/ubah` : "/dashboard/program/baru",
      editing,
      values: form.values,
      errors: form.errors ?? {},
      sectors: sectorOptions(form.values.sector),
      regencies: regencyOptions,
      timeZones,
      signatoryDefaults,
    },
    { status },
  );
}

const programmeData = (input: ProgrammeInput) => ({
  slug: input.slug,
  sector: input.sector,
  regency: input.regency,
  titleId: input.titleId,
  titleEn: input.titleEn,
  descriptionId: input.descriptionId,
  descriptionEn: input.descriptionEn,
  timeZone: input.timeZone,
  seatsPerParticipant: input.seatsPerParticipant,
  active: input.active,
  ...certificateData(input),
});

/** The errors of the programme's fields and of its campaign settings together, with what was typed. */
function formErrors(
  form: ReturnType<typeof parseForm<typeof programmeSchema>>,
  settings: ReturnType<typeof parseCampaignSettings>,
  body: unknown,
): { values: Record<string, string>; errors: FieldErrors } {
  return {
    values: typedValues(body),
    errors: { ...(form.ok ? {} : form.errors), ...(settings.ok ? {} : settings.errors) },
  };
}

const slugTaken = {
  slug: text("Kode ini sudah dipakai program lain.", "Another programme already uses this code."),
};

export const newProgrammePage = definePage({
  path: "/dashboard/program/baru",
  handler: (ctx) =>
    renderProgrammeForm(ctx, {
      programmeId: null,
      values: {
        timeZone: "Asia/Jakarta",
        seatsPerParticipant: "1",
        active: "on",
        ...campaignFormValues({ campaignEvents: null, followUpQuestions: null }),
      },
    }),
});

export const createProgrammePage = definePage({
  method: "POST",
  path: "/dashboard/program/baru",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const prisma = deps.database.prisma;
    const form = parseForm(programmeSchema, request.body);
    const settings = parseCampaignSettings(request.body);
    if (!form.ok || !settings.ok)
      return renderProgrammeForm(ctx, { programmeId: null, ...formErrors(form, settings, request.body) }, 400);
    let programmeId: number;
    try {
      const created = await prisma.programme.create({
        data: { ...programmeData(form.data), ...settings.data, reminderOffsets: defaultReminderOffsets },
      });
      programmeId = created.id;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return renderProgrammeForm(ctx, { programmeId: null, values: typedValues(request.body), errors: slugTaken }, 400);
    }
    await audit(prisma, staff.id, "programme.created", `programme:${programmeId}`, {
      slug: form.data.slug,
      title: form.data.titleId,
      active: form.data.active,
    });
    return redirectWithFlash(
      reply,
      `/dashboard/program#program-${programmeId}`,
      text(
        `Program "${form.data.titleId}" dibuat. Tambahkan jadwalnya.`,
        `Programme "${form.data.titleEn}" created. Add its sessions.`,
      ),
    );
  },
});

export const editProgrammePage = definePage({
  path: "/dashboard/program/:programmeId/ubah",
  async handler(ctx) {
    const id = idParam(ctx.request, "programmeId");
    const p = id ? await ctx.deps.database.prisma.programme.findUnique({ where: { id } }) : null;
    if (!p) return notFound(ctx.reply);
    return renderProgrammeForm(ctx, {
      programmeId: p.id,
      values: {
        slug: p.slug,
        sector: p.sector,
        regency: p.regency ?? "",
        titleId: p.titleId,
        titleEn: p.titleEn,
        descriptionId: p.descriptionId,
        descriptionEn: p.descriptionEn,
        timeZone: p.timeZone,
        seatsPerParticipant: String(p.seatsPerParticipant),
        ...(p.active ? { active: "on" } : {}),
        ...campaignFormValues(p),
        ...certificateValues(p),
      },
    });
  },
});

export const updateProgrammePage = definePage({
  method: "POST",
  path: "/dashboard/program/:programmeId/ubah",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    const prisma = deps.database.prisma;
    const id = idParam(request, "programmeId");
    const before = id ? await prisma.programme.findUnique({ where: { id } }) : null;
    if (!before) return notFound(reply);
    const form = parseForm(programmeSchema, request.body);
    const settings = parseCampaignSettings(request.body);
    if (!form.ok || !settings.ok)
      return renderProgrammeForm(ctx, { programmeId: before.id, ...formErrors(form, settings, request.body) }, 400);
    try {
      await prisma.programme.update({
        where: { id: before.id },
        data: { ...programmeData(form.data), ...settings.data },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return renderProgrammeForm(
        ctx,
        { programmeId: before.id, values: typedValues(request.body), errors: slugTaken },
        400,
      );
    }
    // Only what changed goes to the audit log, old and new.
    const after = programmeData(form.data);
    const changed: Record<string, unknown> = Object.fromEntries(
      (Object.keys(after) as (keyof typeof after)[]).flatMap((k) =>
        before[k] === after[k] ? [] : [[k, { from: before[k], to: after[k] }]],
      ),
    );
    for (const k of ["campaignEvents", "followUpQuestions"] as const)
      if (settingChanged(before[k], settings.data[k]))
        changed[k] = { from: before[k] ?? null, to: settingForAudit(settings.data[k]) ?? null };
    await audit(prisma, staff.id, "programme.updated", `programme:${before.id}`, changed);
    return redirectWithFlash(
      reply,
      `/dashboard/program#program-${before.id}`,
      text(`Program "${form.data.titleId}" disimpan.`, `Programme "${form.data.titleEn}" saved.`),
    );
  },
});
