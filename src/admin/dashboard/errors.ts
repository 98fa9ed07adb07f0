/**
 * Error pages of the dashboard: plain pages in the reader's language that say what happened
 * and what to do, for a missing or wrong CSRF token (403), a page for admins only (403), too
 * many sign-in attempts (429), a page that does not exist (404) and our own failures (500).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { StaffRole } from "../../domain/staff.js";
import { NulCharacterError } from "../input-guard.js";
import { render } from "./render.js";
import { requestState } from "./request-state.js";
import { pick, text, type Text } from "./text.js";

export type ErrorPage = { heading: Text; paragraphs: Text[] };

/** Renders an error page with a way back: the overview when signed in, else the sign-in page. */
export async function renderError(reply: FastifyReply, status: number, page: ErrorPage): Promise<FastifyReply> {
  const { staff, language } = requestState(reply.request);
  return render(
    reply,
    "error",
    {
      title: pick(page.heading, language),
      heading: pick(page.heading, language),
      paragraphs: page.paragraphs.map((p) => pick(p, language)),
      backHref: staff ? "/dashboard" : "/masuk",
      backLabel: pick(
        staff ? text("Ke ringkasan", "To the overview") : text("Ke halaman masuk", "To the sign-in page"),
        language,
      ),
    },
    { status },
  );
}

export const csrfErrorPage: ErrorPage = {
  heading: text("Formulir tidak dapat diproses", "The form could not be processed"),
  paragraphs: [
    text(
      "Formulir ini tidak membawa kode keamanan yang benar. Biasanya karena halamannya sudah terlalu lama terbuka, Anda sudah keluar di tab lain, atau formulir dikirim dari situs lain.",
      "This form did not carry the right security code. Usually the page was open for too long, you signed out in another tab, or the form was sent from another site.",
    ),
    text(
      "Tidak ada yang diubah. Silakan kembali, muat ulang halamannya, lalu kirim formulir sekali lagi.",
      "Nothing was changed. Please go back, reload the page, and send the form again.",
    ),
  ],
};

export const notFoundPage: ErrorPage = {
  heading: text("Halaman tidak ditemukan", "Page not found"),
  paragraphs: [
    text(
      "Alamat ini tidak ada di dasbor. Mungkin tautannya salah ketik atau halamannya sudah dipindahkan.",
      "This address is not in the dashboard. The link may be mistyped or the page has moved.",
    ),
  ],
};

export const forbiddenPage = (role: StaffRole): ErrorPage => ({
  heading: text("Tidak ada akses", "No access"),
  paragraphs: [
    role === "admin"
      ? text("Halaman ini hanya untuk admin.", "This page is for admins only.")
      : text("Anda tidak memiliki akses ke halaman ini.", "You do not have access to this page."),
    text("Jika Anda memerlukannya, hubungi admin dasbor.", "If you need it, ask a dashboard admin."),
  ],
});

const tooManyAttemptsPage = (seconds: number): ErrorPage => {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return {
    heading: text("Terlalu banyak percobaan", "Too many attempts"),
    paragraphs: [
      text(
        `Terlalu banyak percobaan masuk dari alamat ini. Silakan tunggu ${minutes} menit, lalu coba lagi.`,
        `Too many sign-in attempts from this address. Please wait ${minutes} minute${minutes === 1 ? "" : "s"} and try again.`,
      ),
    ],
  };
};

const serverErrorPage = (requestId: string): ErrorPage => ({
  heading: text("Terjadi kesalahan", "Something went wrong"),
  paragraphs: [
    text(
      "Maaf, ada kesalahan di sisi kami. Kesalahan ini sudah dicatat; silakan coba lagi sebentar lagi.",
      "Sorry, something went wrong on our side. It has been logged; please try again in a moment.",
    ),
    text(
      `Jika masalahnya berulang, sampaikan kode ini kepada admin: ${requestId}`,
      `If it happens again, give this code to an admin: ${requestId}`,
    ),
  ],
});

const nulCharacterPage = (field: string): ErrorPage => ({
  heading: text("Isian tidak dapat disimpan", "The input cannot be stored"),
  paragraphs: [
    text(
      `Isian "${field}" berisi karakter tak terlihat (NUL) yang tidak dapat disimpan. Biasanya terbawa saat menyalin teks dari program lain.`,
      `The field "${field}" contains an invisible character (NUL) that cannot be stored. It usually comes along when text is copied from another program.`,
    ),
    text(
      "Tidak ada yang diubah. Silakan kembali, ketik ulang isian itu, lalu kirim lagi.",
      "Nothing was changed. Please go back, type that field again, and send it once more.",
    ),
  ],
});

const badRequestPage: ErrorPage = {
  heading: text("Permintaan tidak dapat diproses", "The request could not be processed"),
  paragraphs: [
    text(
      "Isi permintaan ini tidak dapat dibaca atau terlalu besar. Silakan kembali dan coba lagi.",
      "This request could not be read or was too large. Please go back and try again.",
    ),
  ],
};

/** Thrown by the rate limiter (see index.ts) when a client asked too often. */
export class TooManyRequests extends Error {
  readonly statusCode = 429;
  constructor(readonly retryAfterSeconds: number) {
    super("Too many requests");
  }
}

/**
 * The dashboard's error handler: every error becomes a page; our own failures are logged once,
 * with the request id (request.log carries it).
 */
export function dashboardErrorHandler() {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    try {
      if (error instanceof NulCharacterError) return await renderError(reply, 400, nulCharacterPage(error.field));
      if (error.code === "FST_CSRF_INVALID_TOKEN" || error.code === "FST_CSRF_MISSING_SECRET")
        return await renderError(reply, 403, csrfErrorPage);
      if (error instanceof TooManyRequests) {
        reply.header("retry-after", String(error.retryAfterSeconds));
        return await renderError(reply, 429, tooManyAttemptsPage(error.retryAfterSeconds));
      }
      const status = error.statusCode;
      if (typeof status === "number" && status >= 400 && status < 500)
        return await renderError(reply, status, status === 404 ? notFoundPage : badRequestPage);
      request.log.error(
        { err: error, method: request.method, route: request.routeOptions.url },
        "dashboard request failed",
      );
      return await renderError(reply, 500, serverErrorPage(request.id));
    } catch (renderFailure) {
      // The error page itself failed (a broken template, no request state): plain words will do.
      request.log.error({ err: renderFailure, cause: error.message }, "dashboard error page failed");
      return reply
        .code(typeof error.statusCode === "number" ? error.statusCode : 500)
        .type("text/plain; charset=utf-8")
        .send(`Maaf, terjadi kesalahan. / Sorry, something went wrong. (${request.id})`);
    }
  };
}
