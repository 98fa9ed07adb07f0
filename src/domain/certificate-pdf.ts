/**
 * A certificate as a PDF (pdfkit): A4 landscape, with the holder's name and business, the
 * programme, the session's date (in Indonesian, in the session's time zone) and venue, the number,
 * the department and the signatory, and the verification link with its QR code (drawn as
 * vectors from the `qrcode` package's matrix). Fonts: DejaVu Sans from assets/fonts, embedded
 * (subset), so names with any Latin letters print the same everywhere.
 *
 * The same row renders byte-identical PDFs: everything drawn comes from the row and the base
 * URL, the PDF's dates are the issue time, and pdfkit derives the file id and font tags from them.
 */
import fs from "node:fs";
import { DateTime } from "luxon";
import QRCode from "qrcode";
import { fontFile, loadPdfKit } from "./pdf-fonts.js";
import { verificationUrl } from "./issue-certificate.js";
import type { CertificateRecord } from "./certificates.js";

/** What a PDF is drawn from: the row as issued. */
export type CertificatePdfData = Pick<
  CertificateRecord,
  | "number"
  | "holderName"
  | "businessName"
  | "programmeTitle"
  | "sessionStartsAt"
  | "sessionEndsAt"
  | "timeZone"
  | "venue"
  | "regency"
  | "issuer"
  | "signatoryName"
  | "signatoryTitle"
  | "issuedAt"
>;

/**
 * The fonts: the files' bytes at first, then the fonts pdfkit parsed from them (fontkit objects,
 * which pdfkit takes in place of bytes). Parsing a TrueType file is most of a certificate's
 * rendering time; each document still makes its own subset of the parsed font.
 */
type FontSource = Buffer | { layout: unknown };
let fonts: { regular: FontSource; bold: FontSource; parsed: boolean } | null = null;
function loadFonts() {
  if (!fonts) {
    fonts = {
      regular: fs.readFileSync(fontFile("regular")),
      bold: fs.readFileSync(fontFile("bold")),
      parsed: false,
    };
  }
  return fonts;
}

/**
 * Opens both fonts, in the same order in every document (the order names them in the PDF), and
 * keeps those pdfkit parsed for the next documents.
 */
function openFonts(doc: PDFKit.PDFDocument): void {
  const open = (name: string) => {
    doc.font(name);
    return (doc as unknown as { _font: { font: { layout: unknown } } })._font.font;
  };
  const regular = open("Sans");
  const bold = open("Sans-Bold");
  if (fonts && !fonts.parsed && typeof regular?.layout === "function" && typeof bold?.layout === "function")
    fonts = { regular, bold, parsed: true };
}

/** "Senin, 7 Desember 2026", or "7–8 Desember 2026" for a session over several days. */
export function sessionDateText(startsAt: Date, endsAt: Date, timeZone: string, locale: "id" | "en" = "id"): string {
  const start = DateTime.fromJSDate(startsAt, { zone: timeZone }).setLocale(locale);
  const end = DateTime.fromJSDate(endsAt, { zone: timeZone }).setLocale(locale);
  if (start.hasSame(end, "day")) return start.toFormat("cccc, d LLLL yyyy");
  if (start.hasSame(end, "month")) return `${start.toFormat("d")}–${end.toFormat("d LLLL yyyy")}`;
  if (start.hasSame(end, "year")) return `${start.toFormat("d LLLL")} – ${end.toFormat("d LLLL yyyy")}`;
  return `${start.toFormat("d LLLL yyyy")} – ${end.toFormat("d LLLL yyyy")}`;
}

const ink = "#1f2937";
const accent = "#0f5132";
const muted = "#4b5563";

