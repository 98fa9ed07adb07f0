/**
 * A certificate reaches the participant on each channel, with the whole application running on
 * both databases: as a Telegram document (fake Bot API), as a WhatsApp document (fake
 * whatsapp-web.js client) and as a download link in the web chat that works for the holder's
 * link only. The file is the certificate's PDF, the same bytes the row renders to.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { runAtomically } from "../../src/db/raw-sql.js";
import { renderCertificatePdf } from "../../src/domain/certificate-pdf.js";
import { issueCertificatePlan } from "../../src/domain/issue-certificate.js";
import { revokeCertificate } from "../../src/domain/certificates.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { FakeWhatsApp } from "../support/fake-whatsapp.js";
import { testInstallation } from "../support/app.js";
import { providers } from "../support/databases.js";
import { waitFor } from "../support/wait-for.js";

describe.each(providers)("certificates delivered on each channel (%s)", (provider) => {
  const installation = testInstallation(provider);
  let telegram: FakeTelegram;
  const whatsapp = new FakeWhatsApp();
  let app: App;
  let sessionId: number;
  const baseUrl = "https://sapa.example.go.id";

  beforeAll(async () => {
    telegram = await startFakeTelegram();
    await installation.prepare();
    app = await installation.start(
      {
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        WHATSAPP_ENABLED: "true",
        WHATSAPP_SESSION_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "sapa-wa-")),
        CERTIFICATE_BASE_URL: baseUrl,
      },
      { createWhatsAppClient: whatsapp.createClient },
    );
    await waitFor(() => whatsapp.clients.length > 0, 10_000, "the WhatsApp client");
    whatsapp.current.ready();
    await waitFor(() => app.bot.channelStatus().whatsapp?.state === "ready", 10_000, "WhatsApp ready");
    const session = await app.database.prisma.trainingSession.findFirstOrThrow({
      where: { programme: { slug: "lada-bangka-tengah" } },
      orderBy: { startsAt: "asc" },
    });
    sessionId = session.id;
  });

  afterAll(async () => {
    await installation.stop();
    await telegram.close();
  });

  /** A participant who attended, with one chat; their certificate issued and its message enqueued. */
  async function issueTo(name: string, channel: string, chatId: string) {
    const prisma = app.database.prisma;
    const participant = await prisma.participant.create({
      data: { name, businessName: `Usaha ${name}`, registeredAt: new Date(), consentAt: new Date() },
    });
    await prisma.channelIdentity.create({
      data: { channel, platformUserId: chatId, chatId, participantId: participant.id },
    });
    const enrollment = await prisma.enrollment.create({
      data: { participantId: participant.id, trainingSessionId: sessionId, status: "attended" },
    });
    const issued = await runAtomically(app.database, () =>
      issueCertificatePlan(provider, enrollment.id, new Date(), {
        issuer: "Dinas Uji",
        baseUrl,
      }),
    );
    expect(issued?.batch).toMatchObject({ channel, chatId });
    await app.bot.outbox.enqueue(issued!.batch!);
    const certificate = await prisma.certificate.findUniqueOrThrow({ where: { number: issued!.number } });
    return { issued: issued!, certificate };
  }

  it("sends a Telegram document with the message as its caption", async () => {
    const { issued, certificate } = await issueTo("Siti Aminah", "telegram", "9101");
    const sent = await waitFor(
      () => telegram.sent.find((m) => m.chatId === 9101 && m.method === "sendDocument"),
      15_000,
      "the document on Telegram",
    );
    expect(sent.document!.fileName).toBe(`sertifikat-${issued.number}.pdf`);
    expect(sent.document!.bytes.equals(await renderCertificatePdf(certificate, baseUrl))).toBe(true);
    expect(sent.text).toContain("Selamat! Ini sertifikat Anda");
    expect(sent.text).toContain(`${baseUrl}/sertifikat/${issued.number}`);
    await waitFor(
      async () =>
        (await app.database.prisma.message.findFirst({ where: { chatId: "9101", direction: "outbound" } }))?.status ===
        "sent",
      10_000,
      "the message recorded as sent",
    );
  });

  it("sends the certificate again to a participant who asks for it, and says which one was revoked", async () => {
    const { issued, certificate } = await issueTo("Sri Wahyuni", "telegram", "9102");
    const documents = () => telegram.sentTo(9102).filter((m) => m.method === "sendDocument");
    await waitFor(() => documents().length === 1, 15_000, "the certificate as issued");

    await telegram.userMessage({ id: 9102 }, "sertifkat sy mana ya kak?");
    const again = await waitFor(() => documents()[1], 15_000, "the certificate sent again");
    expect(again.document!.fileName).toBe(`sertifikat-${issued.number}.pdf`);
    expect(again.document!.bytes.equals(await renderCertificatePdf(certificate, baseUrl))).toBe(true);
    expect(again.text).toContain("Ini sertifikat Anda untuk pelatihan");
    expect(again.text).not.toContain("Selamat");
    expect(again.text).toContain(`${baseUrl}/sertifikat/${issued.number}`);

    // Revoked: not sent again, and the participant is told so.
    await app.database.prisma.$transaction((tx) =>
      revokeCertificate(tx, issued.number, "Salah jadwal", null, new Date()),
    );
    const before = telegram.sentTo(9102).length;
    await telegram.userMessage({ id: 9102 }, "minta sertifikat");
    const answer = await waitFor(
      () =>
        telegram
          .sentTo(9102)
          .slice(before)
          .find((m) => m.text.includes("sudah dicabut")),
      15_000,
      "the answer about the revoked certificate",
    );
    expect(answer.text).toContain(issued.number);
    expect(documents()).toHaveLength(2);
  });

  it("sends a WhatsApp document with the message as its caption", async () => {
    const { issued, certificate } = await issueTo("Budi Santoso", "whatsapp", "6281234509101@c.us");
    const sent = await waitFor(
      () => whatsapp.sent.find((m) => m.chatId === "6281234509101@c.us" && m.document),
      15_000,
      "the document on WhatsApp",
    );
    expect(sent.document).toMatchObject({ fileName: `sertifikat-${issued.number}.pdf`, mimeType: "application/pdf" });
    expect(sent.document!.bytes.equals(await renderCertificatePdf(certificate, baseUrl))).toBe(true);
    expect(sent.text).toContain("Selamat! Ini sertifikat Anda");
  });

  it("shows a download link in the web chat that gives the PDF to the holder's link only", async () => {
    const session = (await (await fetch(`${app.url}/api/webchat/sessions`, { method: "POST" })).json()) as {
      chatId: string;
      token: string;
    };
    const { issued, certificate } = await issueTo("Rina Wati", "web", session.chatId);
    const read = async () =>
      (await (
        await fetch(`${app.url}/api/webchat/${session.chatId}/messages`, {
          headers: { authorization: `Bearer ${session.token}` },
        })
      ).json()) as { messages: { text: string; html: string; attachment?: { number: string; url: string } }[] };
    const message = await waitFor(
      async () => (await read()).messages.find((m) => m.attachment),
      15_000,
      "the certificate message in the web chat",
    );
    expect(message.text).toContain("Selamat! Ini sertifikat Anda");
    expect(message.attachment!.number).toBe(issued.number);
    expect(message.html).toContain("Unduh sertifikat (PDF)");
    const link = new URL(message.attachment!.url);
    expect(link.pathname).toBe(`/sertifikat/${issued.number}.pdf`);

    const download = await fetch(`${app.url}${link.pathname}${link.search}`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.equals(await renderCertificatePdf(certificate, app.config.certificates.baseUrl))).toBe(true);

    // The number alone, or with another certificate's token, gives nothing.
    expect((await fetch(`${app.url}/sertifikat/${issued.number}.pdf`)).status).toBe(404);
    const other = await app.database.prisma.certificate.findFirstOrThrow({ where: { number: { not: issued.number } } });
    const otherToken = link.searchParams.get("t");
    expect((await fetch(`${app.url}/sertifikat/${other.number}.pdf?t=${otherToken}`)).status).toBe(404);
    // Another chat does not see this chat's messages (and so not the link).
    const stranger = (await (await fetch(`${app.url}/api/webchat/sessions`, { method: "POST" })).json()) as {
      token: string;
    };
    const peek = await fetch(`${app.url}/api/webchat/${session.chatId}/messages`, {
      headers: { authorization: `Bearer ${stranger.token}` },
    });
    expect(peek.status).toBe(401);
  });

  it("answers on the public page: genuine with the name masked, revoked with the date, unknown 404", async () => {
    const { issued } = await issueTo("Dewi Lestari", "web", "web-page-check");
    const genuine = await fetch(`${app.url}/sertifikat/${issued.number}`);
    expect(genuine.status).toBe(200);
    expect(genuine.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await genuine.text();
    expect(html).toContain("Sertifikat asli");
    expect(html).toContain("De** Le*****");
    expect(html).not.toContain("Dewi Lestari");

    await app.database.prisma.$transaction((tx) =>
      revokeCertificate(
        tx,
        issued.number,
        "Diterbitkan untuk jadwal yang salah",
        null,
        new Date("2026-12-04T03:00:00Z"),
      ),
    );
    const revoked = await (await fetch(`${app.url}/sertifikat/${issued.number.toLowerCase()}`)).text();
    expect(revoked).toContain("Sertifikat dicabut");
    expect(revoked).toContain("4 Desember 2026");
    expect(revoked).not.toContain("De** Le*****");

    const unknown = await fetch(`${app.url}/sertifikat/SI-2026-999999-ABCD`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("Sertifikat tidak ditemukan");
    expect((await fetch(`${app.url}/sertifikat/%3Cscript%3E`)).status).toBe(404);
  });
});
