/**
 * My schedule: upcoming training sessions with Indonesian dates, venue and map link; saying one
 * will attend records it, and cancelling one frees the seat for the first on the waiting list.
 */
import { bold, plain } from "../src/engine/markup.js";
import type { Choice, EnrollmentView, Flow, FlowContext, ProgrammeView, Route } from "../src/engine/types.js";
import { sectorWords } from "../src/understanding/index.js";
import { dayWords, shortDay } from "./labels.js";
import { backToMenu, describeSession, t } from "./texts.js";

const enrollmentId = (ctx: FlowContext) => Number(ctx.vars.enrollmentId);

/** Other words for cancelling and for saying one will come. */
const verbs = {
  c: ["batal", "batalkan", "cancel", "tidak bisa", "tidak jadi ikut", "mundur"],
  h: ["hadir", "konfirmasi hadir", "konfirmasi", "datang", "insyaallah hadir", "attend", "will attend", "will come"],
};

/**
 * "Batalkan 15 Des · Produksi Konveksi": the day first, since it tells two sessions apart; also
 * known by its day, its programme's sector words ("yang lada", "the pepper one") and the verb.
 */
function enrollmentChoice(
  prefix: "c" | "h",
  verb: { id: string; en: string },
  e: EnrollmentView,
  programmes: ProgrammeView[],
): Choice {
  const label = (lang: "id" | "en") =>
    `${verb[lang]} ${shortDay(e.session, lang)} · ${plain(e.session.programmeTitle[lang])}`;
  const sector = programmes.find((p) => p.id === e.session.programmeId)?.sector ?? "";
  return {
    id: `${prefix}${e.id}`,
    label: t(label("id"), label("en")),
    aliases: [
      `${verb.id} ${e.session.programmeTitle.id}`,
      `${verb.en} ${e.session.programmeTitle.en}`,
      ...dayWords(e.session),
      ...sectorWords(sector),
      ...verbs[prefix],
    ],
  };
}

/** Enrollments the chooser offers: those an intent narrowed it to (`only`), else all. */
async function offered(ctx: FlowContext): Promise<EnrollmentView[]> {
  const mine = await ctx.services.listEnrollments();
  const only = typeof ctx.vars.only === "string" ? ctx.vars.only.split(",").map(Number) : null;
  const narrowed = only ? mine.filter((e) => only.includes(e.id)) : mine;
  return narrowed.length ? narrowed : mine;
}

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
          return `${i + 1}. ${bold(e.session.programmeTitle[lang])}\n${status}\n${describeSession(e.session, lang, false)}`;
        });
        return { text: `${lang === "id" ? "Jadwal Anda:" : "Your schedule:"}\n\n${items.join("\n\n")}` };
      },
      wait: {
        choices: async (ctx) => {
          const mine = await ctx.services.listEnrollments();
          const programmes = await ctx.services.listProgrammes();
          return [
            ...mine.map((e) => enrollmentChoice("c", { id: "Batalkan", en: "Cancel" }, e, programmes)),
            // Saying one will come (also the answer to a reminder); after the cancels, so their numbers stay.
            ...mine
              .filter((e) => e.status === "enrolled" && !e.confirmed)
              .map((e) => enrollmentChoice("h", { id: "Hadir", en: "Attend" }, e, programmes)),
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
    // "batal" or "ga bisa dateng" with several enrollments: which one (then the confirmation).
    choose_cancel: {
      say: () => t("Pendaftaran mana yang ingin dibatalkan?", "Which enrollment do you want to cancel?"),
      wait: {
        choices: async (ctx) => {
          const programmes = await ctx.services.listProgrammes();
          return [
            ...(await offered(ctx)).map((e) => enrollmentChoice("c", { id: "Batalkan", en: "Cancel" }, e, programmes)),
            {
              id: "none",
              label: t("Tidak jadi", "Never mind"),
              aliases: ["tidak", "tidak ada", "kembali"],
              means: "no",
            },
          ];
        },
        route: (value): Route =>
          value === "none"
            ? { goto: "kept", set: { only: null } }
            : { goto: "confirm_cancel", set: { enrollmentId: Number(value.slice(1)), only: null } },
      },
    },
    kept: {
      say: () =>
        t(
          "Baik, pendaftaran Anda tetap berlaku; tidak ada yang dibatalkan.",
          "All right, your enrollments stay; nothing was cancelled.",
        ),
      next: () => ({ flow: "menu" }),
    },
    confirm_cancel: {
      say: async (ctx) => {
        const e = (await ctx.services.listEnrollments()).find((x) => x.id === enrollmentId(ctx));
        if (!e) return t("Pendaftaran ini sudah tidak aktif.", "This enrollment is no longer active.");
        const lang = ctx.language;
        return {
          text:
            lang === "id"
              ? `Batalkan pendaftaran Anda untuk ${bold(e.session.programmeTitle.id)}?\n${describeSession(e.session, lang, false)}\n\nKursi Anda akan diberikan kepada peserta di daftar tunggu.`
              : `Cancel your enrollment in ${bold(e.session.programmeTitle.en)}?\n${describeSession(e.session, lang, false)}\n\nYour seat will go to someone on the waiting list.`,
        };
      },
      wait: {
        choices: () => [
          {
            id: "yes",
            label: t("Ya, batalkan", "Yes, cancel it"),
            aliases: ["batalkan", "batal"],
            intents: ["cancel_enrollment"],
          },
          { id: "no", label: t("Tidak, tetap ikut", "No, keep it"), aliases: ["tetap ikut", "tetap", "keep"] },
        ],
        route: (value, ctx) =>
          value === "yes"
            ? { flow: "menu", emit: [{ type: "enrollment_cancel_requested", enrollmentId: enrollmentId(ctx) }] }
            : { goto: "kept" },
      },
    },
  },
};
