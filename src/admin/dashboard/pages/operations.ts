/** Channels, queues, staff and the audit log: running the bot. */
import type { DashboardPage } from "../page.js";
import { auditPages } from "./audit.js";
import { channelPages } from "./channels.js";
import { templatePages } from "./channels-templates.js";
import { queuePages } from "./queues.js";
import { staffAccessPages } from "./staff-access.js";
import { staffPages } from "./staff.js";

export const operationsPages: DashboardPage[] = [
  ...channelPages,
  ...templatePages,
  ...queuePages,
  ...staffPages,
  ...staffAccessPages,
  ...auditPages,
];
