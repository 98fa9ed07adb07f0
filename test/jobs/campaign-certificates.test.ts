/**
 * When certificates are issued from the campaign: the certificate event of a programme at its
 * time, and, where the programme asks for the feedback first, the end of the feedback. The verb
 * that issues them (src/domain/issue-certificate.ts) is replaced here by one that notes its calls
 * and writes the message a participant would receive, so the wiring is seen on both databases.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { changes, type Plan } from "../../src/db/plan.js";
import { forProvider, runAtomically, sqlTime } from "../../src/db/raw-sql.js";
import type { DatabaseProvider } from "../../src/db/database.js";
import { enrollPlan } from "../../src/domain/enroll-participant.js";
import { createRemindersPlan } from "../../src/domain/reminders.js";
import { fireCampaign } from "../../src/jobs/campaigns.js";
import { providers } from "../support/databases.js";
import { createHarness, frozenNow, register, type Harness } from "../support/harness.js";
import { addProgramme } from "../support/programme-sessions.js";

const issued: number[] = [];

vi.mock("../../src/domain/issue-certificate.js", () => ({
  *issueCertificatePlan(provider: DatabaseProvider, enrollmentId: number, now: Date): Plan<unknown> {
    issued.push(enrollmentId);
    // Something the test can see in the database: the enrollment's note of the certificate.
    yield* changes(forProvider(`UPDATE "Enrollment" SET "updatedAt" = $1::timestamp(3) WHERE id = $2`, provider), [
      sqlTime(now, provider),
      enrollmentId,
    ]);
    return { certificateId: enrollmentId, number: `SERT-${enrollmentId}`, batch: null };
  },
}));

describe.each(providers)("certificates from the campaign on %s", (provider) => {
  let h: Harness;
  let counter = 0;

  beforeAll(async () => {
    h = await createHarness(provider);
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.clock.now = frozenNow;
    issued.length = 0;
  });

  async function attended(requiresFeedback: boolean) {
    const chatId = `sertifikat-${++counter}`;
    await register(h, chatId);
    const participantId = (await h.db.prisma.channelIdentity.findFirstOrThrow({ where: { chatId } })).participantId!;
    const { programmeId, sessionIds } = await addProgramme(h.db.prisma, h.clock.now, { sessions: [{ daysAhead: 2 }] });
    await h.db.prisma.programme.update({
      where: { id: programmeId },
      data: { certificateRequiresFeedback: requiresFeedback },
    });
    const now = h.clock.now;
    const enrollmentId = await runAtomically(h.db, function* () {
      const outcome = yield* enrollPlan(provider, participantId, sessionIds[0]!, now);
      if (outcome.kind !== "enrolled") throw new Error(outcome.kind);
      yield* createRemindersPlan(provider, outcome.enrollmentId, now);
      return outcome.enrollmentId;
    });
    await h.db.prisma.enrollment.update({ where: { id: enrollmentId }, data: { status: "attended" } });
    return { chatId, enrollmentId };
  }

  const rowOf = (enrollmentId: number, eventKey: string) =>
    h.db.prisma.campaignMessage.findUniqueOrThrow({ where: { enrollmentId_eventKey: { enrollmentId, eventKey } } });

  it("issues the certificate at the certificate event's time, once", async () => {
    const e = await attended(false);
    const row = await rowOf(e.enrollmentId, "certificate");
    h.clock.now = row.dueAt;
    await fireCampaign(h.db, row.id, row.dueAt);
    await fireCampaign(h.db, row.id, row.dueAt);
    expect(issued).toEqual([e.enrollmentId]);
    expect((await rowOf(e.enrollmentId, "certificate")).status).toBe("sent");
  });

  it("issues it when the feedback is finished, where the programme asks for the feedback first", async () => {
    const e = await attended(true);
    const row = await rowOf(e.enrollmentId, "feedback");
    h.clock.now = row.dueAt;
    await fireCampaign(h.db, row.id, row.dueAt);
    for (const answer of ["5", "lewati", "kemasan"]) await h.send(e.chatId, answer);
    expect(issued).toEqual([]);
    await h.send(e.chatId, "ya");
    expect(issued).toEqual([e.enrollmentId]);

    // Not for a programme that does not ask for it (its certificate comes with its own event).
    const other = await attended(false);
    const otherRow = await rowOf(other.enrollmentId, "feedback");
    h.clock.now = otherRow.dueAt;
    await fireCampaign(h.db, otherRow.id, otherRow.dueAt);
    for (const answer of ["4", "lewati", "kemasan", "ya"]) await h.send(other.chatId, answer);
    expect(issued).toEqual([e.enrollmentId]);
  });
});