/** Renders the certificate; `baseUrl` is where `/sertifikat/<number>` is reached (certificateSettings). */
export async function renderCertificatePdf(c: CertificatePdfData, baseUrl: string): Promise<Buffer> {
  const { regular, bold } = loadFonts();
  const url = verificationUrl(baseUrl, c.number);
  const holder = c.holderName ?? "(data pemegang telah dihapus / holder's data erased)";
  const PDFDocument = await loadPdfKit();
  const doc = new PDFDocument({
    size: "A4",
    layout: "landscape",
    margin: 0,
    compress: true,
    info: {
      Title: `Sertifikat ${c.number}`,
      Author: c.issuer,
      Subject: c.programmeTitle,
      Creator: "Sapa IKM",
      Producer: "Sapa IKM (PDFKit)",
      CreationDate: c.issuedAt,
      ModDate: c.issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  // pdfkit takes parsed fonts too (its types know bytes and paths only).
  doc.registerFont("Sans", regular as Buffer);
  doc.registerFont("Sans-Bold", bold as Buffer);
  openFonts(doc);
  const W = doc.page.width;
  const H = doc.page.height;

  // Frame.
  doc
    .lineWidth(3)
    .strokeColor(accent)
    .rect(24, 24, W - 48, H - 48)
    .stroke();
  doc
    .lineWidth(0.8)
    .rect(32, 32, W - 64, H - 64)
    .stroke();

  const centred = (text: string, y: number, font: string, size: number, color = ink) =>
    doc
      .font(font)
      .fontSize(size)
      .fillColor(color)
      .text(text, 70, y, { width: W - 140, align: "center" });

  centred(c.issuer.toUpperCase(), 58, "Sans-Bold", 12, accent);
  centred("SERTIFIKAT", 92, "Sans-Bold", 40, accent);
  centred("Certificate of attendance", 140, "Sans", 13, muted);
  centred("Diberikan kepada / Awarded to", 178, "Sans", 12, muted);
  centred(holder, 198, "Sans-Bold", holder.length > 40 ? 22 : 28);
  let y = doc.y + 4;
  if (c.businessName) {
    centred(c.businessName, y, "Sans", 14);
    y = doc.y + 6;
  }
  centred("atas kehadirannya dalam pelatihan / for attending the training", y + 8, "Sans", 12, muted);
  centred(c.programmeTitle, doc.y + 6, "Sans-Bold", 18);
  centred(
    `${sessionDateText(c.sessionStartsAt, c.sessionEndsAt, c.timeZone)} · ${c.venue}, ${c.regency}`,
    doc.y + 6,
    "Sans",
    12,
  );

  // The QR code and the link, bottom left.
  const qr = QRCode.create(url, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const box = 96;
  const cell = box / size;
  const qx = 60;
  const qy = H - 60 - box;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (!qr.modules.get(row, col)) continue;
      let run = 1;
      while (col + run < size && qr.modules.get(row, col + run)) run++;
      doc.rect(qx + col * cell, qy + row * cell, run * cell, cell);
      col += run - 1;
    }
  }
  doc.fillColor("#000000").fill();
  const tx = qx + box + 14;
  doc
    .font("Sans-Bold")
    .fontSize(10)
    .fillColor(ink)
    .text(`Nomor / Number: ${c.number}`, tx, qy + 14, { width: 300 });
  doc
    .font("Sans")
    .fontSize(9)
    .fillColor(muted)
    .text("Periksa keaslian / Verify at:", tx, doc.y + 6, { width: 300 })
    .fillColor(accent)
    .text(url, tx, doc.y + 2, { width: 300, link: url, underline: false });

  // The signatory, bottom right.
  const sx = W - 60 - 260;
  const issued = DateTime.fromJSDate(c.issuedAt, { zone: c.timeZone }).setLocale("id").toFormat("d LLLL yyyy");
  doc
    .font("Sans")
    .fontSize(10)
    .fillColor(muted)
    .text(`Diterbitkan / Issued ${issued}`, sx, qy - 10, { width: 260, align: "center" })
    .fillColor(ink)
    .text(c.signatoryTitle, sx, doc.y + 4, { width: 260, align: "center" });
  doc
    .lineWidth(0.6)
    .strokeColor(muted)
    .moveTo(sx + 30, qy + box - 12)
    .lineTo(sx + 230, qy + box - 12)
    .stroke();
  doc
    .font("Sans-Bold")
    .fontSize(11)
    .fillColor(ink)
    .text(c.signatoryName, sx, qy + box - 6, { width: 260, align: "center" });

  doc.end();
  return done;
}
