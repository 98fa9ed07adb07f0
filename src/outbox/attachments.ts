/**
 * What an outbox row's attachment (Message.attachment) becomes when it is sent: the file itself,
 * made again from the database (a certificate is rendered from its row, byte-identical each
 * time), so the outbox stores a reference, never the bytes.
 */
import { z } from "zod";
import { certificateSettings } from "../config.js";
import type { Database } from "../db/database.js";
import { renderCertificatePdf } from "../domain/certificate-pdf.js";
import { certificateFileName } from "../domain/certificates.js";
import type { OutgoingDocument } from "../engine/types.js";

/** Turns an attachment into the file to send; null when there is nothing to send (gone, revoked). */
export type AttachmentResolver = (attachment: unknown) => Promise<OutgoingDocument | null>;

const attachmentSchema = z.object({ kind: z.literal("certificate"), number: z.string().min(1).max(40) });

/** The resolver of the attachments the bot writes: certificates. */
export function databaseAttachments(database: Database, baseUrl?: string): AttachmentResolver {
  return async (attachment) => {
    const parsed = attachmentSchema.safeParse(attachment);
    if (!parsed.success) return null;
    const certificate = await database.prisma.certificate.findUnique({ where: { number: parsed.data.number } });
    if (!certificate || certificate.revokedAt || !certificate.holderName) return null;
    return {
      fileName: certificateFileName(certificate.number),
      mimeType: "application/pdf",
      bytes: await renderCertificatePdf(certificate, baseUrl ?? certificateSettings().baseUrl),
    };
  };
}
