/**
 * What is sent after a session, end to end on both databases: the campaign rows made with an
 * enrollment, moved with its session and cancelled with it; the job starting the feedback for
 * someone who attended (and for no one else), offering it to someone busy, the answers stored,
 * a rating of 7 refused; the follow-up asking a programme's own questions; and, with real Redis,
 * the delayed job firing through the worker.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runAtomically } from "../../src/db/raw-sql.js";
import { cancelEnrollment } from "../../src/domain/cancel-enrollment.js";
import { createCampaignsForManyPlan } from "../../src/domain/campaigns.js";
import { deleteParticipantData } from "../../src/domain/delete-participant-data.js";
import { enrollPlan } from "../../src/domain/enroll-participant.js";
import { moveTrainingSession } from "../../src/domain/move-training-session.js";
import { createRemindersPlan } from "../../src/domain/reminders.js";
import { CampaignScheduler, createCampaignWorker, fireCampaign } from "../../src/jobs/campaigns.js";
import { createLogger } from "../../src/logger.js";
import type { OutboxBatch } from "../../src/outbox/types.js";
import { providers } from "../support/databases.js";
import { createHarness, frozenNow, register, type Harness } from "../support/harness.js";
import { addProgramme } from "../support/programme-sessions.js";
import { connectRedis, deletePrefix, testPrefix } from "../support/redis.js";
import { waitFor } from "../support/wait-for.js";

const hour = 3_600_000;

describe.each(providers)("campaigns on %s", (provider) => {
  let h: Harness;
  let counter = 0;

  beforeAll(async () => {
    h = await createHarness(provider);
  });
  afterAll(() => h.close());
  // Each test starts at the harness's time (firing a row moves the clock to its due time).
  beforeEach(() => {
    h.clock.now = frozenNow;
  });

  const participantOf = async (chatId: string) =>
    (await h.db.prisma.channelIdentity.findFirstOrThrow({ where: { chatId } })).participantId!;

  /** A registered participant enrolled (as a turn enrolls: the seat, then its reminders) in a new session two days ahead. */
  async function enrolled(options: { followUpQuestions?: unknown } = {}) {
    const chatId = `kampanye-${++counter}`;
    await register(h, chatId);
    const participantId = await participantOf(chatId);
    const { programmeId, sessionIds } = await addProgramme(h.db.prisma, h.clock.now, { sessions: [{ daysAhead: 2 }] });
    if (options.followUpQuestions)
      await h.db.prisma.programme.update({
        where: { id: programmeId },
        data: { followUpQuestions: options.followUpQuestions },
      });
    const now = h.clock.now;
    const enrollmentId = await runAtomically(h.db, function* () {
      const outcome = yield* enrollPlan(provider, participantId, sessionIds[0]!, now);
      if (outcome.kind !== "enrolled") throw new Error(`not enrolled: ${outcome.kind}`);
      yield* createRemindersPlan(provider, outcome.enrollmentId, now);
      return outcome.enrollmentId;
    });
    const session = await h.db.prisma.trainingSession.findUniqueOrThrow({ where: { id: sessionIds[0]! } });
    return { chatId, participantId, programmeId, sessionId: session.id, endsAt: session.endsAt, enrollmentId };
  }

  const rowOf = (enrollmentId: number, eventKey: string) =>
    h.db.prisma.campaignMessage.findUniqueOrThrow({ where: { enrollmentId_eventKey: { enrollmentId, eventKey } } });

  /** Fires a row at its time (the harness clock moves there); the messages it wrote. */
  async function fire(enrollmentId: number, eventKey: string, at?: Date) {
    const row = await rowOf(enrollmentId, eventKey);
    h.clock.now = at ?? row.dueAt;
    const fired = await fireCampaign(h.db, row.id, h.clock.now);
    const messages = fired.batch
      ? await h.db.prisma.message.findMany({
          where: { outbox: { id: { in: fired.batch.ids } } },
          orderBy: { id: "asc" },
        })
      : [];
    return {
      fired,
      messages: messages.map((m) => ({
        text: m.text ?? "",
        choices: ((m.choices as { id: string; label: string }[] | null) ?? []).map((c) => c.label),
        ids: ((m.choices as { id: string; label: string }[] | null) ?? []).map((c) => c.id),
      })),
    };
  }

  const conversationOf = async (chatId: string) => {
    const identity = await h.db.prisma.channelIdentity.findFirstOrThrow({
      where: { chatId },
      include: { conversation: true },
    });
    return identity.conversation;
  };

  const resultsOf = (participantId: number, round: string) =>
    h.db.prisma.flowResult.findMany({ where: { participantId, round }, orderBy: { questionKey: "asc" } });

  it("makes the rows with the enrollment, moves them with the session, cancels them with the enrollment", async () => {
    const e = await enrolled();
    const rows = await h.db.prisma.campaignMessage.findMany({
      where: { enrollmentId: e.enrollmentId },
      orderBy: { dueAt: "asc" },
    });
    expect(rows.map((r) => [r.eventKey, r.status, r.dueAt.getTime() - e.endsAt.getTime()])).toEqual([
      ["feedback", "pending", 2 * hour],
      ["certificate", "pending", 3 * hour],
      ["followup-30d", "pending", 30 * 24 * hour],
      ["followup-90d", "pending", 90 * 24 * hour],
    ]);

    const startsAt = new Date(e.endsAt.getTime() + 24 * hour);
    const endsAt = new Date(startsAt.getTime() + 4 * hour);
    const removed: number[][] = [];
    await moveTrainingSession(
      {
        database: h.db,
        reminders: { removeForEnrollments: async () => {}, schedule: async () => {} },
        outbox: { enqueueMany: async () => {} },
        campaigns: { removeForEnrollments: async (ids) => void removed.push(ids) },
      },
      e.sessionId,
      startsAt,
      endsAt,
      h.clock.now,
    );
    expect((await rowOf(e.enrollmentId, "feedback")).dueAt.getTime()).toBe(endsAt.getTime() + 2 * hour);
    expect((await rowOf(e.enrollmentId, "followup-90d")).dueAt.getTime()).toBe(endsAt.getTime() + 90 * 24 * hour);
    expect(removed).toEqual([[e.enrollmentId]]);

    await h.db.prisma.$transaction((tx) =>
      cancelEnrollment(tx, provider, e.participantId, e.enrollmentId, h.clock.now),
    );
    const after = await h.db.prisma.campaignMessage.findMany({ where: { enrollmentId: e.enrollmentId } });
    expect(after.map((r) => r.status)).toEqual(["cancelled", "cancelled", "cancelled", "cancelled"]);
    expect((await fire(e.enrollmentId, "feedback")).messages).toEqual([]);
  });

  it("starts the feedback for someone who attended, stores the answers, refuses a rating of 7", async () => {
    const e = await enrolled();
    await h.db.prisma.enrollment.update({ where: { id: e.enrollmentId }, data: { status: "attended" } });
    const { messages } = await fire(e.enrollmentId, "feedback");
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toContain("Terima kasih sudah mengikuti *Program Uji");
    expect(messages[0]!.text).toContain("(1/4) Seberapa puas Anda dengan pelatihan ini?");
    expect(messages[0]!.choices).toEqual(["1", "2", "3", "4", "5"]);
    expect((await rowOf(e.enrollmentId, "feedback")).status).toBe("sent");
    expect(await conversationOf(e.chatId)).toMatchObject({ flow: "feedback", node: "ask" });

    // A rating of 7, or words: a clear answer, the question again, nothing stored.
    let replies = await h.send(e.chatId, "7");
    expect(replies[0]!.text).toBe("Maaf, nilai 7 tidak ada. Pilih angka 1 sampai 5: 1 kurang, 5 sangat puas.");
    expect(replies.at(-1)!.text).toContain("(1/4) Seberapa puas");
    replies = await h.send(e.chatId, "bagus");
    expect(replies[0]!.text).toContain("mohon pilih angka 1 sampai 5");
    expect(await resultsOf(e.participantId, "feedback")).toEqual([]);

    replies = await h.send(e.chatId, "⭐⭐⭐⭐⭐");
    expect(replies.at(-1)!.text).toContain("(2/4) Apa yang paling bermanfaat");
    expect(replies.at(-1)!.choices).toEqual(["Lewati"]);
    // Answering again replaces: back to the rating is not possible, but a second "lima" is stored once.
    replies = await h.send(e.chatId, "lewati");
    expect(replies.at(-1)!.text).toContain("(3/4) Pelatihan apa yang ingin Anda ikuti berikutnya?");
    expect(replies.at(-1)!.choices).toContain("Lainnya");
    replies = await h.send(e.chatId, { choice: "other" });
    expect(replies.at(-1)!.text).toBe("Silakan ketik jawaban Anda sendiri.");
    replies = await h.send(e.chatId, "Budidaya lada organik");
    expect(replies.at(-1)!.text).toContain("(4/4) Bolehkah kami menghubungi Anda lagi");
    replies = await h.send(e.chatId, "tidak");
    expect(replies.at(-1)!.text).toContain("Terima kasih banyak atas jawaban Anda!");
    expect(await conversationOf(e.chatId)).toBeNull();

    const results = await resultsOf(e.participantId, "feedback");
    expect(results.map((r) => [r.questionKey, r.value, r.numberValue])).toEqual([
      ["may_follow_up", "no", null],
      ["next_training", "other", null],
      ["next_training_other", "Budidaya lada organik", null],
      ["rating", "5", 5],
    ]);
    for (const r of results)
      expect(r).toMatchObject({
        flow: "feedback",
        enrollmentId: e.enrollmentId,
        trainingSessionId: e.sessionId,
        programmeId: e.programmeId,
      });

    // "No" to being contacted again: no follow-up.
    expect((await fire(e.enrollmentId, "followup-30d")).messages).toEqual([]);
    expect(await rowOf(e.enrollmentId, "followup-30d")).toMatchObject({
      status: "skipped",
      reason: "asked not to be contacted again",
    });
  });

  it("sends nothing to someone absent or opted out", async () => {
    const absent = await enrolled();
    await h.db.prisma.enrollment.update({ where: { id: absent.enrollmentId }, data: { status: "absent" } });
    expect((await fire(absent.enrollmentId, "feedback")).messages).toEqual([]);
    expect(await rowOf(absent.enrollmentId, "feedback")).toMatchObject({ status: "skipped" });
    expect((await rowOf(absent.enrollmentId, "feedback")).reason).toContain("did not attend");

    const optedOut = await enrolled();
    await h.db.prisma.enrollment.update({
      where: { id: optedOut.enrollmentId },
      data: { checkedInAt: h.clock.now, checkInMethod: "code" },
    });
    await h.send(optedOut.chatId, "berhenti");
    expect((await rowOf(optedOut.enrollmentId, "feedback")).status).toBe("cancelled");
    expect((await fire(optedOut.enrollmentId, "feedback")).messages).toEqual([]);
  });

  it("offers the survey to someone busy: Nanti keeps their place, Ya runs it and brings them back", async () => {
    const e = await enrolled();
    await h.db.prisma.enrollment.update({ where: { id: e.enrollmentId }, data: { status: "attended" } });
    const feedbackRow = await rowOf(e.enrollmentId, "feedback");
    h.clock.now = feedbackRow.dueAt;
    await h.send(e.chatId, "profil");
    const busyAt = await conversationOf(e.chatId);
    expect(busyAt?.flow).toBe("profile");

    const offered = await fire(e.enrollmentId, "feedback");
    expect(offered.messages.map((m) => [m.text, m.choices])).toEqual([
      [
        "Ada 1 survei singkat untuk Anda. Isi sekarang?\n(Bisa juga nanti: ketik SURVEI kapan saja.)",
        ["Ya, isi sekarang", "Nanti saja"],
      ],
    ]);
    expect(offered.fired.again?.getTime()).toBe(feedbackRow.dueAt.getTime() + 24 * hour);
    expect(await rowOf(e.enrollmentId, "feedback")).toMatchObject({ status: "offered" });
    expect(await conversationOf(e.chatId)).toMatchObject({ flow: "profile", node: busyAt!.node });

    // Nanti: their place is kept, the row stays offered.
    let replies = await h.send(e.chatId, { choiceId: offered.messages[0]!.ids[1]! });
    expect(replies[0]!.text).toBe("Baik, nanti kami tawarkan lagi. Kita lanjutkan yang tadi:");
    expect(await conversationOf(e.chatId)).toMatchObject({ flow: "profile", node: busyAt!.node });
    expect((await rowOf(e.enrollmentId, "feedback")).status).toBe("offered");

    // Ya: the survey, then back to where they were.
    replies = await h.send(e.chatId, { choiceId: offered.messages[0]!.ids[0]! });
    expect(replies.at(-1)!.text).toContain("(1/4) Seberapa puas");
    expect((await rowOf(e.enrollmentId, "feedback")).status).toBe("sent");
    await h.send(e.chatId, "4");
    await h.send(e.chatId, "Cara mengemas lada putih");
    await h.send(e.chatId, "kemasan");
    replies = await h.send(e.chatId, "ya");
    expect(replies.map((r) => r.text).join("\n")).toContain("Terima kasih banyak atas jawaban Anda!");
    expect(await conversationOf(e.chatId)).toMatchObject({ flow: "profile", node: busyAt!.node });
    const results = await resultsOf(e.participantId, "feedback");
    expect(Object.fromEntries(results.map((r) => [r.questionKey, r.value]))).toEqual({
      rating: "4",
      most_useful: "Cara mengemas lada putih",
      next_training: "packaging",
      may_follow_up: "yes",
    });
    // Pressing Ya again changes nothing.
    replies = await h.send(e.chatId, { choiceId: offered.messages[0]!.ids[0]! });
    expect(replies[0]!.text).toContain("Survei ini sudah tidak tersedia");
  });

  it("offers again the next day (starting it for someone idle by then), and gives up an offer after two days", async () => {
    const again = await enrolled();
    const dropped = await enrolled();
    for (const e of [again, dropped]) {
      await h.db.prisma.enrollment.update({ where: { id: e.enrollmentId }, data: { status: "attended" } });
      h.clock.now = (await rowOf(e.enrollmentId, "feedback")).dueAt;
      await h.send(e.chatId, "profil");
      expect((await fire(e.enrollmentId, "feedback")).messages[0]!.text).toContain(
        "Ada 1 survei singkat untuk Anda. Isi sekarang?",
      );
    }
    // A day later the profile question has lapsed: the survey starts at once.
    const next = await fire(again.enrollmentId, "feedback");
    expect(next.messages[0]!.text).toContain("(1/4) Seberapa puas");
    expect(await rowOf(again.enrollmentId, "feedback")).toMatchObject({ status: "sent" });

    // Still busy every time it comes: after two days it is given up.
    const firstDue = (await rowOf(dropped.enrollmentId, "feedback")).dueAt.getTime() - 24 * hour;
    for (const day of [1, 2]) {
      h.clock.now = new Date(firstDue + day * 24 * hour);
      await h.send(dropped.chatId, "profil");
      expect((await fire(dropped.enrollmentId, "feedback", h.clock.now)).messages).toHaveLength(1);
    }
    h.clock.now = new Date(firstDue + 3 * 24 * hour);
    await h.send(dropped.chatId, "profil");
    expect((await fire(dropped.enrollmentId, "feedback", h.clock.now)).messages).toEqual([]);
    expect(await rowOf(dropped.enrollmentId, "feedback")).toMatchObject({
      status: "skipped",
      reason: "survey offered and not taken up",
    });
  });

  it("takes up the survey offered last when SURVEI is typed (no buttons needed), and says when there is none", async () => {
    const e = await enrolled();
    await h.db.prisma.enrollment.update({ where: { id: e.enrollmentId }, data: { status: "attended" } });
    let replies = await h.send(e.chatId, "survei");
    expect(replies[0]!.text).toBe("Saat ini tidak ada survei untuk Anda. Terima kasih!");
    h.clock.now = (await rowOf(e.enrollmentId, "feedback")).dueAt;
    await h.send(e.chatId, "profil");
    expect((await fire(e.enrollmentId, "feedback")).messages).toHaveLength(1);
    replies = await h.send(e.chatId, "SURVEI");
    expect(replies.at(-1)!.text).toContain("(1/4) Seberapa puas");
    expect((await rowOf(e.enrollmentId, "feedback")).status).toBe("sent");
  });

  it("asks a programme's own follow-up questions; an erasure blanks what was typed", async () => {
    const e = await enrolled({
      followUpQuestions: [
        {
          kind: "yesno",
          key: "uses_qris",
          text: { id: "Apakah Anda sudah menerima QRIS?", en: "Do you accept QRIS?" },
        },
        { kind: "text", key: "biggest_change", text: { id: "Apa perubahan terbesar?", en: "The biggest change?" } },
      ],
    });
    await h.db.prisma.enrollment.update({ where: { id: e.enrollmentId }, data: { status: "attended" } });
    const { messages } = await fire(e.enrollmentId, "followup-30d");
    expect(messages[0]!.text).toContain("(1/2) Apakah Anda sudah menerima QRIS?");
    expect(messages[0]!.choices).toEqual(["Ya", "Tidak"]);
    await h.send(e.chatId, "ya");
    const replies = await h.send(e.chatId, "Omzet naik dua kali lipat");
    expect(replies.at(-1)!.text).toContain("Terima kasih banyak");
    const results = await resultsOf(e.participantId, "followup-30d");
    expect(results.map((r) => [r.flow, r.questionKey, r.value])).toEqual([
      ["followup", "biggest_change", "Omzet naik dua kali lipat"],
      ["followup", "uses_qris", "yes"],
    ]);

    await h.db.prisma.$transaction((tx) => deleteParticipantData(tx, provider, e.participantId, h.clock.now));
    const kept = await h.db.prisma.flowResult.findMany({
      where: { enrollmentId: e.enrollmentId },
      orderBy: { questionKey: "asc" },
    });
    expect(kept.map((r) => [r.questionKey, r.value, r.participantId])).toEqual([
      ["biggest_change", "", null],
      ["uses_qris", "yes", null],
    ]);
    expect((await rowOf(e.enrollmentId, "followup-90d")).status).toBe("cancelled");
  });

  it("fires a due row through its delayed job (real Redis), once", async () => {
    const redis = connectRedis();
    const prefix = testPrefix();
    const batches: OutboxBatch[] = [];
    const scheduler = new CampaignScheduler(redis, prefix, h.db, "t");
    const worker = createCampaignWorker({
      connection: redis,
      prefix,
      database: h.db,
      namespace: "t",
      outbox: { enqueue: async (b) => void batches.push(b) },
      logger: createLogger({ level: "silent" }),
    });
    try {
      const e = await enrolled();
      // The session ended three hours ago (real time): the feedback is due now.
      const endsAt = new Date(Date.now() - 3 * hour);
      await h.db.prisma.trainingSession.update({
        where: { id: e.sessionId },
        data: { startsAt: new Date(endsAt.getTime() - 4 * hour), endsAt },
      });
      // The rows move with the session (as a move makes them again), then the participant attends.
      await runAtomically(h.db, () => createCampaignsForManyPlan(provider, [e.enrollmentId], new Date()));
      expect((await rowOf(e.enrollmentId, "feedback")).dueAt.getTime()).toBe(endsAt.getTime() + 2 * hour);
      await h.db.prisma.enrollment.update({ where: { id: e.enrollmentId }, data: { status: "attended" } });
      const first = await scheduler.reconcile();
      expect(first.added).toBeGreaterThanOrEqual(4);
      expect((await scheduler.reconcile()).added).toBe(0);
      const row = await waitFor(async () => {
        const r = await rowOf(e.enrollmentId, "feedback");
        return r.status === "sent" ? r : null;
      });
      expect(row.sentAt).not.toBeNull();
      const sent = await h.db.prisma.message.findMany({ where: { chatId: e.chatId, outbox: { kind: "survey" } } });
      expect(sent).toHaveLength(1);
      expect(batches.some((b) => b.chatId === e.chatId)).toBe(true);
    } finally {
      await worker.close();
      await scheduler.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
