/**
 * The staff HTTP API under /api: segment previews and broadcasts, for the dashboard and for
 * scripts. Every call but GET /api/docs needs `Authorization: Bearer <token>` (tokens are made
 * by their owner on the dashboard's "Akses saya", or with `npm run staff:token` at the server;
 * the API makes none, so a leaked token cannot make more). Every audit entry a call writes names
 * its token. Approving a broadcast needs an admin. Failures are RFC 9457 problem
 * details (problem.ts). GET /api/docs describes it all as OpenAPI 3.1, built from the same zod
 * schemas that validate the requests.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Database } from "../db/database.js";
import { maxDatabaseId } from "../db/ids.js";
import {
  broadcastInputSchema,
  broadcastStatuses,
  type BroadcastService,
  type BroadcastView,
  type StaffRef,
} from "../domain/broadcast-types.js";
import { segmentFilterSchema, type SegmentPreview } from "../domain/segment-filter.js";
import { verifyApiToken, withAuditScope, type AuditScope, type StaffSummary } from "../domain/staff.js";
import type { Logger } from "../logger.js";
import {
  forbidden,
  httpProblem,
  notFound,
  parseInput,
  problemContentType,
  problemErrorHandler,
  problemSchema,
  problemTypes,
  sendProblem,
} from "./problem.js";

export type ApiDeps = { database: Database; broadcasts: BroadcastService; logger: Logger };

// ---------------------------------------------------------------- request schemas

/** Ids are database integers: positive and within 32 bits, or PostgreSQL would refuse them. */
const idParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d*$/, "Expected a positive whole number")
    .transform(Number)
    .pipe(z.number().int().max(maxDatabaseId)),
});

