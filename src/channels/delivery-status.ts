/**
 * Delivery receipts (WhatsApp acks): a sent message becomes delivered, then read. A receipt
 * only moves the status forward, since receipts may arrive late or out of order.
 */
import type { Db } from "../db/database.js";
import type { DeliveryStatus } from "./channel.js";

const rank: Record<DeliveryStatus, number> = { failed: 0, sent: 1, delivered: 2, read: 3 };
const earlier: Record<DeliveryStatus, ("queued" | "sent" | "delivered")[]> = {
  failed: ["queued", "sent"],
  sent: ["queued"],
  delivered: ["queued", "sent"],
  read: ["queued", "sent", "delivered"],
};

/** Records a receipt for the outbound message with this platform id; returns whether it changed anything. */
export async function recordDeliveryStatus(
  db: Db,
  channel: string,
  platformMessageId: string,
  status: DeliveryStatus,
  error?: string,
  /** The platform's error code of a failure (Meta's, such as 131026), kept on the message. */
  code?: string,
): Promise<boolean> {
  if (!(status in rank)) return false;
  const [result] = await db.$transaction([
    db.message.updateMany({
      where: { channel, platformMessageId, direction: "outbound", status: { in: earlier[status] } },
      data: {
        status,
        ...(status === "failed"
          ? { error: error ?? "the platform reported a failure", ...(code ? { errorCode: code } : {}) }
          : {}),
      },
    }),
  ]);
  return result.count > 0;
}

/** Whether an outbound message with this platform id has been recorded as sent. */
export async function isRecordedMessage(db: Db, channel: string, platformMessageId: string): Promise<boolean> {
  return (await db.message.count({ where: { channel, platformMessageId, direction: "outbound" }, take: 1 })) > 0;
}
