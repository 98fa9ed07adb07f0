/**
 * All flows, and what every flow shares: the global keywords and the fallback texts.
 */
import type { FlowSet } from "../src/engine/engine.js";
import type { ConversationState, FlowContext, Keyword, RequestedEvent, Route, Say } from "../src/engine/types.js";
import { attendance } from "./attendance.js";
import { enrollment } from "./enrollment.js";
import { help, language, menu } from "./menu.js";
import { privacy } from "./privacy.js";
import { profile } from "./profile.js";
import { registration } from "./registration.js";
import { schedule } from "./schedule.js";
import { staff } from "./staff.js";
import { t, texts } from "./texts.js";

/** Back to where the participant was, so a keyword like BANTUAN keeps their place. */
const stay = (state: ConversationState): Route => ({ flow: state.flow, node: state.node, keepVars: true });

function keywordRoute(keyword: Keyword, state: ConversationState | null, ctx: FlowContext): Route {
  const registered = Boolean(ctx.participant);
  // Staff leave a staff command with BATAL or MENU.
  if (state?.flow === "staff" && (keyword === "cancel" || keyword === "menu")) return { end: true };
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
    case "motivation_off":
    case "motivation_on": {
      // Registered participants switch motivation; everyone keeps their place.
      const emit: RequestedEvent[] = registered
        ? [{ type: keyword === "motivation_off" ? "motivation_opted_out" : "motivation_opted_in" }]
        : [];
      if (state) return { ...stay(state), emit };
      return registered ? { end: true, emit } : { flow: "registration" };
    }
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
  if (state?.flow === "staff" && (keyword === "cancel" || keyword === "menu"))
    return t(
      "Baik, perintah staf dihentikan. Tidak ada yang dikirim.",
      "All right, the staff command is stopped. Nothing was sent.",
    );
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
    case "motivation_off":
      return registered
        ? t(
            "Baik, Anda tidak akan menerima pesan motivasi lagi. Pengingat pelatihan dan pengumuman tetap kami kirim. Ketik MOTIVASI ON jika ingin menerimanya kembali.",
            "All right, you will receive no more motivational messages. Training reminders and announcements still come. Type MOTIVATION ON to get them again.",
          )
        : motivationForRegistered;
    case "motivation_on":
      if (!registered) return motivationForRegistered;
      return ctx.participant!.optedOut
        ? t(
            "Pesan motivasi diaktifkan. Namun saat ini Anda sedang berhenti menerima semua pesan dari Sapa IKM; ketik MULAI agar pesan motivasi bisa sampai kepada Anda.",
            "Motivational messages are on. You have, however, stopped all messages from Sapa IKM; type START so they can reach you.",
          )
        : t(
            "Baik, Anda akan menerima pesan motivasi lagi, paling banyak seminggu sekali.",
            "All right, you will receive motivational messages again, at most once a week.",
          );
    case "language":
      return null;
  }
}

const motivationForRegistered = t(
  "Pesan motivasi hanya dikirim kepada peserta yang sudah terdaftar. Silakan selesaikan pendaftaran lebih dulu.",
  "Motivational messages go to registered participants only. Please finish registering first.",
);

export const flowSet: FlowSet = {
  flows: Object.fromEntries(
    [registration, menu, help, language, enrollment, schedule, profile, privacy, attendance, staff].map((f) => [
      f.name,
      f,
    ]),
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