const listLimitMax = 100;
const listQuerySchema = z.strictObject({
  status: z.enum(broadcastStatuses).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, `Expected a whole number from 1 to ${listLimitMax}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(listLimitMax))
    .optional(),
});

const previewBodySchema = z.strictObject({ filter: segmentFilterSchema });

/** Clocks differ a little between client and server: a time just passed still means now. */
const pastToleranceMs = 60_000;
const scheduleBodySchema = z.strictObject({
  at: z.iso
    .datetime({ offset: true, error: "Expected a date and time with its offset, e.g. 2026-12-03T09:00:00+07:00" })
    .refine((at) => Date.parse(at) >= Date.now() - pastToleranceMs, {
      error: "This time has passed: give a time in the future, or null to send now",
    })
    .nullish()
    .describe("When to send; absent or null sends now."),
});

// ---------------------------------------------------------------- response schemas (for the docs and the types)

const isoTime = z.iso.datetime();
const staffRefSchema = z.object({ id: z.number().int(), name: z.string() }).nullable();

const progressSchema = z.object({
  recipients: z.number().int().describe("Rows in the recipient ledger (filled when sending starts)."),
  pending: z.number().int().describe("Not yet written to the outbox."),
  queued: z.number().int().describe("In the outbox, not sent yet."),
  sent: z.number().int(),
  delivered: z.number().int().describe("Of the sent, those the channel reported delivered."),
  read: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int().describe("Left out when sending reached them (no chat left, cancelled)."),
  failures: z.array(z.object({ reason: z.string(), count: z.number().int() })),
});

const broadcastViewSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  textId: z.string(),
  textEn: z.string().nullable(),
  filter: segmentFilterSchema,
  invalidFilter: z
    .literal(true)
    .optional()
    .describe("Present when the stored filter no longer parses: `filter` is then {}, and it cannot be scheduled."),
  status: z.enum(broadcastStatuses),
  scheduledAt: isoTime.nullable(),
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  createdAt: isoTime,
  createdBy: staffRefSchema,
  approvedBy: staffRefSchema,
  progress: progressSchema,
});
type BroadcastJson = z.output<typeof broadcastViewSchema>;

const broadcastListSchema = z.object({ broadcasts: z.array(broadcastViewSchema) });

const segmentPreviewSchema = z.object({
  matched: z.number().int().describe("Participants the filter matches."),
  recipients: z.number().int().describe("Of those, the ones a broadcast would go to."),
  leftOut: z.object({
    optedOut: z.number().int().describe("Typed BERHENTI / STOP."),
    blocked: z.number().int().describe("Every chat they have has blocked the bot."),
  }),
});

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const staffRef = (ref: StaffRef) => (ref ? { id: ref.id, name: ref.name } : null);

/** Field by field, so what the service adds later does not leak out unannounced. */
function broadcastJson(view: BroadcastView): BroadcastJson {
  const p = view.progress;
  return {
    id: view.id,
    title: view.title,
    textId: view.textId,
    textEn: view.textEn,
    filter: view.filter,
    ...(view.invalidFilter ? { invalidFilter: true as const } : {}),
    status: view.status,
    scheduledAt: iso(view.scheduledAt),
    startedAt: iso(view.startedAt),
    finishedAt: iso(view.finishedAt),
    createdAt: view.createdAt.toISOString(),
    createdBy: staffRef(view.createdBy),
    approvedBy: staffRef(view.approvedBy),
    progress: {
      recipients: p.recipients,
      pending: p.pending,
      queued: p.queued,
      sent: p.sent,
      delivered: p.delivered,
      read: p.read,
      failed: p.failed,
      skipped: p.skipped,
      failures: p.failures.map((f) => ({ reason: f.reason, count: f.count })),
    },
  };
}

function previewJson(preview: SegmentPreview): z.output<typeof segmentPreviewSchema> {
  return {
    matched: preview.matched,
    recipients: preview.recipients,
    leftOut: { optedOut: preview.leftOut.optedOut, blocked: preview.leftOut.blocked },
  };
}

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

// ---------------------------------------------------------------- OpenAPI

/** A zod schema as JSON Schema (2020-12, which OpenAPI 3.1 uses), without its `$schema` line. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problemRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

type Operation = {
  summary: string;
  description?: string;
  request?: string;
  requestRequired?: boolean;
  status?: number;
  response: string;
  /** Problem responses besides 400, 401 and 500, which every call may give. */
  problems?: ("Forbidden" | "NotFound" | "Conflict")[];
  id?: boolean;
  query?: boolean;
};

function operation(op: Operation): Record<string, unknown> {
  const parameters: unknown[] = [];
  if (op.id) parameters.push({ name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } });
  if (op.query)
    parameters.push(
      { name: "status", in: "query", required: false, schema: { type: "string", enum: [...broadcastStatuses] } },
      { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: listLimitMax } },
    );
  const responses: Record<string, unknown> = {
    [String(op.status ?? 200)]: {
      description: op.summary,
      content: { "application/json": { schema: ref(op.response) } },
    },
    "400": problemRef("BadRequest"),
    "401": problemRef("Unauthorized"),
  };
  for (const p of op.problems ?? [])
    responses[{ Forbidden: "403", NotFound: "404", Conflict: "409" }[p]] = problemRef(p);
  responses["500"] = problemRef("InternalError");
  return {
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.request
      ? {
          requestBody: {
            required: op.requestRequired ?? true,
            content: { "application/json": { schema: ref(op.request) } },
          },
        }
      : {}),
    responses,
  };
}

function openApiDocument(): object {
  const problemResponse = (description: string) => ({
    description,
    content: { [problemContentType]: { schema: ref("Problem") } },
  });
  const action = (verb: string, description: string): Record<string, unknown> =>
    operation({
      summary: `${verb} a broadcast`,
      description,
      response: "BroadcastView",
      id: true,
      problems: ["Forbidden", "NotFound", "Conflict"],
    });
  return {
    openapi: "3.1.0",
    info: {
      title: "Sapa IKM staff API",
      version: "1",
      description:
        "Segment previews and broadcasts for department staff. Every call but this document needs " +
        "`Authorization: Bearer <token>`; its owner makes it on the dashboard's Akses saya page (or the operator " +
        "with `npm run staff:token -- --email <email>`), and the audit log records which token each action came " +
        "through. Errors are " +
        "RFC 9457 problem details (`application/problem+json`); invalid input lists every wrong field in " +
        "`errors`, and `detail` names the first. Times are ISO 8601 strings.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    security: [{ bearerAuth: [] }],
    paths: {
      "/api/segments/preview": {
        post: operation({
          summary: "Count who a filter reaches",
          description: "How many participants the filter matches, and who a broadcast would leave out and why.",
          request: "SegmentPreviewRequest",
          response: "SegmentPreview",
        }),
      },
      "/api/broadcasts": {
        post: operation({
          summary: "Create a draft broadcast",
          description: "Nothing is sent until it is scheduled.",
          request: "BroadcastInput",
          status: 201,
          response: "BroadcastView",
        }),
        get: operation({ summary: "List broadcasts, newest first", response: "BroadcastList", query: true }),
      },
      "/api/broadcasts/{id}": {
        get: operation({ summary: "Get a broadcast", response: "BroadcastView", id: true, problems: ["NotFound"] }),
      },
      "/api/broadcasts/{id}/schedule": {
        post: operation({
          summary: "Schedule a draft broadcast",
          description:
            "Sends it at `at`, or now when `at` is absent or null. Over the approval threshold it waits " +
            "for an admin other than its author and its submitter to approve it (status pending_approval).",
          request: "ScheduleRequest",
          requestRequired: false,
          response: "BroadcastView",
          id: true,
          problems: ["Forbidden", "NotFound", "Conflict"],
        }),
      },
      "/api/broadcasts/{id}/approve": {
        post: action("Approve", "Admins only, and not the staff member who scheduled it. It then goes as scheduled."),
      },
      "/api/broadcasts/{id}/pause": { post: action("Pause", "Stops sending for now; resume picks up where it was.") },
      "/api/broadcasts/{id}/resume": { post: action("Resume", "Goes on sending a paused broadcast.") },
      "/api/broadcasts/{id}/cancel": {
        post: action("Cancel", "Stops it for good: nothing not yet sent is sent."),
      },
      "/api/docs": {
        get: {
          summary: "This document",
          security: [],
          responses: { "200": { description: "The OpenAPI 3.1 document.", content: { "application/json": {} } } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "An API token from the dashboard's Akses saya page or npm run staff:token, such as sapa_3q2…",
        },
      },
      schemas: {
        SegmentFilter: jsonSchema(segmentFilterSchema, "input"),
        SegmentPreviewRequest: jsonSchema(previewBodySchema, "input"),
        SegmentPreview: jsonSchema(segmentPreviewSchema, "output"),
        BroadcastInput: jsonSchema(broadcastInputSchema, "input"),
        ScheduleRequest: jsonSchema(scheduleBodySchema, "input"),
        BroadcastView: jsonSchema(broadcastViewSchema, "output"),
        BroadcastList: jsonSchema(broadcastListSchema, "output"),
        Problem: jsonSchema(problemSchema, "output"),
      },
      responses: {
        BadRequest: problemResponse(
          `Invalid input (type ${problemTypes.validation}, with errors) or a body that is not JSON.`,
        ),
        Unauthorized: problemResponse("No API token, or one that is unknown, revoked or expired."),
        Forbidden: problemResponse("The staff member may not do this (approving needs an admin, and a second person)."),
        NotFound: problemResponse("No broadcast with that id."),
        Conflict: problemResponse("Not possible in the broadcast's current state, or it needs approval first."),
        InternalError: problemResponse("Something went wrong on the server; it is logged."),
      },
    },
  };
}
