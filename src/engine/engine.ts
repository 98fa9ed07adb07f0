/**
 * The flow engine: `startFlow` and `resume` take the conversation state and a trigger or an
 * input, run the flow's nodes and return the new state with a list of events. It does no I/O:
 * time, ids and reads come in through the FlowContext, changes go out as events.
 */
import { matchChoice, matchKeyword } from "./match.js";
import type {
  Choice,
  ConversationState,
  EngineEvent,
  Flow,
  FlowContext,
  FlowNode,
  Input,
  Keyword,
  LocalText,
  OutgoingMessage,
  Route,
  Say,
  TurnResult,
  Vars,
} from "./types.js";

/** How the engine reacts to things every flow shares; provided by flows/index.ts. */
export type FlowSet = {
  flows: Record<string, Flow>;
  /** Where a registered participant rests: the menu. */
  home: { flow: string; node: string };
  /** Where a newcomer starts. */
  registration: { flow: string; node: string };
  texts: {
    mediaNotSupported: LocalText;
    notUnderstood: LocalText;
    invalidChoice: (count: number) => LocalText;
  };
  /** Handles a global keyword; returns the route to take. */
  keyword(keyword: Keyword, state: ConversationState | null, ctx: FlowContext): Route | Promise<Route>;
  /** Messages sent before the route of a keyword (e.g. the help text). */
  keywordSay?(keyword: Keyword, ctx: FlowContext, state: ConversationState | null): Say | Say[];
};

/** The engine refuses to follow more than this many nodes in one turn (a loop in a flow). */
const maxSteps = 50;

export class FlowError extends Error {
  override name = "FlowError";
}

export class Engine {
  constructor(private readonly set: FlowSet) {}

  /** Starts a flow at its start node (or `node`), with fresh variables plus `vars`. */
  async startFlow(flow: string, ctx: FlowContext, node?: string, vars: Vars = {}): Promise<TurnResult> {
    const events: EngineEvent[] = [];
    const state = await this.enter({ flow, node: node ?? this.flow(flow).start, vars: { ...vars } }, ctx, events, true);
    return { state, events };
  }

  /** Shows the current node again (its messages and choices), keeping the participant's place. */
  async show(state: ConversationState, ctx: FlowContext): Promise<TurnResult> {
    const events: EngineEvent[] = [];
    return { state: await this.enter(state, { ...ctx, vars: state.vars }, events, false), events };
  }

  /** Handles a keyword in any state. */
  async handleKeyword(keyword: Keyword, state: ConversationState | null, ctx: FlowContext): Promise<TurnResult> {
    const events: EngineEvent[] = [];
    const c = { ...ctx, vars: state?.vars ?? ctx.vars };
    this.say(await this.set.keywordSay?.(keyword, c, state), c, events);
    const route = await this.set.keyword(keyword, state, c);
    const next = await this.follow(route, state ?? { ...this.set.home, vars: {} }, c, events);
    return { state: next, events };
  }

  /** Resumes a waiting conversation with an input. */
  async resume(state: ConversationState, input: Input, ctx: FlowContext): Promise<TurnResult> {
    const events: EngineEvent[] = [];
    const node = this.node(state);
    const c: FlowContext = { ...ctx, vars: state.vars };

    if (input.kind === "text") {
      const keyword = matchKeyword(input.text, Boolean(node.wait?.validate) && !node.wait?.choices);
      if (keyword) return this.handleKeyword(keyword, state, ctx);
    }
    if (!node.wait) throw new FlowError(`${state.flow}.${state.node} does not wait for input`);
    const wait = node.wait;

    if (input.kind === "wait_timeout") {
      if (!wait.timeout) return { state, events };
      return { state: await this.follow(wait.timeout.route(c), state, c, events), events };
    }
    // Anything that does not answer the question gets a short note and the question again.
    const refuse = async (note: LocalText): Promise<TurnResult> => {
      this.say(note, c, events);
      return { state: await this.reprompt(state, c, events), events };
    };
    if (input.kind === "media") return refuse(this.set.texts.mediaNotSupported);
    const text = input.kind === "contact" ? input.phone : input.kind === "text" ? input.text : null;

    let value: string | null = null;
    if (wait.choices) {
      const choices = await wait.choices(c);
      if (input.kind === "choice") value = choices.some((ch) => ch.id === input.choiceId) ? input.choiceId : null;
      else if (text !== null) value = matchChoice(text, choices);
      // A wait may offer buttons beside free text (a NIB, or "Lewati"): text that is no choice is validated.
      if (value === null && wait.validate && text !== null) {
        const checked = wait.validate(text, c);
        if ("error" in checked) return refuse(checked.error);
        value = checked.value;
      }
      if (value === null) return refuse(this.set.texts.invalidChoice(choices.length));
    } else {
      if (text === null) return refuse(this.set.texts.notUnderstood);
      const checked = wait.validate ? wait.validate(text, c) : { value: text.trim() };
      if ("error" in checked) return refuse(checked.error);
      value = checked.value;
    }
    const route = await wait.route(value, c);
    return { state: await this.follow(route, state, c, events), events };
  }

  /** Sends the current node's messages again, keeping the participant's place. */
  private async reprompt(
    state: ConversationState,
    ctx: FlowContext,
    events: EngineEvent[],
  ): Promise<ConversationState | null> {
    return this.enter(state, ctx, events, false);
  }

