/**
 * The HTTP server (Fastify): health now; web chat, dashboard and API as they are built.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "../logger.js";
import { registerHealth, type HealthDeps } from "./health.js";

export type ServerDeps = HealthDeps & { logger: Logger };

/** Builds the server without listening, so tests can use `inject` or listen on port 0. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per request would drown the log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  });
  registerHealth(app, deps);
  // Until the dashboard exists, the front page is the web chat.
  app.get("/", async (_request, reply) => reply.redirect("/chat"));
  return app;
}
