/**
 * Issuing a certificate of attendance (placeholder until the certificate work lands): the
 * certificate of an enrollment that earned one (attended; the feedback answered when the
 * programme asks for it) and has none yet, with the message that carries it written to the
 * outbox in the caller's transaction. Null when not eligible or already issued.
 */
import type { DatabaseProvider } from "../db/database.js";
import type { Plan } from "../db/plan.js";
import type { OutboxBatch } from "../outbox/types.js";

export type CertificateIssued = { certificateId: number; number: string; batch: OutboxBatch | null };

// eslint-disable-next-line require-yield
export function* issueCertificatePlan(
  provider: DatabaseProvider,
  enrollmentId: number,
  now: Date,
): Plan<CertificateIssued | null> {
  void provider;
  void enrollmentId;
  void now;
  return null;
}
