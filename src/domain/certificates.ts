/**
 * Certificates of attendance: their numbers, the masked name the public page shows, reading one
 * by number, revoking one (staff, audit-logged) and what an erasure leaves of them.
 *
 * A number reads `SI-2026-000123-K7QM`: the year of issue, the row id (so numbers are unique and
 * never reused: a revoked or erased certificate keeps its row) and four random characters from an
 * alphabet without look-alikes (no 0/O, 1/I/L), so a number cannot be guessed from its neighbour
 * (31^4, about 920,000 to one; the public page is rate limited besides). Numbers are read back
 * case-insensitively, with spaces and other dashes forgiven.
 */
import crypto from "node:crypto";
import type { Tx } from "../db/database.js";
import { audit } from "./staff.js";

/** The random part's characters: letters and digits that cannot be mistaken for one another. */
export const numberAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const numberPattern = /^SI-(\d{4})-(\d{6,})-([A-HJKMNP-Z2-9]{4})$/;

/** The number of certificate row `id` issued in `year`; `random` is for tests. */
export function certificateNumber(id: number, year: number, random: () => number = secureRandom): string {
  const suffix = Array.from({ length: 4 }, () => numberAlphabet[Math.floor(random() * numberAlphabet.length)]).join("");
  return `SI-${year}-${String(id).padStart(6, "0")}-${suffix}`;
}

function secureRandom(): number {
  return crypto.randomInt(0, 1 << 30) / (1 << 30);
}

/** A number as typed or scanned, in its stored form; null when it cannot be one. */
export function normalizeCertificateNumber(input: string): string | null {
  const s = input
    .trim()
    .toUpperCase()
    .replace(/[\s\u2010-\u2015_]+/g, "-")
    .replace(/^SI(?=\d)/, "SI-");
  return s.length <= 40 && numberPattern.test(s) ? s : null;
}

/** A name as the public page shows it: two letters of each word, the rest stars ("Si** Am****"). */
export function maskName(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const chars = Array.from(word);
      const keep = chars.length <= 2 ? 1 : 2;
      return chars.slice(0, keep).join("") + "*".repeat(Math.max(1, chars.length - keep));
    })
    .join(" ");
}

/** What a certificate shows, as issued (the Certificate row). */
export type CertificateRecord = {
  id: number;
  number: string;
  enrollmentId: number | null;
  participantId: number | null;
  /** Null once the holder erased their data. */
  holderName: string | null;
  businessName: string | null;
  programmeId: number;
  programmeTitle: string;
  sessionStartsAt: Date;
  sessionEndsAt: Date;
  timeZone: string;
  venue: string;
  regency: string;
  issuer: string;
  signatoryName: string;
  signatoryTitle: string;
  issuedAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
};

/** The certificate with this number (as typed: normalised first); null when there is none. */
export async function findCertificate(db: Tx, number: string): Promise<CertificateRecord | null> {
  const normal = normalizeCertificateNumber(number);
  if (!normal) return null;
  return db.certificate.findUnique({ where: { number: normal } });
}

/** The PDF's file name for a certificate. */
export const certificateFileName = (number: string) => `sertifikat-${number}.pdf`;

export type RevokeOutcome =
  | { kind: "revoked"; certificate: CertificateRecord }
  | { kind: "not_found" }
  | { kind: "already_revoked"; revokedAt: Date }
  | { kind: "no_reason" };

/**
 * Revokes a certificate: it stays (its number is never reused), marked with the date and reason,
 * and the public page says it is revoked. Audit-logged with the staff member. Bad input changes nothing.
 */
export async function revokeCertificate(
  tx: Tx,
  number: string,
  reason: string,
  staffId: number | null,
  now: Date,
): Promise<RevokeOutcome> {
  const why = reason.trim().slice(0, 500);
  if (why.length < 3) return { kind: "no_reason" };
  const found = await findCertificate(tx, number);
  if (!found) return { kind: "not_found" };
  if (found.revokedAt) return { kind: "already_revoked", revokedAt: found.revokedAt };
  const { count } = await tx.certificate.updateMany({
    where: { id: found.id, revokedAt: null },
    data: { revokedAt: now, revokedReason: why },
  });
  if (count !== 1) return { kind: "already_revoked", revokedAt: now };
  await audit(tx, staffId, "certificate.revoked", `certificate:${found.number}`, {
    enrollmentId: found.enrollmentId,
    reason: why,
  });
  return { kind: "revoked", certificate: { ...found, revokedAt: now, revokedReason: why } };
}

/**
 * An erasure's part (delete-participant-data.ts): the holder's name and business leave their
 * certificates; the rows stay, so the numbers are never reused and the page can say the holder's
 * data was erased.
 */
export async function eraseCertificateHolder(tx: Tx, participantId: number): Promise<number> {
  const { count } = await tx.certificate.updateMany({
    where: { participantId },
    data: { holderName: null, businessName: null, participantId: null },
  });
  return count;
}
