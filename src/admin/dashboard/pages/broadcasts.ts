/** Broadcasts (Siaran) and the motivation library (Motivasi). */
import type { DashboardPage } from "../page.js";
import { composePage, previewCountPage, previewTextPage, saveComposePage } from "./broadcasts-compose.js";
import {
  approveBroadcastPage,
  broadcastDetailPage,
  broadcastProgressPage,
  cancelBroadcastPage,
  confirmCancelPage,
  pauseBroadcastPage,
  resumeBroadcastPage,
  scheduleBroadcastPage,
} from "./broadcasts-detail.js";
import { broadcastListPage } from "./broadcasts-list.js";
import { motivationPages } from "./motivation.js";

export const broadcastPages: DashboardPage[] = [
  broadcastListPage,
  composePage,
  saveComposePage,
  previewCountPage,
  previewTextPage,
  broadcastDetailPage,
  broadcastProgressPage,
  scheduleBroadcastPage,
  approveBroadcastPage,
  pauseBroadcastPage,
  resumeBroadcastPage,
  confirmCancelPage,
  cancelBroadcastPage,
  ...motivationPages,
];
