/**
 * What a programme achieved, for its impact page: registrations week by week, the funnel from
 * registering to answering a follow-up, attendance per session, the feedback ratings, the
 * follow-up answers and how messages reached people, by channel. Read only; every figure is a
 * count (no names), so the page and its CSV files carry no personal data.
 *
 * Everything is counted with Prisma's own queries (count, groupBy, findMany of ids), which read
 * the same on SQLite and PostgreSQL; weeks are made here in the programme's time zone rather than
 * with either database's date functions.
 *
 * Who counts once: a person is their participant id, or, once they deleted their data (the id
 * is gone from their enrollments and answers), each anonymous enrollment on its own.
 */
import { stringify } from "csv-stringify/sync";
import { DateTime } from "luxon";
import type { Db } from "../db/database.js";
import {
  defaultFollowUpQuestions,
  feedbackQuestions,
  parseSurveyQuestions,
  type SurveyQuestion,
} from "../../flows/survey-questions.js";
import type { LocalText } from "../engine/types.js";
import { neutralizeFormula, seatStatuses } from "./roster.js";

export const funnelStages = ["registered", "enrolled", "confirmed", "attended", "certificate", "followUp"] as const;
export type FunnelStage = (typeof funnelStages)[number];

/** One week (Monday, in the programme's zone): new enrollments in its sessions, new participants of its sector. */
export type RegistrationWeek = { week: string; enrollments: number; participants: number };

export type SessionAttendance = {
  sessionId: number;
  code: string;
  startsAt: Date;
  status: "scheduled" | "cancelled" | "completed";
  /** Seat holders: enrolled, attended or marked absent. */
  enrolled: number;
  attended: number;
};

/** Ratings 1 to 5: `distribution[0]` is how many gave 1. */
export type RatingSummary = {
  count: number;
  mean: number | null;
  distribution: [number, number, number, number, number];
};

export type SessionRatings = RatingSummary & { sessionId: number; code: string; startsAt: Date };

/** How many gave one answer to one follow-up question in one round (30 or 90 days). */
export type OutcomeCount = {
  round: string;
  questionKey: string;
  question: LocalText;
  answer: string;
  label: LocalText;
  count: number;
};

export const deliveryStatuses = ["sent", "delivered", "read", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];
export type ChannelDelivery = { channel: string } & Record<DeliveryStatus, number>;

export type Impact = {
  programme: { id: number; slug: string; titleId: string; titleEn: string; sector: string; timeZone: string };
  registrations: RegistrationWeek[];
  funnel: { stage: FunnelStage; count: number }[];
  attendance: SessionAttendance[];
  ratings: RatingSummary & { perSession: SessionRatings[] };
  outcomes: OutcomeCount[];
  delivery: ChannelDelivery[];
};

/** The follow-up rounds, in order (the keys of the programme's follow-up campaign events). */
export const followUpRounds = ["followup-30d", "followup-90d"] as const;

/** The longest stretch of weeks shown: two years back from the latest. */
const mostWeeks = 104;

type Person = { participantId: number | null; enrollmentId: number };
const personOf = (p: Person) => (p.participantId === null ? `e${p.enrollmentId}` : `p${p.participantId}`);

/** Monday of the week of `date`, in `zone`, as 2026-11-30. */
const weekOf = (date: Date, zone: string) => DateTime.fromJSDate(date, { zone }).startOf("week").toFormat("yyyy-MM-dd");

/** The results of one flow for a programme: by its id, one of its sessions or one of their enrollments. */
function resultsOf(programmeId: number, sessionIds: number[], enrollmentIds: number[], flow: string) {
  return {
    flow,
    OR: [{ programmeId }, { trainingSessionId: { in: sessionIds } }, { enrollmentId: { in: enrollmentIds } }],
  };
}

/**
 * One answer per person, question and session: the latest. A survey answered again (or a
 * result written twice) counts once.
 */
function latestAnswers<
  R extends {
    id: number;
    participantId: number | null;
    trainingSessionId: number | null;
    enrollmentId: number | null;
    round: string;
    questionKey: string;
    answeredAt: Date;
  },
