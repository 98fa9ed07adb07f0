/**
 * `npm run certificate:sample -- <file.pdf>`: a sample certificate for a made-up participant,
 * Siti Aminah, in the seeded pepper programme (prisma/seed/programmes.ts), from the seed data
 * alone: no database, so it works on a fresh checkout. Its number (…-000000-CNTH, "contoh") is
 * never issued, so the verification page says it is not found.
 */
import fs from "node:fs";
import path from "node:path";
import { DateTime } from "luxon";
import { programmes } from "../../prisma/seed/programmes.js";
import { certificateSettings, type CertificateSettings } from "../config.js";
import { renderCertificatePdf, type CertificatePdfData } from "./certificate-pdf.js";
import { defaultSignatory } from "./issue-certificate.js";

export const sampleProgrammeSlug = "lada-bangka-tengah";

/** The sample's data: the seeded programme's first session, held a week before `now`. */
export function sampleCertificate(
  now: Date,
  settings: CertificateSettings = certificateSettings(),
): CertificatePdfData {
  const programme = programmes.find((p) => p.slug === sampleProgrammeSlug);
  const session = programme?.sessions[0];
  if (!programme || !session) throw new Error(`the seed has no programme ${sampleProgrammeSlug} with a session`);
  const day = DateTime.fromJSDate(now, { zone: programme.timeZone }).minus({ days: 7 }).startOf("day");
  const at = (hhmm: string) => {
    const [hour, minute] = hhmm.split(":").map(Number);
    return day.set({ hour: hour!, minute: minute! }).toJSDate();
  };
  return {
    number: `SI-${day.year}-000000-CNTH`,
    holderName: "Siti Aminah",
    businessName: "Lada Putih Sinar Koba",
    programmeTitle: programme.titleId,
    sessionStartsAt: at(session.startTime),
    sessionEndsAt: at(session.endTime),
    timeZone: programme.timeZone,
    venue: session.venue,
    regency: programme.regency,
    issuer: settings.issuer,
    signatoryName: defaultSignatory.name,
    signatoryTitle: defaultSignatory.title,
    issuedAt: at(session.endTime),
  };
}

/** Writes the sample PDF to `file`; returns its size in bytes. */
export async function writeSampleCertificate(file: string, now = new Date()): Promise<number> {
  const settings = certificateSettings();
  const bytes = await renderCertificatePdf(sampleCertificate(now, settings), settings.baseUrl);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, bytes);
  return bytes.length;
}
