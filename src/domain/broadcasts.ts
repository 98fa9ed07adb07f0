/**
 * Staff broadcasts (DESIGN.md section 2): a text to a segment of participants, now or later.
 * The service staff act through (create, schedule, approve, pause, resume, cancel, read); the
 * sending itself, a recipient ledger filled when sending starts and fanned out in chunks, is in
 * broadcast-sending.ts.
 */
import type { Database } from "../db/database.js";
import { runAtomically } from "../db/raw-sql.js";
import {
  BroadcastError,
  type BroadcastInput,
  type BroadcastService,
  type BroadcastStatus,
  type BroadcastView,
} from "./broadcast-types.js";
import { broadcastProgress, stopPlan } from "./broadcast-sending.js";
import type { SegmentFilter } from "./segment-filter.js";
import { parseSegmentFilter, previewSegment } from "./segments.js";
import { audit } from "./staff.js";
import { windowSplit } from "./whatsapp-templates.js";

/** Jobs the service asks for (src/jobs/broadcasts.ts). */
export type BroadcastJobs = {
  /** Start (or go on with) the broadcast at `at` (now when null or past). */
  start(broadcastId: number, at: Date | null): Promise<void>;
};

export type BroadcastSettings = {
  /** More recipients than this need a second staff member's approval; 0: never. */
  approvalThreshold: number;
  /** Local dates of segment filters. */
  timeZone: string;
  /**
   * WhatsApp Cloud API (WHATSAPP_PROVIDER=cloud): the hours of the customer-service window (24).
   * Then a broadcast with WhatsApp recipients outside the window at its time is refused when it is
   * scheduled or approved unless a template was chosen. Absent or null: no window (other providers).
   */
  serviceWindowHours?: number | null;
};

type BroadcastRow = {
  id: number;
  title: string;
  textId: string;
  textEn: string | null;
  filter: unknown;
  status: BroadcastStatus;
  scheduledAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  createdById: number | null;
  approvedById: number | null;
  createdBy: { id: number; name: string } | null;
  approvedBy: { id: number; name: string } | null;
  templateId: number | null;
  template: { id: number; name: string; language: string; category: string } | null;
};

const include = {
  createdBy: { select: { id: true, name: true } },
  approvedBy: { select: { id: true, name: true } },
  template: { select: { id: true, name: true, language: true, category: true } },
} as const;

