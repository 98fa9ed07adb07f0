/**
 * The reads flows make (FlowServices), over Prisma. One instance per turn: answers are
 * remembered for the turn, since a node's text and its choices often ask the same thing.
 */
import type { Database } from "../db/database.js";
import { describeParticipantData } from "../domain/describe-participant-data.js";
import { runPlan } from "../db/plan.js";
import { inTransaction } from "../db/raw-sql.js";
import { surveyInvitationPlan } from "../domain/campaigns.js";
import type { EnrollmentView, FlowServices, Language, ProgrammeView, SurveySubject } from "../engine/types.js";
import { findProgrammes } from "../understanding/index.js";
import { SessionViews } from "./session-views.js";

/**
 * Programmes change rarely (staff edit them), so their list is shared across turns for a few
 * seconds. Seat counts and enrollments are always read fresh (SharedReads only joins a read
 * already at the database).
 */
export class ProgrammeCache {
  private entry: { at: number; value: Promise<ProgrammeView[]> } | null = null;
  constructor(private readonly ttlMs = 10_000) {}

  get(load: () => Promise<ProgrammeView[]>): Promise<ProgrammeView[]> {
    const now = Date.now();
    if (!this.entry || now - this.entry.at > this.ttlMs) {
      const value = load();
      this.entry = { at: now, value };
      // A failed load is not remembered.
      value.catch(() => {
        if (this.entry?.value === value) this.entry = null;
      });
    }
    return this.entry.value;
  }
}

/**
 * Reads of the same sessions by turns under way at the same moment share one query: a turn that
 * asks while an identical read is at the database takes that read's answer (at most one round
 * trip old) instead of sending another. Nothing is kept once a read is answered, so seat counts
 * are as fresh as before; under load, when many people look at the same programme's sessions at
 * once, the database is asked once for all of them. Answers are shared: flows must not change
 * them.
 */
export class SharedReads {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  run<T>(key: string, load: () => Promise<T>): Promise<T> {
    const known = this.inFlight.get(key);
    if (known) return known as Promise<T>;
    const value = load();
    this.inFlight.set(key, value);
    const forget = () => {
      if (this.inFlight.get(key) === value) this.inFlight.delete(key);
    };
    value.then(forget, forget);
    return value;
  }
}

export function createFlowServices(
  database: Database,
  participantId: number | null,
  language: Language,
  now: Date,
  programmes: ProgrammeCache = new ProgrammeCache(0),
  shared: SharedReads = new SharedReads(),
): FlowServices {
  const db = database.prisma;
  const sessions = new SessionViews(database);
  const memo = new Map<string, Promise<unknown>>();
  const remember = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    if (!memo.has(key)) memo.set(key, load());
    return memo.get(key) as Promise<T>;
  };

  const listProgrammes = () =>
    programmes.get(async (): Promise<ProgrammeView[]> => {
      const rows = await db.programme.findMany({
        where: { active: true },
        orderBy: { id: "asc" },
        include: {
          _count: { select: { trainingSessions: { where: { status: "scheduled", startsAt: { gt: now } } } } },
        },
      });
      return rows.map((p) => ({
        id: p.id,
        slug: p.slug,
        sector: p.sector,
        regency: p.regency,
        title: { id: p.titleId, en: p.titleEn },
        description: { id: p.descriptionId, en: p.descriptionEn },
        timeZone: p.timeZone,
        openSessions: p._count.trainingSessions,
        seatsPerParticipant: p.seatsPerParticipant,
      }));
    });

  return {
    listProgrammes,
    findProgrammes: async (query) => findProgrammes(query, await listProgrammes()),
    listOpenSessions: (programmeId) =>
      remember(`sessions:${programmeId}`, () =>
        shared.run(`sessions:${programmeId}`, () => sessions.openSessions(programmeId, now)),
      ),
    getSession: (trainingSessionId) =>
      remember(`session:${trainingSessionId}`, () =>
        shared.run(`session:${trainingSessionId}`, () => sessions.session(trainingSessionId, now)),
      ),
    listEnrollments: () =>
      remember("enrollments", async (): Promise<EnrollmentView[]> =>
        participantId === null ? [] : sessions.enrollments(participantId, now),
      ),
    describeStoredData: () =>
      participantId === null
        ? Promise.resolve(language === "id" ? "Tidak ada data yang tersimpan." : "Nothing is stored.")
        : describeParticipantData(db, participantId, language),
    getSurveySubject: (enrollmentId) =>
      remember(`subject:${enrollmentId}`, async (): Promise<SurveySubject | null> => {
        if (participantId === null || !Number.isSafeInteger(enrollmentId)) return null;
        const e = await db.enrollment.findFirst({
          where: { id: enrollmentId, participantId },
          include: { trainingSession: { include: { programme: true } } },
        });
        if (!e) return null;
        const p = e.trainingSession.programme;
        return {
          enrollmentId: e.id,
          programmeTitle: { id: p.titleId, en: p.titleEn },
          startsAt: e.trainingSession.startsAt,
          timeZone: p.timeZone,
          followUpQuestions: p.followUpQuestions ?? null,
        };
      }),
    getSurveyInvitation: (campaignMessageId) =>
      participantId === null ||
      !Number.isInteger(campaignMessageId) ||
      campaignMessageId < 0 ||
      campaignMessageId >= 2 ** 31
        ? Promise.resolve(null)
        : runPlan(
            surveyInvitationPlan(database.provider, participantId, campaignMessageId),
            inTransaction(database, db),
          ),
  };
}
