/**
 * Messages about what the domain decided after a flow asked for a change (enrolled or
 * waitlisted, a seat freed up). The runtime sends them where the request was in the turn.
 */
import { formatDateTime } from "../src/engine/format.js";
import { bold, plain } from "../src/engine/markup.js";
import type { Language } from "../src/engine/types.js";

export type SessionSummary = {
  programmeTitle: { id: string; en: string };
  startsAt: Date;
  timeZone: string;
  venue: string;
};

const when = (s: SessionSummary, l: Language) => formatDateTime(s.startsAt, s.timeZone, l);

/** Where a reminder says to go, and which reminder it is (the nudge asks again for an answer). */
export type ReminderPlace = { address: string; mapUrl: string | null; kind: "day-before" | "before" | "nudge" };

/** A session reminder: when, where (with the map link), and what to do if one cannot come. */
export function reminderText(s: SessionSummary, place: ReminderPlace, l: Language, confirmed = false): string {
  const map = place.mapUrl ? (l === "id" ? `\nPeta: ${plain(place.mapUrl)}` : `\nMap: ${plain(place.mapUrl)}`) : "";
  const lead =
    place.kind === "nudge"
      ? l === "id"
        ? `🔔 Kami belum menerima jawaban Anda: apakah Anda akan mengikuti ${bold(s.programmeTitle.id)}?\n`
        : `🔔 We have not heard from you yet: will you take part in ${bold(s.programmeTitle.en)}?\n`
      : l === "id"
        ? `🔔 Pengingat: ${place.kind === "day-before" ? "besok" : "sebentar lagi"} Anda mengikuti ${bold(s.programmeTitle.id)}.\n`
        : `🔔 Reminder: ${place.kind === "day-before" ? "tomorrow" : "soon"} you take part in ${bold(s.programmeTitle.en)}.\n`;
  // Someone who already said they will come is not asked again.
  const ask = confirmed
    ? l === "id"
      ? "Anda sudah menyatakan akan hadir, sampai jumpa di sana! Jika ternyata berhalangan, cukup ketik *tidak bisa hadir*."
      : "You have said you will attend, see you there! If something comes up, just type *cannot attend*."
    : l === "id"
      ? "Balas 1 jika hadir, 2 jika tidak bisa hadir."
      : "Reply 1 if you will attend, 2 if you cannot.";
  return l === "id"
    ? `${lead}Waktu: ${when(s, l)}\nTempat: ${plain(s.venue)}, ${plain(place.address)}${map}\n\n${ask}`
    : `${lead}When: ${when(s, l)}\nWhere: ${plain(s.venue)}, ${plain(place.address)}${map}\n\n${ask}`;
}

/** Staff moved a session the participant is enrolled in (or waiting for). */
export function sessionMovedText(s: SessionSummary, l: Language): string {
  return l === "id"
    ? `📅 Jadwal berubah: ${bold(s.programmeTitle.id)} sekarang ${when(s, l)} di ${plain(s.venue)}. Pendaftaran Anda tetap berlaku; pengingat akan menyesuaikan. Jika waktu baru ini tidak cocok, Anda bisa membatalkan lewat menu Jadwal saya.`
    : `📅 Schedule change: ${bold(s.programmeTitle.en)} is now ${when(s, l)} at ${plain(s.venue)}. Your enrollment stands and the reminders follow the new time. If it no longer suits you, you can cancel under My schedule.`;
}

/** A motivational message from the library, with how to stop them. */
export function motivationText(text: string, l: Language): string {
  return l === "id"
    ? `💡 ${text}\n\n_Ketik MOTIVASI OFF jika tidak ingin menerima pesan motivasi lagi._`
    : `💡 ${text}\n\n_Type MOTIVATION OFF to stop motivational messages._`;
}

