/**
 * The public certificate routes, no login:
 * - GET /sertifikat/<number>: whether a certificate is genuine. A genuine one shows the holder's
 *   name partly masked ("Si** Am****"), the programme, date, venue and issuer; a revoked one says
 *   so with the date; one whose holder erased their data says that; an unknown number answers
 *   404. Bahasa Indonesia first, English second; everything shown is escaped.
 * - GET /sertifikat/<number>.pdf?t=<token>: the PDF, only with the link's token
 *   (certificate-links.ts), so a number alone gives nobody the file. A wrong or missing token
 *   answers 404 like an unknown number; a revoked certificate 410.
 * Both are rate limited per client address in Redis (shared by every web process); the page has
 * its own strict Content-Security-Policy (its one inline style by hash, nothing else).
 */
import crypto from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fastifyHelmet from "@fastify/helmet";
import fastifyRateLimit from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import { DateTime } from "luxon";
import type { Database } from "../db/database.js";
import { loadInstallation } from "../db/installation.js";
import { renderCertificatePdf, sessionDateText } from "../domain/certificate-pdf.js";
import { certificateFileName, findCertificate, maskName, type CertificateRecord } from "../domain/certificates.js";
import { certificateLinkKey, isCertificateDownloadToken } from "./certificate-links.js";

export type CertificateRoutesDeps = {
  database: Database;
  redis: Redis;
  prefix: string;
  /** DASHBOARD_SESSION_SECRET; null: the installation's own secret in the database. */
  secret: string | null;
  /** Where /sertifikat/<number> is reached from outside (the QR code of a downloaded PDF). */
  baseUrl: string;
  secureCookies: boolean;
  /** Requests per minute and client address (default 60 pages, 20 downloads). */
  limits?: { pagesPerMinute: number; downloadsPerMinute: number };
};

const style = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2937;line-height:1.5}
h1{font-size:1.5rem}.ok{color:#0f5132}.bad{color:#842029}.en{color:#4b5563}dt{font-weight:600;margin-top:.6rem}dd{margin:0}
.number{font-family:ui-monospace,monospace}`;
const styleHash = `'sha256-${crypto.createHash("sha256").update(style).digest("base64")}'`;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const both = (id: string, en: string) => `${escapeHtml(id)} <span class="en" lang="en">/ ${escapeHtml(en)}</span>`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="id">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${style}</style></head>
<body>
<main>
${body}
</main>
<footer><p class="en">Sapa IKM</p></footer>
</body>
</html>`;
}

const dateText = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).setLocale("id").toFormat("d LLLL yyyy");

/** The verification page of a certificate (HTML); exported for tests. */
export function verificationPage(number: string, c: CertificateRecord | null): { status: number; html: string } {
  const numberLine = `<p>${both("Nomor", "Number")}: <span class="number">${escapeHtml(number)}</span></p>`;
  if (!c)
    return {
      status: 404,
      html: page(
        "Sertifikat tidak ditemukan",
        `<h1 class="bad">${both("Sertifikat tidak ditemukan", "Certificate not found")}</h1>
${numberLine}
<p>${escapeHtml("Tidak ada sertifikat dengan nomor ini. Periksa lagi nomornya (huruf dan angka di bawah kode QR).")}</p>
<p class="en" lang="en">${escapeHtml("No certificate has this number. Check the number again (the letters and digits under the QR code).")}</p>`,
      ),
    };
  if (c.revokedAt) {
    const when = dateText(c.revokedAt, c.timeZone);
    return {
      status: 200,
      html: page(
        "Sertifikat dicabut",
        `<h1 class="bad">${both("Sertifikat dicabut", "Certificate revoked")}</h1>
${numberLine}
<p>${escapeHtml(`Sertifikat ini dicabut oleh ${c.issuer} pada ${when} dan tidak berlaku lagi.`)}</p>
<p class="en" lang="en">${escapeHtml(`This certificate was revoked by ${c.issuer} on ${when} and is no longer valid.`)}</p>`,
      ),
    };
  }
  const details = `<dl>
<dt>${both("Program", "Programme")}</dt><dd>${escapeHtml(c.programmeTitle)}</dd>
<dt>${both("Tanggal", "Date")}</dt><dd>${escapeHtml(sessionDateText(c.sessionStartsAt, c.sessionEndsAt, c.timeZone))}</dd>
<dt>${both("Tempat", "Venue")}</dt><dd>${escapeHtml(`${c.venue}, ${c.regency}`)}</dd>
<dt>${both("Penerbit", "Issuer")}</dt><dd>${escapeHtml(c.issuer)}</dd>
<dt>${both("Diterbitkan", "Issued")}</dt><dd>${escapeHtml(dateText(c.issuedAt, c.timeZone))}</dd>
</dl>`;
  if (!c.holderName)
    return {
      status: 200,
      html: page(
        "Data pemegang telah dihapus",
        `<h1>${both("Sertifikat pernah diterbitkan", "Certificate was issued")}</h1>
${numberLine}
<p>${escapeHtml("Data pemegang sertifikat ini telah dihapus atas permintaannya, sehingga namanya tidak dapat ditampilkan.")}</p>
<p class="en" lang="en">${escapeHtml("The holder's data was erased at their request, so no name can be shown.")}</p>
${details}`,
      ),
    };
  return {
    status: 200,
    html: page(
      "Sertifikat asli",
      `<h1 class="ok">${both("Sertifikat asli", "Genuine certificate")}</h1>
${numberLine}
<p>${escapeHtml(`Sertifikat ini diterbitkan oleh ${c.issuer}.`)} <span class="en" lang="en">${escapeHtml(`This certificate was issued by ${c.issuer}.`)}</span></p>
<dl>
<dt>${both("Nama", "Name")}</dt><dd>${escapeHtml(maskName(c.holderName))}</dd>
</dl>
${details}`,
    ),
  };
}

