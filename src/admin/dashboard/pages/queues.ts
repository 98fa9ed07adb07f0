/**
 * Antrean (Queues): the number of jobs in each of the bot's queues, for every staff member, in
 * the dashboard's own page (works on a phone, without a script); admins get a link to
 * bull-board (queues-board.ts) for the jobs themselves, failures with their reasons, retries.
 */
import { definePage } from "../page.js";
import { render } from "../render.js";
import type { Text } from "../text.js";
import { queueRows, type QueueCounts } from "../queue-list.js";
import { queueBoardPath } from "./queues-board.js";

export type QueueRow = { label: Text; name: string; counts: QueueCounts | null };

export const queuesPage = definePage({
  path: "/dashboard/antrean",
  nav: { id: "Antrean", en: "Queues", order: 70 },
  async handler({ reply, deps, t }) {
    const rows: QueueRow[] = await queueRows(deps);
    return render(reply, "queues", {
      title: t("Antrean", "Queues"),
      rows,
      boardPath: `${queueBoardPath}/`,
      now: new Date(),
    });
  },
});

export const queuePages = [queuesPage];
