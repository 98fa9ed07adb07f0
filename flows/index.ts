/**
 * All flows, and what every flow shares: the global keywords and the fallback texts.
 */
import type { FlowSet } from "../src/engine/engine.js";
import type { ConversationState, FlowContext, Keyword, Route, Say } from "../src/engine/types.js";
import { attendance } from "./attendance.js";
import { enrollment } from "./enrollment.js";
import { help, language, menu } from "./menu.js";
import { privacy } from "./privacy.js";
import { profile } from "./profile.js";
import { registration } from "./registration.js";
import { schedule } from "./schedule.js";
import { t, texts } from "./texts.js";

/** Back to where the participant was, so a keyword like BANTUAN keeps their place. */
const stay = (state: ConversationState): Route => ({ flow: state.flow, node: state.node, keepVars: true });

function keywordRoute(keyword: Keyword, state: ConversationState | null, ctx: FlowContext): Route {
  const registered = Boolean(ctx.participant);
  const registering = state?.flow === "registration";
  switch (keyword) {
    case "menu":
      if (registered) return { flow: "menu" };
      return state && registering ? stay(state) : { flow: "registration" };
    case "help":
      return state ? stay(state) : { flow: registered ? "menu" : "registration" };
    case "cancel":
      return registered ? { flow: "menu" } : { end: true };
    case "stop":
      return registered ? { end: true, emit: [{ type: "opted_out" }] } : { end: true };
    case "start":
      if (!registered) return state && registering ? stay(state) : { flow: "registration" };
      return ctx.participant!.optedOut ? { flow: "menu", emit: [{ type: "opted_in" }] } : { flow: "menu" };
    case "language":
      return {
        flow: "language",
        keepVars: true,
        set: state ? { returnFlow: state.flow, returnNode: state.node } : {},
      };
  }
}

function keywordSay(keyword: Keyword, ctx: FlowContext, state: ConversationState | null): Say | Say[] {
  const registered = Boolean(ctx.participant);
  switch (keyword) {
    case "help":
      return help.nodes.show!.say!(ctx) as Say;
    case "menu":
      return registered || state?.flow !== "registration"
        ? null
        : t(
            "Menu bisa dipakai setelah pendaftaran selesai. Mari kita lanjutkan, atau ketik BATAL untuk berhenti.",
            "The menu is available once registration is done. Let us continue, or type CANCEL to stop.",
          );
    case "cancel":
      return registered
        ? t("Baik, langkah tadi dibatalkan.", "All right, that step is cancelled.")
        : t(
            "Pendaftaran dibatalkan dan tidak ada data yang disimpan. Kirim pesan apa saja untuk mulai lagi.",
            "Registration cancelled; nothing was stored. Send any message to start again.",
          );
    case "stop":
      return registered
        ? t(
            "Baik, Anda tidak akan menerima pengingat, pengumuman, atau pesan motivasi lagi. Pendaftaran pelatihan Anda tetap tersimpan. Ketik MULAI kapan saja untuk menerima pesan lagi.",
            "All right, you will receive no more reminders, announcements or motivational messages. Your enrollments are kept. Type START at any time to receive messages again.",
          )
        : t("Baik, kami tidak akan mengirim pesan kepada Anda.", "All right, we will not send you messages.");
    case "start":
      return registered && ctx.participant!.optedOut
        ? t(
            "Selamat datang kembali! Anda akan menerima pesan dari Sapa IKM lagi.",
            "Welcome back! You will receive messages from Sapa IKM again.",
          )
        : null;
    case "language":
      return null;
  }
}

export const flowSet: FlowSet = {
  flows: Object.fromEntries(
    [registration, menu, help, language, enrollment, schedule, profile, privacy, attendance].map((f) => [f.name, f]),
  ),
  home: { flow: "menu", node: "main" },
  registration: { flow: "registration", node: "consent" },
  texts: {
    mediaNotSupported: texts.mediaNotSupported,
    notUnderstood: texts.notUnderstood,
    invalidChoice: texts.invalidChoice,
  },
  keyword: keywordRoute,
  keywordSay,
};
