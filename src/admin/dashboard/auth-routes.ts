/**
 * Signing in and out, and the language switch:
 *   GET  /        the overview when signed in, else the sign-in page (the web chat at /chat while
 *                 there are no staff accounts yet)
 *   GET  /masuk   the sign-in form;  POST /masuk  checks it (rate-limited per address, and a
 *                 backoff per email and address: sign-in.ts)
 *   POST /keluar  signs out (a form with its CSRF token, like every POST)
 *   GET  /bahasa?ke=en&next=/dashboard  remembers the language in a cookie and goes back
 */
import type { FastifyInstance } from "fastify";
import { DateTime } from "luxon";
import { z } from "zod";
import { zoneAbbreviation } from "../../engine/format.js";
import { audit, passwordMaxLength } from "../../domain/staff.js";
import { bilingual, parseForm } from "./forms.js";
import { redirectWithFlash, render, safeLocalPath } from "./render.js";
import { requestState, type DashboardSite } from "./request-state.js";
import { accountPath } from "./pages/account.js";
import { maxFailedLogins, signIn } from "./sign-in.js";
import { isLanguage, pick, text, type Language, type Text } from "./text.js";

export type AuthRouteOptions = {
  sessionCookieName: string;
  /** The CSRF secret's cookie: a new secret at signing in and out, as the session id is. */
  csrfCookieName: string;
  languageCookieName: string;
  /** true, or "auto": Secure when the request came over https. */
  secureCookies: boolean | "auto";
  /** Sign-in attempts per client address in a minute. */
  attemptsPerMinute: number;
  /** Routes that signed-out visitors may open; these routes add themselves. */
  publicRoutes: Set<string>;
};

const loginSchema = z.object({
  email: z
    .string()
    .trim()
    .min(1, bilingual("Silakan isi alamat email Anda.", "Please enter your email address."))
    .max(254),
  password: z
    .string()
    .min(1, bilingual("Silakan isi kata sandi Anda.", "Please enter your password."))
    .max(passwordMaxLength),
});

type Message = { kind: "success" | "error"; text: string };

/** After signing in: where the visitor was going, but never back to signing in or out. */
function nextPage(value: unknown): string {
  const next = safeLocalPath(value);
  return /^\/(masuk|keluar|bahasa)\b/.test(next) ? "/dashboard" : next;
}

function lockedMessage(until: Date, now: Date, timeZone: string, language: Language): string {
  const local = DateTime.fromJSDate(until, { zone: timeZone });
  const time = `${local.toFormat(language === "en" ? "HH:mm" : "HH.mm")} ${zoneAbbreviation(timeZone)}`;
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
  // Said alike whether the email has an account or not, and only about this address: someone
  // signing in from elsewhere is not held up.
  const message: Text = text(
    `Sudah ${maxFailedLogins} kali email atau kata sandi salah untuk email ini dari alamat Anda, jadi percobaan masuk dengan email ini dari sini dihentikan sementara. Silakan coba lagi setelah pukul ${time} (sekitar ${minutes} menit lagi).`,
    `The email or password was wrong ${maxFailedLogins} times for this email from your address, so sign-in attempts with this email from here are paused. Please try again after ${time} (in about ${minutes} minute${minutes === 1 ? "" : "s"}).`,
  );
  return pick(message, language);
}

