/**
 * Erases a participant's personal data: profile, chat identities, conversations and messages,
 * what they typed in surveys (their ratings and choices stay, anonymous, with the session), and
 * the name and business on their certificates.
 * Their enrollments stay, anonymous, for the department's attendance figures; active ones are
 * cancelled first, so waitlisted people move up. Returns who was promoted, to be told, and the
 * lines the caller adds to the erasure file after the commit (erasures.ts: finishErasure).
 *
 * The erasure is listed (hashed identifiers, erasures.ts) in the same transaction, so a restored
 * backup does not bring the person back. On SQLite, secure_delete (set on every connection) zeroes
 * the deleted rows' bytes instead of leaving them in the file's free space.
 */
import { lockParticipant, type DatabaseProvider, type Tx } from "../db/database.js";
import { cancelEnrollment } from "./cancel-enrollment.js";
import { eraseCertificateHolder } from "./certificates.js";
import { listErasure, type ErasureEntry } from "./erasures.js";
import { blankFreeTextResults } from "./flow-results.js";

export async function deleteParticipantData(
  tx: Tx,
  provider: DatabaseProvider,
  participantId: number,
  now: Date,
  /** `list: false` when re-applying an erasure already listed (its first time must stay). */
  options: { list?: boolean } = {},
): Promise<{ promoted: { enrollmentId: number; participantId: number }[]; erasures: ErasureEntry[] }> {
  const promoted: { enrollmentId: number; participantId: number }[] = [];
  // The participant before their sessions, in the order every enrollment change locks them.
  await lockParticipant(tx, provider, participantId);
  const erasures = options.list === false ? [] : await listErasure(tx, provider, participantId, now);
  const active = await tx.enrollment.findMany({
    where: { participantId, status: { in: ["enrolled", "waitlisted"] } },
  });
  for (const e of active) {
    const outcome = await cancelEnrollment(tx, provider, participantId, e.id, now);
    if (outcome.kind === "cancelled" && outcome.promoted) promoted.push(outcome.promoted);
  }
  const enrollmentIds = (await tx.enrollment.findMany({ where: { participantId }, select: { id: true } })).map(
    (e) => e.id,
  );
  await tx.reminder.updateMany({
    where: { enrollmentId: { in: enrollmentIds }, status: "pending" },
    data: { status: "cancelled", reason: "participant data deleted" },
  });
  await tx.campaignMessage.updateMany({
    where: { enrollmentId: { in: enrollmentIds }, status: { in: ["pending", "offered"] } },
    data: { status: "cancelled", reason: "participant data deleted" },
  });
  const identities = await tx.channelIdentity.findMany({ where: { participantId }, select: { id: true } });
  const identityIds = identities.map((i) => i.id);
  await tx.message.deleteMany({ where: { identityId: { in: identityIds } } });
  await tx.channelIdentity.deleteMany({ where: { id: { in: identityIds } } });
  await blankFreeTextResults(tx, participantId);
  // Certificates keep their number (never reused); the holder's name and business go.
  await eraseCertificateHolder(tx, participantId);
  // Enrollments keep their row with participantId set to null (onDelete: SetNull).
  await tx.participant.delete({ where: { id: participantId } });
  return { promoted, erasures };
}
