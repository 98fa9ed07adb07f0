/**
 * The roster of a training session: who holds a seat (with RSVP and attendance) and who waits,
 * marking attendance, and the list as CSV. Phone numbers are shown in full here, for staff to
 * call; they never go to the logs or the audit log.
 */
import { DateTime } from "luxon";
import { loadRoster, markAttendance, rosterCsv, type AttendanceMark } from "../../../domain/roster.js";
import { audit } from "../../../domain/staff.js";
import { ensureCheckInCode } from "../../../domain/check-in-code.js";
import { checkInWindow } from "../../../domain/check-in.js";
import { chatLinksOf, checkInLinks } from "./programmes-checkin.js";
import { definePage } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text } from "../text.js";
import { idParam, notFound } from "./programmes-forms.js";
import { rosterCertificates } from "./programmes-certificates.js";

/**
 * Attendance is marked from the local day of the session on: marked earlier, a participant
 * would leave the "enrolled" state and with it their reminders and the notices of a move.
 */
const attendanceOpens = (startsAt: Date, timeZone: string) =>
  DateTime.fromJSDate(startsAt, { zone: timeZone }).startOf("day").toJSDate();

export const rosterPage = definePage({
  path: "/dashboard/program/jadwal/:sessionId",
  async handler(ctx) {
    const { request, reply, deps, t, language } = ctx;
    const id = idParam(request, "sessionId");
    // The check-in code is made the first time staff open the roster (for the poster).
    if (id) await ensureCheckInCode(deps.database.prisma, id);
    const roster = id ? await loadRoster(deps.database.prisma, id) : null;
    if (!roster) return notFound(reply);
    const { session } = roster;
    const now = new Date();
    const code = session.checkInCode!;
    return render(reply, "roster", {
      title: `${language === "en" ? session.programme.titleEn : session.programme.titleId} · ${session.code}`,
      roster,
      session,
      cancelled: session.status === "cancelled",
      started: session.startsAt <= now,
      attendanceOpen: attendanceOpens(session.startsAt, session.programme.timeZone) <= now,
      heading: t(session.programme.titleId, session.programme.titleEn),
      checkIn: {
        code,
        links: checkInLinks(code, chatLinksOf(ctx)),
        opensAt: checkInWindow(session).opensAt,
      },
      clock: (date: Date) =>
        DateTime.fromJSDate(date, { zone: session.programme.timeZone }).toFormat(language === "en" ? "HH:mm" : "HH.mm"),
      certificates: await rosterCertificates(
        deps.database.prisma,
        roster.seats.map((e) => e.enrollmentId),
      ),
    });
  },
});

/** Form fields `e<enrollment id>` = attended | absent; anything else is ignored. */
function attendanceMarks(body: unknown): AttendanceMark[] {
  if (!body || typeof body !== "object") return [];
  return Object.entries(body as Record<string, unknown>).flatMap(([name, value]): AttendanceMark[] => {
    const match = /^e(\d{1,9})$/.exec(name);
    if (!match || (value !== "attended" && value !== "absent")) return [];
    return [{ enrollmentId: Number(match[1]), status: value }];
  });
}

export const markAttendancePage = definePage({
  method: "POST",
  path: "/dashboard/program/jadwal/:sessionId/kehadiran",
  async handler({ request, reply, deps, staff }) {
    const id = idParam(request, "sessionId");
    const session = id
      ? await deps.database.prisma.trainingSession.findUnique({
          where: { id },
          include: { programme: { select: { timeZone: true } } },
        })
      : null;
    if (!session) return notFound(reply);
    const back = `/dashboard/program/jadwal/${session.id}#kehadiran`;
    if (session.status === "cancelled")
      return redirectWithFlash(
        reply,
        back,
        text(
          "Jadwal ini dibatalkan: tidak ada kehadiran untuk dicatat.",
          "This session is cancelled: there is no attendance to mark.",
        ),
        "error",
      );
    if (attendanceOpens(session.startsAt, session.programme.timeZone) > new Date())
      return redirectWithFlash(
        reply,
        back,
        text(
          "Kehadiran bisa dicatat mulai hari pelaksanaan jadwal.",
          "Attendance can be marked from the day of the session on.",
        ),
        "error",
      );
    const changes = await markAttendance(deps.database.prisma, session.id, attendanceMarks(request.body));
    if (!changes.length)
      return redirectWithFlash(reply, back, text("Tidak ada perubahan kehadiran.", "No change in attendance."));
    const attended = changes.filter((c) => c.to === "attended").map((c) => c.enrollmentId);
    const absent = changes.filter((c) => c.to === "absent").map((c) => c.enrollmentId);
    await audit(deps.database.prisma, staff.id, "enrollment.attendance_marked", `trainingSession:${session.id}`, {
      attended,
      absent,
    });
    return redirectWithFlash(
      reply,
      back,
      text(
        `Kehadiran disimpan: ${attended.length} hadir, ${absent.length} tidak hadir.`,
        `Attendance saved: ${attended.length} attended, ${absent.length} absent.`,
      ),
    );
  },
});

export const rosterCsvPage = definePage({
  path: "/dashboard/program/jadwal/:sessionId/csv",
  async handler({ request, reply, deps, staff }) {
    const id = idParam(request, "sessionId");
    const roster = id ? await loadRoster(deps.database.prisma, id) : null;
    if (!roster) return notFound(reply);
    // A download of personal data is recorded like a change: who took which list, of how many people.
    await audit(
      deps.database.prisma,
      staff.id,
      "training_session.roster_exported",
      `trainingSession:${roster.session.id}`,
      {
        rows: roster.seats.length + roster.waitlist.length,
      },
    );
    const fileName = `peserta-${roster.session.code.replace(/[^A-Za-z0-9_-]/g, "_")}.csv`;
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="${fileName}"`)
      .header("cache-control", "no-store")
      .send(rosterCsv(roster));
  },
});