export const outcomes = {
  enrolled: (s: SessionSummary, l: Language) =>
    l === "id"
      ? `✅ Anda terdaftar di ${bold(s.programmeTitle.id)}, ${when(s, l)} di ${plain(s.venue)}. Kami akan mengirim pengingat sebelum acara.`
      : `✅ You are enrolled in ${bold(s.programmeTitle.en)}, ${when(s, l)} at ${plain(s.venue)}. We will send you a reminder before it starts.`,
  waitlisted: (s: SessionSummary, position: number, l: Language) =>
    l === "id"
      ? `⏳ Kursi untuk ${bold(s.programmeTitle.id)} (${when(s, l)}) sudah penuh. Anda masuk daftar tunggu nomor ${position}. Kami akan mengabari jika ada kursi kosong.`
      : `⏳ ${bold(s.programmeTitle.en)} (${when(s, l)}) is full. You are number ${position} on the waiting list. We will tell you if a seat frees up.`,
  alreadyEnrolled: (l: Language) =>
    l === "id" ? "Anda sudah terdaftar di jadwal ini." : "You are already enrolled in this session.",
  alreadyWaitlisted: (position: number | null, l: Language) =>
    l === "id"
      ? `Anda sudah ada di daftar tunggu jadwal ini (nomor ${position ?? "-"}).`
      : `You are already on the waiting list for this session (number ${position ?? "-"}).`,
  unavailable: (l: Language) =>
    l === "id"
      ? "Maaf, jadwal ini sudah tidak bisa didaftari. Silakan pilih jadwal lain."
      : "Sorry, this session can no longer be joined. Please choose another one.",
  cancelled: (s: SessionSummary, l: Language) =>
    l === "id"
      ? `Pendaftaran Anda untuk ${bold(s.programmeTitle.id)} (${when(s, l)}) sudah dibatalkan.`
      : `Your enrollment in ${bold(s.programmeTitle.en)} (${when(s, l)}) is cancelled.`,
  /** The participant holds as many sessions of the programme as it allows; `s` is the first of them. */
  programmeTaken: (s: SessionSummary, waitlisted: boolean, l: Language) =>
    l === "id"
      ? `Anda sudah ${waitlisted ? "masuk daftar tunggu" : "terdaftar di"} ${bold(s.programmeTitle.id)} untuk jadwal ${when(s, l)}, dan sudah mencapai batas jadwal untuk program ini. Jika ingin pindah jadwal, silakan pilih jadwal yang baru lewat menu Daftar pelatihan.`
      : `You are already ${waitlisted ? "on the waiting list for" : "enrolled in"} ${bold(s.programmeTitle.en)} on ${when(s, l)}, the most sessions of this programme you can hold. To change to another session, choose the new one under Enroll in training.`,
  moved: (from: SessionSummary, to: SessionSummary, l: Language) =>
    l === "id"
      ? `🔄 Jadwal Anda sudah dipindah. Anda sekarang terdaftar di ${bold(to.programmeTitle.id)}, ${when(to, l)} di ${to.venue}. Pendaftaran untuk jadwal ${when(from, l)} sudah dibatalkan. Kami akan mengirim pengingat sebelum acara.`
      : `🔄 Your session is changed. You are now enrolled in ${bold(to.programmeTitle.en)}, ${when(to, l)} at ${to.venue}. Your place on ${when(from, l)} is cancelled. We will send you a reminder before it starts.`,
  movedToWaitlist: (from: SessionSummary, to: SessionSummary, position: number, l: Language) =>
    l === "id"
      ? `🔄 Jadwal Anda sudah dipindah. Pendaftaran untuk jadwal ${when(from, l)} sudah dibatalkan. Jadwal baru ${bold(to.programmeTitle.id)} (${when(to, l)}) sudah penuh, jadi Anda masuk daftar tunggu nomor ${position}. Kami akan mengabari jika ada kursi kosong.`
      : `🔄 Your session is changed. Your place on ${when(from, l)} is cancelled. The new session of ${bold(to.programmeTitle.en)} (${when(to, l)}) is full, so you are number ${position} on its waiting list. We will tell you if a seat frees up.`,
  moveNotFound: (l: Language) =>
    l === "id"
      ? "Pendaftaran lama Anda sudah tidak aktif, jadi tidak ada yang dipindah. Silakan pilih jadwal lagi lewat menu Daftar pelatihan."
      : "Your earlier enrollment is no longer active, so nothing was moved. Please choose a session again under Enroll in training.",
  moveUnavailable: (l: Language) =>
    l === "id"
      ? "Maaf, jadwal baru itu sudah tidak bisa didaftari. Pendaftaran lama Anda tetap berlaku."
      : "Sorry, that new session can no longer be joined. Your earlier enrollment stands.",
  cancelNotFound: (l: Language) =>
    l === "id" ? "Pendaftaran itu sudah tidak aktif." : "That enrollment is no longer active.",
  attendanceConfirmed: (s: SessionSummary, l: Language) =>
    l === "id"
      ? `Terima kasih! Kehadiran Anda di ${bold(s.programmeTitle.id)} (${when(s, l)}) sudah kami catat. Sampai jumpa di ${plain(s.venue)}.`
      : `Thank you! We noted that you will attend ${bold(s.programmeTitle.en)} (${when(s, l)}). See you at ${plain(s.venue)}.`,
  attendanceDeclined: (s: SessionSummary, l: Language) =>
    l === "id"
      ? `Terima kasih sudah memberi tahu. Pendaftaran Anda di ${bold(s.programmeTitle.id)} (${when(s, l)}) kami batalkan, dan kursinya kami berikan kepada peserta lain. Anda bisa mendaftar jadwal lain kapan saja lewat menu.`
      : `Thank you for letting us know. Your enrollment in ${bold(s.programmeTitle.en)} (${when(s, l)}) is cancelled and the seat goes to someone else. You can sign up for another session from the menu at any time.`,
  attendanceNotActive: (l: Language) =>
    l === "id"
      ? "Pendaftaran itu sudah tidak aktif, jadi tidak ada yang perlu dikonfirmasi."
      : "That enrollment is no longer active, so there is nothing to confirm.",
  promoted: (s: SessionSummary, l: Language) =>
    l === "id"
      ? `🎉 Kabar baik! Ada kursi kosong, dan Anda sekarang terdaftar di ${bold(s.programmeTitle.id)}, ${when(s, l)} di ${plain(s.venue)}. Jika tidak bisa hadir, mohon batalkan lewat menu Jadwal saya agar kursinya bisa dipakai peserta lain.`
      : `🎉 Good news! A seat freed up and you are now enrolled in ${bold(s.programmeTitle.en)}, ${when(s, l)} at ${plain(s.venue)}. If you cannot come, please cancel under My schedule so someone else can take the seat.`,
};
