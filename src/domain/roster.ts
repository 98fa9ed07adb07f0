/**
 * The roster of a training session, as staff see it: who holds a seat (with their RSVP and
 * attendance), who waits in which order, how many a move or a cancellation would reach; marking
 * attendance; and the roster as CSV for a spreadsheet.
 */
import { stringify } from "csv-stringify/sync";
import { DateTime } from "luxon";
import { lockTrainingSession, type Database, type Db, type Tx } from "../db/database.js";
import type { OutboxBatch } from "../outbox/types.js";
import { sectorLabel } from "../../flows/catalog.js";
import { promoteFromWaitlist, welcomePromoted, type Promotion } from "./promote-from-waitlist.js";
import type { ScheduledReminder } from "./reminders.js";
import { writeNotices } from "./write-notices.js";

/** A seat or a waiting-list place, with the participant's details (null once they deleted their data). */
export type RosterEntry = {
  enrollmentId: number;
  participantId: number | null;
  name: string | null;
  businessName: string | null;
  sector: string | null;
  regency: string | null;
  phone: string | null;
  status: "enrolled" | "waitlisted" | "attended" | "absent";
  rsvp: "confirmed" | "declined" | null;
  waitlistPosition: number | null;
  /** When they checked in at the venue; null when not (or when staff marked them by hand). */
  checkedInAt: Date | null;
  /** "code" (typed or scanned), "staff" (marked by hand), or null. */
  checkInMethod: string | null;
};

/** Someone who checked in without a seat, for staff to confirm or reject. */
export type RosterWalkIn = {
  walkInId: number;
  participantId: number | null;
  name: string | null;
  businessName: string | null;
  phone: string | null;
  status: "pending" | "confirmed" | "rejected";
  checkedInAt: Date;
};

export type RosterSession = {
  id: number;
  code: string;
  status: "scheduled" | "cancelled" | "completed";
  startsAt: Date;
  endsAt: Date;
  venue: string;
  address: string;
  regency: string;
  mapUrl: string | null;
  capacity: number;
  /** The code on the check-in poster; null until first needed (ensureCheckInCode). */
  checkInCode: string | null;
  programme: { id: number; titleId: string; titleEn: string; timeZone: string };
};

export type Roster = {
  session: RosterSession;
  /** Seat holders (enrolled, attended, absent), in the order they enrolled. */
  seats: RosterEntry[];
  /** The waiting list, first in line first. */
  waitlist: RosterEntry[];
  /** Enrollments cancelled (by the participant, or with the session). */
  cancelled: number;
  /** Walk-ins: pending first, then those decided, each in the order they came. */
  walkIns: RosterWalkIn[];
};

/** Statuses that hold a seat: a participant marked absent still took one. */
export const seatStatuses = ["enrolled", "attended", "absent"] as const;

