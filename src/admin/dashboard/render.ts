/**
 * Rendering dashboard pages: `render(reply, "template", data)` fills in what every page shows
 * (navigation, signed-in name, language switch, flash message, CSRF token, `t`) around the
 * page's own template, and `redirectWithFlash` leaves a message for the page after a redirect.
 *
 * Templates are Eta files in src/admin/views/. `<%= %>` escapes; `<%~ %>` does not and is for
 * the layout's page body, partials and `it.messageHtml(markup)` only, never for data as it is.
 * `messageHtml` shows a bot message's markup (src/engine/markup.ts) as participants see it, as
 * safe HTML: everything in it is escaped but the <strong>, <em> and <a> it makes itself.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { renderWebHtml } from "../../channels/render.js";
import { formatDateTime } from "../../engine/format.js";
import type { DashboardPage, SignedInStaff } from "./page.js";
import { methodOf } from "./page.js";
import { requestState } from "./request-state.js";
import "./session-data.js";
import type { Flash } from "./session-data.js";
import { pick, translator, type Language, type Text } from "./text.js";

export const appName = "Sapa IKM";

export type RenderOptions = {
  /** HTTP status (default 200): 400 for a form with errors, 403, 404, ... */
  status?: number;
  /** Without the header and navigation (the sign-in page). Default true. */
  layout?: boolean;
};

export type NavItem = { href: string; label: string; active: boolean };

/** Only a path on this site: "/x" yes; "//evil.example", "/\\evil" and "https://..." no. */
export function safeLocalPath(value: unknown, fallback = "/dashboard"): string {
  if (typeof value !== "string" || value.length > 2000) return fallback;
  return /^\/(?![/\\])[^\s]*$/.test(value) ? value : fallback;
}

/** The navigation a staff member sees: pages with a nav label that their role may open. */
export function navigationFor(
  pages: readonly DashboardPage[],
  staff: SignedInStaff | null,
  currentPath: string,
  language: Language,
): NavItem[] {
  if (!staff) return [];
  const visible = pages
    .filter((p) => p.nav && methodOf(p) === "GET" && !p.path.includes(":"))
    .filter((p) => p.role !== "admin" || staff.role === "admin")
    .sort((a, b) => a.nav!.order - b.nav!.order);
  // The longest link that is the current path or a folder above it is the active one; the
  // overview at /dashboard is above every page, so it counts only when it is the page.
  const within = (path: string) =>
    currentPath === path || (path.split("/").length > 2 && currentPath.startsWith(`${path}/`));
  const active = visible.filter((p) => within(p.path)).sort((a, b) => b.path.length - a.path.length)[0];
  return visible.map((p) => ({ href: p.path, label: pick(p.nav!, language), active: p === active }));
}

/** The message left by redirectWithFlash, once. */
function takeFlash(request: FastifyRequest): Flash | null {
  const flash = request.session?.flash;
  if (!flash) return null;
  delete request.session.flash;
  return flash;
}

/** Renders `template` (a file in src/admin/views/, without .eta) inside the layout. */
export async function render(
  reply: FastifyReply,
  template: string,
  data: Record<string, unknown> = {},
  options: RenderOptions = {},
): Promise<FastifyReply> {
  const request = reply.request;
  const { site, language, staff } = requestState(request);
  const t = translator(language);
  const url = request.url;
  const path = url.split("?")[0]!;
  const flash = takeFlash(request);
  const timeZone = site.deps.config.defaultTimeZone;
  const locale = language === "en" ? "en-GB" : "id-ID";
  const page: Record<string, unknown> = {
    appName,
    language,
    t,
    staff,
    nav: navigationFor(site.pages, staff, path, language),
    flash: flash ? { kind: flash.kind, text: pick(flash, language) } : null,
    csrfToken: reply.generateCsrf(),
    currentPath: path,
    languageLinks: {
      id: `/bahasa?ke=id&next=${encodeURIComponent(url)}`,
      en: `/bahasa?ke=en&next=${encodeURIComponent(url)}`,
    },
    assets: site.assets,
    errors: {},
    values: {},
    dateTime: (date: Date, zone: string = timeZone) => formatDateTime(date, zone, language),
    number: (n: number) => n.toLocaleString(locale),
    pick: (value: Text) => pick(value, language),
    messageHtml: (markup: string) => renderWebHtml(markup),
    ...data,
  };
  const errors = page.errors as Record<string, Text>;
  page.fieldError = (name: string) => (errors[name] ? pick(errors[name], language) : "");
  page.value = (name: string) => {
    const v = (page.values as Record<string, unknown>)[name];
    return typeof v === "string" ? v : "";
  };
  const html = await reply.viewAsync(template, page, options.layout === false ? undefined : { layout: "layout" });
  return reply
    .code(options.status ?? 200)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(html);
}

/**
 * Redirects (303, so a POSTed form becomes a GET) and shows `message` on the next page:
 * `redirectWithFlash(reply, "/dashboard/program", text("Program disimpan.", "Programme saved."))`.
 */
export function redirectWithFlash(
  reply: FastifyReply,
  url: string,
  message: Text,
  kind: Flash["kind"] = "success",
): FastifyReply {
  reply.request.session.flash = { kind, id: message.id, en: message.en };
  return reply.redirect(url, 303);
}
