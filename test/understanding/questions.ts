/**
 * The open questions the understanding corpus is read against, built from the real flows: each
 * question key names a flow node, and its choices are what that node's wait offers to a fixed
 * participant on a fixed day. Nothing is added to the choices here (no `means`, no aliases), so
 * the corpus measures the flows as they are; the free-text kind is the one the wait declares.
 *
 * The fixture: the four seeded programmes with ids 1 to 4 in the order of
 * prisma/seed/programmes.ts, two sessions each (ids 2k-1 and 2k, dated as the seed would date
 * them from `fixtureNow`), and a participant (sector lada, Kabupaten Bangka Tengah) enrolled in
 * session 1 (lada, Koba: enrollment 1) and session 5 (konveksi Pangkalpinang: enrollment 2),
 * neither confirmed, on no waiting list.
 */
import { DateTime } from "luxon";
import { flowSet } from "../../flows/index.js";
import { programmes as seedProgrammes } from "../../prisma/seed/programmes.js";
import { upcomingWorkday } from "../../src/domain/seed-database.js";
import type {
  EnrollmentView,
  FlowContext,
  FlowServices,
  ParticipantView,
  ProgrammeView,
  SessionView,
  Vars,
} from "../../src/engine/types.js";
import type { FreeTextKind, Question } from "../../src/understanding/types.js";

/** The day the fixture lives on (the flow tests' frozen day, a Friday). */
export const fixtureNow = new Date("2026-11-27T03:00:00Z");

export const fixtureProgrammes: ProgrammeView[] = seedProgrammes.map((p, i) => ({
  id: i + 1,
  slug: p.slug,
  sector: p.sector,
  regency: p.regency,
  title: { id: p.titleId, en: p.titleEn },
  description: { id: p.descriptionId, en: p.descriptionEn },
  timeZone: p.timeZone,
  openSessions: p.sessions.length,
  seatsPerParticipant: 1,
}));

export const fixtureSessions: SessionView[] = seedProgrammes.flatMap((p, i) =>
  p.sessions.map((s, j) => {
    const today = DateTime.fromJSDate(fixtureNow, { zone: p.timeZone });
    return {
      id: 2 * (i + 1) - 1 + j,
      programmeId: i + 1,
      programmeTitle: { id: p.titleId, en: p.titleEn },
      startsAt: upcomingWorkday(today, s.daysAhead, s.startTime).toJSDate(),
      endsAt: upcomingWorkday(today, s.daysAhead, s.endTime).toJSDate(),
      timeZone: p.timeZone,
      venue: s.venue,
      address: s.address,
      mapUrl: s.mapUrl,
      capacity: s.capacity,
      seatsLeft: s.capacity,
      waitlisted: 0,
    };
  }),
);

const session = (id: number): SessionView => {
  const found = fixtureSessions.find((s) => s.id === id);
  if (!found) throw new Error(`no session ${id} in the fixture`);
  return found;
};

/** Soonest first, as listEnrollments returns them. */
export const fixtureEnrollments: EnrollmentView[] = [
  { id: 1, status: "enrolled", waitlistPosition: null, confirmed: false, session: session(1) },
  { id: 2, status: "enrolled", waitlistPosition: null, confirmed: false, session: session(5) },
];

export const fixtureParticipant: ParticipantView = {
  id: 1,
  name: "Budi Santoso",
  businessName: "Lada Jaya",
  sector: "lada",
  regency: "Kabupaten Bangka Tengah",
  phone: "6281234567890",
  nib: null,
  language: "id",
  optedOut: false,
  gender: null,
};

const services: FlowServices = {
  listProgrammes: async () => fixtureProgrammes,
  findProgrammes: async (query) => {
    const q = query.trim().toLowerCase().replace(/\s+/g, "-");
    return q ? fixtureProgrammes.filter((p) => p.slug.startsWith(q) || p.sector.startsWith(q)) : [];
  },
  listOpenSessions: async (programmeId) => fixtureSessions.filter((s) => s.programmeId === programmeId),
  getSession: async (id) => fixtureSessions.find((s) => s.id === id) ?? null,
  listEnrollments: async () => fixtureEnrollments,
  describeStoredData: async () => "",
  getSurveySubject: async () => null,
  getSurveyInvitation: async () => null,
};

