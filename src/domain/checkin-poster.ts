/**
 * The check-in poster of a training session: an A4 PDF to print and put up at the venue, with
 * the programme, when and where, a big QR code that opens the chat with the check-in message
 * (Telegram: t.me/<bot>?start=hadir-<code>; WhatsApp: wa.me/<number>?text=HADIR%20<code>), and
 * the words to type ("Ketik: HADIR K7M2QX") for anyone who does not scan. The fonts (DejaVu Sans)
 * are embedded from assets/fonts.
 */
import QRCode from "qrcode";
import type { Db } from "../db/database.js";
import { formatLongDate, formatTimeRange } from "../engine/format.js";
import { fontFile, loadPdfKit } from "./pdf-fonts.js";
import { checkInWindow } from "./check-in.js";
import { ensureCheckInCode } from "./check-in-code.js";
import { DateTime } from "luxon";

export type PosterChannel = "telegram" | "whatsapp";

/** Where the chat is: the Telegram bot's username, the WhatsApp number in international digits. */
export type ChatLinks = { telegramBot: string | null; whatsappNumber: string | null };

/** What the poster shows of a session. */
export type PosterSession = {
  /** The session's own code ("lada-bangka-tengah-1"), for the file name. */
  sessionCode: string;
  checkInCode: string;
  programmeTitle: { id: string; en: string };
  startsAt: Date;
  endsAt: Date;
  timeZone: string;
  venue: string;
  address: string;
  regency: string;
  cancelled: boolean;
};

/** The link that opens the chat with the check-in message; null when that channel's address is unknown. */
export function checkInLink(channel: PosterChannel, checkInCode: string, links: ChatLinks): string | null {
  if (channel === "telegram")
    return links.telegramBot ? `https://t.me/${links.telegramBot}?start=hadir-${checkInCode}` : null;
  return links.whatsappNumber ? `https://wa.me/${links.whatsappNumber}?text=HADIR%20${checkInCode}` : null;
}

/**
 * The channel the QR code is for: the one asked for when its link is known, else the other one
 * that is known (Telegram first), else none (the poster shows the words to type only).
 */
export function posterChannel(links: ChatLinks, wanted?: PosterChannel): PosterChannel | null {
  const known = (c: PosterChannel) => checkInLink(c, "X", links) !== null;
  if (wanted && known(wanted)) return wanted;
  return (["telegram", "whatsapp"] as const).find(known) ?? null;
}

/** A session for its poster, by id or by its code, given a check-in code if it has none yet; null when not found. */
export async function loadPosterSession(prisma: Db, session: number | string): Promise<PosterSession | null> {
  const where = typeof session === "number" ? { id: session } : { code: session };
  const found = await prisma.trainingSession.findUnique({
    where,
    include: { programme: { select: { titleId: true, titleEn: true, timeZone: true } } },
  });
  if (!found) return null;
  const checkInCode = await ensureCheckInCode(prisma, found.id);
  return {
    sessionCode: found.code,
    checkInCode: checkInCode!,
    programmeTitle: { id: found.programme.titleId, en: found.programme.titleEn },
    startsAt: found.startsAt,
    endsAt: found.endsAt,
    timeZone: found.programme.timeZone,
    venue: found.venue,
    address: found.address,
    regency: found.regency,
    cancelled: found.status === "cancelled",
  };
}

const channelNames: Record<PosterChannel, string> = { telegram: "Telegram", whatsapp: "WhatsApp" };

/** "+62 812 3456 7890" from "6281234567890", for people to read. */
function readableNumber(digits: string): string {
  const m = /^62(\d{3})(\d{4})(\d+)$/.exec(digits);
  return m ? `+62 ${m[1]} ${m[2]} ${m[3]}` : `+${digits}`;
}

export type PosterOptions = {
  /** The channel asked for; when its link is unknown, the other one's (see posterChannel). */
  channel?: PosterChannel;
  /** Compress the PDF's content (default true); off, its text can be read in the file (tests). */
  compress?: boolean;
};

