/**
 * Whether a request comes from a page of this site, as the browser says it: a cookie rides along
 * on whatever a browser sends, so a request another site's page or form made must not count as
 * the signed-in person's. Fetch Metadata (`Sec-Fetch-Site`) when the browser sends it, else
 * `Origin`; neither is refused.
 */
import type { FastifyRequest } from "fastify";

export function fromThisSite(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (typeof site === "string") return site === "same-origin";
  const origin = request.headers.origin;
  if (typeof origin !== "string") return false;
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false;
  }
}
