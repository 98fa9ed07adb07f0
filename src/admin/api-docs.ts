/**
 * The staff HTTP API described as OpenAPI 3.1 (GET /api/docs), built from the same zod schemas
 * that validate the requests (api-schemas.ts).
 */
import { z } from "zod";
import { broadcastInputSchema, broadcastStatuses } from "../domain/broadcast-types.js";
import { segmentFilterSchema } from "../domain/segment-filter.js";
import {
  broadcastListSchema,
  broadcastViewSchema,
  listLimitMax,
  previewBodySchema,
  scheduleBodySchema,
  segmentPreviewSchema,
} from "./api-schemas.js";
import { problemContentType, problemSchema, problemTypes } from "./problem.js";

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

/** The OpenAPI document of the API. */
export function openApiDocument(): object {
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
