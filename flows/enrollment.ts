/**
 * Enrollment: a programme (those of the participant's sector and regency first), then a
 * training session, then a confirmation. The domain decides enrolled or waitlisted.
 */
import { formatShortDate } from "../src/engine/format.js";
import type { Choice, Flow, FlowContext, ProgrammeView, Route, SessionView } from "../src/engine/types.js";
import { enrollmentToMove, moveChoices, moveOffer } from "./enrollment-move.js";
import { welcome } from "./menu.js";
import { backToMenu, describeSession, t } from "./texts.js";

/** Programmes for this participant: same sector and regency first, then same sector, then the rest. */
function ranked(programmes: ProgrammeView[], ctx: FlowContext): ProgrammeView[] {
  const p = ctx.participant;
  const score = (g: ProgrammeView) => (p && g.sector === p.sector ? 2 : 0) + (p && g.regency === p.regency ? 1 : 0);
  return [...programmes].sort((a, b) => score(b) - score(a) || a.title.id.localeCompare(b.title.id));
}

const shortRegency = (r: string | null) => (r ? r.replace(/^(Kota|Kabupaten) /, "") : "");

/** "Reparasi AC – Pangkalpinang", without repeating a place the title already names. */
const programmeLabel = (title: string, regency: string | null) => {
  const place = shortRegency(regency);
  return place && !title.includes(place) ? `${title} – ${place}` : title;
};

async function programmeChoices(ctx: FlowContext): Promise<Choice[]> {
  const list = ranked(await ctx.services.listProgrammes(), ctx);
  return [
    ...list.map((p) => ({
      id: `p${p.id}`,
      label: t(programmeLabel(p.title.id, p.regency), programmeLabel(p.title.en, p.regency)),
      aliases: [p.slug, p.sector],
    })),
    backToMenu,
  ];
}

function sessionLabel(s: SessionView, ctx: FlowContext): string {
  const date = formatShortDate(s.startsAt, s.timeZone, ctx.language);
  const full = s.seatsLeft > 0 ? "" : ctx.language === "id" ? " (penuh)" : " (full)";
  return `${date} – ${s.venue}${full}`;
}

const programmeId = (ctx: FlowContext) => Number(ctx.vars.programmeId);
const sessionId = (ctx: FlowContext) => Number(ctx.vars.sessionId);

