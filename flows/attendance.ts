/**
 * Attendance: the answer to a reminder's question "will you come?". A reminder puts an idle
 * conversation here (so a typed "1" or "2" is understood); its buttons work from anywhere, and
 * afterwards the participant is back where they were. Declining frees the seat.
 */
import type {
  Choice,
  ConversationState,
  Flow,
  FlowContext,
  Language,
  OutgoingMessage,
  Route,
  Vars,
} from "../src/engine/types.js";
import { bold } from "../src/engine/markup.js";
import { reminderText, type ReminderPlace, type SessionSummary } from "./outcomes.js";
import { rememberPlace, routeBack } from "./detour.js";
import { t } from "./texts.js";

/** The reminder's two answers; the buttons carry the enrollment (`hadir-12`), typed answers match these. */
export const attendanceChoices = (enrollmentId?: number): Choice[] => [
  {
    id: enrollmentId === undefined ? "hadir" : `hadir-${enrollmentId}`,
    label: t("Hadir", "I will attend"),
    aliases: ["ya hadir", "datang", "yes", "attend", "insya allah hadir", "siap hadir"],
    means: "yes",
  },
  {
    id: enrollmentId === undefined ? "tidak" : `tidak-${enrollmentId}`,
    label: t("Tidak bisa hadir", "I cannot attend"),
    aliases: ["tidak hadir", "tidak bisa", "no", "cannot", "berhalangan", "tidak bisa datang", "batal", "izin"],
    means: "no",
    intents: ["cancel_enrollment"],
  },
];

/** A reminder button pressed: "hadir-12" is the answer "hadir" for enrollment 12. */
export function parseAttendanceChoice(choiceId: string): { answer: "hadir" | "tidak"; enrollmentId: number } | null {
  const match = /^(hadir|tidak)-(\d{1,10})$/.exec(choiceId);
  return match ? { answer: match[1] as "hadir" | "tidak", enrollmentId: Number(match[2]) } : null;
}

/** The reminder that asks "will you come?": when and where, with the two answers as buttons. */
export function reminderQuestion(
  enrollmentId: number,
  session: SessionSummary,
  place: ReminderPlace,
  l: Language,
): OutgoingMessage {
  return {
    text: reminderText(session, place, l),
    choices: attendanceChoices(enrollmentId).map((c) => ({ id: c.id, label: c.label[l] })),
  };
}

/** The reminder to someone who already said they will come: when and where, no question. */
export function reminderNote(session: SessionSummary, place: ReminderPlace, l: Language): OutgoingMessage {
  return { text: reminderText(session, place, l, true) };
}

/**
 * The variables of the conversation a reminder leaves waiting at `answer`, so a typed "1" or "2"
 * is understood: someone in the middle of something (`current`) goes back there after answering.
 */
export const waitForAnswer =
  (enrollmentId: number) =>
  (current: ConversationState | null): Vars =>
    current ? { ...current.vars, enrollmentId, ...rememberPlace(current) } : { enrollmentId };

const back = (ctx: FlowContext): Route => routeBack(ctx.vars, { end: true });

export const attendance: Flow = {
  name: "attendance",
  start: "answer",
  requiresParticipant: true,
  nodes: {
    answer: {
      // Said only when the question is asked again (the reminder itself asked it first).
      say: async (ctx) => {
        const e = (await ctx.services.listEnrollments()).find((x) => x.id === Number(ctx.vars.enrollmentId));
        const title = e ? bold(e.session.programmeTitle[ctx.language]) : null;
        return title
          ? t(`Apakah Anda akan hadir di ${title}?`, `Will you attend ${title}?`)
          : t("Apakah Anda akan hadir?", "Will you attend?");
      },
      wait: {
        choices: () => attendanceChoices(),
        route: (value, ctx) => {
          const route = back(ctx);
          // Without a known enrollment there is nothing to record: carry on (the menu if nowhere else).
          if (!Number.isInteger(ctx.vars.enrollmentId)) return "end" in route ? { flow: "menu" } : route;
          const event = {
            type: "attendance_answered" as const,
            enrollmentId: Number(ctx.vars.enrollmentId),
            answer: value === "hadir" ? ("confirmed" as const) : ("declined" as const),
          };
          return { ...route, emit: [event] };
        },
      },
    },
  },
};