type Place = {
  /** "flow.node", or null for no open question. */
  at: string | null;
  vars?: Vars;
  /** Answers here count as yes/no/skip answers in the metrics. */
  yesNo?: boolean;
  /** Registration questions are asked before the participant exists. */
  newcomer?: boolean;
};

/** Every question key of the corpus and the node it stands for. */
export const places = {
  consent: { at: "registration.consent", yesNo: true, newcomer: true },
  name: { at: "registration.ask_name", newcomer: true },
  business: { at: "registration.ask_business", newcomer: true },
  sector: { at: "registration.ask_sector", newcomer: true },
  sector_other: { at: "registration.ask_sector_other", newcomer: true },
  regency: { at: "registration.ask_regency", newcomer: true },
  regency_other: { at: "registration.ask_regency_other", newcomer: true },
  phone: { at: "registration.ask_phone", newcomer: true },
  has_nib: { at: "registration.ask_has_nib", yesNo: true, newcomer: true },
  nib: { at: "registration.ask_nib", yesNo: true, newcomer: true },
  summary: { at: "registration.summary", yesNo: true, newcomer: true },
  choose_fix: { at: "registration.choose_fix", newcomer: true },
  menu: { at: "menu.main" },
  language: { at: "language.choose" },
  programme: { at: "enrollment.choose_programme" },
  session: { at: "enrollment.choose_session", vars: { programmeId: 1 } },
  // Session 7 (AC): a programme the participant holds no session of, so the question is "go ahead?".
  enroll_confirm: { at: "enrollment.confirm", vars: { programmeId: 4, sessionId: 7 }, yesNo: true },
  // Session 2 (lada, Namang): the participant holds session 1 of that programme, so "move there?".
  enroll_move: { at: "enrollment.confirm", vars: { programmeId: 1, sessionId: 2 }, yesNo: true },
  // Session 1: the participant is already in it, so the choices are "my schedule" and the menu.
  enroll_already: { at: "enrollment.confirm", vars: { programmeId: 1, sessionId: 1 } },
  schedule: { at: "schedule.list" },
  cancel_confirm: { at: "schedule.confirm_cancel", vars: { enrollmentId: 2 }, yesNo: true },
  privacy: { at: "privacy.main" },
  delete_confirm: { at: "privacy.delete", yesNo: true },
  attendance: { at: "attendance.answer", vars: { enrollmentId: 1 }, yesNo: true },
  profile: { at: "profile.show" },
  // A registered participant writing out of the blue.
  idle: { at: null },
} satisfies Record<string, Place>;

export type QuestionKey = keyof typeof places;

export const questionKeys = Object.keys(places) as QuestionKey[];

export const isYesNoQuestion = (key: QuestionKey): boolean => (places[key] as Place).yesNo === true;

function contextFor(place: Place): FlowContext {
  return {
    now: fixtureNow,
    language: "id",
    vars: { ...place.vars },
    participant: place.newcomer ? null : fixtureParticipant,
    staff: null,
    channel: { name: "web", buttons: true, sharePhone: false, phone: null },
    services,
  };
}

/** The question a key stands for, as the flow asks it today. */
export async function buildQuestion(key: QuestionKey): Promise<Question> {
  const place: Place = places[key];
  if (place.at === null) return { choices: [] };
  const [flow, node] = place.at.split(".") as [string, string];
  const wait = flowSet.flows[flow]?.nodes[node]?.wait;
  if (!wait) throw new Error(`${place.at} (question ${key}) has no wait`);
  const choices = wait.choices ? await wait.choices(contextFor(place)) : [];
  const free: FreeTextKind | undefined = wait.validate ? (wait.expects ?? "text") : undefined;
  return free ? { choices, free } : { choices };
}

/** Every question of the corpus. */
export async function buildQuestions(): Promise<Record<QuestionKey, Question>> {
  const entries = await Promise.all(questionKeys.map(async (key) => [key, await buildQuestion(key)] as const));
  return Object.fromEntries(entries) as Record<QuestionKey, Question>;
}