export const enrollment: Flow = {
  name: "enrollment",
  start: "choose_programme",
  requiresParticipant: true,
  nodes: {
    choose_programme: {
      say: () => t("Pelatihan yang tersedia. Silakan pilih:", "Training programmes available. Please choose:"),
      wait: {
        choices: programmeChoices,
        route: (value) =>
          value === "menu"
            ? { flow: "menu" }
            : { goto: "choose_session", set: { programmeId: Number(value.slice(1)) } },
      },
    },
    // Registered through a link: thank them, then on to the programme they asked for.
    welcome: {
      say: welcome,
      next: () => ({ goto: "from_link" }),
    },
    // "DAFTAR LADA" or a Telegram link: straight to the programme when the words name one.
    from_link: {
      next: async (ctx): Promise<Route> => {
        const found = await ctx.services.findProgrammes(String(ctx.vars.linkQuery ?? ""));
        if (found.length === 1) return { goto: "choose_session", set: { programmeId: found[0]!.id, linkQuery: null } };
        return { goto: found.length ? "choose_programme" : "link_not_found", set: { linkQuery: null } };
      },
    },
    link_not_found: {
      say: () =>
        t(
          "Maaf, program yang Anda cari tidak ditemukan. Berikut semua pelatihan yang tersedia.",
          "Sorry, that programme was not found. Here are all the programmes available.",
        ),
      next: () => ({ goto: "choose_programme" }),
    },
    choose_session: {
      say: async (ctx) => {
        const programme = (await ctx.services.listProgrammes()).find((p) => p.id === programmeId(ctx));
        const sessions = await ctx.services.listOpenSessions(programmeId(ctx));
        if (!programme) return t("Program ini sudah tidak tersedia.", "This programme is no longer available.");
        const head = `*${programme.title[ctx.language]}*\n${programme.description[ctx.language]}`;
        if (!sessions.length)
          return {
            text: `${head}\n\n${ctx.language === "id" ? "Belum ada jadwal yang dibuka untuk program ini." : "No sessions are open for this programme yet."}`,
          };
        const list = sessions.map((s, i) => `${i + 1}. ${describeSession(s, ctx.language)}`).join("\n\n");
        const ask = ctx.language === "id" ? "Pilih jadwal yang Anda inginkan:" : "Choose the session you want:";
        return { text: `${head}\n\n${list}\n\n${ask}` };
      },
      wait: {
        choices: async (ctx) => [
          ...(await ctx.services.listOpenSessions(programmeId(ctx))).map((s) => ({
            id: `s${s.id}`,
            label: t(sessionLabel(s, { ...ctx, language: "id" }), sessionLabel(s, { ...ctx, language: "en" })),
          })),
          {
            id: "other",
            label: t("Pilih program lain", "Choose another programme"),
            aliases: ["program lain", "lain"],
          },
          backToMenu,
        ],
        route: (value) => {
          if (value === "menu") return { flow: "menu" };
          if (value === "other") return { goto: "choose_programme" };
          return { goto: "confirm", set: { sessionId: Number(value.slice(1)) } };
        },
      },
    },
    confirm: {
      say: async (ctx) => {
        const session = await ctx.services.getSession(sessionId(ctx));
        if (!session) return t("Jadwal ini sudah tidak tersedia.", "This session is no longer available.");
        const mine = await ctx.services.listEnrollments();
        const lang = ctx.language;
        if (mine.some((e) => e.session.id === session.id))
          return t(
            "Anda sudah terdaftar di jadwal ini. Lihat di menu Jadwal saya.",
            "You are already enrolled in this session. See it under My schedule.",
          );
        // Already as many sessions of this programme as it allows: offer to move instead.
        const move = await enrollmentToMove(ctx, session);
        if (move) return moveOffer(move, session, lang);
        const lines = [
          lang === "id" ? "Anda akan mendaftar di:" : "You are about to enroll in:",
          `*${session.programmeTitle[lang]}*`,
          describeSession(session, lang, session.seatsLeft > 0),
        ];
        const overlap = mine.find((e) => e.session.startsAt < session.endsAt && session.startsAt < e.session.endsAt);
        if (overlap)
          lines.push(
            lang === "id"
              ? `\n⚠️ Perhatian: waktunya bentrok dengan ${overlap.session.programmeTitle.id} yang sudah Anda ikuti.`
              : `\n⚠️ Note: this overlaps with ${overlap.session.programmeTitle.en}, which you are already enrolled in.`,
          );
        if (session.seatsLeft <= 0)
          lines.push(
            lang === "id"
              ? "\nKursi sudah penuh. Anda akan masuk daftar tunggu dan kami kabari jika ada kursi kosong."
              : "\nThe session is full. You will join the waiting list and we will tell you when a seat frees up.",
          );
        lines.push(lang === "id" ? "\nLanjutkan?" : "\nGo ahead?");
        return { text: lines.join("\n") };
      },
      wait: {
        choices: async (ctx) => {
          const session = await ctx.services.getSession(sessionId(ctx));
          const mine = await ctx.services.listEnrollments();
          if (!session || mine.some((e) => e.session.id === session.id))
            return [
              { id: "schedule", label: t("Lihat jadwal saya", "See my schedule"), aliases: ["jadwal"] },
              backToMenu,
            ];
          if (await enrollmentToMove(ctx, session)) return moveChoices;
          return [
            { id: "yes", label: t("Ya, daftarkan saya", "Yes, enroll me"), aliases: ["daftar", "daftarkan"] },
            { id: "other", label: t("Pilih jadwal lain", "Choose another session"), aliases: ["jadwal lain", "lain"] },
            { id: "no", label: t("Batal", "Cancel") },
          ];
        },
        route: async (value, ctx): Promise<Route> => {
          if (value === "yes") {
            // "Yes" to the move offer moves; otherwise it enrolls.
            const session = await ctx.services.getSession(sessionId(ctx));
            const move = session ? await enrollmentToMove(ctx, session) : null;
            return {
              flow: "menu",
              emit: [
                move
                  ? { type: "enrollment_move_requested", enrollmentId: move.id, trainingSessionId: sessionId(ctx) }
                  : { type: "enrollment_requested", trainingSessionId: sessionId(ctx) },
              ],
            };
          }
          if (value === "other") return { goto: "choose_session" };
          if (value === "schedule") return { flow: "schedule" };
          return { flow: "menu" };
        },
      },
    },
  },
};
