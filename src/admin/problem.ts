/**
 * Errors of every route but the dashboard's (the staff API, the web chat, the Telegram webhook,
 * health) as RFC 9457 problem details (`application/problem+json`), so a client reads every
 * failure the same way: `type`, `title`, `status`, `detail`, `requestId` (also in the
 * `x-request-id` header; quote it when reporting a failure), and for invalid input `errors`, one
 * per field. A 500 says only that something failed on our side: its cause is in the log, under
 * the request id, never in the answer.
 *
 * Problem types are `tag:` URIs: they name a kind of problem and are not meant to be fetched
 * (RFC 9457, section 3.1.1). Plain HTTP failures use `about:blank` with the status phrase.
 */
import http from "node:http";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { z, ZodError } from "zod";
import { BroadcastError, type BroadcastErrorCode } from "../domain/broadcast-types.js";

export const problemContentType = "application/problem+json";

const tag = (name: string) => `tag:sapa-ikm,2026:problem:${name}`;

export const problemTypes = {
  validation: tag("validation"),
  malformedBody: tag("malformed-body"),
  broadcast: (code: BroadcastErrorCode) => tag(`broadcast-${code.replace(/_/g, "-")}`),
} as const;

export const fieldErrorSchema = z.object({
  field: z.string().describe('Where the problem is, as a dotted path such as "filter.programmeIds.0".'),
  message: z.string(),
});
export type FieldError = z.infer<typeof fieldErrorSchema>;

export const problemSchema = z.object({
  type: z.string().describe("A URI naming the kind of problem; about:blank when the status says it all."),
  title: z.string().describe("A short summary of the kind of problem."),
  status: z.number().int().min(400).max(599).describe("The HTTP status code, repeated."),
  detail: z.string().describe("What went wrong this time, in words."),
  errors: z.array(fieldErrorSchema).optional().describe("For invalid input: every field that is wrong."),
  requestId: z
    .string()
    .optional()
    .describe("The id of this request, as in the x-request-id header: the log has it, so quote it."),
});
export type Problem = z.infer<typeof problemSchema>;

/** A failure to answer with as a problem; throw it from a route. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = "ProblemError";
  }

  /** As Fastify's errors have it, so any error handler answers with the problem's status. */
  get statusCode(): number {
    return this.problem.status;
  }
}

const statusTitle = (status: number) => http.STATUS_CODES[status] ?? "Error";

/** A problem with `about:blank` as its type: the status code tells all there is to know. */
export function httpProblem(status: number, detail: string): ProblemError {
  return new ProblemError({ type: "about:blank", title: statusTitle(status), status, detail });
}

export const notFound = (detail: string) => httpProblem(404, detail);
export const forbidden = (detail: string) => httpProblem(403, detail);

/** Where an input came from; it names the whole input when an issue has no path inside it. */
export type InputSource = "body" | "query" | "params";

/** One error per field (one per key for unknown keys), paths joined with ".". */
export function fieldErrors(error: ZodError, source: InputSource = "body"): FieldError[] {
  const join = (path: PropertyKey[]) => path.map(String).join(".");
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((key) => ({ field: join([...issue.path, key]), message: "Unknown field" }));
    return [{ field: join(issue.path) || source, message: issue.message }];
  });
}

/** 400 naming every invalid field; `detail` names the first, so one line says what to fix. */
export function validationProblem(errors: FieldError[]): ProblemError {
  const first = errors[0] ?? { field: "body", message: "Invalid input" };
  return new ProblemError({
    type: problemTypes.validation,
    title: "The request has invalid fields",
    status: 400,
    detail: `${first.field}: ${first.message}`,
    errors,
  });
}

/** Parses `value` with `schema`, throwing a 400 problem naming the fields when it does not fit. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, source: InputSource): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationProblem(fieldErrors(result.error, source));
  return result.data;
}

const broadcastStatus: Record<BroadcastErrorCode, { status: number; title: string }> = {
  not_found: { status: 404, title: "No such broadcast" },
  invalid_state: { status: 409, title: "Not possible in the broadcast's current state" },
  invalid_filter: { status: 409, title: "The broadcast's segment filter is no longer valid" },
  approval_required: { status: 409, title: "The broadcast needs approval first" },
  same_approver: { status: 403, title: "Another staff member must approve" },
  forbidden: { status: 403, title: "Not allowed" },
  template_required: { status: 409, title: "A WhatsApp template is needed for recipients outside the 24-hour window" },
  invalid_template: { status: 422, title: "Not a WhatsApp template a broadcast can use" },
};

/** The problem for any error thrown while handling a request; `internal` is true for a 500. */
export function toProblem(error: unknown): { problem: Problem; internal: boolean } {
  if (error instanceof ProblemError) return { problem: error.problem, internal: false };
  if (error instanceof ZodError) return { problem: validationProblem(fieldErrors(error)).problem, internal: false };
  if (error instanceof BroadcastError) {
    const { status, title } = broadcastStatus[error.code] ?? { status: 400, title: "Not possible" };
    return {
      problem: { type: problemTypes.broadcast(error.code), title, status, detail: error.message },
      internal: false,
    };
  }
  const fastifyError = error as Partial<FastifyError> | null;
  if (fastifyError?.code === "FST_ERR_CTP_INVALID_JSON_BODY" || fastifyError?.code === "FST_ERR_CTP_EMPTY_JSON_BODY")
    return {
      problem: {
        type: problemTypes.malformedBody,
        title: "The request body is not valid JSON",
        status: 400,
        detail:
          fastifyError.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
            ? "The body is empty although Content-Type says JSON: send a JSON object, or no Content-Type."
            : "The body is not valid JSON: check quotes, commas and brackets.",
      },
      internal: false,
    };
  // Fastify's own refusals (body too large, unsupported media type, ...) say what is wrong and
  // reveal nothing, so their message is the detail.
  const status = fastifyError?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500 && typeof fastifyError?.message === "string")
    return {
      problem: { type: "about:blank", title: statusTitle(status), status, detail: fastifyError.message },
      internal: false,
    };
  return {
    problem: {
      type: "about:blank",
      title: statusTitle(500),
      status: 500,
      detail: "Something went wrong on our side. It has been logged; please try again later.",
    },
    internal: true,
  };
}

/** Sends a problem with its content type and the request's id. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .type(problemContentType)
    .send({ ...problem, requestId: reply.request.id });
}

/**
 * A Fastify error handler answering every error as a problem; unexpected ones are logged once
 * (request.log carries the request id), never shown.
 */
export function problemErrorHandler() {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { problem, internal } = toProblem(error);
    if (internal)
      request.log.error(
        // The route pattern, not the URL: a query string may hold anything.
        { err: error, method: request.method, route: request.routeOptions.url },
        "request failed",
      );
    return sendProblem(reply, problem);
  };
}