>(rows: R[]): R[] {
  const latest = new Map<string, R>();
  for (const row of rows) {
    const who = row.participantId === null ? `r${row.id}` : `p${row.participantId}`;
    const key = `${who}|${row.trainingSessionId ?? row.enrollmentId ?? ""}|${row.round}|${row.questionKey}`;
    const seen = latest.get(key);
    if (!seen || seen.answeredAt < row.answeredAt || (+seen.answeredAt === +row.answeredAt && seen.id < row.id))
      latest.set(key, row);
  }
  return [...latest.values()];
}

/** Ratings (1 to 5; anything else is left out) summed up. */
export function summarizeRatings(values: readonly number[]): RatingSummary {
  const distribution: RatingSummary["distribution"] = [0, 0, 0, 0, 0];
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (!Number.isInteger(value) || value < 1 || value > 5) continue;
    distribution[value - 1]! += 1;
    sum += value;
    count += 1;
  }
  return { count, mean: count ? Math.round((sum / count) * 100) / 100 : null, distribution };
}

/** The figures of a programme's impact page, or null when there is no such programme. */
export async function loadImpact(prisma: Db, programmeId: number): Promise<Impact | null> {
  const programme = await prisma.programme.findUnique({
    where: { id: programmeId },
    include: { trainingSessions: { orderBy: [{ startsAt: "asc" }, { id: "asc" }] } },
  });
  if (!programme) return null;
  const sessions = programme.trainingSessions;
  const sessionIds = sessions.map((s) => s.id);
  const zone = programme.timeZone;

  const enrollments = await prisma.enrollment.findMany({
    where: { trainingSessionId: { in: sessionIds } },
    select: { id: true, participantId: true, trainingSessionId: true, status: true, rsvp: true, createdAt: true },
  });
  const enrollmentIds = enrollments.map((e) => e.id);
  const sessionOfEnrollment = new Map(enrollments.map((e) => [e.id, e.trainingSessionId]));
  const [sectorParticipants, certificates, feedback, followUps, delivery] = await Promise.all([
    prisma.participant.findMany({
      where: { sector: programme.sector, registeredAt: { not: null }, deletedAt: null },
      select: { id: true, registeredAt: true },
    }),
    prisma.certificate.findMany({
      where: { programmeId, revokedAt: null },
      select: { participantId: true, enrollmentId: true, id: true },
    }),
    prisma.flowResult.findMany({
      where: { ...resultsOf(programmeId, sessionIds, enrollmentIds, "feedback"), questionKey: "rating" },
      select: {
        id: true,
        participantId: true,
        trainingSessionId: true,
        enrollmentId: true,
        round: true,
        questionKey: true,
        numberValue: true,
        value: true,
        answeredAt: true,
      },
    }),
    prisma.flowResult.findMany({
      where: resultsOf(programmeId, sessionIds, enrollmentIds, "followup"),
      select: {
        id: true,
        participantId: true,
        trainingSessionId: true,
        enrollmentId: true,
        round: true,
        questionKey: true,
        value: true,
        numberValue: true,
        answeredAt: true,
      },
    }),
    prisma.message.groupBy({
      by: ["channel", "status"],
      where: {
        direction: "outbound",
        status: { in: [...deliveryStatuses] },
        identity: {
          participant: { enrollments: { some: { trainingSession: { programmeId } } } },
        },
      },
      _count: { _all: true },
    }),
  ]);

  // Registrations over time.
  const weeks = new Map<string, RegistrationWeek>();
  const bump = (date: Date, field: "enrollments" | "participants") => {
    const week = weekOf(date, zone);
    const row = weeks.get(week) ?? { week, enrollments: 0, participants: 0 };
    row[field] += 1;
    weeks.set(week, row);
  };
  for (const e of enrollments) bump(e.createdAt, "enrollments");
  for (const p of sectorParticipants) bump(p.registeredAt!, "participants");
  const registrations = fillWeeks([...weeks.values()], zone);

  // The funnel.
  const seats = enrollments.filter((e) => (seatStatuses as readonly string[]).includes(e.status));
  const people = (rows: Person[]) => new Set(rows.map(personOf));
  const enrollmentPeople = (rows: typeof enrollments) =>
    rows.map((e) => ({ participantId: e.participantId, enrollmentId: e.id }));
  const registered = people(enrollmentPeople(enrollments));
  for (const p of sectorParticipants) registered.add(`p${p.id}`);
  const answeredFollowUp = new Set(
    followUps.map((r) => (r.participantId === null ? `r${r.enrollmentId ?? r.id}` : `p${r.participantId}`)),
  );
  const funnel: Impact["funnel"] = [
    { stage: "registered", count: registered.size },
    { stage: "enrolled", count: people(enrollmentPeople(seats)).size },
    { stage: "confirmed", count: people(enrollmentPeople(seats.filter((e) => e.rsvp === "confirmed"))).size },
    {
      stage: "attended",
      count: people(enrollmentPeople(seats.filter((e) => e.status === "attended"))).size,
    },
    {
      stage: "certificate",
      count: people(
        certificates.map((c) => ({ participantId: c.participantId, enrollmentId: c.enrollmentId ?? -c.id })),
      ).size,
    },
    { stage: "followUp", count: answeredFollowUp.size },
  ];

  // Attendance per session.
  const attendance: SessionAttendance[] = sessions.map((s) => ({
    sessionId: s.id,
    code: s.code,
    startsAt: s.startsAt,
    status: s.status,
    enrolled: seats.filter((e) => e.trainingSessionId === s.id).length,
    attended: seats.filter((e) => e.trainingSessionId === s.id && e.status === "attended").length,
  }));

  // Feedback ratings, overall and per session (sessions with at least one rating).
  const ratingRows = latestAnswers(feedback).map((r) => ({
    ...r,
    rating: ratingOf(r),
    sessionId: r.trainingSessionId ?? (r.enrollmentId === null ? null : sessionOfEnrollment.get(r.enrollmentId)),
  }));
  const perSession: SessionRatings[] = sessions.flatMap((s) => {
    const summary = summarizeRatings(ratingRows.filter((r) => r.sessionId === s.id).map((r) => r.rating ?? Number.NaN));
    return summary.count ? [{ sessionId: s.id, code: s.code, startsAt: s.startsAt, ...summary }] : [];
  });
  const ratings = { ...summarizeRatings(ratingRows.map((r) => r.rating ?? Number.NaN)), perSession };

  return {
    programme: {
      id: programme.id,
      slug: programme.slug,
      titleId: programme.titleId,
      titleEn: programme.titleEn,
      sector: programme.sector,
      timeZone: zone,
    },
    registrations,
    funnel,
    attendance,
    ratings,
    outcomes: countOutcomes(
      latestAnswers(followUps),
      parseSurveyQuestions(programme.followUpQuestions) ?? defaultFollowUpQuestions,
    ),
    delivery: countDelivery(delivery),
  };
}

