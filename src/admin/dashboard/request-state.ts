/**
 * What the dashboard knows about a request once its hooks ran: the language and who is signed
 * in. Kept in a WeakMap, so nothing outlives the request and no other route sees it.
 */
import type { FastifyRequest } from "fastify";
import type { DashboardDeps, DashboardPage, SignedInStaff } from "./page.js";
import type { Language } from "./text.js";

/** The parts of the dashboard that rendering needs, the same for every request. */
export type DashboardSite = {
  deps: DashboardDeps;
  pages: readonly DashboardPage[];
  /** URLs of the stylesheet and script, with a version that changes with their content. */
  assets: { css: string; js: string };
};

export type RequestState = {
  site: DashboardSite;
  language: Language;
  staff: SignedInStaff | null;
  /** Signed in with a temporary password: every page but the account page leads there. */
  mustChangePassword?: boolean;
};

const states = new WeakMap<FastifyRequest, RequestState>();

export function setRequestState(request: FastifyRequest, state: RequestState): void {
  states.set(request, state);
}

export function requestState(request: FastifyRequest): RequestState {
  const state = states.get(request);
  // The dashboard's first hook sets it for every dashboard route; anything else is a bug.
  if (!state) throw new Error("Dashboard helper used outside a dashboard route");
  return state;
}
