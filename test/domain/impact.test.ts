/**
 * The impact page's figures on both databases, against a programme seeded with counts known by
 * hand: registrations per week (empty weeks included), the funnel, attendance per session,
 * ratings (an answer given twice counts once, the later), follow-up answers per round and the
 * delivery of messages by channel; a session's feedback; the CSV of a dataset.
 */
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { impactCsv, loadImpact, loadSessionFeedback, summarizeRatings } from "../../src/domain/impact.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { impactExpected, seedImpact } from "../support/impact-seed.js";

describe("summarizeRatings", () => {
  it("counts 1 to 5 and leaves out anything else, such as a 7", () => {
    expect(summarizeRatings([5, 4, 7, 0, 2.5, Number.NaN, 4])).toEqual({
      count: 3,
      mean: 4.33,
      distribution: [0, 0, 0, 2, 1],
    });
    expect(summarizeRatings([])).toEqual({ count: 0, mean: null, distribution: [0, 0, 0, 0, 0] });
  });
});

describe.each(providers)("the impact of a programme on %s", (provider) => {
  let db: TestDatabase;
  let seeded: Awaited<ReturnType<typeof seedImpact>>;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    seeded = await seedImpact(db.prisma);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it("gives the figures counted by hand", async () => {
    const impact = (await loadImpact(db.prisma, seeded.programmeId))!;
    expect(impact.registrations).toEqual(impactExpected.registrations);
    expect(impact.funnel).toEqual(impactExpected.funnel);
    expect(impact.attendance.map(({ enrolled, attended }) => ({ enrolled, attended }))).toEqual(
      impactExpected.attendance,
    );
    expect(impact.attendance.map((a) => a.sessionId)).toEqual([
      seeded.sessions.s1,
      seeded.sessions.s2,
      seeded.sessions.s3,
    ]);
    expect(impact.ratings).toMatchObject(impactExpected.ratings);
    expect(impact.ratings.perSession).toEqual([
      expect.objectContaining({ sessionId: seeded.sessions.s1, count: 2, mean: 4.5, distribution: [0, 0, 0, 1, 1] }),
      expect.objectContaining({ sessionId: seeded.sessions.s2, count: 1, mean: 3, distribution: [0, 0, 1, 0, 0] }),
    ]);
    expect(impact.delivery).toEqual(impactExpected.delivery);
    const outcome = (round: string, key: string) =>
      Object.fromEntries(
        impact.outcomes.filter((o) => o.round === round && o.questionKey === key).map((o) => [o.answer, o.count]),
      );
    expect(outcome("followup-30d", "new_product")).toEqual({ yes: 1, no: 1 });
    expect(outcome("followup-30d", "sales_change")).toEqual({ up: 1, same: 1, down: 0 });
    expect(outcome("followup-30d", "sells_online")).toEqual({ yes: 1, no: 0 });
    expect(outcome("followup-90d", "sales_change")).toEqual({ up: 1, same: 0, down: 0 });
    expect(outcome("followup-90d", "new_product")).toEqual({ yes: 0, no: 0 });
  });

  it("finds a rating stored with only its enrollment, and counts it for that enrollment's session", async () => {
    const enrollment = await db.prisma.enrollment.findFirstOrThrow({
      where: { trainingSessionId: seeded.sessions.s2, status: "enrolled" },
    });
    const row = await db.prisma.flowResult.create({
      data: {
        participantId: enrollment.participantId,
        flow: "feedback",
        round: "feedback",
        questionKey: "rating",
        value: "1",
        numberValue: 1,
        enrollmentId: enrollment.id,
        answeredAt: new Date("2026-11-24T12:00:00Z"),
      },
    });
    const impact = (await loadImpact(db.prisma, seeded.programmeId))!;
    expect(impact.ratings).toMatchObject({ count: 4, distribution: [1, 0, 1, 1, 1] });
    expect(impact.ratings.perSession[1]).toMatchObject({ sessionId: seeded.sessions.s2, count: 2, mean: 2 });
    await db.prisma.flowResult.delete({ where: { id: row.id } });
  });

  it("counts a programme's own follow-up questions, and keeps an answer they no longer have", async () => {
    await db.prisma.programme.update({
      where: { id: seeded.programmeId },
      data: {
        followUpQuestions: [
          {
            kind: "choice",
            key: "sales_change",
            text: { id: "Penjualan?", en: "Sales?" },
            choices: [
              { id: "up", label: { id: "Naik", en: "Up" } },
              { id: "down", label: { id: "Turun", en: "Down" } },
            ],
          },
        ],
      },
    });
    const impact = (await loadImpact(db.prisma, seeded.programmeId))!;
    expect(
      impact.outcomes.filter((o) => o.round === "followup-30d").map((o) => [o.questionKey, o.answer, o.count]),
    ).toEqual([
      ["sales_change", "up", 1],
      ["sales_change", "down", 0],
      ["sales_change", "same", 1],
    ]);
    await db.prisma.programme.update({ where: { id: seeded.programmeId }, data: { followUpQuestions: [] } });
  });

  it("shows nothing of another programme, and nothing for one that does not exist", async () => {
    const other = (await loadImpact(db.prisma, seeded.otherProgrammeId))!;
    expect(other.ratings.count).toBe(0);
    expect(other.funnel.find((f) => f.stage === "attended")!.count).toBe(1);
    expect(other.delivery).toEqual([{ channel: "telegram", sent: 0, delivered: 0, read: 1, failed: 0 }]);
    expect(await loadImpact(db.prisma, 999_999)).toBeNull();
  });

  it("gives a session's feedback: ratings, the most useful answers newest first, the next trainings wanted", async () => {
    const feedback = await loadSessionFeedback(db.prisma, seeded.sessions.s1);
    expect(feedback).toMatchObject({ count: 2, mean: 4.5, distribution: [0, 0, 0, 1, 1], respondents: 2 });
    expect(feedback.mostUseful.map((m) => m.text)).toEqual([
      "Pembukuan sederhana",
      "Cara menjemur <b>lada putih</b> & mengemasnya",
    ]);
    expect(Object.fromEntries(feedback.nextTraining.map((n) => [n.answer, n.count]))).toEqual({
      digital_marketing: 0,
      packaging: 1,
      bookkeeping: 0,
      product_quality: 0,
      other: 1,
    });
    expect(feedback.otherTraining.map((m) => m.text)).toEqual(["budidaya lada <i>organik</i>"]);
    expect(feedback.mayFollowUp).toEqual({ yes: 1, no: 1 });
    const none = await loadSessionFeedback(db.prisma, seeded.sessions.s3);
    expect(none).toMatchObject({ count: 0, mean: null, respondents: 0, mostUseful: [], otherTraining: [] });
  });

  it("writes a dataset as CSV with its header", async () => {
    const impact = (await loadImpact(db.prisma, seeded.programmeId))!;
    const rows = parse(impactCsv(impact, "funnel"), { bom: true }) as string[][];
    expect(rows).toEqual([
      ["tahap", "orang"],
      ["Terdaftar di bot", "8"],
      ["Mendapat kursi", "6"],
      ["Konfirmasi hadir", "4"],
      ["Hadir", "3"],
      ["Menerima sertifikat", "2"],
      ["Menjawab tindak lanjut", "3"],
    ]);
    const delivery = parse(impactCsv(impact, "delivery"), { bom: true }) as string[][];
    expect(delivery).toEqual([
      ["kanal", "terkirim", "sampai", "dibaca", "gagal"],
      ["telegram", "0", "1", "2", "1"],
      ["whatsapp", "1", "2", "0", "0"],
    ]);
  });
});
