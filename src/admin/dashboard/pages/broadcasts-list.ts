/** Siaran (Broadcasts): the newest broadcasts with their status and progress. */
import { broadcastStatuses, type BroadcastStatus } from "../../../domain/broadcast-types.js";
import { definePage } from "../page.js";
import { render } from "../render.js";
import { segmentNames } from "./broadcasts-segment.js";
import { describeSegment } from "../../../domain/segments.js";
import { invalidFilterLabel, progressFigures, statusLabels } from "./broadcasts-view.js";

/** How many the list shows: enough for a few months of announcements, and one page on a phone. */
const listLimit = 50;

export const broadcastListPage = definePage({
  path: "/dashboard/siaran",
  nav: { id: "Siaran", en: "Broadcasts", order: 40 },
  async handler({ request, reply, deps, t, language }) {
    const wanted = (request.query as { status?: unknown }).status;
    const status = broadcastStatuses.find((s) => s === wanted);
    const broadcasts = await deps.bot.broadcasts.list({ limit: listLimit, ...(status ? { status } : {}) });
    const timeZone = deps.config.defaultTimeZone;
    const names = await segmentNames(
      deps.database.prisma,
      broadcasts.map((b) => b.filter),
      language,
      timeZone,
    );
    return render(reply, "broadcasts", {
      title: t("Siaran", "Broadcasts"),
      status: status ?? "",
      statuses: broadcastStatuses.map((s: BroadcastStatus) => ({ value: s, label: statusLabels[s] })),
      limit: listLimit,
      broadcasts: broadcasts.map((b) => ({
        ...b,
        segment: b.invalidFilter ? invalidFilterLabel(language) : describeSegment(b.filter, names, language),
        figures: progressFigures(b, language),
      })),
    });
  },
});
