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
 * signed out at once); someone signed in with a temporary password is sent to the account
 * page (pages/account.ts) until they choose their own; every POST is refused with a 403 page
 * unless its `_csrf` field (or an `x-csrf-token` header, or `?_csrf=` in the form's action)
 * matches the CSRF cookie; security headers with a strict Content Security Policy (scripts and
 * styles only from this server, nothing inline); zod's messages in both languages
 * (`bilingual("…", "…")` for a field's own).
 *
 * Nothing of a POST's body is read before the sign-in check: it runs when the request arrives
 * (onRequest), before any body parser. A multipart form (a file upload) must also carry its
 * CSRF token in its action's query string (`action="/dashboard/x?_csrf=<%= it.csrfToken %>"`),
 * since a plain HTML form cannot send a header: it is checked then too, so a forged or
 * signed-out upload is refused before a byte of the file is read. Form bodies are limited to
 * `formBodyLimit`; multipart limits are set by the one route that parses it.
 *
 * ## Sessions and cookies
 *
 * @fastify/session with its id in a signed, HttpOnly, SameSite=Lax cookie, the session itself
 * in Redis (connect-redis on the app's connection), so every web process shares it and deleting
 * it ends it. Only signing in makes a session: the sign-in form's CSRF secret is a signed
 * cookie of its own (double submit: the form's token must match it), so signed-out visitors
 * store nothing. Sessions end after 8 hours without a request, and 12 hours after signing in
 * whatever the activity; a password change ends the account's other sessions; the id is new
 * at every sign-in. DASHBOARD_SESSION_SECRET signs the cookies.
 *
 * Cookies are Secure, and Strict-Transport-Security is sent, when PUBLIC_URL is https or the
 * request came over https: directly, or through a proxy trusted by TRUST_PROXY that says so in
 * X-Forwarded-Proto (`request.protocol`).
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
import { loadInstallation } from "../../db/installation.js";
import { Eta } from "eta";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { registerAuthRoutes } from "./auth-routes.js";
import { chartScripts } from "./chart-assets.js";
import { dashboardErrorHandler, notFoundPage, renderError, TooManyRequests } from "./errors.js";
import { requireRole } from "./guards.js";
import { methodOf, type DashboardDeps, type DashboardPage } from "./page.js";
import { dashboardPages } from "./pages/index.js";
import { registerQueueBoard } from "./pages/queues-board.js";
import { requestState, setRequestState, type DashboardSite } from "./request-state.js";
import "./session-data.js";
import { findActiveStaff } from "./sign-in.js";
import { accountPages, accountPath, accountRoutes } from "./pages/account.js";
import { isLanguage, text, translator, type Text } from "./text.js";

export type { DashboardDeps, DashboardPage, NavLabel, PageContext, SignedInStaff } from "./page.js";
export { definePage } from "./page.js";
export { redirectWithFlash, render } from "./render.js";
export { bilingual, parseForm, type FieldErrors, type FormResult } from "./forms.js";
export { requireRole } from "./guards.js";
export { text, type Text } from "./text.js";
export { dashboardPages } from "./pages/index.js";

export const sessionCookieName = "sapa_session";
export const languageCookieName = "sapa_bahasa";
/** The signed cookie holding the CSRF secret that form tokens are checked against. */
export const csrfCookieName = "sapa_csrf";
/** A session ends after this long without a request. */
export const sessionIdleMs = 8 * 60 * 60 * 1000;
/** A session ends this long after signing in, however busy. */
export const sessionMaxAgeMs = 12 * 60 * 60 * 1000;
/** A session left after signing out only holds a message for the sign-in page. */
const signedOutSessionSeconds = 10 * 60;
/** The largest form body (urlencoded) the dashboard reads: a 4096-character broadcast fits. */
export const formBodyLimit = 64 * 1024;
/** HSTS for https requests: half a year. */
const hstsMaxAgeSeconds = 180 * 24 * 60 * 60;
/** POST /masuk per client address in a minute, on top of the backoff per email and address. */
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

const sessionEnded = {
  inactive: text(
    "Sesi Anda berakhir karena akun Anda tidak aktif lagi. Hubungi admin bila ini keliru.",
    "Your session ended because your account is no longer active. Contact an admin if this is a mistake.",
  ),
  expired: text(
    `Sesi Anda berakhir karena sudah ${sessionMaxAgeMs / 3_600_000} jam sejak Anda masuk. Silakan masuk lagi.`,
    `Your session ended because you signed in ${sessionMaxAgeMs / 3_600_000} hours ago. Please sign in again.`,
  ),
  passwordChanged: text(
    "Sesi Anda berakhir karena kata sandi akun ini baru saja diganti. Silakan masuk dengan kata sandi yang baru.",
    "Your session ended because this account's password was just changed. Please sign in with the new password.",
  ),
} satisfies Record<string, Text>;

/** Why a signed-in session must end now, or null while it may go on. */
function whySessionEnds(
  session: { signedInAt?: number; authenticatedAt?: number },
  passwordChangedAt: Date | null,
  now: number,
): Text | null {
  // A session from before sign-in times were kept counts as too old.
  if (!session.signedInAt || now - session.signedInAt >= sessionMaxAgeMs) return sessionEnded.expired;
  if (passwordChangedAt && (session.authenticatedAt ?? 0) < passwordChangedAt.getTime())
    return sessionEnded.passwordChanged;
  return null;
}

const isMultipart = (request: FastifyRequest) => /^multipart\//i.test(String(request.headers["content-type"] ?? ""));

/** The form's token: in the body, in a header (scripts), or in the action's query (uploads). */
function csrfToken(request: FastifyRequest): string | undefined {
  const candidates = [
    (request.body as Record<string, unknown> | undefined)?._csrf,
    request.headers["x-csrf-token"],
    (request.query as Record<string, unknown> | undefined)?._csrf,
  ];
  return candidates.find((c): c is string => typeof c === "string" && c !== "");
}

/** A short mark of this database (from its installation secret, which a restore keeps). */
async function databaseMark(deps: DashboardDeps): Promise<string> {
  const { secret } = await loadInstallation(deps.database.prisma);
  return crypto.createHash("sha256").update(`dashboard-session:${secret}`).digest("hex").slice(0, 12);
}

/** Mounts the dashboard (and / , /masuk, /keluar, /bahasa) on `app`. `pages` is for tests. */
export function registerDashboard(
  app: FastifyInstance,
  deps: DashboardDeps,
  pages: readonly DashboardPage[] = dashboardPages,
): void {
  const { config } = deps;
  // PUBLIC_URL says https: always. Otherwise per request, from request.protocol, which believes
  // X-Forwarded-Proto only from a proxy that TRUST_PROXY trusts.
  const secureConfigured = config.dashboard.secureCookies;
  const secure = secureConfigured ? true : ("auto" as const);
  const isHttps = (request: FastifyRequest) => secureConfigured || request.protocol === "https";
  const secret = sessionSecret(deps);
  // A key of its own for the CSRF cookie, so no signed value of one cookie passes for the other.
  const cookieSecret = crypto.createHmac("sha256", secret).update("sapa dashboard cookies").digest("base64url");
  const assets: Record<string, Asset> = {
    "dashboard.css": loadAsset("dashboard.css", "text/css; charset=utf-8"),
    "dashboard.js": loadAsset("dashboard.js", "text/javascript; charset=utf-8"),
    // The broadcast pages' own script (live recipient count, progress); only those pages load it.
    "broadcast-composer.js": loadAsset("broadcast-composer.js", "text/javascript; charset=utf-8"),
    // Chart.js and the impact page's charts; only that page loads them.
    ...Object.fromEntries(
      chartScripts.map((s) => [s.file, { body: s.body, type: "text/javascript; charset=utf-8", version: "" }]),
    ),
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
          ...(secureConfigured ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      // Per request below: only a response over https may ask for https next time.
      strictTransportSecurity: false,
    });
    dash.addHook("onSend", async (request, reply) => {
      if (isHttps(request)) reply.header("strict-transport-security", `max-age=${hstsMaxAgeSeconds}`);
    });
    await dash.register(fastifyCookie, { secret: cookieSecret });
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
        // Sessions are this database's: a fresh or other database on the same Redis (a newcomer
        // starting over) must not take an old cookie for whoever has that staff id there now.
        prefix: `${config.redis.prefix}:dashboard:session:${await databaseMark(deps)}:`,
        // Never longer than what is left of the session's 12 hours.
        ttl: (session: { staffId?: number; signedInAt?: number }) =>
          session.staffId
            ? Math.max(
                1,
                Math.ceil(Math.min(sessionIdleMs, (session.signedInAt ?? 0) + sessionMaxAgeMs - Date.now()) / 1000),
              )
            : signedOutSessionSeconds,
      }) as unknown as SessionStore,
    });
    await dash.register(fastifyFormbody, { bodyLimit: formBodyLimit });
    await dash.register(fastifyCsrfProtection, {
      sessionPlugin: "@fastify/cookie",
      cookieKey: csrfCookieName,
      cookieOpts: { path: "/", httpOnly: true, sameSite: "lax", secure, signed: true },
      getToken: csrfToken,
    });
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
    /** The routes someone with a temporary password may use: the account page, and leaving. */
    const passwordChangeRoutes = new Set<string>(["/keluar", "/bahasa", ...accountRoutes]);

    // Who is asking, in which language; runs after the session is loaded.
    dash.addHook("onRequest", async (request) => {
      const cookieLanguage = request.cookies[languageCookieName];
      const language = isLanguage(cookieLanguage) ? cookieLanguage : "id";
      let staff = null;
      let mustChangePassword = false;
      const session = request.session;
      if (session?.staffId) {
        const active = await findActiveStaff(deps.database.prisma, session.staffId);
        // Deactivated or removed since signing in, signed in too long ago, or the password
        // changed since: that session ends now, with a word why on the sign-in page.
        const ended = active ? whySessionEnds(session, active.passwordChangedAt, Date.now()) : sessionEnded.inactive;
        if (ended) {
          await session.regenerate();
          // regenerate() put a new session object on the request.
          request.session.flash = { kind: "error", ...ended };
        } else {
          staff = active!.staff;
          mustChangePassword = active!.mustChangePassword;
        }
      }
      setRequestState(request, { site, language, staff, mustChangePassword });
    });

    // Signed-out visitors go to the sign-in page, and come back after it; a temporary password
    // is changed before anything else. Here, before any body is read: a signed-out upload is
    // answered at once, not after receiving megabytes.
    dash.addHook("onRequest", async (request, reply) => {
      const route = request.routeOptions.url;
      if (route !== undefined && publicRoutes.has(route)) return;
      const { staff, mustChangePassword } = requestState(request);
      const reading = request.method === "GET" || request.method === "HEAD";
      if (!staff) {
        if (reading) return reply.redirect(`/masuk?next=${encodeURIComponent(request.url)}`, 302);
        // The body stays unread; closing the connection spares receiving the rest of it.
        return reply.header("connection", "close").redirect("/masuk", 303);
      }
      if (mustChangePassword && !(route !== undefined && passwordChangeRoutes.has(route))) {
        if (reading) return reply.redirect(accountPath, 302);
        return reply.header("connection", "close").redirect(accountPath, 303);
      }
    });

    // A multipart form's token is in its action's query string: checked before the parser reads
    // the file (below, every form is checked again once its body is read).
    dash.addHook("onRequest", (request, reply, done) => {
      if (request.method !== "POST" || !isMultipart(request)) return done();
      reply.header("connection", "close");
      dash.csrfProtection(request, reply, () => {
        reply.removeHeader("connection");
        done();
      });
    });

    // Every form that changes something carries the form's CSRF token.
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
      csrfCookieName,
      languageCookieName,
      secureCookies: secure,
      attemptsPerMinute: signInAttemptsPerMinute,
      publicRoutes,
    });

    for (const page of [...pages, ...accountPages]) {
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
