/**
 * Download links of certificate PDFs: `/sertifikat/<number>.pdf?t=<token>`, the token an HMAC of
 * the number under a key derived from the installation's secret (DASHBOARD_SESSION_SECRET, else
 * the database's own), so every web process checks it and it survives restarts. The link is shown
 * only in the chat that received the certificate (the web chat's messages need that chat's
 * credential); the public page `/sertifikat/<number>` never gives the PDF, so knowing or guessing
 * a number is not enough to download someone's certificate. Whoever the holder shares the link
 * with can download it, as with a PDF forwarded from Telegram or WhatsApp.
 */
import crypto from "node:crypto";

/** The key of the download tokens, from the installation's base secret. */
export function certificateLinkKey(baseSecret: string): Buffer {
  return crypto.createHmac("sha256", baseSecret).update("sapa-ikm certificate download").digest();
}

/** The token of one certificate's download link. */
export function certificateDownloadToken(key: Buffer, number: string): string {
  return crypto.createHmac("sha256", key).update(number).digest("base64url").slice(0, 32);
}

/** Whether `token` is the download token of `number`, in constant time. */
export function isCertificateDownloadToken(key: Buffer, number: string, token: unknown): boolean {
  if (typeof token !== "string") return false;
  const expected = Buffer.from(certificateDownloadToken(key, number));
  const given = Buffer.from(token);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** The path of a certificate's download link. */
export const certificateDownloadPath = (key: Buffer, number: string) =>
  `/sertifikat/${encodeURIComponent(number)}.pdf?t=${certificateDownloadToken(key, number)}`;