/** The broadcast service over the database and the broadcast jobs. */
export function createBroadcastService(options: {
  database: Database;
  jobs: BroadcastJobs;
  settings: BroadcastSettings;
  now?: () => Date;
}): BroadcastService {
  const { database, jobs, settings } = options;
  const db = database.prisma;
  const now = options.now ?? (() => new Date());

  /** The stored filter; one that no longer parses is refused, never read as "everyone". */
  const storedFilter = (b: { id: number; filter: unknown }): SegmentFilter => {
    try {
      return parseSegmentFilter(b.filter);
    } catch {
      throw new BroadcastError(
        "invalid_filter",
        `The segment filter of broadcast ${b.id} is no longer valid; make a new broadcast with a new filter.`,
      );
    }
  };

  const view = async (b: BroadcastRow): Promise<BroadcastView> => {
    // One bad row must not break the list for everyone: it is shown as invalid.
    let filter: SegmentFilter | null;
    try {
      filter = parseSegmentFilter(b.filter);
    } catch {
      filter = null;
    }
    return {
      id: b.id,
      title: b.title,
      textId: b.textId,
      textEn: b.textEn,
      ...(filter ? { filter } : { filter: {}, invalidFilter: true as const }),
      status: b.status,
      scheduledAt: b.scheduledAt,
      startedAt: b.startedAt,
      finishedAt: b.finishedAt,
      createdAt: b.createdAt,
      createdBy: b.createdBy,
      approvedBy: b.approvedBy,
      template: b.template,
      progress: await broadcastProgress(database, b.id),
    };
  };

  const load = async (id: number): Promise<BroadcastRow> => {
    const b = await db.broadcast.findUnique({ where: { id }, include });
    if (!b) throw new BroadcastError("not_found", `There is no broadcast ${id}.`);
    return b as unknown as BroadcastRow;
  };
  const show = async (id: number) => view(await load(id));

  /** Moves the status only from one of `from`; a concurrent change makes it fail cleanly. */
  const transition = async (id: number, from: BroadcastStatus[], data: Record<string, unknown>, verb: string) => {
    const b = await load(id);
    if (!from.includes(b.status))
      throw new BroadcastError(
        "invalid_state",
        `Broadcast ${id} is ${b.status.replace("_", " ")}; it cannot be ${verb}.`,
      );
    const { count } = await db.broadcast.updateMany({ where: { id, status: b.status }, data });
    if (count !== 1) throw new BroadcastError("invalid_state", `Broadcast ${id} changed meanwhile; try again.`);
    return b;
  };

  /** A template a broadcast may use: one for broadcasts, or one for nothing in particular. */
  const checkTemplate = async (templateId: number) => {
    const template = await db.whatsAppTemplate.findUnique({ where: { id: templateId } });
    if (!template || (template.usedFor !== null && template.usedFor !== "broadcast"))
      throw new BroadcastError(
        "invalid_template",
        template
          ? `The WhatsApp template ${template.name} carries ${template.usedFor} messages; a broadcast can use one for broadcasts or for nothing in particular.`
          : `There is no WhatsApp template ${templateId}.`,
      );
  };

  /**
   * Outside the window WhatsApp only takes an approved template: with recipients there at the time
   * it goes and none chosen, they would all fail, so it is refused before anything is sent.
   */
  const checkWindow = async (b: BroadcastRow, at: Date) => {
    const hours = settings.serviceWindowHours;
    if (!hours || b.templateId !== null) return;
    const split = await windowSplit(database, { filter: storedFilter(b), timeZone: settings.timeZone }, at, hours);
    if (split.outside > 0)
      throw new BroadcastError(
        "template_required",
        `${split.outside} WhatsApp recipient${split.outside === 1 ? " has" : "s have"} not written in the last ${hours} hours and can only get an approved template, and broadcast ${b.id} has none: copy it to a new broadcast and choose its WhatsApp template.`,
      );
  };

  return {
    preview: (filter) => previewSegment(database, filter, settings.timeZone),

    async create(staffId, input: BroadcastInput) {
      if (input.templateId) await checkTemplate(input.templateId);
      const b = await db.broadcast.create({
        data: {
          title: input.title,
          textId: input.textId,
          textEn: input.textEn ?? null,
          filter: input.filter as object,
          templateId: input.templateId ?? null,
          status: "draft",
          createdById: staffId,
        },
      });
      const preview = await previewSegment(database, input.filter, settings.timeZone);
      await audit(db, staffId, "broadcast.create", `broadcast:${b.id}`, {
        title: input.title,
        recipients: preview.recipients,
        ...(input.templateId ? { templateId: input.templateId } : {}),
      });
      return show(b.id);
    },

    async schedule(staffId, id, at) {
      const b = await load(id);
      const when = at && at > now() ? at : null;
      const preview = await previewSegment(database, storedFilter(b), settings.timeZone);
      if (b.status === "draft") await checkWindow(b, when ?? now());
      const needsApproval =
        settings.approvalThreshold > 0 && preview.recipients > settings.approvalThreshold && b.approvedById === null;
      await transition(
        id,
        ["draft"],
        { status: needsApproval ? "pending_approval" : "scheduled", scheduledAt: when ?? now() },
        "scheduled",
      );
      await audit(db, staffId, needsApproval ? "broadcast.submit" : "broadcast.schedule", `broadcast:${id}`, {
        recipients: preview.recipients,
        at: (when ?? now()).toISOString(),
        ...(needsApproval ? { approvalThreshold: settings.approvalThreshold } : {}),
      });
      if (!needsApproval) await jobs.start(id, when);
      return show(id);
    },

    async approve(staffId, id) {
      const b = await load(id);
      if (b.status !== "pending_approval")
        throw new BroadcastError(
          "invalid_state",
          `Broadcast ${id} is ${b.status.replace("_", " ")}; nothing to approve.`,
        );
      // Two people: neither its author nor whoever sent it for approval (an admin who schedules a
      // colleague's draft would otherwise approve what they alone decided to send).
      const submitted = await db.auditLog.findFirst({
        where: { action: "broadcast.submit", target: `broadcast:${id}` },
        orderBy: { id: "desc" },
        select: { staffId: true },
      });
      if (b.createdById === staffId || submitted?.staffId === staffId)
        throw new BroadcastError(
          "same_approver",
          "A broadcast needs the approval of someone other than its author and whoever submitted it.",
        );
      // Checked again: the window has moved since it was submitted.
      await checkWindow(b, b.scheduledAt && b.scheduledAt > now() ? b.scheduledAt : now());
      await transition(id, ["pending_approval"], { status: "scheduled", approvedById: staffId }, "approved");
      const preview = await previewSegment(database, storedFilter(b), settings.timeZone);
      await audit(db, staffId, "broadcast.approve", `broadcast:${id}`, { recipients: preview.recipients });
      await jobs.start(id, b.scheduledAt && b.scheduledAt > now() ? b.scheduledAt : null);
      return show(id);
    },

    async pause(staffId, id) {
      const withdrawn = await runAtomically(database, () => stopPlan(database.provider, id, "paused", now()));
      await audit(db, staffId, "broadcast.pause", `broadcast:${id}`, { withdrawn });
      return show(id);
    },

    async resume(staffId, id) {
      const b = await load(id);
      // Back to where it was: sending if it had started, else waiting for its time.
      await transition(id, ["paused"], { status: b.startedAt ? "sending" : "scheduled" }, "resumed");
      await audit(db, staffId, "broadcast.resume", `broadcast:${id}`, {});
      await jobs.start(id, !b.startedAt && b.scheduledAt && b.scheduledAt > now() ? b.scheduledAt : null);
      return show(id);
    },

    async cancel(staffId, id) {
      const withdrawn = await runAtomically(database, () => stopPlan(database.provider, id, "cancelled", now()));
      await audit(db, staffId, "broadcast.cancel", `broadcast:${id}`, { withdrawn });
      return show(id);
    },

    async get(id) {
      const b = await db.broadcast.findUnique({ where: { id }, include });
      return b ? view(b as unknown as BroadcastRow) : null;
    },

    async list(opts = {}) {
      const found = await db.broadcast.findMany({
        where: opts.status ? { status: opts.status } : {},
        orderBy: { id: "desc" },
        take: Math.min(Math.max(opts.limit ?? 20, 1), 200),
        include,
      });
      return Promise.all(found.map((b) => view(b as unknown as BroadcastRow)));
    },
  };
}
