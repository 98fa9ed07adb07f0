/**
 * Staff commands in chat (flows/staff.ts, recognised by parseStaffCommand there): knowing who is
 * linked staff, the reads they make, and what runs after the turn commits (linking a chat
 * account with a code, creating and sending a broadcast), answered with a notice. All of it
 * works from Telegram and WhatsApp only (isStaffChannel): the web chat answers that they are
 * done there (flows/route-message.ts).
 */
import { DateTime } from "luxon";
import type { Database } from "../db/database.js";
import { prepareStatements, queryRows, sqlTime } from "../db/raw-sql.js";
import type { BroadcastService, BroadcastView } from "../domain/broadcast-types.js";
import { parseSegmentFilter } from "../domain/segments.js";
import {
  audit,
  isStaffChannel,
  linkAttemptsPerHour,
  linkChatAccount,
  linkCodeValidityMinutes,
  withAuditScope,
} from "../domain/staff.js";
import { bold, plain } from "../engine/markup.js";
import type { Language, StaffServices, StaffView } from "../engine/types.js";
import type { Logger } from "../logger.js";

const statements = {
  staff: `SELECT s.id, s.name, s.role FROM "StaffIdentity" si JOIN "Staff" s ON s.id = si."staffId"
    WHERE si.channel = $1 AND si."platformUserId" = $2 AND s.active = true`,
  statistics: `SELECT pr.id AS "programmeId", pr."titleId", pr."titleEn", s.id AS "sessionId", s."startsAt", s.venue,
      s.capacity, pr."timeZone",
      SUM(CASE WHEN e.status = 'enrolled' THEN 1 ELSE 0 END) AS enrolled,
      SUM(CASE WHEN e.status = 'waitlisted' THEN 1 ELSE 0 END) AS waitlisted,
      SUM(CASE WHEN e.status = 'enrolled' AND e.rsvp = 'confirmed' THEN 1 ELSE 0 END) AS confirmed
    FROM "Programme" pr JOIN "TrainingSession" s ON s."programmeId" = pr.id
      LEFT JOIN "Enrollment" e ON e."trainingSessionId" = s.id
    WHERE s.status = 'scheduled' AND s."startsAt" > $1::timestamp(3)
    GROUP BY pr.id, pr."titleId", pr."titleEn", s.id, s."startsAt", s.venue, s.capacity, pr."timeZone"
    ORDER BY pr.id, s."startsAt"`,
};
const sqlFor = {
  sqlite: prepareStatements(statements, "sqlite"),
  postgresql: prepareStatements(statements, "postgresql"),
};

/**
 * The staff member this chat account is linked to, or null. A web chat account is never staff,
 * even with a row linked before linking left the web chat.
 */
export async function loadStaff(
  database: Database,
  channel: string,
  platformUserId: string,
): Promise<StaffView | null> {
  if (!isStaffChannel(channel)) return null;
  const [row] = await queryRows<{ id: number; name: string; role: "admin" | "staff" }>(
    database,
    database.prisma,
    sqlFor[database.provider].staff,
    [channel, platformUserId],
  );
  return row ?? null;
}

const statusWords: Record<BroadcastView["status"], { id: string; en: string }> = {
  draft: { id: "draf", en: "draft" },
  pending_approval: { id: "menunggu persetujuan", en: "waiting for approval" },
  scheduled: { id: "terjadwal", en: "scheduled" },
  sending: { id: "sedang dikirim", en: "sending" },
  paused: { id: "dijeda", en: "paused" },
  done: { id: "selesai", en: "done" },
  cancelled: { id: "dibatalkan", en: "cancelled" },
};

/**
 * One line per broadcast: "#12 Jadwal bimtek (sedang dikirim): 120 dari 230 terkirim, 2 gagal",
 * as message markup (the title staff typed escaped).
 */
