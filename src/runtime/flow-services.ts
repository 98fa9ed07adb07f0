/**
 * The reads flows make (FlowServices), over Prisma. One instance per turn: answers are
 * remembered for the turn, since a node's text and its choices often ask the same thing.
 */
import type { Db } from "../db/database.js";
import { describeParticipantData } from "../domain/describe-participant-data.js";
import { seatStatuses } from "../domain/enroll-participant.js";
import type { EnrollmentView, FlowServices, Language, ProgrammeView, SessionView } from "../engine/types.js";
import { normalize } from "../engine/match.js";

type SessionRow = {
  id: number;
  programmeId: number;
  startsAt: Date;
  endsAt: Date;
  venue: string;
  address: string;
  mapUrl: string | null;
  capacity: number;
  programme: { titleId: string; titleEn: string; timeZone: string };
};

async function toSessionViews(db: Db, rows: SessionRow[]): Promise<SessionView[]> {
  if (!rows.length) return [];
  const counts = await db.enrollment.groupBy({
    by: ["trainingSessionId", "status"],
    where: { trainingSessionId: { in: rows.map((r) => r.id) } },
    _count: { _all: true },
  });
  const count = (id: number, statuses: readonly string[]) =>
    counts
      .filter((c) => c.trainingSessionId === id && statuses.includes(c.status))
      .reduce((sum, c) => sum + c._count._all, 0);
  return rows.map((r) => ({
    id: r.id,
    programmeId: r.programmeId,
    programmeTitle: { id: r.programme.titleId, en: r.programme.titleEn },
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    timeZone: r.programme.timeZone,
    venue: r.venue,
    address: r.address,
    mapUrl: r.mapUrl,
    capacity: r.capacity,
    seatsLeft: Math.max(0, r.capacity - count(r.id, seatStatuses)),
    waitlisted: count(r.id, ["waitlisted"]),
  }));
}

const sessionInclude = { programme: { select: { titleId: true, titleEn: true, timeZone: true } } } as const;

/**
 * Programmes change rarely (staff edit them), so their list is shared across turns for a few
 * seconds. Seat counts and enrollments are always read fresh.
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

export function createFlowServices(
  db: Db,
  participantId: number | null,
  language: Language,
  now: Date,
  programmes: ProgrammeCache = new ProgrammeCache(0),
): FlowServices {
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
      }));
    });

  return {
    listProgrammes,
    async findProgrammes(query) {
      const words = normalize(query).split(" ").filter(Boolean);
      if (!words.length) return [];
      const all = await listProgrammes();
      const haystack = (p: ProgrammeView) =>
        normalize(`${p.slug.replace(/-/g, " ")} ${p.sector.replace(/-/g, " ")} ${p.regency ?? ""} ${p.title.id}`);
      return all.filter((p) =>
        words.every((w) =>
          haystack(p)
            .split(" ")
            .some((h) => h.startsWith(w)),
        ),
      );
    },
    listOpenSessions: (programmeId) =>
      remember(`sessions:${programmeId}`, async () =>
        toSessionViews(
          db,
          await db.trainingSession.findMany({
            where: { programmeId, status: "scheduled", startsAt: { gt: now } },
            orderBy: { startsAt: "asc" },
            include: sessionInclude,
          }),
        ),
      ),
    getSession: (trainingSessionId) =>
      remember(`session:${trainingSessionId}`, async () => {
        const row = await db.trainingSession.findFirst({
          where: { id: trainingSessionId, status: "scheduled", startsAt: { gt: now } },
          include: sessionInclude,
        });
        return row ? ((await toSessionViews(db, [row]))[0] ?? null) : null;
      }),
    listEnrollments: () =>
      remember("enrollments", async (): Promise<EnrollmentView[]> => {
        if (participantId === null) return [];
        const rows = await db.enrollment.findMany({
          where: {
            participantId,
            status: { in: ["enrolled", "waitlisted"] },
            trainingSession: { status: "scheduled", endsAt: { gt: now } },
          },
          include: { trainingSession: { include: sessionInclude } },
          orderBy: { trainingSession: { startsAt: "asc" } },
        });
        const sessions = await toSessionViews(
          db,
          rows.map((r) => r.trainingSession),
        );
        const views: EnrollmentView[] = [];
        for (const [i, r] of rows.entries()) {
          let position: number | null = null;
          if (r.status === "waitlisted")
            position =
              (await db.enrollment.count({
                where: {
                  trainingSessionId: r.trainingSessionId,
                  status: "waitlisted",
                  waitlistPosition: { lt: r.waitlistPosition ?? 0 },
                },
              })) + 1;
          views.push({
            id: r.id,
            status: r.status as "enrolled" | "waitlisted",
            waitlistPosition: position,
            session: sessions[i]!,
          });
        }
        return views;
      }),
    describeStoredData: () =>
      participantId === null
        ? Promise.resolve(language === "id" ? "Tidak ada data yang tersimpan." : "Nothing is stored.")
        : describeParticipantData(db, participantId, language),
  };
}
