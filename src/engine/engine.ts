/**
 * The flow engine: `startFlow`, `begin` and `resume` take the conversation state and a trigger
 * or an input, run the flow's nodes and return the new state with a list of events. It does no
 * I/O: time, ids and reads come in through the FlowContext, changes go out as events. What a
 * text means is asked of understanding (src/understanding); what an intent does, of the flow
 * set's router.
 */
import {
  detectLanguage,
  read,
  type FreeTextKind,
  type Intent,
  type Question,
  type Reading,
} from "../understanding/index.js";
import type {
  Choice,
  ConversationState,
  EngineEvent,
  Flow,
  FlowContext,
  FlowNode,
  Input,
  LocalText,
  OutgoingMessage,
  Route,
  Say,
  TurnResult,
  Vars,
} from "./types.js";

/** What an intent does: messages first (an answer, a note), then where to go. */
export type IntentOutcome = { say?: Say | Say[]; route: Route };

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
    /** The answer fits no option; `buttons` says whether the options show as buttons or numbers. */
    invalidChoice: (count: number, buttons: boolean) => LocalText;
    /** Two or more options fit: which one? */
    whichOne: LocalText;
    /** A button of an earlier question was pressed. */
    staleButton: LocalText;
    /** A question the bot has no answer for ("berapa biayanya?"). */
    cannotAnswer: LocalText;
  };
  /** What an intent does from where the participant is (`state` null: no conversation). */
  onIntent(intent: Intent, state: ConversationState | null, ctx: FlowContext): IntentOutcome | Promise<IntentOutcome>;
};

/** The engine refuses to follow more than this many nodes in one turn (a loop in a flow). */
const maxSteps = 50;

/** What interrupts a freeform answer. */
const commands = new Set(["menu", "cancel"]);

/** Variables the engine keeps for itself: the question counter and a narrowed choice. */
const questionVar = "$q";
const narrowVar = "$narrow";

export class FlowError extends Error {
  override name = "FlowError";
}

/** A choice id as sent with a button: the option's id, then `@` and the question's stamp. */
export function stampChoiceId(id: string, stamp: string): string {
  return `${id}@${stamp}`;
}

/** Splits a pressed button's id into the option and the stamp of the question it came with. */
export function splitChoiceId(raw: string): { choiceId: string; stamp: string | null } {
  const at = raw.lastIndexOf("@");
  return at > 0 ? { choiceId: raw.slice(0, at), stamp: raw.slice(at + 1) } : { choiceId: raw, stamp: null };
}

