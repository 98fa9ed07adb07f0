/**
 * What the WhatsApp Cloud API's errors mean to the outbox. Meta answers a refused call with
 * `{"error":{"message","type","code","error_data":{"details"},"fbtrace_id"}}`, mostly with HTTP
 * 400 whatever the cause, and asks that callers act on `code`, not on the HTTP status; the same
 * codes come back asynchronously in `failed` status webhooks. Each code becomes a SendError:
 * rate limits slow the channel without costing the row an attempt, 131047 (outside the 24-hour
 * window) sends the template instead, server trouble and timeouts are retried, and anything else
 * fails the row with a reason a programme officer can read.
 */
import { SendError } from "./channel.js";

/** A call the Cloud API answered with an error (or a non-2xx status without one). */
export class CloudApiError extends Error {
  override name = "CloudApiError";
  constructor(
    message: string,
    /** The HTTP status. */
    readonly status: number,
    /** Meta's error code, as a string ("131026"); undefined when the answer had none. */
    readonly code: string | undefined,
    /** Meta's `error_data.details`, when given. */
    readonly details?: string,
  ) {
    super(message);
  }
}

/** Codes that say "slow down", and how long to hold the channel back (ms). */
const rateLimits: Record<string, number> = {
  // The number's throughput (80 a second by default): a second's pause would cost 80 sends for one
  // that came a moment early, so a short one.
  "130429": 250,
  // Too many messages to one person in a short time: Meta asks for a few seconds' pause.
  "131056": 6_000,
  // The business account's and the app's call limits.
  "80007": 1_000,
  "4": 1_000,
  // Spam rate limit: the number's quality went down; hammering it makes it worse.
  "131048": 60_000,
};

/** Meta's own trouble: the same call may well work a little later. */
const serverTrouble = new Set(["1", "2", "131000", "131016", "133004"]);

/** Meta refused the access token (expired, revoked, or another app's). */
const tokenRefused = new Set(["190"]);
/**
 * How long the channel waits after Meta refused the token. Every send would fail the same way: the
 * rows wait for an operator to fix the token instead of all failing at once.
 */
export const tokenRetryMs = 60_000;

/** What a code means, in words a programme officer understands (the rest use Meta's own text). */
const meanings: Record<string, string> = {
  "4": "too many API calls from this app",
  "100": "a parameter is invalid",
  "190": "the access token was refused (expired or revoked)",
  "368": "the number is temporarily blocked for policy violations",
  "80007": "the WhatsApp Business Account's rate limit was reached",
  "130429": "the number's throughput limit was reached",
  "131000": "something went wrong at Meta",
  "131008": "a required parameter is missing",
  "131009": "a parameter value is not valid",
  "131016": "the Cloud API is temporarily unavailable",
  "131021": "the recipient is the business's own number",
  "131026": "message undeliverable (not on WhatsApp or an old version)",
  "131042": "a payment problem with the WhatsApp Business Account",
  "131047": "more than 24 hours since the person last wrote (a template is needed)",
  "131048": "spam rate limit: the number's quality rating went down",
  "131049": "not delivered to keep engagement healthy (Meta's per-person limit on marketing messages)",
  "131050": "the person stopped marketing messages from this business",
  "131051": "unsupported message type",
  "131052": "the person's media could not be downloaded",
  "131053": "the file could not be uploaded",
  "131056": "too many messages to this person in a short time",
  "132000": "the template's parameter count does not match",
  "132001": "the template does not exist in this language (or is not approved)",
  "132005": "the template's text is too long once filled in",
  "132007": "the template breaks a formatting policy",
  "132012": "a template parameter has the wrong format",
  "132015": "the template is paused for low quality",
  "132016": "the template is disabled",
  "133004": "the Cloud API server is temporarily unavailable",
  "133010": "the business phone number is not registered with the Cloud API",
};

/** `Meta 131026: message undeliverable (...)`: the code and what it means. */
export function metaErrorReason(code: string | undefined, fallback?: string): string {
  const words = (code && meanings[code]) || fallback?.trim() || "error";
  return code ? `Meta ${code}: ${words}` : `Meta: ${words}`;
}

/** Meta's error body, read leniently: any of it may be missing from a proxy's or a server's answer. */
export function readMetaError(body: unknown): { code?: string; message?: string; details?: string } {
  const error = (body as { error?: unknown } | null)?.error;
  if (!error || typeof error !== "object") return {};
  const e = error as { code?: unknown; message?: unknown; error_data?: { details?: unknown } };
  return {
    ...(typeof e.code === "number" || typeof e.code === "string" ? { code: String(e.code) } : {}),
    ...(typeof e.message === "string" ? { message: e.message } : {}),
    ...(typeof e.error_data?.details === "string" ? { details: e.error_data.details } : {}),
  };
}

/** Turns a Cloud API, network or timeout failure into what the outbox does with it. */
export function cloudSendError(err: unknown): SendError {
  if (err instanceof SendError) return err;
  if (err instanceof CloudApiError) {
    const { code, status } = err;
    const reason = metaErrorReason(code, err.details ?? err.message);
    const extra = code ? { code } : {};
    if (code && rateLimits[code] !== undefined) return new SendError(reason, false, rateLimits[code], false, extra);
    if (code === "131047") return new SendError(reason, true, undefined, false, { ...extra, outsideWindow: true });
    if ((code && tokenRefused.has(code)) || status === 401)
      return new SendError(reason, false, tokenRetryMs, false, extra);
    if ((code && serverTrouble.has(code)) || status >= 500 || status === 429)
      return new SendError(reason, false, undefined, false, extra);
    return new SendError(reason, true, undefined, false, extra);
  }
  const e = err as Error | undefined;
  if (e?.name === "AbortError" || e?.name === "TimeoutError")
    return new SendError("the WhatsApp Cloud API did not answer in time", false);
  // fetch's "fetch failed" carries the reason (ECONNREFUSED, ENOTFOUND...) in its cause.
  const cause = (e as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const detail = cause?.code ?? cause?.message ?? e?.message ?? String(err);
  return new SendError(`network error: ${detail}`, false);
}
