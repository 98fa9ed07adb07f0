/**
 * What a dashboard page is: a route, who may open it, and where it shows in the navigation.
 * Pages are data, listed in pages/index.ts; registerDashboard (index.ts) mounts them behind the
 * sign-in, the role check and CSRF protection.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import type { Bot } from "../../bot.js";
import type { ChannelAdapter } from "../../channels/channel.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db/database.js";
import type { StaffRole } from "../../domain/staff.js";
import type { Logger } from "../../logger.js";
import type { Language, Translate } from "./text.js";

/** What the dashboard is built on; every page handler gets it as `ctx.deps`. */
export type DashboardDeps = {
  database: Database;
  redis: Redis;
  logger: Logger;
  config: Config;
  bot: Bot;
  /**
   * The channel adapters of this process (app.ts), for what the Kanal page does to a channel
   * itself: log WhatsApp out, show Telegram's bot name. The bot only exposes their status.
   * Absent when the dashboard is mounted without them (some tests): the page then only shows status.
   */
  channels?: Readonly<Record<string, ChannelAdapter>>;
};

/** The staff member behind a request, re-read from the database on every request. */
export type SignedInStaff = { id: number; name: string; email: string; role: StaffRole };

/** A link in the navigation: its label in both languages; lower `order` comes first. */
export type NavLabel = { id: string; en: string; order: number };

/** What a page handler is given. */
export type PageContext = {
  request: FastifyRequest;
  reply: FastifyReply;
  staff: SignedInStaff;
  language: Language;
  t: Translate;
  deps: DashboardDeps;
};

export type DashboardPage = {
  /** GET (the default) shows a page; POST handles a form, and always needs the form's `_csrf`. */
  method?: "GET" | "POST";
  /** A Fastify route path, e.g. "/dashboard/program" or "/dashboard/program/:id". */
  path: string;
  /** Shown in the navigation (GET pages without parameters only). */
  nav?: NavLabel;
  /** "admin": admins only, others get 403; "staff" (the default): every signed-in staff member. */
  role?: StaffRole;
  handler(ctx: PageContext): Promise<unknown> | unknown;
};

/** Declares a page; it is only data until it is listed in pages/index.ts. */
export function definePage(page: DashboardPage): DashboardPage {
  return page;
}

/** The method a page answers. */
export const methodOf = (page: DashboardPage) => page.method ?? "GET";
