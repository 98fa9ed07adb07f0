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

/**
 * Whether a receipt would still move the outbound message with this platform id on: null when no
 * such message is recorded (yet), else whether its status comes before `status`.
 */
export async function receiptWouldChange(
  db: Db,
  channel: string,
  platformMessageId: string,
  status: DeliveryStatus,
): Promise<boolean | null> {
  const message = await db.message.findFirst({
    where: { channel, platformMessageId, direction: "outbound" },
    select: { status: true },
  });
  if (!message) return null;
  return (earlier[status] as string[]).includes(message.status);
}