const ratingOf = (r: { numberValue: number | null; value: string }) => {
  const n = r.numberValue ?? Number(r.value);
  return Number.isFinite(n) ? n : null;
};

/** The weeks from the first to the last with a row, empty ones included (at most `mostWeeks`). */
function fillWeeks(rows: RegistrationWeek[], zone: string): RegistrationWeek[] {
  if (!rows.length) return [];
  const byWeek = new Map(rows.map((r) => [r.week, r]));
  const sorted = [...byWeek.keys()].sort();
  const last = DateTime.fromISO(sorted[sorted.length - 1]!, { zone });
  let week = DateTime.max(DateTime.fromISO(sorted[0]!, { zone }), last.minus({ weeks: mostWeeks - 1 }));
  const out: RegistrationWeek[] = [];
  while (week <= last) {
    const key = week.toFormat("yyyy-MM-dd");
    out.push(byWeek.get(key) ?? { week: key, enrollments: 0, participants: 0 });
    week = week.plus({ weeks: 1 });
  }
  return out;
}

const yes = { id: "Ya", en: "Yes" };
const no = { id: "Tidak", en: "No" };
const otherLabel = { id: "Lainnya", en: "Other" };

/** The answers a question can have, in order, with their labels. */
function answersOf(question: SurveyQuestion): { answer: string; label: LocalText }[] {
  switch (question.kind) {
    case "choice":
      return [
        ...question.choices.map((c) => ({ answer: c.id, label: c.label })),
        ...(question.other ? [{ answer: "other", label: otherLabel }] : []),
      ];
    case "yesno":
      return [
        { answer: "yes", label: yes },
        { answer: "no", label: no },
      ];
    case "rating":
      return [1, 2, 3, 4, 5].map((n) => ({ answer: String(n), label: { id: String(n), en: String(n) } }));
    case "text":
      return [{ answer: "answered", label: { id: "Dijawab", en: "Answered" } }];
  }
}

