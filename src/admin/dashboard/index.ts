/**
 * The staff dashboard: server-rendered pages on the same Fastify server as the web chat and
 * the API, in a context of its own, so its cookies, sessions, security headers, form parser
 * and error pages touch none of their routes.
 *
 * ## Adding a page
 *
 * 1. A template in src/admin/views/ (Eta). Use `t("Teks", "Text")` for every word shown,
 *    `<%= %>` for data (escaped), and put the CSRF token in every form that POSTs:
 *
 *        <h1><%= t("Program & Jadwal", "Programmes & schedule") %></h1>
 *        <form method="post" action="/dashboard/program">
 *          <%~ include("/partials/csrf", it) %>
 *          <%~ include("/partials/field", { name: "title", label: t("Judul", "Title"),
 *                value: it.value("title"), error: it.fieldError("title"), required: true }) %>
 *          <button type="submit"><%= t("Simpan", "Save") %></button>
 *        </form>
 *
 *    Every template also has `it.staff`, `it.language`, `it.dateTime(date, timeZone?)`,
 *    `it.number(n)`, `it.pick({ id, en })` and `it.csrfToken`. The layout (header, menu,
 *    language switch, flash message) is added around it.
 *
 * 2. The routes, with definePage in a file under pages/ (GET shows, POST handles the form):
 *
 *        export const programmesPage = definePage({
 *          path: "/dashboard/program",
 *          nav: { id: "Program & Jadwal", en: "Programmes & schedule", order: 20 },
 *          handler: async ({ reply, deps, t }) =>
 *            render(reply, "programmes", { title: t("Program & Jadwal", "Programmes & schedule"),
 *              programmes: await deps.database.prisma.programme.findMany() }),
 *        });
 *
 *        const schema = z.object({ title: z.string().trim().min(3).max(200) });
 *        export const saveProgrammePage = definePage({
 *          method: "POST",
 *          path: "/dashboard/program",
 *          role: "admin",                      // staff get a 403 page
 *          async handler({ request, reply, staff, deps, t }) {
 *            const form = parseForm(schema, request.body);
 *            if (!form.ok)                     // errors next to the fields, in both languages
 *              return render(reply, "programmes", { title: t("Program & Jadwal", "Programmes & schedule"),
 *                errors: form.errors, values: form.values }, { status: 400 });
 *            // ... save form.data, audit(prisma, staff.id, "programme.created", ...)
 *            return redirectWithFlash(reply, "/dashboard/program", text("Program disimpan.", "Programme saved."));
 *          },
 *        });
 *
 * 3. List them in pages/index.ts (replace the `comingSoon` line of the same path). The menu
 *    is built from the pages' `nav` labels, by `order`, showing each role what it may open.
 *
 * What every page gets without asking: signed-out visitors are sent to /masuk?next=<page>;
 * the staff member is re-read from the database on each request (a deactivated account is
 * signed out at once); every POST is refused with a 403 page unless its `_csrf` field (or an
 * `x-csrf-token` header) matches the session; security headers with a strict Content Security
 * Policy (scripts and styles only from this server, nothing inline); zod's messages in both
 * languages (`bilingual("…", "…")` for a field's own).
 *
 * ## Sessions
 *
 * @fastify/session with its id in a signed, HttpOnly, SameSite=Lax cookie (Secure when
 * PUBLIC_URL is https), the session itself in Redis (connect-redis on the app's connection),
 * so every web process shares it and deleting it ends it. Sessions end after 8 hours without
 * a request; the id is new at every sign-in. DASHBOARD_SESSION_SECRET signs the cookies.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import fastifyCsrfProtection from "@fastify/csrf-protection";
import fastifyFormbody from "@fastify/formbody";
import fastifyHelmet from "@fastify/helmet";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifySession, { type SessionStore } from "@fastify/session";
import fastifyView from "@fastify/view";
import { RedisStore } from "connect-redis";
import { Eta } from "eta";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { registerAuthRoutes } from "./auth-routes.js";
import { dashboardErrorHandler, notFoundPage, renderError, TooManyRequests } from "./errors.js";
import { requireRole } from "./guards.js";
import { methodOf, type DashboardDeps, type DashboardPage } from "./page.js";
import { dashboardPages } from "./pages/index.js";
import { registerQueueBoard } from "./pages/queues-board.js";
import { requestState, setRequestState, type DashboardSite } from "./request-state.js";
import "./session-data.js";
import { findActiveStaff } from "./sign-in.js";
import { isLanguage, text, translator } from "./text.js";

export type { DashboardDeps, DashboardPage, NavLabel, PageContext, SignedInStaff } from "./page.js";
export { definePage } from "./page.js";
export { redirectWithFlash, render } from "./render.js";
export { bilingual, parseForm, type FieldErrors, type FormResult } from "./forms.js";
export { requireRole } from "./guards.js";
export { text, type Text } from "./text.js";
export { dashboardPages } from "./pages/index.js";

export const sessionCookieName = "sapa_session";
export const languageCookieName = "sapa_bahasa";
/** A session ends after this long without a request. */
export const sessionIdleMs = 8 * 60 * 60 * 1000;
/** Signed-out sessions only hold the sign-in form's CSRF secret: they need not live as long. */
const signedOutSessionSeconds = 2 * 60 * 60;
/** POST /masuk per client address in a minute, on top of the lockout per account. */
export const signInAttemptsPerMinute = 10;

