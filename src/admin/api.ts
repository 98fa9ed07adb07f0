/**
 * The staff HTTP API under /api: segment previews and broadcasts, for the dashboard and for
 * scripts. Every call but GET /api/docs needs `Authorization: Bearer <token>` (tokens are made
 * by their owner on the dashboard's "Akses saya", or with `npm run staff:token` at the server;
 * the API makes none, so a leaked token cannot make more). Every audit entry a call writes names
 * its token. Approving a broadcast needs an admin. Failures are RFC 9457 problem
 * details (problem.ts). GET /api/docs describes it all as OpenAPI 3.1 (api-docs.ts), built from
 * the same zod schemas that validate the requests (api-schemas.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Database } from "../db/database.js";
import { broadcastInputSchema, type BroadcastService } from "../domain/broadcast-types.js";
import { verifyApiToken, withAuditScope, type AuditScope, type StaffSummary } from "../domain/staff.js";
import type { Logger } from "../logger.js";
import { forbidden, httpProblem, notFound, parseInput, problemErrorHandler, sendProblem } from "./problem.js";
import { openApiDocument } from "./api-docs.js";
import {
  broadcastJson,
  idParamsSchema,
  listQuerySchema,
  previewBodySchema,
  previewJson,
  scheduleBodySchema,
} from "./api-schemas.js";

export type ApiDeps = { database: Database; broadcasts: BroadcastService; logger: Logger };

// ---------------------------------------------------------------- authentication

const realm = 'Bearer realm="Sapa IKM"';

function unauthorized(reply: FastifyReply, invalid: boolean): FastifyReply {
  // RFC 6750: the challenge says whether a token was missing or refused.
  reply.header("www-authenticate", invalid ? `${realm}, error="invalid_token"` : realm);
  const detail = invalid
    ? "The API token is unknown, revoked or expired, or its staff member is deactivated."
    : "Send an API token in the Authorization header as Bearer <token>; make yours on the dashboard's Akses saya page.";
  return sendProblem(reply, httpProblem(401, detail).problem);
}

// ---------------------------------------------------------------- routes

/** Mounts the API under /api in a context of its own, so its error handling stays there. */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const { database, broadcasts } = deps;
  // Who made each request, set by the auth hook; a WeakMap, so nothing outlives the request.
  const staffOf = new WeakMap<FastifyRequest, StaffSummary>();
  const caller = (request: FastifyRequest): StaffSummary => {
    const staff = staffOf.get(request);
    // The hook runs before every authenticated route; reaching this is a bug, hence a 500.
    if (!staff) throw new Error("API route reached without an authenticated staff member");
    return staff;
  };
  const idOf = (request: FastifyRequest) => parseInput(idParamsSchema, request.params, "params").id;
  let docs: object | undefined;

  app.register(
    async (api) => {
      // The same handlers as the server's own (server.ts), so the API answers alike when mounted alone.
      api.setErrorHandler(problemErrorHandler());
      api.setNotFoundHandler((request, reply) =>
        sendProblem(reply, notFound(`There is no ${request.method} ${request.url.split("?")[0]}.`).problem),
      );
      // Actions without a body (approve, pause, ...) are often sent with a JSON content type
      // and nothing after it; Fastify would refuse that, so an empty body counts as none.
      const json = api.getDefaultJsonParser("error", "error");
      api.removeContentTypeParser("application/json");
      api.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
        if (body === "") done(null, undefined);
        else json(request, body as string, done);
      });

      api.get("/docs", async () => (docs ??= openApiDocument()));

      await api.register(async (secured) => {
        // Every audit entry a request writes, down in the broadcast service too, names the token
        // it came through. The scope starts here, in a callback hook (so the route runs within
        // it), and learns the token in the next hook.
        const scopes = new WeakMap<FastifyRequest, AuditScope>();
        secured.addHook("onRequest", (request, _reply, done) => {
          const scope: AuditScope = { detail: null };
          scopes.set(request, scope);
          withAuditScope(scope, done);
        });
        secured.addHook("onRequest", async (request, reply) => {
          const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? "");
          if (!match) return unauthorized(reply, false);
          const verified = await verifyApiToken(database.prisma, match[1]!);
          if (!verified) return unauthorized(reply, true);
          staffOf.set(request, verified.staff);
          scopes.get(request)!.detail = {
            via: "api_token",
            tokenId: verified.token.id,
            tokenName: verified.token.name,
          };
        });

        secured.post("/segments/preview", async (request) => {
          const { filter } = parseInput(previewBodySchema, request.body, "body");
          return previewJson(await broadcasts.preview(filter));
        });

        secured.post("/broadcasts", async (request, reply) => {
          const input = parseInput(broadcastInputSchema, request.body, "body");
          const view = await broadcasts.create(caller(request).id, input);
          return reply.code(201).send(broadcastJson(view));
        });

        secured.get("/broadcasts", async (request) => {
          const { status, limit } = parseInput(listQuerySchema, request.query, "query");
          const views = await broadcasts.list({
            ...(status ? { status } : {}),
            ...(limit ? { limit } : {}),
          });
          return { broadcasts: views.map(broadcastJson) };
        });

        secured.get("/broadcasts/:id", async (request) => {
          const id = idOf(request);
          const view = await broadcasts.get(id);
          if (!view) throw notFound(`There is no broadcast with id ${id}.`);
          return broadcastJson(view);
        });

        secured.post("/broadcasts/:id/schedule", async (request) => {
          const id = idOf(request);
          const body = parseInput(scheduleBodySchema.optional(), request.body, "body");
          const at = body?.at ? new Date(body.at) : null;
          return broadcastJson(await broadcasts.schedule(caller(request).id, id, at));
        });

        secured.post("/broadcasts/:id/approve", async (request) => {
          const id = idOf(request);
          const staff = caller(request);
          if (staff.role !== "admin") throw forbidden("Only an admin can approve a broadcast.");
          return broadcastJson(await broadcasts.approve(staff.id, id));
        });

        for (const action of ["pause", "resume", "cancel"] as const)
          secured.post(`/broadcasts/:id/${action}`, async (request) => {
            const id = idOf(request);
            return broadcastJson(await broadcasts[action](caller(request).id, id));
          });
      });
    },
    { prefix: "/api" },
  );
}
