/**
 * Log audit (admins only): who did what to what, newest first, 50 a page, filtered by the start
 * of the action ("staff.", "broadcast.", "api_token.") and by staff member. The filter is a GET
 * form, so a filtered page can be bookmarked or sent to a colleague.
 */
import { z } from "zod";
import { databaseId } from "../../../db/ids.js";
import { definePage } from "../page.js";
import { render } from "../render.js";

export const auditPageSize = 50;

/** Query strings come as typed; anything odd is ignored rather than refused. */
const querySchema = z.object({
  aksi: z.string().trim().max(100).catch(""),
  staf: z
    .union([z.literal("sistem"), databaseId])
    .optional()
    .catch(undefined),
  halaman: z.coerce.number().int().min(1).max(100_000).catch(1),
});

/** A detail object as one short line of JSON; long ones are cut with an ellipsis. */
export function compactDetail(detail: unknown, max = 400): string {
  if (detail === null || detail === undefined) return "";
  const json = JSON.stringify(detail);
  return json.length > max ? `${json.slice(0, max - 1)}…` : json;
}

/** The API token an action came through (detail `{ via: "api_token", tokenId, tokenName }`), or null. */
export function viaToken(detail: unknown): { id: number; name: string } | null {
  if (!detail || typeof detail !== "object") return null;
  const d = detail as Record<string, unknown>;
  return d.via === "api_token" && typeof d.tokenId === "number"
    ? { id: d.tokenId, name: typeof d.tokenName === "string" ? d.tokenName : "" }
    : null;
}

export const auditPage = definePage({
  path: "/dashboard/audit",
  nav: { id: "Log audit", en: "Audit log", order: 90 },
  role: "admin",
  async handler({ request, reply, deps, t }) {
    const prisma = deps.database.prisma;
    const query = querySchema.parse(request.query ?? {});
    const where = {
      ...(query.aksi ? { action: { startsWith: query.aksi } } : {}),
      ...(query.staf === "sistem" ? { staffId: null } : query.staf ? { staffId: query.staf } : {}),
    };
    const [total, staff, actions] = await Promise.all([
      prisma.auditLog.count({ where }),
      prisma.staff.findMany({ select: { id: true, name: true }, orderBy: { name: "asc" } }),
      prisma.auditLog.groupBy({ by: ["action"], orderBy: { action: "asc" } }),
    ]);
    const pages = Math.max(1, Math.ceil(total / auditPageSize));
    const page = Math.min(query.halaman, pages);
    const rows = await prisma.auditLog.findMany({
      where,
      include: { staff: { select: { name: true, email: true } } },
      // Ids grow with time; sorting by them also keeps rows of the same millisecond in order.
      orderBy: { id: "desc" },
      skip: (page - 1) * auditPageSize,
      take: auditPageSize,
    });
    // Action families ("staff.", "broadcast.") to offer in the filter, then the full names.
    const families = [...new Set(actions.map((a) => `${a.action.split(".")[0]}.`))];
    const link = (p: number) => {
      const params = new URLSearchParams();
      if (query.aksi) params.set("aksi", query.aksi);
      if (query.staf) params.set("staf", String(query.staf));
      if (p > 1) params.set("halaman", String(p));
      const qs = params.toString();
      return `/dashboard/audit${qs ? `?${qs}` : ""}`;
    };
    return render(reply, "audit", {
      title: t("Log audit", "Audit log"),
      rows: rows.map((r) => ({
        id: r.id,
        at: r.createdAt,
        who: r.staff ? r.staff.name : null,
        whoEmail: r.staff?.email ?? null,
        token: viaToken(r.detail),
        action: r.action,
        target: r.target,
        detail: compactDetail(r.detail),
      })),
      filter: { aksi: query.aksi, staf: query.staf ? String(query.staf) : "" },
      staffOptions: staff,
      actionOptions: [...families, ...actions.map((a) => a.action)],
      total,
      page,
      pages,
      previous: page > 1 ? link(page - 1) : null,
      next: page < pages ? link(page + 1) : null,
      timeZone: deps.config.defaultTimeZone,
    });
  },
});

export const auditPages = [auditPage];