/** The poster as a PDF. */
export async function renderCheckInPoster(
  session: PosterSession,
  links: ChatLinks,
  options: PosterOptions = {},
): Promise<Buffer> {
  const channel = posterChannel(links, options.channel);
  const link = channel ? checkInLink(channel, session.checkInCode, links) : null;
  const typed = `HADIR ${session.checkInCode}`;
  const PDFDocument = await loadPdfKit();
  const doc = new PDFDocument({
    size: "A4",
    margin: 50,
    compress: options.compress ?? true,
    info: {
      Title: `Check-in: ${session.programmeTitle.id} (${session.sessionCode})`,
      Subject: typed,
      Keywords: `check-in ${session.checkInCode}`,
      Author: "Sapa IKM",
    },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  doc.registerFont("regular", fontFile("regular"));
  doc.registerFont("bold", fontFile("bold"));
  const width = doc.page.width - 100;
  const grey = "#555555";
  const zone = session.timeZone;
  const opens = DateTime.fromJSDate(checkInWindow(session).opensAt, { zone }).toFormat("HH.mm");

  doc
    .font("bold")
    .fontSize(14)
    .fillColor("#0b5394")
    .text("CHECK-IN KEHADIRAN · ATTENDANCE CHECK-IN", { align: "center" });
  doc.moveDown(0.6);
  doc.font("bold").fontSize(24).fillColor("black").text(session.programmeTitle.id, { align: "center", width });
  if (session.programmeTitle.en !== session.programmeTitle.id)
    doc.font("regular").fontSize(13).fillColor(grey).text(session.programmeTitle.en, { align: "center", width });
  doc.moveDown(0.5);
  doc
    .font("regular")
    .fontSize(13)
    .fillColor("black")
    .text(
      `${formatLongDate(session.startsAt, zone, "id")}, ${formatTimeRange(session.startsAt, session.endsAt, zone, "id")}`,
      { align: "center" },
    )
    .text(`${session.venue}, ${session.address}, ${session.regency}`, { align: "center", width });
  if (session.cancelled)
    doc.moveDown(0.3).font("bold").fillColor("#b00020").text("JADWAL INI DIBATALKAN · THIS SESSION IS CANCELLED", {
      align: "center",
    });

  doc.moveDown(1);
  const qrSize = 300;
  if (link && channel) {
    const png = await QRCode.toBuffer(link, { type: "png", errorCorrectionLevel: "M", margin: 1, width: 1200 });
    const top = doc.y;
    doc.image(png, (doc.page.width - qrSize) / 2, top, { width: qrSize, height: qrSize });
    doc.y = top + qrSize + 10;
    const where = channel === "telegram" ? `@${links.telegramBot}` : readableNumber(links.whatsappNumber ?? "");
    doc
      .font("regular")
      .fontSize(12)
      .fillColor(grey)
      .text(`Pindai dengan kamera HP: membuka ${channelNames[channel]} (${where}).`, 50, doc.y, {
        align: "center",
        width,
      })
      .text(`Scan with your phone's camera: opens ${channelNames[channel]} (${where}).`, { align: "center", width });
  } else {
    doc
      .font("regular")
      .fontSize(13)
      .fillColor(grey)
      .text("Kirim pesan di bawah ini ke chat Sapa IKM (Telegram atau WhatsApp).", { align: "center", width })
      .text("Send the message below to the Sapa IKM chat (Telegram or WhatsApp).", { align: "center", width });
  }

  doc.moveDown(1);
  doc.font("regular").fontSize(16).fillColor("black").text("Atau ketik di chat · Or type in the chat:", {
    align: "center",
  });
  doc.font("bold").fontSize(40).text(typed, { align: "center" });
  doc.moveDown(0.6);
  doc
    .font("regular")
    .fontSize(11)
    .fillColor(grey)
    .text(
      `Check-in dibuka pukul ${opens}, satu jam sebelum acara, sampai acara selesai. Belum terdaftar? Anda tetap bisa check-in; panitia akan mengonfirmasi.`,
      { align: "center", width },
    )
    .text(
      `Check-in opens at ${opens.replace(".", ":")}, an hour before the start, until the end. Not enrolled? Check in anyway; the organisers will confirm.`,
      { align: "center", width },
    );
  doc
    .fontSize(9)
    .text(`Sapa IKM · ${session.sessionCode}`, 50, doc.page.height - 70, { align: "center", width, lineBreak: false });
  doc.end();
  return done;
}
