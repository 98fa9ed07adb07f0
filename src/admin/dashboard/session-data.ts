/**
 * What the dashboard keeps in a staff member's session (in Redis, behind a signed cookie).
 * Only ids, times and short-lived notes: who it is comes from the database on every request.
 * Signed-out visitors get no session (the sign-in form's CSRF secret is in a cookie of its own).
 */
import type { Text } from "./text.js";

/** A message for the next page shown, after a redirect ("Program disimpan."). */
export type Flash = Text & { kind: "success" | "error" };

declare module "fastify" {
  interface Session {
    /** Set at sign-in, in a new session (the id is regenerated). */
    staffId?: number;
    /** When this session signed in (ms since 1970): it ends a fixed time later, however busy. */
    signedInAt?: number;
    /**
     * When this session last proved the password (signing in, changing it): a password changed
     * after that (Staff.passwordChangedAt) ends the session.
     */
    authenticatedAt?: number;
    /** Wrong current passwords on the account page: too many end the session (pages/account.ts). */
    wrongPasswords?: number;
    flash?: Flash;
  }
}
