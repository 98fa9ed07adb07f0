/**
 * Where a message enters the flows, before the open question hears it: a staff command, a link
 * or typed words naming a programme ("DAFTAR LADA"), a reminder's button, a wait that timed out;
 * otherwise the open question gets the answer, or (no conversation) the flows begin. The runtime
 * calls it with what it loaded for the turn and stores what comes back (src/runtime).
 */
import { splitChoiceId, type Engine } from "../src/engine/engine.js";
import type { ConversationState, EngineEvent, FlowContext, Input, TurnResult, Vars } from "../src/engine/types.js";
import { tokenize } from "../src/understanding/index.js";
import { parseAttendanceChoice } from "./attendance.js";
import { checkInQuery } from "./checkin.js";
import { rememberPlace } from "./detour.js";
import { staffCommandsElsewhere, type StaffCommand } from "./staff.js";
import { asksForSurvey, offerAnswerVars, parseSurveyOfferChoice, ratingPressed } from "./survey.js";
import { texts } from "./texts.js";

/** The message as routing reads it: its text or link or button, and the input the engine takes. */
export type RoutedMessage = {
  text?: string;
  deepLink?: string;
  choiceId?: string;
  input: Input;
};

/** What the runtime knows of the turn besides the message. */
export type RouteSituation = {
  /** The conversation to go on with; null when there is none, it expired, or it is not for this sender. */
  state: ConversationState | null;
  /** A conversation was there but expired: the participant is told before starting afresh. */
  expired: boolean;
  /** The input is the timeout of the conversation's wait. */
  isTimeout: boolean;
  /** The staff command the message is, if staff commands are offered here. */
  command: StaffCommand | null;
  /** Staff commands work on this channel (Telegram and WhatsApp, not the web chat). */
  staffChannel: boolean;
};

/** "daftar-lada" from a Telegram link, or "DAFTAR LADA" typed: the words after daftar. */
export function deepLinkQuery(message: { deepLink?: string; text?: string }): string | null {
  const source = message.deepLink ?? message.text;
  // Most messages do not start with "daftar": no need to read them as words.
  if (!source || !/^\W*daftar/i.test(source)) return null;
  const words = tokenize(source.replace(/-/g, " "));
  if (words[0] !== "daftar" || words.length < 2 || words.length > 5) return null;
  return words.slice(1).join(" ");
}

/** Chooses how the engine takes this message: a command, a link, a button, a fresh start, or resuming the flow. */
export async function routeMessage(
  engine: Engine,
  message: RoutedMessage,
  situation: RouteSituation,
  ctx: FlowContext,
): Promise<TurnResult> {
  const { state, command } = situation;
  if (situation.isTimeout && state) return engine.resume(state, { kind: "wait_timeout" }, ctx);

  // Staff commands are for Telegram and WhatsApp: the web chat says so, tries no code, counts
  // nothing, and keeps the participant where they were.
  if (command && !situation.staffChannel) {
    const note: EngineEvent = { type: "message_created", message: { text: staffCommandsElsewhere[ctx.language] } };
    if (!state) return { state: null, events: [note] };
    const shown = await engine.show(state, ctx);
    return { state: shown.state, events: [note, ...shown.events] };
  }
  // Staff commands work from anywhere; anyone else gets the ordinary help, and it is noted.
  if (command?.kind === "link") return engine.startFlow("staff", ctx, "link", { code: command.code });
  if (command && ctx.staff) return engine.startFlow("staff", ctx, command.kind);
  if (command) {
    const help = await engine.handleIntent({ name: "help" }, state, ctx);
    return { ...help, events: [...help.events, { type: "staff_command_refused", command: command.kind }] };
  }

  // A check-in at the venue: the poster's link (hadir-K7M2QX) or "HADIR K7M2QX" typed.
  const checkInCode = message.choiceId === undefined ? checkInQuery(message) : null;
  if (checkInCode !== null) {
    // Midway through registration: keep the answers, check in right after.
    if (!ctx.participant && state?.flow === "registration")
      return engine.show({ ...state, vars: { ...state.vars, checkInCode } }, ctx);
    if (!ctx.participant)
      return engine.startFlow("registration", ctx, undefined, {
        checkInCode,
        ...(ctx.vars.language ? { language: ctx.vars.language } : {}),
      });
    // Afterwards back to where the participant was, with their answers so far.
    return engine.startFlow("checkin", ctx, undefined, {
      ...(state?.vars ?? {}),
      ...rememberPlace(state),
      checkInCode,
    });
  }

  // A link, or typed words that name a programme ("DAFTAR LADA"; not "daftar pelatihan").
  const link = deepLinkQuery(message);
  if (link !== null && (message.deepLink || (await ctx.services.findProgrammes(link)).length > 0)) {
    // Midway through registration: keep the answers, remember the programme for afterwards.
    if (!ctx.participant && state?.flow === "registration")
      return engine.show({ ...state, vars: { ...state.vars, linkQuery: link } }, ctx);
    const carry: Vars = { linkQuery: link, ...(ctx.vars.language ? { language: ctx.vars.language } : {}) };
    return ctx.participant
      ? engine.startFlow("enrollment", ctx, "from_link", carry)
      : engine.startFlow("registration", ctx, undefined, carry);
  }
  // A reminder's button answers for its enrollment from wherever the participant is.
  const pressed =
    message.choiceId !== undefined ? parseAttendanceChoice(splitChoiceId(message.choiceId).choiceId) : null;
  if (pressed && ctx.participant) {
    const elsewhere = state && state.flow !== "attendance";
    const vars: Vars = {
      ...(state?.vars ?? {}),
      enrollmentId: pressed.enrollmentId,
      ...(elsewhere ? { returnFlow: state.flow, returnNode: state.node } : { returnFlow: null, returnNode: null }),
    };
    return engine.resume(
      { flow: "attendance", node: "answer", vars },
      { kind: "choice", choiceId: pressed.answer },
      ctx,
    );
  }
  // A survey offer's button ("Ya, isi sekarang" / "Nanti saja") answers from wherever the participant is.
  // SURVEI typed takes up the survey offered last (where there are no buttons, as on WhatsApp).
  const offer =
    message.choiceId !== undefined
      ? parseSurveyOfferChoice(splitChoiceId(message.choiceId).choiceId)
      : asksForSurvey(message.text)
        ? { answer: "ya" as const, campaignMessageId: 0 }
        : null;
  if (offer && ctx.participant)
    return engine.resume(
      { flow: "survey_offer", node: "answer", vars: offerAnswerVars(state, offer.campaignMessageId) },
      { kind: "choice", choiceId: offer.answer },
      ctx,
    );
  if (state) return engine.resume(state, ratingPressed(state, message.input) ?? message.input, ctx);

  const preface: EngineEvent[] = situation.expired
    ? [{ type: "message_created", message: { text: texts.expired[ctx.language] } }]
    : [];
  const started = await engine.begin(message.input, ctx, ctx.vars.language ? { language: ctx.vars.language } : {});
  return { state: started.state, events: [...preface, ...started.events] };
}
