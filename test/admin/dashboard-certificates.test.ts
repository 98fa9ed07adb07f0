/**
 * Certificates on the dashboard, over HTTP against the whole application on both databases: the
 * programme form saves the signatory and "requires feedback" (audit-logged as a programme
 * change), the roster shows each enrollment's certificate number with its verification link,
 * and an admin revokes one with a reason (audit-logged; the public page then says revoked),
 * while bad input and staff who are not admins change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { runAtomically } from "../../src/db/raw-sql.js";
import { issueCertificatePlan } from "../../src/domain/issue-certificate.js";
import { createStaff } from "../../src/domain/staff.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { providers } from "../support/databases.js";
import { DashboardClient } from "../support/dashboard-client.js";

const admin = { email: "admin@disperindag.example", name: "Admin Dinas", password: "sertifikat-admin-2026" };
const officer = { email: "staf@disperindag.example", name: "Staf Dinas", password: "sertifikat-staf-2026" };

describe.each(providers)("certificates on the dashboard (%s)", (provider) => {
  let testApp: TestApp;
  let app: App;
  let adminClient: DashboardClient;
  let staffClient: DashboardClient;
  let programmeId: number;
  let sessionId: number;
  let number: string;

  beforeAll(async () => {
    testApp = await startTestApp({ provider });
    app = testApp.app;
    const prisma = app.database.prisma;
    await createStaff(prisma, { ...admin, role: "admin" });
    await createStaff(prisma, { ...officer, role: "staff" });
    adminClient = new DashboardClient(app.url);
    staffClient = new DashboardClient(app.url);
    expect((await adminClient.signIn(admin.email, admin.password)).status).toBe(303);
    expect((await staffClient.signIn(officer.email, officer.password)).status).toBe(303);
    const programme = await prisma.programme.findUniqueOrThrow({ where: { slug: "lada-bangka-tengah" } });
    programmeId = programme.id;
    const session = await prisma.trainingSession.findFirstOrThrow({ where: { programmeId }, orderBy: { id: "asc" } });
    sessionId = session.id;
    const participant = await prisma.participant.create({
      data: { name: "Siti Aminah", businessName: "Lada Putih Koba", registeredAt: new Date(), consentAt: new Date() },
    });
    const enrollment = await prisma.enrollment.create({
      data: { participantId: participant.id, trainingSessionId: sessionId, status: "attended" },
    });
    number = (await runAtomically(app.database, () => issueCertificatePlan(provider, enrollment.id, new Date())))!
      .number;
  });

  afterAll(async () => {
    await testApp?.stop();
  });

  it("saves the signatory and 'requires feedback' from the programme form", async () => {
    const editPath = `/dashboard/program/${programmeId}/ubah`;
    const form = await (await staffClient.get(editPath)).text();
    expect(form).toContain('name="certificateSignatory"');
    expect(form).toContain('name="certificateRequiresFeedback"');
    const p = await app.database.prisma.programme.findUniqueOrThrow({ where: { id: programmeId } });
    const res = await staffClient.submit(
      editPath,
      {
        slug: p.slug,
        sector: p.sector,
        regency: p.regency ?? "",
        titleId: p.titleId,
        titleEn: p.titleEn,
        descriptionId: p.descriptionId,
        descriptionEn: p.descriptionEn,
        timeZone: p.timeZone,
        seatsPerParticipant: String(p.seatsPerParticipant),
        active: "on",
        certificateSignatory: "  Dr. Ir. Hendra Wijaya  ",
        certificateSignatoryTitle: "Kepala Bidang Perindustrian",
        certificateRequiresFeedback: "on",
      },
      editPath,
    );
    expect(res.status).toBe(303);
    expect(await app.database.prisma.programme.findUniqueOrThrow({ where: { id: programmeId } })).toMatchObject({
      certificateSignatory: "Dr. Ir. Hendra Wijaya",
      certificateSignatoryTitle: "Kepala Bidang Perindustrian",
      certificateRequiresFeedback: true,
    });
    const log = await app.database.prisma.auditLog.findFirstOrThrow({
      where: { action: "programme.updated", target: `programme:${programmeId}` },
      orderBy: { id: "desc" },
    });
    expect(log.detail).toMatchObject({ certificateRequiresFeedback: { from: false, to: true } });
    const again = await (await staffClient.get(editPath)).text();
    expect(again).toContain('value="Dr. Ir. Hendra Wijaya"');
  });

  it("shows the certificate number on the roster, with the revoke form for admins only", async () => {
    const roster = await (await staffClient.get(`/dashboard/program/jadwal/${sessionId}`)).text();
    expect(roster).toContain(`data-certificate="${number}"`);
    expect(roster).toContain(`href="/sertifikat/${number}"`);
    expect(roster).not.toContain("/sertifikat/cabut");
    const asAdmin = await (await adminClient.get(`/dashboard/program/jadwal/${sessionId}`)).text();
    expect(asAdmin).toContain(`action="/dashboard/program/jadwal/${sessionId}/sertifikat/cabut"`);
  });

  it("lets an admin revoke a certificate with a reason; others and bad input change nothing", async () => {
    const path = `/dashboard/program/jadwal/${sessionId}/sertifikat/cabut`;
    const from = `/dashboard/program/jadwal/${sessionId}`;
    const revokedAt = async () =>
      (await app.database.prisma.certificate.findUniqueOrThrow({ where: { number } })).revokedAt;

    expect((await staffClient.submit(path, { number, reason: "Salah nama" }, from)).status).toBe(403);
    expect(await revokedAt()).toBeNull();

    const noReason = await adminClient.submit(path, { number, reason: "" }, from);
    expect(noReason.status).toBe(303);
    expect(await (await adminClient.get(from)).text()).toContain("Tuliskan alasan pencabutan");
    expect(await revokedAt()).toBeNull();

    await adminClient.submit(path, { number: "SI-2026-999999-ABCD", reason: "Salah nama" }, from);
    expect(await (await adminClient.get(from)).text()).toContain("Tidak ada sertifikat dengan nomor itu di jadwal ini");

    const done = await adminClient.submit(path, { number: number.toLowerCase(), reason: "Salah nama peserta" }, from);
    expect(done.status).toBe(303);
    const after = await (await adminClient.get(from)).text();
    expect(after).toContain(`Sertifikat ${number} dicabut.`);
    expect(after).toMatch(/data-certificate="[^"]+"><a [^>]+>[^<]+<\/a> \(dicabut\)/);
    expect(await revokedAt()).not.toBeNull();
    const log = await app.database.prisma.auditLog.findFirstOrThrow({ where: { action: "certificate.revoked" } });
    expect(log.target).toBe(`certificate:${number}`);
    expect(log.detail).toMatchObject({ reason: "Salah nama peserta" });
    expect(await (await fetch(`${app.url}/sertifikat/${number}`)).text()).toContain("Sertifikat dicabut");
  });
});
