/**
 * A programme's impact page (Dampak): registrations over time, the funnel from registering to a
 * follow-up answer, attendance per session, feedback ratings, follow-up answers and the delivery
 * of messages by channel, each as a chart (Chart.js, see chart-assets.ts), a table with the same
 * numbers (what a screen reader or a browser without JavaScript reads) and a CSV download. And a
 * session's own feedback page, linked from its roster. Figures only, no names: every signed-in
 * staff member may open them, and downloads are not audited.
 */
import { DateTime } from "luxon";
import {
  funnelLabels,
  impactCsv,
  isImpactSet,
  loadImpact,
  loadSessionFeedback,
  type Impact,
  type ImpactSet,
  type OutcomeCount,
} from "../../../domain/impact.js";
import { formatShortDate } from "../../../engine/format.js";
import { chartScriptUrls } from "../chart-assets.js";
import { channelLabel } from "../channel-names.js";
import { renderError } from "../errors.js";
import { definePage } from "../page.js";
import { render } from "../render.js";
import { pick, text, type Language, type Translate } from "../text.js";
import { idParam, notFound } from "./programmes-forms.js";

/** A chart's data as impact-charts.js reads it. */
type ChartSpec = {
  type: "bar" | "line";
  labels: string[];
  datasets: { label: string; data: number[] }[];
  stacked?: boolean;
  horizontal?: boolean;
};

/**
 * JSON to put inside <script type="application/json"> as it is: "<", ">" and "&" escaped as
 * JSON escapes, so no text in it (a session code, a question) can close the block.
 */
export const jsonForScript = (value: unknown) =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** "2 Nov 2026": the Monday a week starts on. */
const weekLabel = (week: string, language: Language) =>
  DateTime.fromISO(week)
    .setLocale(language === "id" ? "id" : "en-GB")
    .toFormat("d LLL yyyy");

const roundLabel = (round: string, t: Translate) => {
  const days = /^followup-(\d+)d$/.exec(round)?.[1];
  return days ? t(`${days} hari`, `${days} days`) : round;
};

/** The outcome answers grouped by question (in order), each with its rounds as columns. */
function outcomeTables(outcomes: OutcomeCount[], language: Language, t: Translate) {
  const rounds = [...new Set(outcomes.map((o) => o.round))];
  const keys = [...new Set(outcomes.map((o) => o.questionKey))];
  return keys.map((key) => {
    const rows = outcomes.filter((o) => o.questionKey === key);
    const answers = [...new Set(rows.map((o) => o.answer))];
    const count = (round: string, answer: string) =>
      rows.find((o) => o.round === round && o.answer === answer)?.count ?? 0;
    const table = {
      key,
      question: pick(rows[0]!.question, language),
      rounds: rounds.map((r) => ({ round: r, label: roundLabel(r, t) })),
      answers: answers.map((a) => ({
        answer: a,
        label: pick(rows.find((o) => o.answer === a)!.label, language),
        counts: rounds.map((r) => count(r, a)),
      })),
    };
    const chart: ChartSpec = {
      type: "bar",
      labels: table.answers.map((a) => a.label),
      datasets: table.rounds.map((r, i) => ({ label: r.label, data: table.answers.map((a) => a.counts[i]!) })),
    };
    return { ...table, chart: jsonForScript(chart) };
  });
}

