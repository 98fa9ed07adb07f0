/**
 * Meta's 131047 reported late: a free-form message the Cloud API took, then failed in a status
 * webhook because the person's 24-hour window had closed. The message goes again as its
 * template, once: a copy (same chat, text, kind, priority, attachment) marked with the template's
 * name, so the worker sends it as that template, and a broadcast's recipient follows the copy.
 * The refusal seen while sending is handled in the worker itself (worker.ts, fallBack).
 */
import type { Database } from "../db/database.js";
import { changes } from "../db/plan.js";
import { forProvider, queryRows, runAtomically, sqlJson, sqlTime } from "../db/raw-sql.js";
import { certificateSettings } from "../config.js";
import { OutboxWrites } from "./outbox-writes.js";
import { SendWindow, type WindowRow } from "./send-window.js";
import type { OutboxKind, OutboxSink } from "./types.js";

/** Marks the original as handled; a second report of its failure finds the mark and does nothing. */
const handledMark = "sent again as template";

type Original = WindowRow & {
  id: number;
  chatId: string;
  identityId: number | null;
  choices: unknown;
  requestPhone: boolean | number;
  priority: number;
  timeZone: string | null;
  error: string | null;
};

const sql = {
  original: `SELECT m.id, m."chatId", m."identityId", m.text, m.choices, m."requestPhone", m.attachment, m.template, m.error,
      o.kind, o.priority, o."timeZone", i."lastInboundAt", p.name AS "participantName", p.language, p."consentAt",
      p."optedOutAt", b."templateId" AS "broadcastTemplateId"
    FROM "Message" m
    JOIN "OutboxItem" o ON o."messageId" = m.id
    LEFT JOIN "ChannelIdentity" i ON i.id = m."identityId"
    LEFT JOIN "Participant" p ON p.id = i."participantId"
    LEFT JOIN "BroadcastRecipient" r ON r."messageId" = m.id AND o.kind = 'broadcast'
    LEFT JOIN "Broadcast" b ON b.id = r."broadcastId"
    WHERE m.channel = $1 AND m."platformMessageId" = $2 AND m.direction = 'outbound'`,
  // Only a free-form message not handled yet: the copy went as a template, and never falls back.
  mark: `UPDATE "Message" SET status = 'failed', "errorCode" = '131047', error = $1, "updatedAt" = $2::timestamp(3)
    WHERE id = $3 AND template IS NULL AND (error IS NULL OR error NOT LIKE $4)`,
  copy: `UPDATE "Message" SET attachment = $1::jsonb, template = $2, "updatedAt" = $3::timestamp(3) WHERE id = $4`,
  recipient: `UPDATE "BroadcastRecipient" SET "messageId" = $1, "updatedAt" = $2::timestamp(3) WHERE "messageId" = $3`,
} as const;

/**
 * Sends an outbound message again as its template after the platform failed it for being outside
 * the window (a `failed` status with 131047). Returns true when the copy was written and
 * enqueued; false when there is nothing to do: no such message, it already went as a template,
 * it was handled before, or there is no template for it (its error then says so).
 */
export async function fallBackToTemplate(
  database: Database,
  outboxSink: OutboxSink,
  channel: string,
  platformMessageId: string,
  options: { departmentName?: string; hours?: number; now?: () => Date } = {},
): Promise<boolean> {
  const p = database.provider;
  const now = options.now ?? (() => new Date());
  const [original] = await queryRows<Original>(
    database,
    database.prisma,
    forProvider(sql.original, p),
    [channel, platformMessageId],
    { dates: ["lastInboundAt", "consentAt", "optedOutAt"], json: ["choices", "attachment"] },
  );
  if (!original || original.template !== null) return false;
  const window = new SendWindow(
    database,
    options.hours ?? 24,
    options.departmentName ?? certificateSettings().issuer,
    now,
  );
  const template = await window.templateOf(original);
  const at = now();
  if (!template) {
    await runAtomically(database, function* () {
      yield* changes(forProvider(sql.mark, p), [
        window.noTemplate(original),
        sqlTime(at, p),
        original.id,
        `%${handledMark}%`,
      ]);
    });
    return false;
  }
  const writes = new OutboxWrites(p);
  const copy = await runAtomically(database, function* () {
    const marked = yield* changes(forProvider(sql.mark, p), [
      `outside WhatsApp's 24-hour window (131047): ${handledMark} ${template.name}`,
      sqlTime(at, p),
      original.id,
      `%${handledMark}%`,
    ]);
    if (!marked) return null;
    const written = yield* writes.insertOutboundRows(
      [
        {
          channel,
          chatId: original.chatId,
          identityId: original.identityId,
          text: original.text ?? "",
          choices: original.choices,
          requestPhone: Boolean(original.requestPhone),
          kind: original.kind as OutboxKind,
          priority: original.priority,
          timeZone: original.timeZone,
        },
      ],
      at,
    );
    const messageId = written.messageIds[0]!;
    yield* changes(forProvider(sql.copy, p), [sqlJson(original.attachment), template.name, sqlTime(at, p), messageId]);
    // A broadcast's progress and its pause or cancel follow the copy from now on.
    if (original.kind === "broadcast")
      yield* changes(forProvider(sql.recipient, p), [messageId, sqlTime(at, p), original.id]);
    return written.outboxIds[0]!;
  });
  if (copy === null) return false;
  // If the queue cannot take it now, the row stays pending and the reconcile pass enqueues it.
  await outboxSink
    .enqueue({
      channel,
      chatId: original.chatId,
      ids: [copy],
      priority: original.priority,
      timeZone: original.timeZone,
    })
    .catch(() => {});
  return true;
}