const viewsDir = fileURLToPath(new URL("../views/", import.meta.url));

type Asset = { body: string; type: string; version: string };

function loadAsset(file: string, type: string): Asset {
  const body = fs.readFileSync(new URL(`./assets/${file}`, import.meta.url), "utf8");
  return { body, type, version: crypto.createHash("sha256").update(body).digest("hex").slice(0, 12) };
}

/** The secret that signs session cookies: the configured one, else a random one for this run. */
function sessionSecret(deps: DashboardDeps): string {
  if (deps.config.dashboard.sessionSecret) return deps.config.dashboard.sessionSecret;
  deps.logger.warn(
    "DASHBOARD_SESSION_SECRET is not set: using a random one, so dashboard sessions end when the server restarts " +
      "and are not shared with other web processes. Set it (at least 32 characters) to keep them.",
  );
  return crypto.randomBytes(32).toString("base64url");
}

/** Mounts the dashboard (and / , /masuk, /keluar, /bahasa) on `app`. `pages` is for tests. */
export function registerDashboard(
  app: FastifyInstance,
  deps: DashboardDeps,
  pages: readonly DashboardPage[] = dashboardPages,
): void {
  const { config } = deps;
  const secure = config.dashboard.secureCookies;
  const secret = sessionSecret(deps);
  const assets: Record<string, Asset> = {
    "dashboard.css": loadAsset("dashboard.css", "text/css; charset=utf-8"),
    "dashboard.js": loadAsset("dashboard.js", "text/javascript; charset=utf-8"),
    // The broadcast pages' own script (live recipient count, progress); only those pages load it.
    "broadcast-composer.js": loadAsset("broadcast-composer.js", "text/javascript; charset=utf-8"),
  };
  const site: DashboardSite = {
    deps,
    pages,
    assets: {
      css: `/dashboard/assets/dashboard.css?v=${assets["dashboard.css"]!.version}`,
      js: `/dashboard/assets/dashboard.js?v=${assets["dashboard.js"]!.version}`,
    },
  };

  // The stylesheet and script in a context of their own: no session to load for them.
  app.register(async (scope) => {
    scope.get<{ Params: { file: string } }>("/dashboard/assets/:file", async (request, reply) => {
      const asset = assets[request.params.file];
      if (!asset) return reply.code(404).type("text/plain; charset=utf-8").send("Not found");
      return reply
        .type(asset.type)
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "public, max-age=86400")
        .send(asset.body);
    });
  });

  app.register(async (dash) => {
    await dash.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          baseUri: ["'self'"],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'self'"],
          // The "Coba bot" page shows the web chat of this server in a frame.
          frameSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          objectSrc: ["'none'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'"],
          // Over plain HTTP (a laptop, the tests) there is nothing to upgrade to.
          ...(secure ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: secure ? { maxAge: 180 * 24 * 60 * 60 } : false,
    });
    await dash.register(fastifyCookie);
    await dash.register(fastifySession, {
      secret,
      cookieName: sessionCookieName,
      cookie: { path: "/", httpOnly: true, sameSite: "lax", secure, maxAge: sessionIdleMs },
      // Saved on every response, so the 8 hours count from the last request, in the cookie
      // and in Redis alike.
      rolling: true,
      saveUninitialized: false,
      // connect-redis is typed for express-session's Store; @fastify/session calls the same
      // get, set and destroy with callbacks, which it takes.
      store: new RedisStore({
        client: deps.redis,
        prefix: `${config.redis.prefix}:dashboard:session:`,
        ttl: (session: { staffId?: number }) =>
          session.staffId ? Math.ceil(sessionIdleMs / 1000) : signedOutSessionSeconds,
      }) as unknown as SessionStore,
    });
    await dash.register(fastifyFormbody);
    await dash.register(fastifyCsrfProtection, { sessionPlugin: "@fastify/session" });
    await dash.register(fastifyRateLimit, {
      global: false,
      // In Redis, so the limit holds across every web process.
      redis: deps.redis,
      nameSpace: `${config.redis.prefix}:dashboard:rate-limit:`,
      errorResponseBuilder: (_request, context) => new TooManyRequests(Math.ceil(context.ttl / 1000)),
    });
    await dash.register(fastifyView, {
      engine: { eta: new Eta({ functionHeader: "const t = it.t;" }) },
      root: viewsDir,
      production: config.nodeEnv === "production",
    });
    dash.setErrorHandler(dashboardErrorHandler());

    const publicRoutes = new Set<string>();

    // Who is asking, in which language; runs after the session is loaded.
    dash.addHook("onRequest", async (request) => {
      const cookieLanguage = request.cookies[languageCookieName];
      const language = isLanguage(cookieLanguage) ? cookieLanguage : "id";
      let staff = null;
      const staffId = request.session?.staffId;
      if (staffId) {
        staff = await findActiveStaff(deps.database.prisma, staffId);
        if (!staff) {
          // Deactivated or removed since signing in: that session ends now.
          await request.session.regenerate();
          request.session.flash = {
            kind: "error",
            ...text(
              "Sesi Anda berakhir karena akun Anda tidak aktif lagi. Hubungi admin bila ini keliru.",
              "Your session ended because your account is no longer active. Contact an admin if this is a mistake.",
            ),
          };
        }
      }
      setRequestState(request, { site, language, staff });
    });

    // Signed-out visitors go to the sign-in page, and come back after it.
    dash.addHook("preHandler", async (request, reply) => {
      const route = request.routeOptions.url;
      if (route !== undefined && publicRoutes.has(route)) return;
      if (requestState(request).staff) return;
      if (request.method === "GET" || request.method === "HEAD")
        return reply.redirect(`/masuk?next=${encodeURIComponent(request.url)}`, 302);
      return reply.redirect("/masuk", 303);
    });

    // Every form that changes something carries the session's CSRF token.
    dash.addHook("preHandler", (request, reply, done) => {
      if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return done();
      // bull-board's script cannot send the token: its routes check instead that the request
      // comes from this site (pages/queues-board.ts, which marks them sameOriginWrites).
      if (request.routeOptions.config.sameOriginWrites) return done();
      dash.csrfProtection(request, reply, done);
    });

    // bull-board (the queue browser, admins only) at /dashboard/antrean/papan, behind this
    // context's sign-in, with its own security headers: see pages/queues-board.ts.
    registerQueueBoard(dash, deps);

    registerAuthRoutes(dash, site, {
      sessionCookieName,
      languageCookieName,
      secureCookies: secure,
      attemptsPerMinute: signInAttemptsPerMinute,
      publicRoutes,
    });

    for (const page of pages) {
      dash.route({
        method: methodOf(page),
        url: page.path,
        ...(page.role === "admin" ? { preHandler: requireRole("admin") } : {}),
        handler: (request: FastifyRequest, reply: FastifyReply) => {
          const { staff, language } = requestState(request);
          return page.handler({ request, reply, staff: staff!, language, t: translator(language), deps });
        },
      });
    }
    await dash.register(import("./pages/participants-import.js")); // The participant CSV upload: multipart parsed in that route's own context only.

    // Unknown addresses under /dashboard get a page in the reader's language, not JSON.
    await dash.register(
      async (scope) => {
        scope.setNotFoundHandler((request, reply) => renderError(reply, 404, notFoundPage));
      },
      { prefix: "/dashboard" },
    );
  });
}
