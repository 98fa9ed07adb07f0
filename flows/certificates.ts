/**
 * "Sertifikat saya mana?": a participant asks for their certificate, from wherever they are. The
 * runtime reads their certificates (src/domain/participant-certificates.ts): each one in force is
 * sent again as a PDF in this chat, with its number and verification link; these are the words
 * for the rest (revoked, on its way, none yet).
 */
import { bold } from "../src/engine/markup.js";
import type { Language } from "../src/engine/types.js";

/** What the participant's certificates are, besides those sent again. */
export type CertificateNews =
  | { kind: "revoked"; number: string; programmeTitle: string }
  /** Attended, no certificate yet: it comes after the session (after the feedback where the programme asks for it). */
  | { kind: "pending"; programmeTitle: string; needsFeedback: boolean }
  /** Nothing attended, nothing issued. */
  | { kind: "none" };

export function certificateNewsText(news: CertificateNews, l: Language): string {
  const id = l === "id";
  switch (news.kind) {
    case "revoked":
      return id
        ? `Sertifikat nomor ${news.number} untuk pelatihan ${bold(news.programmeTitle)} sudah dicabut oleh panitia, jadi tidak kami kirim lagi. Bila ada pertanyaan, silakan hubungi panitia.`
        : `Certificate number ${news.number} for ${bold(news.programmeTitle)} was revoked by the organisers, so we do not send it again. If you have questions, please contact the organisers.`;
    case "pending":
      return news.needsFeedback
        ? id
          ? `Sertifikat untuk pelatihan ${bold(news.programmeTitle)} dikirim lewat chat ini setelah Anda mengisi survei umpan balik singkat. Survei dikirim beberapa jam setelah pelatihan selesai; bila sudah Anda terima, ketik SURVEI untuk mengisinya.`
          : `The certificate for ${bold(news.programmeTitle)} comes in this chat once you have answered the short feedback survey. The survey is sent a few hours after the training ends; if you have it already, type SURVEY to answer it.`
        : id
          ? `Sertifikat untuk pelatihan ${bold(news.programmeTitle)} sedang disiapkan dan akan dikirim otomatis lewat chat ini beberapa jam setelah pelatihan selesai.`
          : `The certificate for ${bold(news.programmeTitle)} is being prepared and will come in this chat a few hours after the training ends.`;
    case "none":
      return id
        ? "Anda belum memiliki sertifikat. Sertifikat dikirim lewat chat ini kepada peserta yang tercatat hadir, beberapa jam setelah pelatihan selesai. Agar tercatat hadir, ketik HADIR dan kode pada poster di lokasi pelatihan."
        : "You do not have a certificate yet. Certificates are sent in this chat to participants recorded as present, a few hours after the training ends. To be recorded, type HADIR and the code on the poster at the venue.";
  }
}
