/**
 * Staff decide on a walk-in (someone who checked in without a seat): confirmed, the participant
 * is marked attended in the session (their enrollment turned attended, or one made for them);
 * rejected, nothing else changes. Only a pending walk-in of the session is decided. A confirmed
 * walk-in gets what the session's other attendees get afterwards (feedback, certificate,
 * follow-ups): their campaign rows are made here, and the next reconcile pass schedules them.
 */
import type { Database } from "../db/database.js";
import { runPlan } from "../db/plan.js";
import { inTransaction } from "../db/raw-sql.js";
import { createCampaignsForManyPlan } from "./campaigns.js";

export type WalkInDecision = "confirmed" | "rejected";

export type WalkInDecided =
  | { kind: "not_found" }
  | { kind: "already"; status: "confirmed" | "rejected" }
  /** `enrollmentId`: the attended enrollment (null when the participant has since deleted their data). */
  | { kind: "decided"; status: WalkInDecision; participantId: number | null; enrollmentId: number | null };

export async function decideWalkIn(
  database: Database,
  trainingSessionId: number,
  walkInId: number,
  decision: WalkInDecision,
  staffId: number,
  now: Date,
): Promise<WalkInDecided> {
  return database.prisma.$transaction(async (tx) => {
    const walkIn = await tx.walkIn.findFirst({ where: { id: walkInId, trainingSessionId } });
    if (!walkIn) return { kind: "not_found" };
    if (walkIn.status !== "pending") return { kind: "already", status: walkIn.status };
    // Claimed first: of two staff deciding at once, one decides.
    const claimed = await tx.walkIn.updateMany({
      where: { id: walkIn.id, status: "pending" },
      data: { status: decision, decidedAt: now, decidedById: staffId },
    });
    if (!claimed.count) {
      const current = await tx.walkIn.findUniqueOrThrow({ where: { id: walkIn.id } });
      return { kind: "already", status: current.status === "rejected" ? "rejected" : "confirmed" };
    }
    const { participantId } = walkIn;
    if (decision === "rejected" || participantId === null)
      return { kind: "decided", status: decision, participantId, enrollmentId: null };
    const attended = {
      status: "attended" as const,
      checkedInAt: walkIn.checkedInAt,
      checkInMethod: "code",
      waitlistPosition: null,
    };
    // A waiting-list place or a cancelled enrollment becomes the attended one.
    const enrollment = await tx.enrollment.upsert({
      where: { participantId_trainingSessionId: { participantId, trainingSessionId } },
      create: { participantId, trainingSessionId, ...attended },
      update: { ...attended, cancelledAt: null },
    });
    await runPlan(createCampaignsForManyPlan(database.provider, [enrollment.id], now), inTransaction(database, tx));
    return { kind: "decided", status: decision, participantId, enrollmentId: enrollment.id };
  });
}