const tooFast = "Terlalu banyak permintaan. Mohon tunggu sebentar. / Too many requests, please wait a moment.";

export function registerCertificateRoutes(app: FastifyInstance, deps: CertificateRoutesDeps): void {
  app.register(async (scope) => {
    const base = deps.secret ?? (await loadInstallation(deps.database.prisma)).secret;
    const key = certificateLinkKey(base);
    const limits = deps.limits ?? { pagesPerMinute: 60, downloadsPerMinute: 20 };
    await scope.register(fastifyHelmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'none'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          styleSrc: [styleHash],
        },
      },
      strictTransportSecurity: deps.secureCookies ? { maxAge: 180 * 24 * 60 * 60 } : false,
    });
    await scope.register(fastifyRateLimit, {
      global: false,
      redis: deps.redis,
      nameSpace: `${deps.prefix}:certificates:rate-limit:`,
      errorResponseBuilder: () => ({ statusCode: 429, error: tooFast }),
    });

    const downloads = scope.createRateLimit({
      max: limits.downloadsPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `pdf:${request.ip}`,
    }) as (
      request: FastifyRequest,
    ) => Promise<{ isAllowed: true } | { isAllowed: false; isExceeded: boolean; ttlInSeconds: number }>;

    const sendPdf = async (reply: FastifyReply, number: string, token: unknown) => {
      const c = await findCertificate(deps.database.prisma, number);
      // A wrong token says no more than an unknown number.
      if (!c || !c.holderName || !isCertificateDownloadToken(key, c.number, token))
        return reply
          .code(404)
          .type("text/plain; charset=utf-8")
          .send("Sertifikat tidak ditemukan. / Certificate not found.");
      if (c.revokedAt)
        return reply
          .code(410)
          .type("text/plain; charset=utf-8")
          .send("Sertifikat ini sudah dicabut. / This certificate was revoked.");
      const bytes = await renderCertificatePdf(c, deps.baseUrl);
      return reply
        .type("application/pdf")
        .header("content-disposition", `attachment; filename="${certificateFileName(c.number)}"`)
        .header("cache-control", "private, no-store")
        .send(bytes);
    };

    scope.get<{ Params: { number: string }; Querystring: Record<string, unknown> }>(
      "/sertifikat/:number",
      { config: { rateLimit: { max: limits.pagesPerMinute, timeWindow: 60_000 } } },
      async (request, reply) => {
        const raw = request.params.number;
        if (/\.pdf$/i.test(raw)) {
          // Downloads count against their own, lower limit as well.
          const allowed = await downloads(request);
          if (!allowed.isAllowed && allowed.isExceeded)
            return reply
              .code(429)
              .header("retry-after", String(Math.max(1, allowed.ttlInSeconds)))
              .send({ error: tooFast });
          return sendPdf(reply, raw.slice(0, -4), request.query.t);
        }
        const c = await findCertificate(deps.database.prisma, raw);
        const { status, html } = verificationPage(c?.number ?? raw.slice(0, 40), c);
        return reply
          .code(status)
          .type("text/html; charset=utf-8")
          .header("cache-control", "no-store")
          .header("referrer-policy", "no-referrer")
          .send(html);
      },
    );
  });
}