/** The roster of a session, or null when there is no such session. */
export async function loadRoster(prisma: Db, trainingSessionId: number): Promise<Roster | null> {
  const session = await prisma.trainingSession.findUnique({
    where: { id: trainingSessionId },
    include: { programme: { select: { id: true, titleId: true, titleEn: true, timeZone: true } } },
  });
  if (!session) return null;
  const enrollments = await prisma.enrollment.findMany({
    where: { trainingSessionId },
    orderBy: { id: "asc" },
    include: {
      participant: {
        select: { id: true, name: true, businessName: true, sector: true, regency: true, phone: true },
      },
    },
  });
  const entries = enrollments.flatMap((e): RosterEntry[] =>
    e.status === "cancelled"
      ? []
      : [
          {
            enrollmentId: e.id,
            participantId: e.participantId,
            name: e.participant?.name ?? null,
            businessName: e.participant?.businessName ?? null,
            sector: e.participant?.sector ?? null,
            regency: e.participant?.regency ?? null,
            phone: e.participant?.phone ?? null,
            status: e.status,
            rsvp: e.rsvp,
            waitlistPosition: e.waitlistPosition,
            checkedInAt: e.checkedInAt,
            checkInMethod: e.checkInMethod,
          },
        ],
  );
  const walkIns = await prisma.walkIn.findMany({
    where: { trainingSessionId },
    orderBy: [{ checkedInAt: "asc" }, { id: "asc" }],
    include: { participant: { select: { name: true, businessName: true, phone: true } } },
  });
  return {
    session: {
      id: session.id,
      code: session.code,
      status: session.status,
      startsAt: session.startsAt,
      endsAt: session.endsAt,
      venue: session.venue,
      address: session.address,
      regency: session.regency,
      mapUrl: session.mapUrl,
      capacity: session.capacity,
      checkInCode: session.checkInCode,
      programme: session.programme,
    },
    seats: entries.filter((e) => e.status !== "waitlisted"),
    waitlist: entries
      .filter((e) => e.status === "waitlisted")
      .sort((a, b) => (a.waitlistPosition ?? 0) - (b.waitlistPosition ?? 0) || a.enrollmentId - b.enrollmentId),
    cancelled: enrollments.length - entries.length,
    walkIns: walkIns
      .map((w): RosterWalkIn => ({
        walkInId: w.id,
        participantId: w.participantId,
        name: w.participant?.name ?? null,
        businessName: w.participant?.businessName ?? null,
        phone: w.participant?.phone ?? null,
        status: w.status,
        checkedInAt: w.checkedInAt,
      }))
      .sort((a, b) => Number(a.status !== "pending") - Number(b.status !== "pending")),
  };
}

/** Who a move or a cancellation of the session would tell. */
export type Audience = {
  enrolled: number;
  waitlisted: number;
  /** Of those, how many get the notice: not opted out (BERHENTI) and with a chat that has not blocked the bot. */
  reachable: number;
};

export async function countAudience(prisma: Db, trainingSessionId: number): Promise<Audience> {
  const rows = await prisma.enrollment.findMany({
    where: { trainingSessionId, status: { in: ["enrolled", "waitlisted"] } },
    select: {
      status: true,
      participant: {
        select: { optedOutAt: true, identities: { where: { blockedAt: null }, select: { id: true }, take: 1 } },
      },
    },
  });
  return {
    enrolled: rows.filter((r) => r.status === "enrolled").length,
    waitlisted: rows.filter((r) => r.status === "waitlisted").length,
    reachable: rows.filter((r) => r.participant && !r.participant.optedOutAt && r.participant.identities.length).length,
  };
}

export type AttendanceMark = { enrollmentId: number; status: "attended" | "absent" };
export type AttendanceChange = { enrollmentId: number; from: string; to: "attended" | "absent" };

/**
 * Records attendance of seat holders of one session; returns what changed. Marks for other
 * sessions' enrollments, waiting-list places and cancelled enrollments are ignored, and a mark
 * may correct an earlier one (attended to absent and back). Marked attended by hand, an
 * enrollment not checked in at the venue gets the check-in method "staff".
 */
export async function markAttendance(
  prisma: Db,
  trainingSessionId: number,
  marks: AttendanceMark[],
): Promise<AttendanceChange[]> {
  if (!marks.length) return [];
  return prisma.$transaction(async (tx) => {
    const current = await tx.enrollment.findMany({
      where: {
        trainingSessionId,
        id: { in: marks.map((m) => m.enrollmentId) },
        status: { in: [...seatStatuses] },
      },
      select: { id: true, status: true },
    });
    const statusOf = new Map(current.map((e) => [e.id, e.status]));
    const changed = marks.flatMap((m): AttendanceChange[] => {
      const from = statusOf.get(m.enrollmentId);
      return from && from !== m.status ? [{ enrollmentId: m.enrollmentId, from, to: m.status }] : [];
    });
    for (const to of ["attended", "absent"] as const) {
      const ids = changed.filter((c) => c.to === to).map((c) => c.enrollmentId);
      // Only rows still holding a seat: a cancel that won the race is not undone.
      if (ids.length)
        await tx.enrollment.updateMany({
          where: { id: { in: ids }, status: { in: [...seatStatuses] } },
          data: { status: to },
        });
      if (to === "attended" && ids.length)
        await tx.enrollment.updateMany({
          where: { id: { in: ids }, status: "attended", checkInMethod: null },
          data: { checkInMethod: "staff" },
        });
    }
    return changed;
  });
}

