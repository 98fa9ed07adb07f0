/**
 * Answers about programmes for anyone, registered or not: what is offered, when and where,
 * with the next sessions of each. Used before registration (nothing is stored to read it) and
 * for "jam brp acaranya" or "alamatnya dimana" at any step.
 */
import { bold, plain } from "../src/engine/markup.js";
import { formatLongDate, formatTimeRange } from "../src/engine/format.js";
import type { EnrollmentView, FlowContext, Language, ProgrammeView, SessionView } from "../src/engine/types.js";
import { findProgrammes, shortRegency } from "../src/understanding/index.js";

/** What a question is about: everything, the time, or the place. */
export type Focus = "all" | "when" | "where";

/** One session in a line or two, as the question asks: its time, its place, or both. */
export function sessionLines(s: SessionView, language: Language, focus: Focus): string[] {
  const when = `📅 ${formatLongDate(s.startsAt, s.timeZone, language)}, ${formatTimeRange(s.startsAt, s.endsAt, s.timeZone, language)}`;
  const where = [`📍 ${plain(s.venue)}, ${plain(s.address)}`, ...(s.mapUrl ? [`🗺️ ${plain(s.mapUrl)}`] : [])];
  if (focus === "when") return [when];
  if (focus === "where") return [`📅 ${formatLongDate(s.startsAt, s.timeZone, language)}`, ...where];
  return [when, ...where];
}

/** The programmes some words name ("ac", "sahang di koba"), or every one when the words name none. */
export async function programmesNamed(ctx: FlowContext, words: string | undefined): Promise<ProgrammeView[]> {
  const all = await ctx.services.listProgrammes();
  const found = words ? findProgrammes(words, all) : [];
  return found.length ? found : all;
}

/** Programmes with their next two sessions; `only` narrows them, `focus` says what to show of each session. */
export async function programmesOverview(
  ctx: FlowContext,
  only?: ProgrammeView[],
  focus: Focus = "all",
): Promise<string> {
  const lang = ctx.language;
  const programmes = only ?? (await ctx.services.listProgrammes());
  const blocks: string[] = [];
  for (const p of programmes) {
    const sessions = (await ctx.services.listOpenSessions(p.id)).slice(0, 2);
    const place = p.regency ? shortRegency(p.regency) : "";
    const head = `${bold(p.title[lang])}${place && !p.title[lang].includes(place) ? ` (${plain(place)})` : ""}`;
    const lines = sessions.length
      ? sessions.flatMap((s) => sessionLines(s, lang, focus))
      : [lang === "id" ? "Jadwal belum dibuka." : "No sessions open yet."];
    blocks.push([head, ...lines].join("\n"));
  }
  if (!blocks.length)
    return lang === "id"
      ? "Saat ini belum ada pelatihan yang dibuka. Kami akan mengumumkannya di sini."
      : "No programmes are open at the moment. We will announce them here.";
  const title =
    focus === "when"
      ? lang === "id"
        ? "Jadwal pelatihan:"
        : "Training dates:"
      : focus === "where"
        ? lang === "id"
          ? "Tempat pelatihan:"
          : "Training venues:"
        : lang === "id"
          ? "Pelatihan yang dibuka:"
          : "Programmes open now:";
  return `${title}\n\n${blocks.join("\n\n")}`;
}

/** The participant's own sessions, for "kapan pelatihan saya" and "di mana tempatnya" once enrolled. */
export function enrollmentsOverview(mine: EnrollmentView[], language: Language, focus: Focus): string {
  const head = language === "id" ? "Pelatihan yang Anda ikuti:" : "Your training:";
  const blocks = mine.map((e) => {
    const status =
      e.status === "waitlisted"
        ? language === "id"
          ? ` (daftar tunggu nomor ${e.waitlistPosition})`
          : ` (waiting list, number ${e.waitlistPosition})`
        : "";
    return [`${bold(e.session.programmeTitle[language])}${status}`, ...sessionLines(e.session, language, focus)].join(
      "\n",
    );
  });
  return `${head}\n\n${blocks.join("\n\n")}`;
}