/** What the template shows, with each chart's data as JSON. */
function impactView(impact: Impact, language: Language, t: Translate) {
  const zone = impact.programme.timeZone;
  const sessionLabel = (s: { code: string; startsAt: Date }) =>
    `${formatShortDate(s.startsAt, zone, language)} (${s.code})`;
  const statusLabels = {
    sent: t("Terkirim", "Sent"),
    delivered: t("Sampai", "Delivered"),
    read: t("Dibaca", "Read"),
    failed: t("Gagal", "Failed"),
  };
  const registered = impact.funnel[0]!.count;
  const view = {
    registrations: impact.registrations.map((r) => ({ ...r, label: weekLabel(r.week, language) })),
    funnel: impact.funnel.map((f) => ({
      ...f,
      label: pick(funnelLabels[f.stage], language),
      share: registered ? Math.round((f.count / registered) * 100) : null,
    })),
    attendance: impact.attendance.map((a) => ({
      ...a,
      label: sessionLabel(a),
      share: a.enrolled ? Math.round((a.attended / a.enrolled) * 100) : null,
    })),
    ratings: {
      ...impact.ratings,
      perSession: impact.ratings.perSession.map((s) => ({ ...s, label: sessionLabel(s) })),
    },
    outcomes: outcomeTables(impact.outcomes, language, t),
    delivery: impact.delivery.map((d) => ({ ...d, label: pick(channelLabel(d.channel), language) })),
    statusLabels,
  };
  const charts: Record<Exclude<ImpactSet, "outcomes">, ChartSpec> = {
    registrations: {
      type: "line",
      labels: view.registrations.map((r) => r.label),
      datasets: [
        { label: t("Pendaftaran jadwal", "Session sign-ups"), data: view.registrations.map((r) => r.enrollments) },
        {
          label: t("Peserta baru sektor ini", "New participants of the sector"),
          data: view.registrations.map((r) => r.participants),
        },
      ],
    },
    funnel: {
      type: "bar",
      horizontal: true,
      labels: view.funnel.map((f) => f.label),
      datasets: [{ label: t("Orang", "People"), data: view.funnel.map((f) => f.count) }],
    },
    attendance: {
      type: "bar",
      labels: view.attendance.map((a) => a.label),
      datasets: [
        { label: t("Terdaftar", "Enrolled"), data: view.attendance.map((a) => a.enrolled) },
        { label: t("Hadir", "Attended"), data: view.attendance.map((a) => a.attended) },
      ],
    },
    ratings: {
      type: "bar",
      labels: ["1", "2", "3", "4", "5"],
      datasets: [{ label: t("Jawaban", "Answers"), data: [...impact.ratings.distribution] }],
    },
    delivery: {
      type: "bar",
      stacked: true,
      labels: view.delivery.map((d) => d.label),
      datasets: (["sent", "delivered", "read", "failed"] as const).map((s) => ({
        label: statusLabels[s],
        data: view.delivery.map((d) => d[s]),
      })),
    },
  };
  return {
    ...view,
    charts: Object.fromEntries(Object.entries(charts).map(([k, v]) => [k, jsonForScript(v)])) as Record<
      keyof typeof charts,
      string
    >,
  };
}

export const impactPage = definePage({
  path: "/dashboard/program/:programmeId/dampak",
  async handler({ request, reply, deps, t, language }) {
    const id = idParam(request, "programmeId");
    const impact = id ? await loadImpact(deps.database.prisma, id) : null;
    if (!impact) return notFound(reply);
    const title = t(impact.programme.titleId, impact.programme.titleEn);
    return render(reply, "impact", {
      title: `${t("Dampak", "Impact")} · ${title}`,
      heading: title,
      impact,
      view: impactView(impact, language, t),
      scripts: chartScriptUrls,
      csvHref: (set: ImpactSet) => `/dashboard/program/${impact.programme.id}/dampak.csv?set=${set}`,
    });
  },
});

const unknownSet = {
  heading: text("Data tidak dikenal", "Unknown dataset"),
  paragraphs: [
    text(
      "Unduhan ini tidak ada. Pilih salah satu tautan CSV di halaman dampak program.",
      "There is no such download. Choose one of the CSV links on the programme's impact page.",
    ),
  ],
};

export const impactCsvPage = definePage({
  path: "/dashboard/program/:programmeId/dampak.csv",
  async handler({ request, reply, deps }) {
    const id = idParam(request, "programmeId");
    const set = (request.query as Record<string, unknown>).set;
    const impact = id ? await loadImpact(deps.database.prisma, id) : null;
    if (!impact) return notFound(reply);
    if (!isImpactSet(set)) return renderError(reply, 400, unknownSet);
    const fileName = `dampak-${impact.programme.slug.replace(/[^A-Za-z0-9_-]/g, "_")}-${set}.csv`;
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="${fileName}"`)
      .header("cache-control", "no-store")
      .send(impactCsv(impact, set));
  },
});

export const sessionFeedbackPage = definePage({
  path: "/dashboard/program/jadwal/:sessionId/umpan-balik",
  async handler({ request, reply, deps, t }) {
    const id = idParam(request, "sessionId");
    const session = id
      ? await deps.database.prisma.trainingSession.findUnique({
          where: { id },
          include: { programme: { select: { id: true, titleId: true, titleEn: true, timeZone: true } } },
        })
      : null;
    if (!session) return notFound(reply);
    const feedback = await loadSessionFeedback(deps.database.prisma, session.id);
    return render(reply, "session-feedback", {
      title: `${t("Umpan balik", "Feedback")} · ${session.code}`,
      heading: t(session.programme.titleId, session.programme.titleEn),
      session,
      feedback,
      max: Math.max(1, ...feedback.distribution),
    });
  },
});