export type SeatsFilled = {
  /** Enrollments moved from the waiting list into a seat, first in line first. */
  enrollmentIds: number[];
  /** Their reminders, to schedule after the commit. */
  reminders: ScheduledReminder[];
  /** Their "a seat freed up" notices, to enqueue after the commit. */
  notices: OutboxBatch[];
};

/**
 * Gives the free seats of a session (after staff raised its capacity) to the waiting list in
 * order, inside the caller's transaction `tx`: each gets their reminders and the same notice as
 * when someone cancels. The caller schedules the reminders and enqueues the notices after the commit.
 */
export async function fillFreeSeats(
  tx: Tx,
  database: Database,
  trainingSessionId: number,
  now: Date,
): Promise<SeatsFilled> {
  await lockTrainingSession(tx, database.provider, trainingSessionId);
  const promotions: Promotion[] = [];
  for (;;) {
    const promoted = await promoteFromWaitlist(tx, trainingSessionId);
    if (!promoted) break;
    promotions.push(promoted);
  }
  const { reminders, notices } = await welcomePromoted(tx, database, promotions, now);
  return {
    enrollmentIds: promotions.map((p) => p.enrollmentId),
    reminders,
    notices: await writeNotices(tx, database, notices, now),
  };
}

const statusLabels: Record<RosterEntry["status"], string> = {
  enrolled: "terdaftar",
  attended: "hadir",
  absent: "tidak hadir",
  waitlisted: "daftar tunggu",
};

const rsvpLabels = { confirmed: "akan hadir", declined: "tidak bisa hadir" } as const;

export const rosterCsvHeader = [
  "no",
  "nama",
  "nama usaha",
  "sektor",
  "kabupaten/kota",
  "nomor HP",
  "status",
  "konfirmasi kehadiran",
  "posisi daftar tunggu",
  "waktu check-in",
];

const checkInMethodLabels: Record<string, string> = { code: "kode", staff: "ditandai staf" };

/** "2026-12-03 08.47 (kode)" in the programme's time zone; "ditandai staf" without a time. */
function checkInCell(e: RosterEntry, timeZone: string): string {
  const method = e.checkInMethod ? (checkInMethodLabels[e.checkInMethod] ?? e.checkInMethod) : null;
  if (!e.checkedInAt) return method ?? "";
  const at = DateTime.fromJSDate(e.checkedInAt, { zone: timeZone }).toFormat("yyyy-MM-dd HH.mm");
  return method ? `${at} (${method})` : at;
}

/**
 * A value a spreadsheet would read as a formula (=, +, -, @; also a leading tab or carriage
 * return, which some strip first) gets a leading apostrophe, so an exported name such as
 * "=HYPERLINK(...)" stays text when the file is opened.
 */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * The roster as CSV (seat holders, then the waiting list), in Indonesian, with a byte order mark
 * so that Excel reads it as UTF-8.
 */
export function rosterCsv(roster: Roster): string {
  // The place in line is counted, not the stored position, which keeps gaps after cancellations.
  const entries = [
    ...roster.seats.map((e) => ({ e, place: null as number | null })),
    ...roster.waitlist.map((e, i) => ({ e, place: i + 1 })),
  ];
  const rows = entries.map(({ e, place }, i) =>
    [
      String(i + 1),
      e.participantId === null ? "(data dihapus)" : (e.name ?? ""),
      e.businessName ?? "",
      e.sector ? sectorLabel(e.sector, "id") : "",
      e.regency ?? "",
      e.phone ?? "",
      statusLabels[e.status],
      e.rsvp ? rsvpLabels[e.rsvp] : "",
      place === null ? "" : String(place),
      checkInCell(e, roster.session.programme.timeZone),
    ].map(neutralizeFormula),
  );
  return `\uFEFF${stringify([rosterCsvHeader, ...rows], { record_delimiter: "\r\n" })}`;
}
