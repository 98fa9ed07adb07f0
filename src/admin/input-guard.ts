/**
 * Text the database cannot store. PostgreSQL refuses the NUL character (U+0000) in text columns
 * and answers an insert or a query holding one with an error, and no browser sends it in a form,
 * so a query string, path parameter, form or JSON body holding one is refused with a 400 naming
 * the field, before any route reads it (preValidation on every route).
 *
 * Chat text is the exception: the web chat and the Telegram and WhatsApp webhooks pass it on (the
 * WhatsApp one as the raw bytes its signature is over), and the runtime
 * strips NUL where every channel's text comes in (src/runtime/inbound-message.ts), so a
 * participant who pasted one still gets an answer. So is the participant CSV import's body: it
 * reports a row holding NUL by its line, as it does every other wrong row
 * (src/domain/participant-import.ts).
 */
import type { FastifyRequest } from "fastify";
import { ProblemError, problemTypes, type InputSource } from "./problem.js";

/** Routes whose text is a participant's chat message: stripped by the runtime instead. */
const chatRoutes = [/^\/api\/webchat\//, /^\/telegram\/webhook$/, /^\/whatsapp\/webhook$/];
/** Routes that check their body's text themselves and say where NUL is. */
const ownCheckRoutes = ["/dashboard/peserta/impor"];

/** A field holding NUL: a 400 naming it (the dashboard shows it on a page, the API as a problem). */
export class NulCharacterError extends ProblemError {
  constructor(readonly field: string) {
    const message = "Contains a NUL character (\\u0000), which cannot be stored; remove it";
    super({
      type: problemTypes.validation,
      title: "The request has invalid fields",
      status: 400,
      detail: `${field}: ${message}`,
      errors: [{ field, message }],
    });
    this.name = "NulCharacterError";
  }
}

/**
 * The path of the first string (or key) holding NUL in `value`, joined with "."; `source` when it
 * is `value` itself; null when there is none. Walks without recursion: a 64 KB JSON body can nest
 * deeper than the call stack.
 */
export function findNul(value: unknown, source: InputSource): string | null {
  const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  const name = (path: string[]) => path.join(".") || source;
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\0")) return name(path);
    } else if (v && typeof v === "object") {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes("\0")) return name([...path, key.replace(/\0/g, "\\u0000")]);
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
  return null;
}

/** The preValidation hook: refuses NUL in the path, the query string and the body. */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const route = request.routeOptions.url ?? "";
  if (chatRoutes.some((pattern) => pattern.test(route))) return;
  const ownCheck = ownCheckRoutes.includes(route);
  for (const [source, value] of [
    ["params", request.params],
    ["query", request.query],
    ["body", ownCheck ? undefined : request.body],
  ] as const) {
    const field = findNul(value, source);
    if (field !== null) throw new NulCharacterError(field);
  }
}
