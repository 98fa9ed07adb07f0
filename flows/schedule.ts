/**
 * My schedule: upcoming training sessions with Indonesian dates, venue and map link; saying one
 * will attend records it, and cancelling one frees the seat for the first on the waiting list.
 */
import { formatShortDate } from "../src/engine/format.js";
import type { Flow, FlowContext } from "../src/engine/types.js";
import { backToMenu, describeSession, t } from "./texts.js";

const enrollmentId = (ctx: FlowContext) => Number(ctx.vars.enrollmentId);

export const schedule: Flow = {
  name: "schedule",
  start: "list",
  requiresParticipant: true,
  nodes: {
    list: {
      say: async (ctx) => {
        const mine = await ctx.services.listEnrollments();
        const lang = ctx.language;
        if (!mine.length)
          return t(
            "Anda belum terdaftar di pelatihan mana pun. Pilih Daftar pelatihan untuk mendaftar.",
            "You are not enrolled in any training yet. Choose Enroll in training to sign up.",
          );
        const items = mine.map((e, i) => {
          const status =
            e.status === "enrolled"
              ? lang === "id"
                ? e.confirmed
                  ? "✅ Terdaftar, kehadiran dikonfirmasi"
                  : "✅ Terdaftar"
                : e.confirmed
                  ? "✅ Enrolled, attendance confirmed"
                  : "✅ Enrolled"
              : lang === "id"
                ? `⏳ Daftar tunggu nomor ${e.waitlistPosition}`
                : `⏳ Waiting list, number ${e.waitlistPosition}`;
          return `${i + 1}. *${e.session.programmeTitle[lang]}*\n${status}\n${describeSession(e.session, lang, false)}`;
        });
        return { text: `${lang === "id" ? "Jadwal Anda:" : "Your schedule:"}\n\n${items.join("\n\n")}` };
      },
      wait: {
        choices: async (ctx) => {
          const mine = await ctx.services.listEnrollments();
          const when = (e: (typeof mine)[number], lang: "id" | "en") =>
            formatShortDate(e.session.startsAt, e.session.timeZone, lang);
          return [
            ...mine.map((e) => ({
              id: `c${e.id}`,
              label: t(
                `Batalkan: ${e.session.programmeTitle.id}, ${when(e, "id")}`,
                `Cancel: ${e.session.programmeTitle.en}, ${when(e, "en")}`,
              ),
            })),
            // Saying one will come (also the answer to a reminder); after the cancels, so their numbers stay.
            ...mine
              .filter((e) => e.status === "enrolled" && !e.confirmed)
              .map((e) => ({
                id: `h${e.id}`,
                label: t(
                  `Saya akan hadir: ${e.session.programmeTitle.id}, ${when(e, "id")}`,
                  `I will attend: ${e.session.programmeTitle.en}, ${when(e, "en")}`,
                ),
              })),
            { id: "enroll", label: t("Daftar pelatihan", "Enroll in training"), aliases: ["daftar"] },
            backToMenu,
          ];
        },
        route: (value) => {
          if (value === "menu") return { flow: "menu" };
          if (value === "enroll") return { flow: "enrollment" };
          if (value.startsWith("h"))
            return {
              flow: "menu",
              emit: [{ type: "attendance_answered", enrollmentId: Number(value.slice(1)), answer: "confirmed" }],
            };
          return { goto: "confirm_cancel", set: { enrollmentId: Number(value.slice(1)) } };
        },
      },
    },
    confirm_cancel: {
      say: async (ctx) => {
        const e = (await ctx.services.listEnrollments()).find((x) => x.id === enrollmentId(ctx));
        if (!e) return t("Pendaftaran ini sudah tidak aktif.", "This enrollment is no longer active.");
        const lang = ctx.language;
        return {
          text:
            lang === "id"
              ? `Batalkan pendaftaran Anda untuk *${e.session.programmeTitle.id}*?\n${describeSession(e.session, lang, false)}\n\nKursi Anda akan diberikan kepada peserta di daftar tunggu.`
              : `Cancel your enrollment in *${e.session.programmeTitle.en}*?\n${describeSession(e.session, lang, false)}\n\nYour seat will go to someone on the waiting list.`,
        };
      },
      wait: {
        choices: () => [
          { id: "yes", label: t("Ya, batalkan", "Yes, cancel it") },
          { id: "no", label: t("Tidak, tetap ikut", "No, keep it") },
        ],
        route: (value, ctx) =>
          value === "yes"
            ? { flow: "menu", emit: [{ type: "enrollment_cancel_requested", enrollmentId: enrollmentId(ctx) }] }
            : { goto: "list" },
      },
    },
  },
};
