/**
 * A detour and the way back: choosing a language, or answering a reminder's "will you come?",
 * interrupts whatever the participant was doing; afterwards the conversation returns to the
 * step they were at, with their answers so far. Where they were is kept in the conversation's
 * variables `returnFlow` and `returnNode`.
 */
import type { ConversationState, Route, Vars } from "../src/engine/types.js";

/** Variables that remember `state` as the place to return to (none without a conversation). */
export const rememberPlace = (state: Pick<ConversationState, "flow" | "node"> | null): Vars =>
  state ? { returnFlow: state.flow, returnNode: state.node } : {};

/** Variables that forget the remembered place. */
export const forgetPlace: Vars = { returnFlow: null, returnNode: null };

/**
 * The route back to the remembered place, keeping the conversation's answers and forgetting the
 * place (`set` adds other variables to change); `otherwise` when no place was remembered.
 */
export function routeBack(vars: Vars, otherwise: Route, set: Vars = {}): Route {
  if (typeof vars.returnFlow !== "string" || typeof vars.returnNode !== "string") return otherwise;
  return { flow: vars.returnFlow, node: vars.returnNode, keepVars: true, set: { ...set, ...forgetPlace } };
}
