/**
 * Issuing, revoking and erasing certificates on both databases: who earns one (attended or
 * checked in; the feedback answered when the programme asks for it; data not erased), that a
 * second call issues nothing, the number's form and uniqueness, what the row keeps, the message
 * written to the participant's latest chat with its attachment, revoking (audit-logged, bad
 * input changes nothing), what an erasure leaves (the number, not the name) and what a
 * participant who asks for their certificates is told of.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAtomically } from "../../src/db/raw-sql.js";
import { findCertificate, revokeCertificate } from "../../src/domain/certificates.js";
import { deleteParticipantData } from "../../src/domain/delete-participant-data.js";
import { defaultSignatory, issueCertificatePlan } from "../../src/domain/issue-certificate.js";
import { participantCertificatesPlan } from "../../src/domain/participant-certificates.js";
import { verificationPage } from "../../src/admin/certificates.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

const settings = {
  issuer: "Dinas Perindustrian dan Perdagangan Provinsi Kepulauan Bangka Belitung",
  baseUrl: "https://sapa.example.go.id",
};
const numberForm = /^SI-\d{4}-\d{6}-[A-HJKMNP-Z2-9]{4}$/;

describe.each(providers)("issuing certificates on %s", (provider) => {
  let db: TestDatabase;
  let sessionId: number;
  let feedbackSessionId: number;
  let seq = 0;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    const programme = await db.prisma.programme.create({
      data: {
        slug: "uji-sertifikat",
        sector: "lada",
        titleId: "Diversifikasi Produk Lada",
        titleEn: "Pepper Product Diversification",
        descriptionId: "-",
        descriptionEn: "-",
        timeZone: "Asia/Jakarta",
        reminderOffsets: [],
        certificateSignatory: "Dr. Ir. Hendra Wijaya",
        certificateSignatoryTitle: "Kepala Bidang Perindustrian",
      },
    });
    const withFeedback = await db.prisma.programme.create({
      data: {
        slug: "uji-sertifikat-survei",
        sector: "konveksi",
        titleId: "Produksi Konveksi",
        titleEn: "Garment Production",
        descriptionId: "-",
        descriptionEn: "-",
        reminderOffsets: [],
        certificateRequiresFeedback: true,
      },
    });
    const session = (programmeId: number, code: string) =>
      db.prisma.trainingSession.create({
        data: {
          programmeId,
          code,
          startsAt: new Date("2026-12-01T02:00:00Z"),
          endsAt: new Date("2026-12-01T08:00:00Z"),
          venue: "Gedung Serbaguna Koba",
          address: "Koba",
          regency: "Kabupaten Bangka Tengah",
          capacity: 100,
        },
      });
    sessionId = (await session(programme.id, "uji-sertifikat-1")).id;
    feedbackSessionId = (await session(withFeedback.id, "uji-sertifikat-survei-1")).id;
  });

  afterAll(async () => {
    await db?.destroy();
  });

  /** A participant with a seat in the given state, and (unless `chat: false`) a web chat. */
  async function seat(
    status: "enrolled" | "attended" | "absent" | "cancelled",
    options: { checkedIn?: boolean; chat?: boolean; session?: number; language?: string } = {},
  ) {
    seq++;
    const participant = await db.prisma.participant.create({
      data: {
        name: `Siti Aminah ${seq}`,
        businessName: `Lada Putih ${seq}`,
        language: options.language ?? "id",
        registeredAt: new Date(),
        consentAt: new Date(),
      },
    });
    const identity =
      options.chat === false
        ? null
        : await db.prisma.channelIdentity.create({
            data: { channel: "web", platformUserId: `web-${seq}`, chatId: `web-${seq}`, participantId: participant.id },
          });
    const enrollment = await db.prisma.enrollment.create({
      data: {
        participantId: participant.id,
        trainingSessionId: options.session ?? sessionId,
        status,
        ...(options.checkedIn ? { checkedInAt: new Date("2026-12-01T02:05:00Z"), checkInMethod: "code" } : {}),
      },
    });
    return { participant, identity, enrollment };
  }

  const issue = (enrollmentId: number, now = new Date("2026-12-01T09:00:00Z")) =>
    runAtomically(db, () => issueCertificatePlan(provider, enrollmentId, now, settings));

  it("issues one to an attended participant: the row keeps what it shows, the message goes to their chat", async () => {
    const { participant, identity, enrollment } = await seat("attended");
    const issued = await issue(enrollment.id);
    expect(issued).not.toBeNull();
    expect(issued!.number).toMatch(numberForm);
    expect(issued!.number).toContain(`-2026-${String(issued!.certificateId).padStart(6, "0")}-`);
    const row = await db.prisma.certificate.findUniqueOrThrow({ where: { id: issued!.certificateId } });
    expect(row).toMatchObject({
      number: issued!.number,
      enrollmentId: enrollment.id,
      participantId: participant.id,
      holderName: participant.name,
      businessName: participant.businessName,
      programmeTitle: "Diversifikasi Produk Lada",
      venue: "Gedung Serbaguna Koba",
      regency: "Kabupaten Bangka Tengah",
      timeZone: "Asia/Jakarta",
      issuer: settings.issuer,
      signatoryName: "Dr. Ir. Hendra Wijaya",
      signatoryTitle: "Kepala Bidang Perindustrian",
      revokedAt: null,
    });
    expect(issued!.batch).toMatchObject({ channel: "web", chatId: identity!.chatId, ids: [expect.any(Number)] });
    const message = await db.prisma.message.findFirstOrThrow({ where: { chatId: identity!.chatId } });
    expect(message.text).toContain("Selamat! Ini sertifikat Anda");
    expect(message.text).toContain(`${settings.baseUrl}/sertifikat/${issued!.number}`);
    expect(message.attachment).toEqual({ kind: "certificate", number: issued!.number });
    const outbox = await db.prisma.outboxItem.findUniqueOrThrow({ where: { messageId: message.id } });
    expect(outbox).toMatchObject({ kind: "notice", status: "pending" });
  });

  it("issues nothing a second time: the same enrollment keeps its one certificate and gets one message", async () => {
    const { identity, enrollment } = await seat("attended");
    const first = await issue(enrollment.id);
    expect(first).not.toBeNull();
    expect(await issue(enrollment.id)).toBeNull();
    expect(await db.prisma.certificate.count({ where: { enrollmentId: enrollment.id } })).toBe(1);
    expect(await db.prisma.message.count({ where: { chatId: identity!.chatId } })).toBe(1);
  });

  it("counts a check-in as attendance, and issues none without attendance", async () => {
    const checkedIn = await seat("enrolled", { checkedIn: true });
    expect(await issue(checkedIn.enrollment.id)).not.toBeNull();
    for (const status of ["enrolled", "absent", "cancelled"] as const) {
      const { enrollment } = await seat(status);
      expect(await issue(enrollment.id)).toBeNull();
    }
    const cancelledAfterCheckIn = await seat("cancelled", { checkedIn: true });
    expect(await issue(cancelledAfterCheckIn.enrollment.id)).toBeNull();
    expect(await issue(999_999)).toBeNull();
  });

  it("waits for the feedback when the programme asks for it", async () => {
    const { participant, enrollment } = await seat("attended", { session: feedbackSessionId });
    expect(await issue(enrollment.id)).toBeNull();
    expect(await db.prisma.certificate.count({ where: { enrollmentId: enrollment.id } })).toBe(0);
    // An answer to another survey is not the feedback.
    const answer = (flow: string) =>
      db.prisma.flowResult.create({
        data: {
          participantId: participant.id,
          flow,
          round: flow,
          questionKey: "rating",
          value: "5",
          numberValue: 5,
          enrollmentId: enrollment.id,
          trainingSessionId: feedbackSessionId,
          answeredAt: new Date(),
        },
      });
    await answer("followup");
    expect(await issue(enrollment.id)).toBeNull();
    await answer("feedback");
    const issued = await issue(enrollment.id);
    expect(issued).not.toBeNull();
    // Nobody named on the programme: the default signatory.
    expect(await db.prisma.certificate.findUniqueOrThrow({ where: { id: issued!.certificateId } })).toMatchObject({
      signatoryName: defaultSignatory.name,
      signatoryTitle: defaultSignatory.title,
    });
  });

  it("issues one without a message when no chat can take it, and writes to the latest chat not blocked", async () => {
    const silent = await seat("attended", { chat: false });
    const issued = await issue(silent.enrollment.id);
    expect(issued).toMatchObject({ batch: null });
    expect(issued!.number).toMatch(numberForm);

    const { participant, identity, enrollment } = await seat("attended", { language: "en" });
    const newer = await db.prisma.channelIdentity.create({
      data: {
        channel: "telegram",
        platformUserId: `tg-${seq}`,
        chatId: `tg-${seq}`,
        participantId: participant.id,
        lastInboundAt: new Date(Date.now() + 60_000),
        blockedAt: new Date(),
      },
    });
    void newer;
    const toWeb = await issue(enrollment.id);
    expect(toWeb!.batch).toMatchObject({ channel: "web", chatId: identity!.chatId });
    const message = await db.prisma.message.findFirstOrThrow({ where: { chatId: identity!.chatId } });
    expect(message.text).toContain("Congratulations! Here is your certificate");
  });

  it("gives every certificate its own number", async () => {
    const numbers: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { enrollment } = await seat("attended");
      numbers.push((await issue(enrollment.id))!.number);
    }
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) expect(n).toMatch(numberForm);
  });

  it("does not issue one to a participant who erased their data", async () => {
    const { participant, enrollment } = await seat("attended");
    await db.prisma.$transaction((tx) => deleteParticipantData(tx, provider, participant.id, new Date()));
    expect(await issue(enrollment.id)).toBeNull();
  });

  it("revokes a certificate with a reason, once, audit-logged; bad input changes nothing", async () => {
    const { enrollment } = await seat("attended");
    const { number } = (await issue(enrollment.id))!;
    const now = new Date("2026-12-05T03:00:00Z");
    const revoke = (n: string, reason: string) =>
      db.prisma.$transaction((tx) => revokeCertificate(tx, n, reason, null, now));
    expect(await revoke(number, " ")).toEqual({ kind: "no_reason" });
    expect(await revoke("SI-2026-999999-ABCD", "salah nama")).toEqual({ kind: "not_found" });
    expect(await revoke("bukan nomor", "salah nama")).toEqual({ kind: "not_found" });
    expect((await findCertificate(db.prisma, number))!.revokedAt).toBeNull();

    // Typed in lower case with spaces: the same number.
    const outcome = await revoke(number.toLowerCase().replaceAll("-", " "), "Nama peserta salah ketik");
    expect(outcome.kind).toBe("revoked");
    const row = (await findCertificate(db.prisma, number))!;
    expect(row.revokedAt).toEqual(now);
    expect(row.revokedReason).toBe("Nama peserta salah ketik");
    const log = await db.prisma.auditLog.findFirstOrThrow({ where: { action: "certificate.revoked" } });
    expect(log.target).toBe(`certificate:${number}`);
    expect(await revoke(number, "lagi")).toEqual({ kind: "already_revoked", revokedAt: now });

    const page = verificationPage(number, row);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Sertifikat dicabut");
    expect(page.html).toContain("5 Desember 2026");
    expect(page.html).not.toContain("Sertifikat asli");
  });

  it("keeps the number but not the holder's name after an erasure", async () => {
    const { participant, enrollment } = await seat("attended");
    const { number, certificateId } = (await issue(enrollment.id))!;
    await db.prisma.$transaction((tx) => deleteParticipantData(tx, provider, participant.id, new Date()));
    const row = await db.prisma.certificate.findUniqueOrThrow({ where: { id: certificateId } });
    expect(row).toMatchObject({ number, holderName: null, businessName: null, participantId: null });
    const page = verificationPage(number, row);
    expect(page.html).toContain("telah dihapus atas permintaannya");
    expect(page.html).not.toContain("Siti");
    // The enrollment cannot earn a second certificate (or a reused number).
    expect(await issue(enrollment.id)).toBeNull();
  });
  it("tells a participant who asks what their certificates are: in force, revoked, still to come, none", async () => {
    const mine = (participantId: number) =>
      runAtomically(db, () => participantCertificatesPlan(provider, participantId));
    // Enrolled only, or absent: nothing earned.
    expect(await mine((await seat("enrolled")).participant.id)).toEqual({ inForce: [], revoked: [], pending: [] });
    expect(await mine((await seat("absent")).participant.id)).toEqual({ inForce: [], revoked: [], pending: [] });
    // Attended where the feedback comes first: to come, after the feedback.
    const { participant } = await seat("attended", { session: feedbackSessionId });
    expect((await mine(participant.id)).pending).toEqual([
      { programmeTitle: "Produksi Konveksi", needsFeedback: true },
    ]);
    // Checked in and issued; then a second session attended, not yet issued.
    const first = await seat("enrolled", { checkedIn: true });
    const issued = await issue(first.enrollment.id);
    await db.prisma.enrollment.create({
      data: { participantId: first.participant.id, trainingSessionId: feedbackSessionId, status: "attended" },
    });
    await db.prisma.flowResult.create({
      data: {
        participantId: first.participant.id,
        flow: "feedback",
        round: "feedback",
        questionKey: "rating",
        value: "4",
        numberValue: 4,
        enrollmentId: (
          await db.prisma.enrollment.findFirstOrThrow({
            where: { participantId: first.participant.id, trainingSessionId: feedbackSessionId },
          })
        ).id,
        answeredAt: new Date(),
      },
    });
    expect(await mine(first.participant.id)).toEqual({
      inForce: [{ number: issued!.number, programmeTitle: "Diversifikasi Produk Lada" }],
      revoked: [],
      pending: [{ programmeTitle: "Produksi Konveksi", needsFeedback: false }],
    });
    await db.prisma.$transaction((tx) => revokeCertificate(tx, issued!.number, "Salah jadwal", null, new Date()));
    expect((await mine(first.participant.id)).revoked).toEqual([
      { number: issued!.number, programmeTitle: "Diversifikasi Produk Lada" },
    ]);
    expect((await mine(first.participant.id)).inForce).toEqual([]);
    // Someone else's certificates are not theirs.
    expect((await mine(participant.id)).inForce).toEqual([]);
  });
});
