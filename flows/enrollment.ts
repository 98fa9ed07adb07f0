/**
 * Enrollment: a programme (those of the participant's sector and regency first), then a
 * training session, then a confirmation. The domain decides enrolled or waitlisted.
 */
import { bold, plain } from "../src/engine/markup.js";
import type { Choice, Flow, FlowContext, ProgrammeView, Route, SessionView } from "../src/engine/types.js";
import { findProgrammes, placeNames, sectorWords, shortRegency } from "../src/understanding/index.js";
import { enrollmentToMove, moveChoices, moveOffer } from "./enrollment-move.js";
import { dayWords, distinctLabels, shortDay } from "./labels.js";
import { welcome } from "./menu.js";
import { backToMenu, describeSession, t } from "./texts.js";

/** Programmes for this participant: same sector and regency first, then same sector, then the rest. */
function ranked(programmes: ProgrammeView[], ctx: FlowContext): ProgrammeView[] {
  const p = ctx.participant;
  const score = (g: ProgrammeView) => (p && g.sector === p.sector ? 2 : 0) + (p && g.regency === p.regency ? 1 : 0);
  return [...programmes].sort((a, b) => score(b) - score(a) || a.title.id.localeCompare(b.title.id));
}

/** "Reparasi AC – Pangkalpinang", without repeating a place the title already names. */
const programmeLabel = (title: string, regency: string | null) => {
  const place = regency ? shortRegency(regency) : "";
  return place && !title.includes(place) ? `${title} – ${place}` : title;
};

/**
 * The programmes as options: those an intent narrowed the list to (`only`), else all, each
 * known also by its sector's words and its regency's towns ("yang AC", "yang di Koba").
 */
async function programmeChoices(ctx: FlowContext): Promise<Choice[]> {
  const only = typeof ctx.vars.only === "string" ? ctx.vars.only.split(",").map(Number) : null;
  const all = ranked(await ctx.services.listProgrammes(), ctx);
  const list = only && all.some((p) => only.includes(p.id)) ? all.filter((p) => only.includes(p.id)) : all;
  const labels = (lang: "id" | "en") =>
    distinctLabels(list.map((p) => programmeLabel(p.title[lang], p.regency))).map(plain);
  const id = labels("id");
  const en = labels("en");
  return [
    ...list.map((p, i) => ({
      id: `p${p.id}`,
      label: t(id[i]!, en[i]!),
      aliases: [
        p.title.id,
        p.title.en,
        p.slug.replace(/-/g, " "),
        ...sectorWords(p.sector),
        ...(p.regency ? [p.regency, shortRegency(p.regency), ...placeNames(p.regency)] : []),
      ],
    })),
    backToMenu,
  ];
}

/**
 * "15 Des · Gedung Serbaguna Koba": the day first; typed dates, weekdays, the part of the month,
 * venue words, and (for the first and the last) "paling cepat" or "terakhir" find it too.
 */
function sessionChoice(s: SessionView, index: number, count: number): Choice {
  const full = (lang: "id" | "en") => (s.seatsLeft > 0 ? "" : lang === "id" ? " (penuh)" : " (full)");
  const label = (lang: "id" | "en") => `${shortDay(s, lang)}${full(lang)} · ${plain(s.venue)}`;
  return {
    id: `s${s.id}`,
    label: t(label("id"), label("en")),
    aliases: [
      ...dayWords(s),
      ...(index === 0 ? ["paling cepat", "terdekat", "paling awal", "soonest", "earliest", "first"] : []),
      ...(index === count - 1 && count > 1 ? ["terakhir", "paling akhir", "paling lama", "latest", "last"] : []),
      s.venue,
      ...s.address.split(",").map((part) => part.trim()),
    ],
  };
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
            : { goto: "choose_session", set: { programmeId: Number(value.slice(1)), only: null } },
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
        const found = findProgrammes(String(ctx.vars.linkQuery ?? ""), await ctx.services.listProgrammes());
        if (found.length === 1) return { goto: "choose_session", set: { programmeId: found[0]!.id, linkQuery: null } };
        return {
          goto: found.length ? "choose_programme" : "link_not_found",
          set: { linkQuery: null, only: found.length ? found.map((p) => p.id).join(",") : null },
        };
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
        const head = `${bold(programme.title[ctx.language])}\n${plain(programme.description[ctx.language])}`;
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
          ...(await ctx.services.listOpenSessions(programmeId(ctx))).map((s, i, all) =>
            sessionChoice(s, i, all.length),
          ),
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
          bold(session.programmeTitle[lang]),
          describeSession(session, lang, session.seatsLeft > 0),
        ];
        const overlap = mine.find((e) => e.session.startsAt < session.endsAt && session.startsAt < e.session.endsAt);
        if (overlap)
          lines.push(
            lang === "id"
              ? `\n⚠️ Perhatian: waktunya bentrok dengan ${plain(overlap.session.programmeTitle.id)} yang sudah Anda ikuti.`
              : `\n⚠️ Note: this overlaps with ${plain(overlap.session.programmeTitle.en)}, which you are already enrolled in.`,
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
            { id: "no", label: t("Batal", "Cancel"), aliases: ["tidak jadi", "batal saja", "nanti saja"] },
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
          if (value === "no") return { goto: "not_enrolled" };
          return { flow: "menu" };
        },
      },
    },
    // "Batal" at the confirmation: say plainly that nothing was made or changed.
    not_enrolled: {
      say: async (ctx) => {
        const session = await ctx.services.getSession(sessionId(ctx));
        const move = session ? await enrollmentToMove(ctx, session) : null;
        return move
          ? t(
              "Baik, jadwal Anda tidak dipindah; pendaftaran lama tetap berlaku.",
              "All right, your session is not changed; your enrollment stands.",
            )
          : t(
              "Baik, Anda tidak jadi mendaftar. Tidak ada pendaftaran baru yang dibuat.",
              "All right, you did not enroll. No new enrollment was made.",
            );
      },
      next: () => ({ flow: "menu" }),
    },
  },
};
