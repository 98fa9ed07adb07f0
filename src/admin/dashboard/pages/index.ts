/**
 * Every page of the dashboard, in one list: registerDashboard mounts these, and the navigation
 * is built from their `nav` labels (ordered by `order`, filtered by role). To add a page, write
 * it with definePage in a file of this folder and list it in that area's module (programmes.ts,
 * participants.ts, broadcasts.ts, operations.ts); to build a page that is still `comingSoon`,
 * replace that line with yours (keep the path, so links keep working).
 */
import type { DashboardPage } from "../page.js";
import { broadcastPages } from "./broadcasts.js";
import { operationsPages } from "./operations.js";
import { overviewPage } from "./overview.js";
import { participantPages } from "./participants.js";
import { programmePages } from "./programmes.js";
import { tryBotPage } from "./try-bot.js";

export const dashboardPages: DashboardPage[] = [
  overviewPage,
  ...programmePages,
  ...participantPages,
  ...broadcastPages,
  ...operationsPages,
  tryBotPage,
];
