/**
 * A programme after its sessions, written straight to the database for the impact page's tests:
 * participants of its sector registered over three weeks, enrollments with RSVPs and attendance,
 * certificates (one revoked), feedback (one rating answered twice), follow-up answers and the
 * delivery of messages on two channels. `impactExpected` holds the figures a reader counts by hand.
 */
import type { Db } from "../../src/db/database.js";
import { defaultReminderOffsets } from "../../prisma/seed/programmes.js";

let counter = 0;

const at = (iso: string) => new Date(iso);

/** Writes the programme; returns its id and its sessions' ids by name. */
export async function seedImpact(
  db: Db,
  options: { sector?: string } = {},
): Promise<{ programmeId: number; sessions: { s1: number; s2: number; s3: number }; otherProgrammeId: number }> {
  const n = ++counter;
  const sector = options.sector ?? "lada";
  const programme = await db.programme.create({
    data: {
      slug: `dampak-${n}`,
      sector,
      titleId: `Pengolahan Lada Putih ${n}`,
      titleEn: `White Pepper Processing ${n}`,
      descriptionId: "Program untuk pengujian halaman dampak.",
      descriptionEn: "A programme for testing the impact page.",
      reminderOffsets: defaultReminderOffsets,
      timeZone: "Asia/Jakarta",
      seatsPerParticipant: 2,
    },
  });
  // Another programme, whose figures must not leak in.
  const other = await db.programme.create({
    data: {
      slug: `dampak-lain-${n}`,
      sector: "konveksi",
      titleId: "Program lain",
      titleEn: "Another programme",
      descriptionId: "Program lain untuk pengujian.",
      descriptionEn: "Another programme for tests.",
      reminderOffsets: defaultReminderOffsets,
    },
  });
  const session = (programmeId: number, code: string, startsAt: string, status: "scheduled" | "completed") =>
    db.trainingSession.create({
      data: {
        programmeId,
        code,
        startsAt: at(startsAt),
        endsAt: new Date(at(startsAt).getTime() + 6 * 3_600_000),
        venue: "Aula Disperindag",
        address: "Jl. Merdeka 1",
        regency: "Kabupaten Bangka Tengah",
        capacity: 10,
        status,
      },
    });
  const s1 = (await session(programme.id, `dampak-${n}-1`, "2026-11-20T02:00:00Z", "completed")).id;
  const s2 = (await session(programme.id, `dampak-${n}-2`, "2026-11-24T02:00:00Z", "completed")).id;
  const s3 = (await session(programme.id, `dampak-${n}-3`, "2027-01-12T02:00:00Z", "scheduled")).id;
  const o1 = (await session(other.id, `dampak-lain-${n}-1`, "2026-11-20T02:00:00Z", "completed")).id;

  // Week of Monday 2 November (WIB): A, B, C; nothing the week after; week of 16 November: D, E, F, H.
  const week1 = "2026-11-03T05:00:00Z";
  const week3 = "2026-11-17T05:00:00Z";
  const person = (name: string, registeredAt: string, personSector = sector) =>
    db.participant.create({
      data: { name, businessName: `Usaha ${name}`, sector: personSector, registeredAt: at(registeredAt) },
    });
  const p = {
    A: await person("Ani", week1),
    B: await person("Budi", week1),
    C: await person("Citra", week1),
    D: await person("Dewi", week3),
    E: await person("Eko", week3),
    F: await person("Fajar", week3),
    H: await person("Hana", week3),
    // Of another sector, but enrolled: registered for this programme all the same.
    G: await person("Gilang", week3, "konveksi"),
  };
  type Status = "enrolled" | "waitlisted" | "cancelled" | "attended" | "absent";
  const enroll = (
    who: { id: number },
    trainingSessionId: number,
    status: Status,
    rsvp: "confirmed" | "declined" | null,
    createdAt: string,
  ) =>
    db.enrollment.create({
      data: {
        participantId: who.id,
        trainingSessionId,
        status,
        rsvp,
        createdAt: at(createdAt),
        waitlistPosition: status === "waitlisted" ? 1 : null,
      },
    });
  const eA = await enroll(p.A, s1, "attended", "confirmed", week1);
  const eB = await enroll(p.B, s1, "attended", null, week1);
  await enroll(p.C, s1, "absent", "confirmed", week1);
  await enroll(p.D, s1, "waitlisted", null, week3);
  const eE = await enroll(p.E, s2, "attended", "confirmed", week3);
  await enroll(p.G, s2, "enrolled", "declined", week3);
  await enroll(p.F, s2, "cancelled", null, week3);
  await enroll(p.F, s3, "enrolled", "confirmed", week3);
  // In the other programme: not counted here.
  await enroll(p.H, o1, "attended", "confirmed", week3);

  const certificate = (e: { id: number; participantId: number | null }, number: string, revoked = false) =>
    db.certificate.create({
      data: {
        number,
        enrollmentId: e.id,
        participantId: e.participantId,
        holderName: "x",
        programmeId: programme.id,
        programmeTitle: programme.titleId,
        sessionStartsAt: at("2026-11-20T02:00:00Z"),
        sessionEndsAt: at("2026-11-20T08:00:00Z"),
        timeZone: "Asia/Jakarta",
        venue: "Aula",
        regency: "Kabupaten Bangka Tengah",
        issuer: "Dinas",
        signatoryName: "Kepala Dinas",
        signatoryTitle: "Kepala",
        issuedAt: at("2026-11-20T11:00:00Z"),
        ...(revoked ? { revokedAt: at("2026-11-21T00:00:00Z"), revokedReason: "keliru" } : {}),
      },
    });
  await certificate(eA, `SAPA-${n}-0001`);
  await certificate(eE, `SAPA-${n}-0002`);
  await certificate(eB, `SAPA-${n}-0003`, true);

  const answer = (
    e: { id: number; participantId: number | null; trainingSessionId: number },
    flow: string,
    round: string,
    questionKey: string,
    value: string,
    answeredAt: string,
    numberValue: number | null = null,
  ) =>
    db.flowResult.create({
      data: {
        participantId: e.participantId,
        flow,
        round,
        questionKey,
        value,
        numberValue,
        enrollmentId: e.id,
        trainingSessionId: e.trainingSessionId,
        programmeId: programme.id,
        answeredAt: at(answeredAt),
      },
    });
  const fb = (e: typeof eA, key: string, value: string, when: string, num: number | null = null) =>
    answer(e, "feedback", "feedback", key, value, when, num);
  // Ani first gave 2, then answered again with 5: the later answer counts.
  await fb(eA, "rating", "2", "2026-11-20T10:00:00Z", 2);
  await fb(eA, "rating", "5", "2026-11-20T10:30:00Z", 5);
  await fb(eA, "most_useful", "Cara menjemur <b>lada putih</b> & mengemasnya", "2026-11-20T10:31:00Z");
  await fb(eA, "next_training", "packaging", "2026-11-20T10:32:00Z");
  await fb(eA, "may_follow_up", "yes", "2026-11-20T10:33:00Z");
  await fb(eB, "rating", "4", "2026-11-20T11:00:00Z", 4);
  await fb(eB, "most_useful", "Pembukuan sederhana", "2026-11-20T11:01:00Z");
  // "Lainnya", then typed: stored as the flow does (flows/survey.ts, otherSuffix).
  await fb(eB, "next_training", "other", "2026-11-20T11:02:00Z");
  await fb(eB, "next_training_other", "budidaya lada <i>organik</i>", "2026-11-20T11:02:30Z");
  await fb(eB, "may_follow_up", "no", "2026-11-20T11:03:00Z");
  await fb(eE, "rating", "3", "2026-11-24T10:00:00Z", 3);

  const fu = (e: typeof eA, round: string, key: string, value: string) =>
    answer(e, "followup", round, key, value, "2026-12-20T03:00:00Z");
  await fu(eA, "followup-30d", "new_product", "yes");
  await fu(eA, "followup-30d", "sales_change", "up");
  await fu(eA, "followup-30d", "sells_online", "yes");
  await fu(eE, "followup-30d", "new_product", "no");
  await fu(eE, "followup-30d", "sales_change", "same");
  await fu(eB, "followup-90d", "sales_change", "up");

  const identity = (who: { id: number }, channel: string) =>
    db.channelIdentity.create({
      data: {
        channel,
        platformUserId: `${channel}-${who.id}-${n}`,
        chatId: `${channel}-${who.id}-${n}`,
        participantId: who.id,
      },
    });
  const message = (
    id: { id: number; channel: string; chatId: string },
    status: "sent" | "delivered" | "read" | "failed" | "received",
    direction: "outbound" | "inbound" = "outbound",
  ) =>
    db.message.create({
      data: { direction, channel: id.channel, chatId: id.chatId, identityId: id.id, text: "Halo", status },
    });
  const telegramA = await identity(p.A, "telegram");
  const whatsappE = await identity(p.E, "whatsapp");
  const telegramH = await identity(p.H, "telegram");
  for (const s of ["read", "read", "delivered", "failed"] as const) await message(telegramA, s);
  for (let i = 0; i < 3; i++) await message(telegramA, "received", "inbound");
  for (const s of ["sent", "delivered", "delivered"] as const) await message(whatsappE, s);
  // Hana is only in the other programme.
  await message(telegramH, "read");

  return { programmeId: programme.id, sessions: { s1, s2, s3 }, otherProgrammeId: other.id };
}

/** The figures of the seeded programme, counted by hand. */
export const impactExpected = {
  registrations: [
    { week: "2026-11-02", enrollments: 3, participants: 3 },
    { week: "2026-11-09", enrollments: 0, participants: 0 },
    { week: "2026-11-16", enrollments: 5, participants: 4 },
  ],
  funnel: [
    { stage: "registered", count: 8 },
    { stage: "enrolled", count: 6 },
    { stage: "confirmed", count: 4 },
    { stage: "attended", count: 3 },
    { stage: "certificate", count: 2 },
    { stage: "followUp", count: 3 },
  ],
  attendance: [
    { enrolled: 3, attended: 2 },
    { enrolled: 2, attended: 1 },
    { enrolled: 1, attended: 0 },
  ],
  ratings: { count: 3, mean: 4, distribution: [0, 0, 1, 1, 1] },
  delivery: [
    { channel: "telegram", sent: 0, delivered: 1, read: 2, failed: 1 },
    { channel: "whatsapp", sent: 1, delivered: 2, read: 0, failed: 0 },
  ],
};
