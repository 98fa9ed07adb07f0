/**
 * Type-level checks, run by `tsc` (npm run typecheck), that every engine event kind has exactly
 * one typed handler: a kind added to EngineEvent without one fails to compile.
 */
import { expectTypeOf } from "vitest";
import type { EngineEvent } from "../../src/engine/types.js";
import { eventHandlers, type EventHandlers } from "../../src/runtime/apply-events.js";

// The record has a handler for each kind, and nothing else.
expectTypeOf<keyof typeof eventHandlers>().toEqualTypeOf<EngineEvent["type"]>();

// A record that lacks a kind is refused.
const { opted_in: _dropped, ...withoutOptedIn } = eventHandlers;
// @ts-expect-error opted_in has no handler
const _incomplete: EventHandlers = withoutOptedIn;

// A handler is given its own kind of event only.
const _mismatched: EventHandlers = {
  ...eventHandlers,
  // @ts-expect-error a message_created handler reads fields an opted_in event does not have
  opted_in: eventHandlers.message_created,
};