  private flow(name: string): Flow {
    const flow = this.set.flows[name];
    if (!flow) throw new FlowError(`unknown flow ${name}`);
    return flow;
  }

  private node(state: { flow: string; node: string }): FlowNode {
    const node = this.flow(state.flow).nodes[state.node];
    if (!node) throw new FlowError(`unknown node ${state.flow}.${state.node}`);
    return node;
  }

  /**
   * Runs nodes from `state` until one waits (returns its state) or the conversation ends (null).
   * `entering` is true when `state` starts a flow: a flow that needs a registered participant
   * sends newcomers to registration then (not midway, so a flow can finish after deleting data).
   */
  private async enter(
    start: ConversationState,
    ctx: FlowContext,
    events: EngineEvent[],
    entering: boolean,
  ): Promise<ConversationState | null> {
    let state = start;
    for (let step = 0; step < maxSteps; step++) {
      const flow = this.flow(state.flow);
      if (entering && flow.requiresParticipant && !ctx.participant) {
        state = { ...this.set.registration, vars: { ...state.vars } };
        continue;
      }
      const node = this.node(state);
      const c: FlowContext = { ...ctx, vars: state.vars };
      const said = this.say(await node.say?.(c), c, events);
      if (node.wait) {
        const choices = node.wait.choices ? await node.wait.choices(c) : undefined;
        this.attachChoices(said, choices, node.wait.requestPhone, c, events);
        if (node.wait.timeout) events.push({ type: "wait_timeout_scheduled", minutes: node.wait.timeout.minutes });
        return state;
      }
      if (!node.next) throw new FlowError(`${state.flow}.${state.node} neither waits nor routes`);
      const route = await node.next(c);
      const next = this.apply(route, state, events);
      if (!next) return null;
      ctx = absorb(route, ctx);
      entering = !("goto" in route);
      state = next;
    }
    throw new FlowError(`more than ${maxSteps} steps without a wait, from ${start.flow}.${start.node}`);
  }

  /** Applies a route, then runs from its target. */
  private async follow(
    route: Route,
    from: ConversationState,
    ctx: FlowContext,
    events: EngineEvent[],
  ): Promise<ConversationState | null> {
    const next = this.apply(route, from, events);
    return next ? this.enter(next, absorb(route, ctx), events, !("goto" in route)) : null;
  }

  private apply(route: Route, from: ConversationState, events: EngineEvent[]): ConversationState | null {
    for (const e of route.emit ?? []) events.push(e);
    if ("end" in route) {
      events.push({ type: "conversation_ended" });
      return null;
    }
    if ("goto" in route) return { flow: from.flow, node: route.goto, vars: { ...from.vars, ...route.set } };
    const base = route.keepVars ? from.vars : pickLanguage(from.vars);
    return { flow: route.flow, node: route.node ?? this.flow(route.flow).start, vars: { ...base, ...route.set } };
  }

  /** Turns what a node says into message events; returns the index of the last one. */
  private say(said: Say | Say[] | undefined, ctx: FlowContext, events: EngineEvent[]): number | null {
    const list = (Array.isArray(said) ? said : [said]).filter((s): s is Exclude<Say, null> => Boolean(s));
    for (const s of list) {
      const message: OutgoingMessage = "text" in s ? s : { text: s[ctx.language] };
      if (message.text.trim() || message.choices?.length) events.push({ type: "message_created", message });
    }
    return list.length ? events.length - 1 : null;
  }

  /** Choices ride on the question (the last message said); a bare prompt is made when there is none. */
  private attachChoices(
    index: number | null,
    choices: Choice[] | undefined,
    requestPhone: boolean | undefined,
    ctx: FlowContext,
    events: EngineEvent[],
  ): void {
    if (!choices?.length && !requestPhone) return;
    const rendered = choices?.map((c) => ({ id: c.id, label: c.label[ctx.language] }));
    const last = index === null ? undefined : events[index];
    if (last?.type === "message_created") {
      last.message = {
        ...last.message,
        ...(rendered ? { choices: rendered } : {}),
        ...(requestPhone ? { requestPhone } : {}),
      };
    } else {
      events.push({
        type: "message_created",
        message: { text: "", ...(rendered ? { choices: rendered } : {}), ...(requestPhone ? { requestPhone } : {}) },
      });
    }
  }
}

/**
 * What a route's events change for the rest of the turn: the language, and a participant who
 * has just registered (the runtime creates the row when it applies the events).
 */
function absorb(route: Route, ctx: FlowContext): FlowContext {
  let next = ctx;
  for (const e of route.emit ?? []) {
    if (e.type === "language_changed") next = { ...next, language: e.language };
    if (e.type === "participant_registered")
      next = {
        ...next,
        language: e.language,
        participant: { ...e.profile, id: 0, language: e.language, optedOut: false, gender: null },
      };
    if (e.type === "profile_updated" && next.participant)
      next = { ...next, participant: { ...next.participant, [e.field]: e.value } };
    if (e.type === "data_deletion_requested") next = { ...next, participant: null };
  }
  return next;
}

/** Variables that survive a change of flow: the language chosen before registration. */
function pickLanguage(vars: Vars): Vars {
  return vars.language ? { language: vars.language } : {};
}
