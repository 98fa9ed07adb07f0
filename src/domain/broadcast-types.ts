/**
 * What the broadcast service offers the HTTP API, the staff chat and the dashboard
 * (implemented in src/domain/broadcasts.ts).
 */
import { z } from "zod";
import { maxDatabaseId } from "../db/ids.js";
import { segmentFilterSchema, type SegmentFilter, type SegmentPreview } from "./segment-filter.js";

export const broadcastStatuses = [
  "draft",
  "pending_approval",
  "scheduled",
  "sending",
  "paused",
  "done",
  "cancelled",
] as const;
export type BroadcastStatus = (typeof broadcastStatuses)[number];

/** Telegram's limit for one message; WhatsApp allows more. */
export const broadcastTextMax = 4096;

export const broadcastInputSchema = z.strictObject({
  title: z.string().trim().min(1).max(200),
  /** The Indonesian text (required); participants who chose English get textEn when there is one. */
  textId: z.string().trim().min(1).max(broadcastTextMax),
  textEn: z.string().trim().min(1).max(broadcastTextMax).nullish(),
  filter: segmentFilterSchema,
  /**
   * WhatsApp Cloud API: the approved template (src/domain/whatsapp-templates.ts, used for
   * "broadcast" or for nothing in particular) that recipients outside the 24-hour window get.
   */
  templateId: z.number().int().positive().max(maxDatabaseId).nullish(),
});
export type BroadcastInput = z.infer<typeof broadcastInputSchema>;

export type BroadcastProgress = {
  /** Rows in the recipient ledger (filled when sending starts). */
  recipients: number;
  /** Not yet written to the outbox (sending has not reached them, or paused). */
  pending: number;
  /** In the outbox, not sent yet. */
  queued: number;
  sent: number;
  /** Of the sent, those the channel reported delivered (WhatsApp, where known). */
  delivered: number;
  read: number;
  failed: number;
  /** Left out when sending started or reached them (no chat left, cancelled). */
  skipped: number;
  /** Failure reasons with their counts, most frequent first. */
  failures: { reason: string; count: number }[];
};

/** Progress with nothing counted yet. */
export const emptyProgress = (): BroadcastProgress => ({
  recipients: 0,
  pending: 0,
  queued: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  failed: 0,
  skipped: 0,
  failures: [],
});

export type StaffRef = { id: number; name: string } | null;

export type BroadcastView = {
  id: number;
  title: string;
  textId: string;
  textEn: string | null;
  /** `{}` when the stored filter no longer parses: see `invalidFilter`. */
  filter: SegmentFilter;
  /**
   * Present when the stored filter no longer parses (saved before a rule was tightened, or
   * written around the checks): it is shown as invalid and can be neither scheduled nor sent.
   */
  invalidFilter?: true;
  status: BroadcastStatus;
  scheduledAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  createdBy: StaffRef;
  approvedBy: StaffRef;
  /** The WhatsApp template for recipients outside the 24-hour window (Cloud API); null: none chosen. */
  template: { id: number; name: string; language: string; category: string } | null;
  progress: BroadcastProgress;
};

export type BroadcastErrorCode =
  | "not_found"
  | "invalid_state"
  /** Its stored segment filter no longer parses: it can never be sent. */
  | "invalid_filter"
  | "approval_required"
  | "same_approver"
  | "forbidden"
  /** WhatsApp recipients are outside the 24-hour window and no template was chosen: they would fail. */
  | "template_required"
  /** The template given does not exist or carries another kind of message. */
  | "invalid_template";

/** A refused broadcast action; `message` says why in plain words. */
export class BroadcastError extends Error {
  constructor(
    readonly code: BroadcastErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "BroadcastError";
  }
}

export type BroadcastService = {
  /** How many the filter reaches and who is left out (no broadcast needed). */
  preview(filter: SegmentFilter): Promise<SegmentPreview>;
  /** A draft; nothing is sent. */
  create(staffId: number, input: BroadcastInput): Promise<BroadcastView>;
  /**
   * Sends a draft now (`at` null or past) or at `at`. Over the approval threshold it becomes
   * pending_approval instead, and goes once another staff member approves.
   */
  schedule(staffId: number, id: number, at: Date | null): Promise<BroadcastView>;
  /** A second staff member (admin) approves a pending broadcast; it then goes as scheduled. */
  approve(staffId: number, id: number): Promise<BroadcastView>;
  pause(staffId: number, id: number): Promise<BroadcastView>;
  resume(staffId: number, id: number): Promise<BroadcastView>;
  /** Stops it for good: nothing not yet sent is sent. */
  cancel(staffId: number, id: number): Promise<BroadcastView>;
  get(id: number): Promise<BroadcastView | null>;
  /** Newest first. */
  list(options?: { status?: BroadcastStatus; limit?: number }): Promise<BroadcastView[]>;
};