export function registerAuthRoutes(dash: FastifyInstance, site: DashboardSite, options: AuthRouteOptions): void {
  const { deps } = site;
  const prisma = deps.database.prisma;
  for (const route of ["/", "/masuk", "/bahasa"]) options.publicRoutes.add(route);

  // Until someone runs `npm run staff:create` nobody can sign in, so a fresh installation keeps
  // showing the web chat on its front page (as the Quick start says). Once there are staff
  // accounts there will be for good: that answer is kept.
  let staffExist = false;
  const anyStaff = async () =>
    (staffExist ||= (await prisma.staff.findFirst({ where: { active: true }, select: { id: true } })) !== null);

  dash.get("/", async (request, reply) => {
    if (requestState(request).staff) return reply.redirect("/dashboard", 302);
    return reply.redirect((await anyStaff()) ? "/masuk" : "/chat", 302);
  });

  dash.get<{ Querystring: { next?: string; keluar?: string } }>("/masuk", async (request, reply) => {
    const { staff, language } = requestState(request);
    const next = nextPage(request.query.next);
    if (staff) return reply.redirect(next, 302);
    const message: Message | null =
      request.query.keluar !== undefined
        ? {
            kind: "success",
            text: pick(text("Anda sudah keluar. Sampai jumpa!", "You have signed out. Goodbye!"), language),
          }
        : null;
    return render(reply, "login", {
      title: pick(text("Masuk", "Sign in"), language),
      next,
      message,
      noStaffYet: !(await anyStaff()),
    });
  });

  dash.post<{ Body: Record<string, unknown> }>(
    "/masuk",
    { config: { rateLimit: { max: options.attemptsPerMinute, timeWindow: 60_000 } } },
    async (request, reply) => {
      const { language } = requestState(request);
      const title = pick(text("Masuk", "Sign in"), language);
      const next = nextPage(request.body?.next);
      const form = parseForm(loginSchema, request.body);
      if (!form.ok)
        return render(reply, "login", { title, next, errors: form.errors, values: form.values }, { status: 400 });
      const now = new Date();
      const outcome = await signIn(
        { prisma, redis: deps.redis, redisPrefix: deps.config.redis.prefix },
        form.data,
        { ip: request.ip },
        now,
      );
      const values = { email: form.data.email };
      if (outcome.kind === "refused") {
        const message = pick(text("Email atau kata sandi salah.", "The email or password is wrong."), language);
        return render(
          reply,
          "login",
          { title, next, values, message: { kind: "error", text: message } },
          { status: 401 },
        );
      }
      if (outcome.kind === "locked") {
        const message = lockedMessage(outcome.until, now, deps.config.defaultTimeZone, language);
        reply.header("retry-after", String(Math.max(1, Math.ceil((outcome.until.getTime() - now.getTime()) / 1000))));
        return render(
          reply,
          "login",
          { title, next, values, message: { kind: "error", text: message } },
          { status: 423 },
        );
      }
      // A new session id at sign-in, so an id planted in the browser beforehand is worth nothing.
      await request.session.regenerate();
      request.session.staffId = outcome.staff.id;
      request.session.signedInAt = request.session.authenticatedAt = now.getTime();
      // Forms shown before signing in stop working, as they would with a session's secret.
      reply.clearCookie(options.csrfCookieName, { path: "/" });
      if (outcome.mustChangePassword)
        return redirectWithFlash(
          reply,
          accountPath,
          text(
            `Selamat datang, ${outcome.staff.name}. Kata sandi Anda masih sementara: silakan buat kata sandi Anda sendiri dulu.`,
            `Welcome, ${outcome.staff.name}. Your password is still a temporary one: please choose your own first.`,
          ),
        );
      return redirectWithFlash(
        reply,
        next,
        text(`Selamat datang, ${outcome.staff.name}.`, `Welcome, ${outcome.staff.name}.`),
      );
    },
  );

  dash.post("/keluar", async (request, reply) => {
    const { staff } = requestState(request);
    if (staff) await audit(prisma, staff.id, "staff.logout", `staff:${staff.id}`, { ip: request.ip });
    // Gone from Redis, so the cookie is worthless even if someone kept a copy.
    await request.session.destroy();
    reply.clearCookie(options.sessionCookieName, { path: "/" });
    reply.clearCookie(options.csrfCookieName, { path: "/" });
    return reply.redirect("/masuk?keluar=1", 303);
  });

  dash.get<{ Querystring: { ke?: string; next?: string } }>("/bahasa", async (request, reply) => {
    const language: Language = isLanguage(request.query.ke) ? request.query.ke : "id";
    reply.setCookie(options.languageCookieName, language, {
      path: "/",
      maxAge: 365 * 24 * 60 * 60,
      sameSite: "lax",
      httpOnly: true,
      secure: options.secureCookies,
    });
    return reply.redirect(safeLocalPath(request.query.next, "/dashboard"), 303);
  });
}