export function describeBroadcast(b: BroadcastView, language: Language, timeZone: string): string {
  const p = b.progress;
  const when = b.scheduledAt
    ? DateTime.fromJSDate(b.scheduledAt, { zone: timeZone }).setLocale(language).toFormat("d LLL HH:mm")
    : "";
  const total = p.recipients || 0;
  const counts =
    language === "id"
      ? `${p.sent} dari ${total} terkirim` +
        (p.failed ? `, ${p.failed} gagal` : "") +
        (p.read ? `, ${p.read} dibaca` : "")
      : `${p.sent} of ${total} sent` + (p.failed ? `, ${p.failed} failed` : "") + (p.read ? `, ${p.read} read` : "");
  const started = b.status !== "draft" && b.status !== "pending_approval" && b.status !== "scheduled";
  return `#${b.id} ${plain(b.title)} (${statusWords[b.status][language]}${when && !started ? `, ${when}` : ""})${started ? `: ${counts}` : ""}`;
}

/** The reads of the staff nodes. */
export function createStaffServices(
  database: Database,
  broadcasts: BroadcastService,
  language: Language,
  timeZone: string,
  now: Date,
): StaffServices {
  return {
    async preview(filter) {
      const p = await broadcasts.preview(parseSegmentFilter(filter));
      return { recipients: p.recipients, optedOut: p.leftOut.optedOut, blocked: p.leftOut.blocked };
    },
    async describeRecentBroadcasts() {
      const recent = await broadcasts.list({ limit: 5 });
      if (!recent.length)
        return language === "id"
          ? "Belum ada siaran. Ketik /siaran untuk membuat satu."
          : "No broadcasts yet. Type /siaran to make one.";
      const lines = recent.map((b) => describeBroadcast(b, language, timeZone));
      return `${language === "id" ? "Siaran terakhir:" : "Latest broadcasts:"}\n${lines.join("\n")}`;
    },
    async describeStatistics() {
      const rows = await queryRows<{
        programmeId: number;
        titleId: string;
        titleEn: string;
        startsAt: Date;
        venue: string;
        capacity: number;
        timeZone: string;
        enrolled: number | bigint | null;
        waitlisted: number | bigint | null;
        confirmed: number | bigint | null;
      }>(database, database.prisma, sqlFor[database.provider].statistics, [sqlTime(now, database.provider)], {
        dates: ["startsAt"],
      });
      if (!rows.length)
        return language === "id" ? "Belum ada jadwal pelatihan mendatang." : "There are no upcoming training sessions.";
      const byProgramme = new Map<number, string[]>();
      const totals = new Map<number, { title: string; enrolled: number; waitlisted: number }>();
      for (const r of rows) {
        const enrolled = Number(r.enrolled ?? 0);
        const waitlisted = Number(r.waitlisted ?? 0);
        const confirmed = Number(r.confirmed ?? 0);
        const when = DateTime.fromJSDate(new Date(r.startsAt), { zone: r.timeZone })
          .setLocale(language)
          .toFormat("d LLL HH:mm");
        const line =
          language === "id"
            ? `  • ${when}, ${plain(r.venue)}: ${enrolled}/${r.capacity} terdaftar, ${confirmed} konfirmasi hadir, ${waitlisted} daftar tunggu`
            : `  • ${when}, ${plain(r.venue)}: ${enrolled}/${r.capacity} enrolled, ${confirmed} confirmed, ${waitlisted} waiting`;
        byProgramme.set(r.programmeId, [...(byProgramme.get(r.programmeId) ?? []), line]);
        const t = totals.get(r.programmeId) ?? {
          title: language === "id" ? r.titleId : r.titleEn,
          enrolled: 0,
          waitlisted: 0,
        };
        t.enrolled += enrolled;
        t.waitlisted += waitlisted;
        totals.set(r.programmeId, t);
      }
      const blocks = [...totals].map(([id, t]) => {
        const head =
          language === "id"
            ? `${bold(t.title)}: ${t.enrolled} terdaftar, ${t.waitlisted} daftar tunggu`
            : `${bold(t.title)}: ${t.enrolled} enrolled, ${t.waitlisted} waiting`;
        return [head, ...byProgramme.get(id)!].join("\n");
      });
      return `${language === "id" ? "📊 Pendaftaran per program dan jadwal mendatang:" : "📊 Enrollments per programme and upcoming session:"}\n\n${blocks.join("\n\n")}`;
    },
  };
}

