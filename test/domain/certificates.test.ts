/**
 * Certificates without a database: numbers as typed, the masked name, the verification page's
 * answers (genuine, unknown, escaped), the PDF made again byte for byte, and the sample command
 * on a fresh checkout.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { verificationPage } from "../../src/admin/certificates.js";
import { renderCertificatePdf, sessionDateText } from "../../src/domain/certificate-pdf.js";
import { sampleCertificate } from "../../src/domain/certificate-sample.js";
import {
  certificateNumber,
  maskName,
  normalizeCertificateNumber,
  type CertificateRecord,
} from "../../src/domain/certificates.js";

const run = promisify(execFile);

const record: CertificateRecord = {
  id: 123,
  number: "SI-2026-000123-K7QM",
  enrollmentId: 5,
  participantId: 9,
  holderName: "Siti Aminah",
  businessName: "Lada Putih Sinar Koba",
  programmeId: 1,
  programmeTitle: "Diversifikasi Produk Lada",
  sessionStartsAt: new Date("2026-12-01T02:00:00Z"),
  sessionEndsAt: new Date("2026-12-01T08:00:00Z"),
  timeZone: "Asia/Jakarta",
  venue: "Gedung Serbaguna Koba",
  regency: "Kabupaten Bangka Tengah",
  issuer: "Dinas Perindustrian dan Perdagangan Provinsi Kepulauan Bangka Belitung",
  signatoryName: "Kepala Dinas",
  signatoryTitle: "Kepala Dinas Perindustrian dan Perdagangan",
  issuedAt: new Date("2026-12-01T09:00:00Z"),
  revokedAt: null,
  revokedReason: null,
};

describe("certificate numbers and names", () => {
  it("makes numbers of year, padded row id and four characters without look-alikes", () => {
    let i = 0;
    const steps = [0, 0.5, 0.99, 0.3];
    expect(certificateNumber(123, 2026, () => steps[i++ % 4]!)).toMatch(/^SI-2026-000123-A[J-Z][89][A-Z]$/);
    expect(certificateNumber(1_234_567, 2027)).toMatch(/^SI-2027-1234567-[A-HJKMNP-Z2-9]{4}$/);
  });

  it("reads a number back as typed or scanned, and refuses what cannot be one", () => {
    expect(normalizeCertificateNumber(" si-2026-000123-k7qm ")).toBe("SI-2026-000123-K7QM");
    expect(normalizeCertificateNumber("SI 2026 000123 K7QM")).toBe("SI-2026-000123-K7QM");
    expect(normalizeCertificateNumber("SI-2026-000123-K7QO")).toBeNull();
    expect(normalizeCertificateNumber("SI-2026-123-K7QM")).toBeNull();
    expect(normalizeCertificateNumber("<script>")).toBeNull();
    expect(normalizeCertificateNumber("")).toBeNull();
  });

  it("masks a name to two letters of each word", () => {
    expect(maskName("Siti Aminah")).toBe("Si** Am****");
    expect(maskName("  Budi   S ")).toBe("Bu** S*");
    expect(maskName("Ni Luh Ayu")).toBe("N* Lu* Ay*");
    expect(maskName("Ðặng Thị")).toBe("Ðặ** Th*");
  });
});

describe("the verification page", () => {
  it("says a genuine certificate is genuine, with the name masked and the details", () => {
    const page = verificationPage(record.number, record);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Sertifikat asli");
    expect(page.html).toContain("Genuine certificate");
    expect(page.html).toContain("Si** Am****");
    expect(page.html).not.toContain("Siti Aminah");
    expect(page.html).not.toContain("Lada Putih");
    expect(page.html).toContain("Diversifikasi Produk Lada");
    expect(page.html).toContain("Selasa, 1 Desember 2026");
    expect(page.html).toContain("Gedung Serbaguna Koba, Kabupaten Bangka Tengah");
    expect(page.html).toContain(record.issuer);
  });

  it("answers 404 for an unknown number, and escapes whatever it shows", () => {
    const unknown = verificationPage('<img src=x onerror="alert(1)">', null);
    expect(unknown.status).toBe(404);
    expect(unknown.html).toContain("Sertifikat tidak ditemukan");
    expect(unknown.html).toContain("Certificate not found");
    expect(unknown.html).not.toContain("<img");
    expect(unknown.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    const hostile = verificationPage(record.number, {
      ...record,
      programmeTitle: "<b>Lada</b>",
      venue: "Koba & <i>sekitarnya</i>",
    });
    expect(hostile.html).toContain("&lt;b&gt;Lada&lt;/b&gt;");
    expect(hostile.html).toContain("Koba &amp; &lt;i&gt;sekitarnya&lt;/i&gt;");
  });
});

describe("the certificate PDF", () => {
  it("renders the same row to the same bytes, and another row to others", async () => {
    // The first rendering in this process parses the font files; later ones reuse the parsed fonts.
    const first = await renderCertificatePdf(record, "https://sapa.example.go.id");
    const again = await renderCertificatePdf({ ...record }, "https://sapa.example.go.id");
    expect(first.subarray(0, 5).toString()).toBe("%PDF-");
    expect(first.equals(again)).toBe(true);
    const other = await renderCertificatePdf(
      { ...record, number: "SI-2026-000124-ABCD" },
      "https://sapa.example.go.id",
    );
    expect(other.equals(first)).toBe(false);
    // The issue time is the document's date (PDF date form, UTC).
    expect(first.toString("latin1")).toContain("(D:20261201090000Z)");
  });

  it("writes session dates in Indonesian, in the session's time zone", () => {
    expect(sessionDateText(record.sessionStartsAt, record.sessionEndsAt, "Asia/Jakarta")).toBe(
      "Selasa, 1 Desember 2026",
    );
    expect(sessionDateText(new Date("2026-12-01T17:30:00Z"), new Date("2026-12-02T08:00:00Z"), "Asia/Jayapura")).toBe(
      "Rabu, 2 Desember 2026",
    );
    expect(sessionDateText(new Date("2026-12-01T02:00:00Z"), new Date("2026-12-03T08:00:00Z"), "Asia/Jakarta")).toBe(
      "1–3 Desember 2026",
    );
  });

  it("makes a sample for Siti Aminah in the seeded pepper programme", () => {
    const sample = sampleCertificate(new Date("2026-12-03T00:00:00Z"), { issuer: "Dinas Uji", baseUrl: "http://x" });
    expect(sample).toMatchObject({
      holderName: "Siti Aminah",
      programmeTitle: "Diversifikasi Produk Lada",
      venue: "Gedung Serbaguna Koba",
      issuer: "Dinas Uji",
    });
  });

  it("npm run certificate:sample writes a PDF without a database", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-cert-"));
    const file = path.join(dir, "contoh.pdf");
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "src/cli.ts", "certificate-sample", file],
      // No database to be found: the command needs none.
      { env: { ...process.env, DATABASE_URL: "file:/nonexistent/nowhere.db" } },
    );
    expect(stdout).toContain(`Sample certificate written to ${file}`);
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe("%PDF-");
    await expect(
      run(process.execPath, ["--import", "tsx", "src/cli.ts", "certificate-sample"], { env: process.env }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("ending in .pdf") });
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