/** The answer a stored value counts as: "other:<text>" is "other", any text answer is "answered". */
function answerKey(question: SurveyQuestion, value: string, numberValue: number | null): string {
  if (question.kind === "text") return "answered";
  if (question.kind === "rating") return String(numberValue ?? value);
  if (question.kind === "choice" && value.startsWith("other:")) return "other";
  return value;
}

/**
 * Counts per answer, per question (the programme's follow-up questions, in their order), per
 * round. Every answer of a question is listed, with 0 where nobody gave it; an answer the
 * questions no longer have (they were edited) is listed after them as it was stored.
 */
function countOutcomes(
  rows: { round: string; questionKey: string; value: string; numberValue: number | null }[],
  questions: SurveyQuestion[],
): OutcomeCount[] {
  const rounds = [
    ...followUpRounds,
    ...[...new Set(rows.map((r) => r.round))].filter((r) => !(followUpRounds as readonly string[]).includes(r)).sort(),
  ];
  const out: OutcomeCount[] = [];
  for (const round of rounds) {
    for (const question of questions) {
      const given = rows.filter((r) => r.round === round && r.questionKey === question.key);
      const counts = new Map<string, number>();
      for (const r of given) {
        const key = answerKey(question, r.value, r.numberValue);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const known = answersOf(question);
      for (const a of known)
        out.push({ round, questionKey: question.key, question: question.text, ...a, count: counts.get(a.answer) ?? 0 });
      for (const [answer, count] of counts)
        if (!known.some((a) => a.answer === answer))
          out.push({
            round,
            questionKey: question.key,
            question: question.text,
            answer,
            label: { id: answer, en: answer },
            count,
          });
    }
  }
  return out;
}

function countDelivery(rows: { channel: string; status: string; _count: { _all: number } }[]): ChannelDelivery[] {
  const byChannel = new Map<string, ChannelDelivery>();
  for (const row of rows) {
    const entry = byChannel.get(row.channel) ?? { channel: row.channel, sent: 0, delivered: 0, read: 0, failed: 0 };
    if ((deliveryStatuses as readonly string[]).includes(row.status))
      entry[row.status as DeliveryStatus] += row._count._all;
    byChannel.set(row.channel, entry);
  }
  return [...byChannel.values()].sort((a, b) => a.channel.localeCompare(b.channel));
}

/** A session's feedback, for its own page: the ratings, the "most useful" answers, the next trainings wanted. */
export type SessionFeedback = RatingSummary & {
  /** Everyone who answered at least one feedback question. */
  respondents: number;
  /** The "most useful" answers, newest first (free text as typed: escape it when showing it). */
  mostUseful: { text: string; answeredAt: Date }[];
  nextTraining: { answer: string; label: LocalText; count: number }[];
  /** What was typed after choosing "Lainnya" for the next training, newest first (escape it when showing it). */
  otherTraining: { text: string; answeredAt: Date }[];
  /** Answers to "may we follow up": yes and no. */
  mayFollowUp: { yes: number; no: number };
};

/** Free-text answers that say something, newest first. */
const typed = (rows: { id: number; value: string; answeredAt: Date }[]) =>
  rows
    .filter((r) => r.value.trim() !== "")
    .sort((a, b) => +b.answeredAt - +a.answeredAt || b.id - a.id)
    .map((r) => ({ text: r.value, answeredAt: r.answeredAt }));

/** The feedback of one session (its results by session or by one of its enrollments). */
export async function loadSessionFeedback(prisma: Db, trainingSessionId: number): Promise<SessionFeedback> {
  const enrollmentIds = (await prisma.enrollment.findMany({ where: { trainingSessionId }, select: { id: true } })).map(
    (e) => e.id,
  );
  const rows = latestAnswers(
    await prisma.flowResult.findMany({
      where: {
        flow: "feedback",
        OR: [{ trainingSessionId }, { trainingSessionId: null, enrollmentId: { in: enrollmentIds } }],
      },
      orderBy: [{ answeredAt: "desc" }, { id: "desc" }],
    }),
  );
  const of = (key: string) => rows.filter((r) => r.questionKey === key);
  const nextQuestion = feedbackQuestions.find((q) => q.key === "next_training")!;
  const nextCounts = new Map<string, number>();
  for (const r of of("next_training")) {
    const key = answerKey(nextQuestion, r.value, r.numberValue);
    nextCounts.set(key, (nextCounts.get(key) ?? 0) + 1);
  }
  const known = answersOf(nextQuestion);
  return {
    ...summarizeRatings(of("rating").map((r) => ratingOf(r) ?? Number.NaN)),
    respondents: new Set(rows.map((r) => (r.participantId === null ? `e${r.enrollmentId ?? r.id}` : r.participantId)))
      .size,
    mostUseful: typed(of("most_useful")),
    otherTraining: typed(of("next_training_other")),
    nextTraining: [
      ...known.map((a) => ({ ...a, count: nextCounts.get(a.answer) ?? 0 })),
      ...[...nextCounts]
        .filter(([answer]) => !known.some((a) => a.answer === answer))
        .map(([answer, count]) => ({ answer, label: { id: answer, en: answer }, count })),
    ],
    mayFollowUp: {
      yes: of("may_follow_up").filter((r) => r.value === "yes").length,
      no: of("may_follow_up").filter((r) => r.value === "no").length,
    },
  };
}

/** The datasets of the impact page, each downloadable as CSV. */
export const impactSets = ["registrations", "funnel", "attendance", "ratings", "outcomes", "delivery"] as const;
export type ImpactSet = (typeof impactSets)[number];

export const isImpactSet = (value: unknown): value is ImpactSet =>
  typeof value === "string" && (impactSets as readonly string[]).includes(value);

/** The funnel's stages in words (Indonesian, as the CSV files are). */
export const funnelLabels: Record<FunnelStage, LocalText> = {
  registered: { id: "Terdaftar di bot", en: "Registered" },
  enrolled: { id: "Mendapat kursi", en: "Enrolled" },
  confirmed: { id: "Konfirmasi hadir", en: "Confirmed" },
  attended: { id: "Hadir", en: "Attended" },
  certificate: { id: "Menerima sertifikat", en: "Certificate" },
  followUp: { id: "Menjawab tindak lanjut", en: "Answered a follow-up" },
};

/** A date as 2026-12-03 in `zone`. */
const day = (date: Date, zone: string) => DateTime.fromJSDate(date, { zone }).toFormat("yyyy-MM-dd");

/** One dataset as rows, the header first; Indonesian, as the roster's CSV. */
export function impactRows(impact: Impact, set: ImpactSet): string[][] {
  const zone = impact.programme.timeZone;
  const n = (value: number | null) => (value === null ? "" : String(value));
  switch (set) {
    case "registrations":
      return [
        ["minggu mulai", "pendaftaran jadwal", "peserta baru sektor ini"],
        ...impact.registrations.map((r) => [r.week, n(r.enrollments), n(r.participants)]),
      ];
    case "funnel":
      return [["tahap", "orang"], ...impact.funnel.map((f) => [funnelLabels[f.stage].id, n(f.count)])];
    case "attendance":
      return [
        ["jadwal", "tanggal", "status", "terdaftar", "hadir"],
        ...impact.attendance.map((a) => [a.code, day(a.startsAt, zone), a.status, n(a.enrolled), n(a.attended)]),
      ];
    case "ratings":
      return [
        ["jadwal", "tanggal", "jawaban", "rata-rata", "nilai 1", "nilai 2", "nilai 3", "nilai 4", "nilai 5"],
        ...impact.ratings.perSession.map((s) => [
          s.code,
          day(s.startsAt, zone),
          n(s.count),
          n(s.mean),
          ...s.distribution.map(n),
        ]),
        ["semua jadwal", "", n(impact.ratings.count), n(impact.ratings.mean), ...impact.ratings.distribution.map(n)],
      ];
    case "outcomes":
      return [
        ["putaran", "kode pertanyaan", "pertanyaan", "jawaban", "orang"],
        ...impact.outcomes.map((o) => [o.round, o.questionKey, o.question.id, o.label.id, n(o.count)]),
      ];
    case "delivery":
      return [
        ["kanal", "terkirim", "sampai", "dibaca", "gagal"],
        ...impact.delivery.map((d) => [d.channel, n(d.sent), n(d.delivered), n(d.read), n(d.failed)]),
      ];
  }
}

/** One dataset as CSV, with a byte order mark so that Excel reads it as UTF-8. */
export function impactCsv(impact: Impact, set: ImpactSet): string {
  const rows = impactRows(impact, set).map((row) => row.map(neutralizeFormula));
  return `\uFEFF${stringify(rows, { record_delimiter: "\r\n" })}`;
}