/** A short code for a node ("registration.summary" -> "k3f"), so a stamp names the question it came with. */
function nodeCode(flow: string, node: string): string {
  let h = 0x811c9dc5;
  for (const ch of `${flow}.${node}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return ((h >>> 0) % 46656).toString(36).padStart(3, "0");
}

/** The stamp of the question a conversation waits at. */
export function questionStamp(state: ConversationState): string {
  const counter = typeof state.vars[questionVar] === "number" ? (state.vars[questionVar] as number) : 0;
  return `${nodeCode(state.flow, state.node)}${counter.toString(36)}`;
}

export class Engine {
  constructor(private readonly set: FlowSet) {}

  /** Starts a flow at its start node (or `node`), with fresh variables plus `vars`. */
  async startFlow(flow: string, ctx: FlowContext, node?: string, vars: Vars = {}): Promise<TurnResult> {
    const events: EngineEvent[] = [];
    const state = await this.enter({ flow, node: node ?? this.flow(flow).start, vars: { ...vars } }, ctx, events, {
      entering: true,
    });
    return { state, events };
  }

  /** Shows the current node again (its messages and choices), keeping the participant's place. */
  async show(state: ConversationState, ctx: FlowContext): Promise<TurnResult> {
    const events: EngineEvent[] = [];
    return { state: await this.enter(state, { ...ctx, vars: state.vars }, events, { repeat: true }), events };
  }

  /** Does what an intent asks, from `state` (null: no conversation). */
  async handleIntent(intent: Intent, state: ConversationState | null, ctx: FlowContext): Promise<TurnResult> {
    const events: EngineEvent[] = [];
    const c = { ...ctx, vars: state?.vars ?? ctx.vars };
    const outcome = await this.set.onIntent(intent, state, c);
    this.createMessages(outcome.say, c, events);
    if (state) return { state: await this.follow(outcome.route, state, c, events), events };
    const next = this.apply(outcome.route, { ...this.homeOf(c), vars: c.vars }, events);
    return { state: next && (await this.enter(next, absorb(outcome.route, c), events, { entering: true })), events };
  }

  /**
   * A message with no conversation going on: an intent is done; anything else starts at home
   * (the menu) or, for a newcomer, registration, in English when the message is.
   */
  async begin(input: Input, ctx: FlowContext, vars: Vars = {}): Promise<TurnResult> {
    let c: FlowContext = { ...ctx, vars };
    if (input.kind === "text" && !ctx.participant && vars.language === undefined) {
      const language = detectLanguage(input.text);
      if (language && language !== ctx.language) c = { ...c, language, vars: { ...vars, language } };
    }
    if (input.kind === "choice" && input.stamp) {
      // A button of a conversation that has ended changes nothing.
      const started = await this.startFlow(this.homeOf(c).flow, c, this.homeOf(c).node, c.vars);
      return { state: started.state, events: [this.note(this.set.texts.staleButton, c), ...started.events] };
    }
    if (input.kind === "text") {
      const reading = read(input.text, { choices: [] });
      if (reading.kind === "intent") return this.handleIntent(reading.intent, null, c);
    }
    return this.startFlow(this.homeOf(c).flow, c, this.homeOf(c).node, c.vars);
  }

  /** Resumes a waiting conversation with an input. */
  async resume(state: ConversationState, input: Input, ctx: FlowContext): Promise<TurnResult> {
    const events: EngineEvent[] = [];
    const node = this.node(state);
    const c: FlowContext = { ...ctx, vars: state.vars };
    const wait = node.wait;
    if (!wait) throw new FlowError(`${state.flow}.${state.node} does not wait for input`);

    if (input.kind === "wait_timeout") {
      if (!wait.timeout) return { state, events };
      return { state: await this.follow(wait.timeout.route(c), state, c, events), events };
    }
    // Anything that does not answer the question gets a short note and the question again.
    const refuse = async (note: LocalText): Promise<TurnResult> => {
      this.createMessages(note, c, events);
      return { state: await this.enter(clearNarrow(state), c, events, { repeat: true }), events };
    };
    if (input.kind === "media") return refuse(this.set.texts.mediaNotSupported);

    const all = wait.choices ? await wait.choices(c) : [];
    // After "which one?", a number or a word picks among the options asked about.
    const narrowed = typeof state.vars[narrowVar] === "string" ? (state.vars[narrowVar] as string).split(",") : null;
    const choices = narrowed ? all.filter((ch) => narrowed.includes(ch.id)) : all;
    const answer = async (value: string): Promise<TurnResult> => {
      const cleared = clearNarrow(state);
      const route = await wait.route(value, { ...c, vars: cleared.vars });
      return { state: await this.follow(route, cleared, { ...c, vars: cleared.vars }, events), events };
    };

    if (input.kind === "choice") {
      if (input.stamp && input.stamp !== questionStamp(state)) return refuse(this.set.texts.staleButton);
      if (all.some((ch) => ch.id === input.choiceId)) return answer(input.choiceId);
      // A current button whose option is gone (a session just filled up), or an id that was never offered.
      return refuse(
        input.stamp ? this.set.texts.staleButton : this.set.texts.invalidChoice(all.length, c.channel.buttons),
      );
    }

    const text = input.kind === "contact" ? input.phone : input.text;
    const free: FreeTextKind | undefined = wait.validate ? (wait.expects ?? "text") : undefined;
    const question: Question = { choices: narrowed && choices.length ? choices : all, ...(free ? { free } : {}) };
    // A shared contact answers a question that takes a phone number; elsewhere it is read as text.
    let reading: Reading = input.kind === "contact" && free ? { kind: "free", text } : read(text, question);
    if (wait.freeform && reading.kind !== "free" && !(reading.kind === "intent" && commands.has(reading.intent.name)))
      reading = { kind: "free", text };
    switch (reading.kind) {
      case "choice":
        return answer(reading.choiceId);
      case "intent":
        return this.handleIntent(reading.intent, clearNarrow(state), ctx);
      case "ambiguous":
        return this.askWhich(state, all, reading.choiceIds, c, events);
      case "free": {
        if (!wait.validate) return refuse(this.set.texts.notUnderstood);
        const checked = wait.validate(reading.text, c);
        if ("error" in checked) return refuse(checked.error);
        return answer(checked.value);
      }
      case "unknown": {
        // Not an answer ("ya" for a name): the flow's own check says best what is wrong, if it can.
        const checked = free && wait.validate ? wait.validate(text, c) : null;
        if (checked && "error" in checked) return refuse(checked.error);
        if (reading.asks) return refuse(this.set.texts.cannotAnswer);
        return refuse(
          all.length
            ? this.set.texts.invalidChoice(question.choices.length, c.channel.buttons)
            : this.set.texts.notUnderstood,
        );
      }
    }
  }

  /** "Which one do you mean?" with only the close options; the place in the flow stays. */
  private askWhich(
    state: ConversationState,
    all: Choice[],
    ids: string[],
    ctx: FlowContext,
    events: EngineEvent[],
  ): TurnResult {
    const next = {
      ...state,
      vars: { ...state.vars, [narrowVar]: ids.join(","), [questionVar]: this.nextCounter(state.vars, ctx) },
    };
    const options = all.filter((ch) => ids.includes(ch.id));
    events.push({
      type: "message_created",
      message: {
        text: this.set.texts.whichOne[ctx.language],
        choices: options.map((ch) => ({
          id: stampChoiceId(ch.id, questionStamp(next)),
          label: ch.label[ctx.language],
        })),
      },
    });
    return { state: next, events };
  }

  private homeOf(ctx: FlowContext): { flow: string; node: string } {
    return ctx.participant ? this.set.home : this.set.registration;
  }

  private note(text: LocalText, ctx: FlowContext): EngineEvent {
    return { type: "message_created", message: { text: text[ctx.language] } };
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

  /** The next question counter: it starts from the clock, so buttons of an earlier conversation do not match. */
  private nextCounter(vars: Vars, ctx: FlowContext): number {
    const current = vars[questionVar];
    return typeof current === "number" ? current + 1 : Math.floor(ctx.now.getTime() / 1000) % 46656;
  }

  /**
   * Runs nodes from `state` until one waits (returns its state) or the conversation ends (null).
   * `entering`: `state` starts a flow, so a flow that needs a registered participant sends
   * newcomers to registration (not midway, so a flow can finish after deleting data).
   * `repeat`: the same question is asked again, so only its last message is said (the question,
   * not the welcome before it) and its buttons stay valid.
   */
  private async enter(
    start: ConversationState,
    ctx: FlowContext,
    events: EngineEvent[],
    how: { entering?: boolean; repeat?: boolean },
  ): Promise<ConversationState | null> {
    let state = start;
    let entering = how.entering ?? false;
    let repeat = how.repeat ?? false;
    for (let step = 0; step < maxSteps; step++) {
      const flow = this.flow(state.flow);
      if (entering && flow.requiresParticipant && !ctx.participant) {
        state = { ...this.set.registration, vars: { ...state.vars } };
        repeat = false;
        continue;
      }
      const node = this.node(state);
      if (node.wait && !repeat)
        state = { ...state, vars: { ...state.vars, [questionVar]: this.nextCounter(state.vars, ctx) } };
      const c: FlowContext = { ...ctx, vars: state.vars };
      const said = await node.say?.(c);
      const index = this.createMessages(
        repeat && node.wait && Array.isArray(said) ? said.filter(Boolean).slice(-1) : said,
        c,
        events,
      );
      if (node.wait) {
        const choices = node.wait.choices ? await node.wait.choices(c) : undefined;
        this.attachChoices(index, choices, node.wait.requestPhone, state, c, events);
        if (node.wait.timeout) events.push({ type: "wait_timeout_scheduled", minutes: node.wait.timeout.minutes });
        return state;
      }
      if (!node.next) throw new FlowError(`${state.flow}.${state.node} neither waits nor routes`);
      const route = await node.next(c);
      const next = this.apply(route, state, events);
      if (!next) return null;
      ctx = absorb(route, ctx);
      entering = !("goto" in route);
      repeat = false;
      state = next;
    }
    throw new FlowError(`more than ${maxSteps} steps without a wait, from ${start.flow}.${start.node}`);
  }

  /** Applies a route, then runs from its target (the same question again when it leads back to it). */
  private async follow(
    route: Route,
    from: ConversationState,
    ctx: FlowContext,
    events: EngineEvent[],
  ): Promise<ConversationState | null> {
    const next = this.apply(route, from, events);
    if (!next) return null;
    const same = next.flow === from.flow && next.node === from.node && this.node(from).wait !== undefined;
    return this.enter(next, absorb(route, ctx), events, { entering: !("goto" in route) && !same, repeat: same });
  }

  private apply(route: Route, from: ConversationState, events: EngineEvent[]): ConversationState | null {
    for (const e of route.emit ?? []) events.push(e);
    if ("end" in route) {
      events.push({ type: "conversation_ended" });
      return null;
    }
    if ("goto" in route) return { flow: from.flow, node: route.goto, vars: { ...from.vars, ...route.set } };
    const base = route.keepVars ? from.vars : carried(from.vars);
    return { flow: route.flow, node: route.node ?? this.flow(route.flow).start, vars: { ...base, ...route.set } };
  }

  /** Turns what a node says into message events; returns the index of the last one. */
  private createMessages(said: Say | Say[] | undefined, ctx: FlowContext, events: EngineEvent[]): number | null {
    const list = (Array.isArray(said) ? said : [said]).filter((s): s is Exclude<Say, null> => Boolean(s));
    for (const s of list) {
      const message: OutgoingMessage = "text" in s ? s : { text: s[ctx.language] };
      if (message.text.trim() || message.choices?.length) events.push({ type: "message_created", message });
    }
    return list.length ? events.length - 1 : null;
  }

  /**
   * Choices ride on the question (the last message said); a bare prompt is made when there is
   * none. Each carries the question's stamp, so a button of an earlier question is known as such.
   */
  private attachChoices(
    index: number | null,
    choices: Choice[] | undefined,
    requestPhone: boolean | undefined,
    state: ConversationState,
    ctx: FlowContext,
    events: EngineEvent[],
  ): void {
    if (!choices?.length && !requestPhone) return;
    const stamp = questionStamp(state);
    const rendered = choices?.map((c) => ({ id: stampChoiceId(c.id, stamp), label: c.label[ctx.language] }));
    const extra = { ...(rendered ? { choices: rendered } : {}), ...(requestPhone ? { requestPhone } : {}) };
    const last = index === null ? undefined : events[index];
    if (last?.type === "message_created") last.message = { ...last.message, ...extra };
    else events.push({ type: "message_created", message: { text: "", ...extra } });
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

/** Variables that survive a change of flow: the language chosen before registration, the question counter. */
function carried(vars: Vars): Vars {
  const kept: Vars = {};
  if (vars.language) kept.language = vars.language;
  if (typeof vars[questionVar] === "number") kept[questionVar] = vars[questionVar];
  return kept;
}

function clearNarrow(state: ConversationState): ConversationState {
  if (state.vars[narrowVar] === undefined) return state;
  const vars = { ...state.vars };
  delete vars[narrowVar];
  return { ...state, vars };
}
