/**
 * Check-in at the venue: the participant scans the poster's QR code (a Telegram link
 * `hadir-K7M2QX`, or a WhatsApp message "HADIR K7M2QX") or types the code. The flow only asks
 * for the check-in; the domain (src/domain/check-in.ts) decides, and the answer is one of the
 * texts below. A newcomer registers first and is checked in right after; someone in the middle
 * of something goes back there afterwards.
 */
import { DateTime } from "luxon";
import { formatDateTime, zoneAbbreviation } from "../src/engine/format.js";
import { bold, plain } from "../src/engine/markup.js";
import type { Flow, Language } from "../src/engine/types.js";
import { routeBack } from "./detour.js";
import type { SessionSummary } from "./outcomes.js";
import { t } from "./texts.js";

/** The characters of a check-in code: no 0/O, 1/I/L, which are easily confused on a poster. */
export const checkInCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const checkInCodeLength = 6;

/**
 * A well-formed code: six letters and digits with at least one of each, so a code never reads
 * as a reminder button's enrollment id (`hadir-12`) or as a word ("hadir, terima").
 */
export function isCheckInCodeShape(code: string): boolean {
  return new RegExp(`^[A-Z0-9]{${checkInCodeLength}}$`).test(code) && /\d/.test(code) && /[A-Z]/.test(code);
}

/** "k7m-2qx", "K7M 2QX" -> "K7M2QX"; null when it is not shaped like a code. */
export function normalizeCheckInCode(text: string): string | null {
  const code = text.replace(/[\s\-_.]/g, "").toUpperCase();
  return isCheckInCodeShape(code) ? code : null;
}

/** The words that say "I am here": HADIR, ABSEN, CEK IN, CHECK-IN, CHECKIN. */
const checkInWords = /^\W*(?:hadir|absen|c(?:h?e)c?k\s*-?\s*in)\b[\s:.,-]*(.*)$/isu;

/**
 * The code of a check-in message: a Telegram link payload `hadir-K7M2QX`, or typed words such as
 * "HADIR K7M2QX", "hadir k7m-2qx", "cek in K7M2QX". Null for anything else.
 */
export function checkInQuery(message: { deepLink?: string; text?: string }): string | null {
  const source = message.deepLink ?? message.text;
  if (!source || source.length > 40) return null;
  const match = checkInWords.exec(source.trim());
  return match ? normalizeCheckInCode(match[1]!) : null;
}

/** What the domain decided about a check-in, as the texts below need it. */
export type CheckInNews =
  | { kind: "unknown_code" }
  | { kind: "cancelled"; session: SessionSummary }
  | { kind: "too_early"; session: SessionSummary; opensAt: Date }
  | { kind: "over"; session: SessionSummary }
  | { kind: "checked_in"; session: SessionSummary; at: Date }
  | { kind: "already"; session: SessionSummary; at: Date | null }
  | { kind: "walk_in"; session: SessionSummary }
  | { kind: "walk_in_already"; session: SessionSummary; status: "pending" | "confirmed" | "rejected" };

/** "08.47 WIB" / "08:47 WIB". */
const clock = (at: Date, timeZone: string, l: Language) =>
  `${DateTime.fromJSDate(at, { zone: timeZone }).toFormat(l === "id" ? "HH.mm" : "HH:mm")} ${zoneAbbreviation(timeZone)}`;

const title = (s: SessionSummary, l: Language) => bold(s.programmeTitle[l]);

