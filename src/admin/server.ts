/**
 * The HTTP server (Fastify): health here; the web chat, the staff API and the dashboard are
 * registered on it by src/app.ts, each in a context of its own.
 *
 * Every request has an id (Fastify's request.id): the proxy's `X-Request-Id` when it is short and
 * plain, else a new one. It is in every log line of the request and in the `x-request-id` response
 * header, so a failure a user quotes can be found in the log. Errors of every route but the
 * dashboard's (which has its own HTML pages) are answered by one handler as problem details
 * (problem.ts): a 500 is logged once with the request id and says nothing of what failed.
 */
import crypto from "node:crypto";
import type { IncomingMessage } from "node:http";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "../logger.js";
import { registerHealth, type HealthDeps } from "./health.js";
import { refuseNulCharacters } from "./input-guard.js";
import { notFound, problemErrorHandler, sendProblem } from "./problem.js";

export type ServerDeps = HealthDeps & {
  logger: Logger;
  /**
   * Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (TRUST_PROXY), so the login
   * rate limit counts per real client and cookies marked Secure are sent behind an HTTPS proxy.
   */
  trustProxy?: boolean | string[];
};

export const requestIdHeader = "x-request-id";

/**
 * A client's id is kept only if it is at most 64 letters, digits and `._:-` (a proxy's UUID or
 * nginx's $request_id): anything else could forge or flood a log line, so it gets a new one.
 */
const clientRequestId = /^[A-Za-z0-9._:-]{1,64}$/;

/** The id of a request: the one sent in X-Request-Id if it looks like one, else a random UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[requestIdHeader];
  return typeof given === "string" && clientRequestId.test(given) ? given : crypto.randomUUID();
}

/** Builds the server without listening, so tests can use `inject` or listen on port 0. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per request would drown the log. That also silences Fastify's default error log,
    // which is why every context needs an error handler that logs (here, and the dashboard's).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
    bodyLimit: 64 * 1024,
    trustProxy: deps.trustProxy ?? false,
    genReqId: requestIdOf,
  });
  app.addHook("onRequest", async (request, reply) => {
    reply.header(requestIdHeader, request.id);
  });
  // Set before any route or context is registered, so every context inherits them.
  app.setErrorHandler(problemErrorHandler());
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, notFound(`There is no ${request.method} ${request.url.split("?")[0]}.`).problem),
  );
  app.addHook("preValidation", refuseNulCharacters);
  registerHealth(app, deps);
  return app;
}
