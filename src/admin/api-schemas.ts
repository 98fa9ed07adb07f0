/**
 * The staff HTTP API's request and response schemas (zod), which validate requests in api.ts and
 * describe the API in its OpenAPI document (api-docs.ts), and the conversion of the service's
 * views to the JSON the API answers with.
 */
import { z } from "zod";
import { maxDatabaseId } from "../db/ids.js";
import { broadcastStatuses, type BroadcastView, type StaffRef } from "../domain/broadcast-types.js";
import { segmentFilterSchema, type SegmentPreview } from "../domain/segment-filter.js";

// ---------------------------------------------------------------- request schemas

/** Ids are database integers: positive and within 32 bits, or PostgreSQL would refuse them. */
export const idParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d*$/, "Expected a positive whole number")
    .transform(Number)
    .pipe(z.number().int().max(maxDatabaseId)),
});

export const listLimitMax = 100;
export const listQuerySchema = z.strictObject({
  status: z.enum(broadcastStatuses).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, `Expected a whole number from 1 to ${listLimitMax}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(listLimitMax))
    .optional(),
});

export const previewBodySchema = z.strictObject({ filter: segmentFilterSchema });

/** Clocks differ a little between client and server: a time just passed still means now. */
export const pastToleranceMs = 60_000;
export const scheduleBodySchema = z.strictObject({
  at: z.iso
    .datetime({ offset: true, error: "Expected a date and time with its offset, e.g. 2026-12-03T09:00:00+07:00" })
    .refine((at) => Date.parse(at) >= Date.now() - pastToleranceMs, {
      error: "This time has passed: give a time in the future, or null to send now",
    })
    .nullish()
    .describe("When to send; absent or null sends now."),
});

// ---------------------------------------------------------------- response schemas (for the docs and the types)

export const isoTime = z.iso.datetime();
export const staffRefSchema = z.object({ id: z.number().int(), name: z.string() }).nullable();

export const progressSchema = z.object({
  recipients: z.number().int().describe("Rows in the recipient ledger (filled when sending starts)."),
  pending: z.number().int().describe("Not yet written to the outbox."),
  queued: z.number().int().describe("In the outbox, not sent yet."),
  sent: z.number().int(),
  delivered: z.number().int().describe("Of the sent, those the channel reported delivered."),
  read: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int().describe("Left out when sending reached them (no chat left, cancelled)."),
  failures: z.array(z.object({ reason: z.string(), count: z.number().int() })),
});

export const broadcastViewSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  textId: z.string(),
  textEn: z.string().nullable(),
  filter: segmentFilterSchema,
  invalidFilter: z
    .literal(true)
    .optional()
    .describe("Present when the stored filter no longer parses: `filter` is then {}, and it cannot be scheduled."),
  status: z.enum(broadcastStatuses),
  scheduledAt: isoTime.nullable(),
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  createdAt: isoTime,
  createdBy: staffRefSchema,
  approvedBy: staffRefSchema,
  progress: progressSchema,
});
export type BroadcastJson = z.output<typeof broadcastViewSchema>;

export const broadcastListSchema = z.object({ broadcasts: z.array(broadcastViewSchema) });

export const segmentPreviewSchema = z.object({
  matched: z.number().int().describe("Participants the filter matches."),
  recipients: z.number().int().describe("Of those, the ones a broadcast would go to."),
  leftOut: z.object({
    optedOut: z.number().int().describe("Typed BERHENTI / STOP."),
    blocked: z.number().int().describe("Every chat they have has blocked the bot."),
  }),
});

export const iso = (date: Date | null) => (date ? date.toISOString() : null);
export const staffRef = (ref: StaffRef) => (ref ? { id: ref.id, name: ref.name } : null);

/** Field by field, so what the service adds later does not leak out unannounced. */
export function broadcastJson(view: BroadcastView): BroadcastJson {
  const p = view.progress;
  return {
    id: view.id,
    title: view.title,
    textId: view.textId,
    textEn: view.textEn,
    filter: view.filter,
    ...(view.invalidFilter ? { invalidFilter: true as const } : {}),
    status: view.status,
    scheduledAt: iso(view.scheduledAt),
    startedAt: iso(view.startedAt),
    finishedAt: iso(view.finishedAt),
    createdAt: view.createdAt.toISOString(),
    createdBy: staffRef(view.createdBy),
    approvedBy: staffRef(view.approvedBy),
    progress: {
      recipients: p.recipients,
      pending: p.pending,
      queued: p.queued,
      sent: p.sent,
      delivered: p.delivered,
      read: p.read,
      failed: p.failed,
      skipped: p.skipped,
      failures: p.failures.map((f) => ({ reason: f.reason, count: f.count })),
    },
  };
}

export function previewJson(preview: SegmentPreview): z.output<typeof segmentPreviewSchema> {
  return {
    matched: preview.matched,
    recipients: preview.recipients,
    leftOut: { optedOut: preview.leftOut.optedOut, blocked: preview.leftOut.blocked },
  };
}