/** The answer to a check-in, in the participant's language. */
export function checkInText(news: CheckInNews, l: Language): string {
  const id = l === "id";
  switch (news.kind) {
    case "unknown_code":
      return id
        ? "Maaf, kode check-in itu tidak kami kenal. Periksa lagi kode pada poster di lokasi pelatihan (6 huruf dan angka, misalnya HADIR K7M2QX), atau tanyakan kepada panitia."
        : "Sorry, we do not know that check-in code. Please check the code on the poster at the venue (6 letters and digits, for example HADIR K7M2QX), or ask the organisers.";
    case "cancelled":
      return id
        ? `Maaf, ${title(news.session, l)} (${formatDateTime(news.session.startsAt, news.session.timeZone, l)}) sudah dibatalkan, jadi tidak ada check-in untuk jadwal ini.`
        : `Sorry, ${title(news.session, l)} (${formatDateTime(news.session.startsAt, news.session.timeZone, l)}) was cancelled, so there is no check-in for it.`;
    case "too_early":
      return id
        ? `Check-in untuk ${title(news.session, l)} belum dibuka. Check-in dibuka ${formatDateTime(news.opensAt, news.session.timeZone, l)}, satu jam sebelum acara dimulai. Kehadiran Anda belum dicatat.`
        : `Check-in for ${title(news.session, l)} is not open yet. It opens ${formatDateTime(news.opensAt, news.session.timeZone, l)}, an hour before the start. Your attendance has not been recorded.`;
    case "over":
      return id
        ? `Check-in untuk ${title(news.session, l)} (${formatDateTime(news.session.startsAt, news.session.timeZone, l)}) sudah ditutup karena acaranya sudah selesai. Kehadiran Anda tidak dicatat; silakan hubungi panitia bila Anda hadir.`
        : `Check-in for ${title(news.session, l)} (${formatDateTime(news.session.startsAt, news.session.timeZone, l)}) is closed: the session is over. Your attendance was not recorded; please contact the organisers if you were there.`;
    case "checked_in":
      return id
        ? `✅ Terima kasih, kehadiran Anda di ${title(news.session, l)} sudah tercatat pukul ${clock(news.at, news.session.timeZone, l)}. Selamat mengikuti pelatihan!`
        : `✅ Thank you, your attendance at ${title(news.session, l)} was recorded at ${clock(news.at, news.session.timeZone, l)}. Enjoy the training!`;
    case "already":
      return news.at
        ? id
          ? `Anda sudah tercatat hadir pukul ${clock(news.at, news.session.timeZone, l)} di ${title(news.session, l)}. Tidak perlu check-in lagi.`
          : `You were already recorded as present at ${clock(news.at, news.session.timeZone, l)} at ${title(news.session, l)}. No need to check in again.`
        : id
          ? `Anda sudah tercatat hadir di ${title(news.session, l)}. Tidak perlu check-in lagi.`
          : `You are already recorded as present at ${title(news.session, l)}. No need to check in again.`;
    case "walk_in":
      return id
        ? `Terima kasih sudah datang ke ${title(news.session, l)}. Anda belum terdaftar di jadwal ini, jadi kehadiran Anda kami catat sebagai peserta tanpa pendaftaran; panitia akan mengonfirmasinya.`
        : `Thank you for coming to ${title(news.session, l)}. You are not enrolled in this session, so we recorded you as a walk-in; the organisers will confirm it.`;
    case "walk_in_already":
      return news.status === "rejected"
        ? id
          ? `Kehadiran Anda di ${title(news.session, l)} sudah diperiksa panitia dan tidak dikonfirmasi. Silakan bicara langsung dengan panitia.`
          : `The organisers checked your attendance at ${title(news.session, l)} and did not confirm it. Please talk to them in person.`
        : news.status === "confirmed"
          ? id
            ? `Anda sudah tercatat hadir di ${title(news.session, l)}. Tidak perlu check-in lagi.`
            : `You are already recorded as present at ${title(news.session, l)}. No need to check in again.`
          : id
            ? `Kedatangan Anda di ${title(news.session, l)} sudah kami catat dan sedang menunggu konfirmasi panitia. Tidak perlu check-in lagi.`
            : `We have already recorded your arrival at ${title(news.session, l)}; it is waiting for the organisers to confirm. No need to check in again.`;
  }
}

/**
 * Asks the domain to check the participant in with `vars.checkInCode`, then goes back to where
 * they were (nowhere: the conversation ends; nor to a reminder's "will you come?", which coming
 * answers). It has no wait of its own.
 */
export const checkin: Flow = {
  name: "checkin",
  start: "record",
  requiresParticipant: true,
  nodes: {
    // Registered just now, having come to check in.
    welcome: {
      say: (ctx) => {
        const name = plain(ctx.participant?.name ?? "");
        return t(
          `Terima kasih${name ? `, ${name}` : ""}! Pendaftaran Anda sudah tersimpan.`,
          `Thank you${name ? `, ${name}` : ""}! Your registration is saved.`,
        );
      },
      next: () => ({ goto: "record" }),
    },
    record: {
      next: (ctx) => {
        const code = typeof ctx.vars.checkInCode === "string" ? ctx.vars.checkInCode : "";
        // A reminder's "will you come?" still waiting is answered by coming: nothing to go back to.
        const route =
          ctx.vars.returnFlow === "attendance"
            ? { end: true as const }
            : routeBack(ctx.vars, { end: true }, { checkInCode: null });
        return { ...route, emit: [{ type: "check_in_requested", code }] };
      },
    },
  },
};
