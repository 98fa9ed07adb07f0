/**
 * What the dashboard keeps in a staff member's session (in Redis, behind a signed cookie).
 * Only ids and short-lived notes: who it is comes from the database on every request.
 */
import type { Text } from "./text.js";

/** A message for the next page shown, after a redirect ("Program disimpan."). */
export type Flash = Text & { kind: "success" | "error" };

declare module "fastify" {
  interface Session {
    /** Set at sign-in, in a new session (the id is regenerated). */
    staffId?: number;
    flash?: Flash;
    /** The CSRF secret, kept by @fastify/csrf-protection. */
    _csrf?: string;
  }
}