/** What a staff turn asks for once it has committed. */
export type StaffAction =
  | { kind: "link"; code: string }
  | { kind: "broadcast"; textId: string; textEn: string | null; filter: Record<string, unknown> };

export type StaffActionContext = {
  channel: string;
  platformUserId: string;
  identityId: number;
  staff: StaffView | null;
  language: Language;
  now: Date;
};

/** At most `max` characters, cut at a word when there is one, with "…" when cut. */
function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/** Runs a staff action and says how it went, in one message for the chat. */
export async function runStaffAction(
  database: Database,
  broadcasts: BroadcastService,
  action: StaffAction,
  ctx: StaffActionContext,
  logger: Logger,
): Promise<string> {
  const id = ctx.language === "id";
  if (action.kind === "link") {
    const outcome = await linkChatAccount(
      database.prisma,
      action.code,
      { channel: ctx.channel, platformUserId: ctx.platformUserId },
      ctx.now,
    );
    if (outcome.kind === "paused") {
      if (outcome.justPaused) {
        // Raised once an hour, at the first attempt refused; never with the code tried.
        const detail = {
          until: outcome.until.toISOString(),
          channel: ctx.channel,
          attemptsPerHour: linkAttemptsPerHour,
        };
        logger.warn(
          { event: "staff_link_paused", ...detail },
          "too many chat link attempts in an hour: linking chat accounts is paused for everyone",
        );
        await audit(database.prisma, null, "security.staff_link_paused", `identity:${ctx.identityId}`, detail);
      }
      return id
        ? "Penautan akun chat sedang dihentikan sementara karena terlalu banyak kode yang salah. Silakan coba lagi satu jam lagi dengan kode baru dari dasbor."
        : "Linking chat accounts is paused for now because of too many wrong codes. Please try again in an hour with a new code from the dashboard.";
    }
    if (outcome.kind === "refused") {
      // Written at the turn's time; at most linkAttemptsPerHour of these an hour, the limit above.
      await database.prisma.auditLog.create({
        data: {
          action: "staff.link_failed",
          target: `identity:${ctx.identityId}`,
          detail: { channel: ctx.channel },
          createdAt: ctx.now,
        },
      });
      return id
        ? `Kode tidak dikenal atau sudah kedaluwarsa. Buat kode baru di dasbor, menu Akses saya (berlaku ${linkCodeValidityMinutes} menit).`
        : `That code is unknown or has expired. Make a new one on the dashboard, under My access (valid for ${linkCodeValidityMinutes} minutes).`;
    }
    const { staff } = outcome;
    return id
      ? `✅ Akun chat ini sekarang terhubung dengan akun staf ${staff.name}. Perintah: /siaran (kirim pengumuman), /status (perkembangan siaran), /statistik (pendaftaran).`
      : `✅ This chat account is now linked to the staff account of ${staff.name}. Commands: /siaran (send an announcement), /status (broadcast progress), /statistik (enrollments).`;
  }
  if (!ctx.staff) return id ? "Perintah ini khusus untuk staf." : "This command is for staff only.";
  const staffId = ctx.staff.id;
  const title = shorten(action.textId.replace(/\s+/g, " ").trim(), 60);
  // The audit log says the broadcast came from a chat, and which.
  const scheduled = await withAuditScope({ detail: { via: "chat", channel: ctx.channel } }, async () => {
    const created = await broadcasts.create(staffId, {
      title,
      textId: action.textId,
      textEn: action.textEn,
      filter: parseSegmentFilter(action.filter),
    });
    return broadcasts.schedule(staffId, created.id, null);
  });
  if (scheduled.status === "pending_approval")
    return id
      ? `⏳ Siaran #${scheduled.id} menunggu persetujuan admin lain karena penerimanya banyak. Ketik /status untuk melihat keadaannya.`
      : `⏳ Broadcast #${scheduled.id} is waiting for another admin's approval, as it goes to many people. Type /status to follow it.`;
  return id
    ? `✅ Siaran #${scheduled.id} mulai dikirim. Ketik /status untuk melihat perkembangannya.`
    : `✅ Broadcast #${scheduled.id} is on its way. Type /status to follow it.`;
}
