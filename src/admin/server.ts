/**
 * The HTTP server (Fastify): health here; the web chat, the staff API and the dashboard are
 * registered on it by src/app.ts, each in a context of its own.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "../logger.js";
import { registerHealth, type HealthDeps } from "./health.js";

export type ServerDeps = HealthDeps & {
  logger: Logger;
  /**
   * Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (TRUST_PROXY), so the login
   * rate limit counts per real client and cookies marked Secure are sent behind an HTTPS proxy.
   */
  trustProxy?: boolean | string[];
};

/** Builds the server without listening, so tests can use `inject` or listen on port 0. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per request would drown the log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    trustProxy: deps.trustProxy ?? false,
  });
  registerHealth(app, deps);
  return app;
}
