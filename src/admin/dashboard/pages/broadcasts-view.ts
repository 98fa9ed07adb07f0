/**
 * What the broadcast pages share: status words, progress in figures and words, the refusals of
 * the broadcast service in both languages, and the address of the pages' script.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { idParam } from "../../../db/ids.js";
import {
  BroadcastError,
  type BroadcastProgress,
  type BroadcastStatus,
  type BroadcastView,
} from "../../../domain/broadcast-types.js";
import { text, type Language, type Text } from "../text.js";

export const statusLabels: Record<BroadcastStatus, Text> = {
  draft: text("Draf", "Draft"),
  pending_approval: text("Menunggu persetujuan", "Awaiting approval"),
  scheduled: text("Terjadwal", "Scheduled"),
  sending: text("Sedang dikirim", "Sending"),
  paused: text("Dijeda", "Paused"),
  done: text("Selesai", "Done"),
  cancelled: text("Dibatalkan", "Cancelled"),
};

/** Statuses whose figures still move: their pages refresh themselves. */
export const liveStatuses: readonly BroadcastStatus[] = ["scheduled", "sending"];

/**
 * The address of the broadcast pages' script, with a version that changes with its content so
 * a browser never keeps an old one (index.ts serves it from assets/, as it does dashboard.js).
 */
export const composerScript = (() => {
  const body = fs.readFileSync(new URL("../assets/broadcast-composer.js", import.meta.url));
  const version = crypto.createHash("sha256").update(body).digest("hex").slice(0, 12);
  return `/dashboard/assets/broadcast-composer.js?v=${version}`;
})();

/** The figures of a progress bar and its words, ready for a template or the polling script. */
export type ProgressFigures = {
  status: BroadcastStatus;
  statusLabel: string;
  recipients: number;
  /** Sent, failed or skipped: the messages nothing more will happen to. */
  finished: number;
  percent: number;
  /** "45 dari 50 terkirim (90%)". */
  summary: string;
  /** "2 gagal · 10 dibaca · 3 menunggu", only the parts that are not zero. */
  details: string;
  failed: number;
};

export function progressFigures(view: Pick<BroadcastView, "status" | "progress">, language: Language): ProgressFigures {
  const p: BroadcastProgress = view.progress;
  const n = (value: number) => value.toLocaleString(language === "en" ? "en-GB" : "id-ID");
  const finished = p.sent + p.failed + p.skipped;
  const percent = p.recipients ? Math.floor((finished / p.recipients) * 100) : 0;
  const en = language === "en";
  const summary = p.recipients
    ? en
      ? `${n(p.sent)} of ${n(p.recipients)} sent (${percent}%)`
      : `${n(p.sent)} dari ${n(p.recipients)} terkirim (${percent}%)`
    : en
      ? "Not sent yet"
      : "Belum dikirim";
  const parts: string[] = [];
  if (p.failed) parts.push(en ? `${n(p.failed)} failed` : `${n(p.failed)} gagal`);
  if (p.skipped) parts.push(en ? `${n(p.skipped)} skipped` : `${n(p.skipped)} dilewati`);
  // Only WhatsApp reports delivery and reading; on other channels these stay at zero.
  if (p.delivered) parts.push(en ? `${n(p.delivered)} delivered` : `${n(p.delivered)} sampai`);
  if (p.read) parts.push(en ? `${n(p.read)} read` : `${n(p.read)} dibaca`);
  const waiting = p.pending + p.queued;
  if (waiting && view.status !== "cancelled") parts.push(en ? `${n(waiting)} waiting` : `${n(waiting)} menunggu`);
  return {
    status: view.status,
    statusLabel: en ? statusLabels[view.status].en : statusLabels[view.status].id,
    recipients: p.recipients,
    finished,
    percent,
    summary,
    details: parts.join(" · "),
    failed: p.failed,
  };
}

/** How a broadcast whose stored filter no longer parses shows its segment: it can be neither counted nor sent. */
export function invalidFilterLabel(language: Language): string {
  return language === "en"
    ? "Invalid filter: this broadcast cannot be sent; make a new one"
    : "Filter tidak valid: siaran ini tidak dapat dikirim; buat siaran baru";
}

/** What the service's refusal means for the person who clicked, in both languages. */
export function refusalText(error: unknown, current: BroadcastStatus | null): Text | null {
  if (!(error instanceof BroadcastError)) return null;
  switch (error.code) {
    case "not_found":
      return text("Siaran ini tidak ditemukan.", "This broadcast was not found.");
    case "same_approver":
      return text(
        "Siaran ini perlu disetujui oleh admin lain, bukan oleh pembuatnya atau yang mengajukannya.",
        "A broadcast needs the approval of someone other than its author and whoever submitted it.",
      );
    case "invalid_filter":
      return text(
        "Filter segmen siaran ini tidak valid lagi, jadi siaran ini tidak dapat dikirim. Silakan buat siaran baru.",
        "This broadcast's segment filter is no longer valid, so it cannot be sent. Please make a new broadcast.",
      );
    case "template_required":
      return text(
        "Sebagian penerima WhatsApp sudah lebih dari 24 jam tidak mengirim pesan, jadi mereka hanya bisa menerima templat yang disetujui Meta, dan siaran ini tidak memilih templat. Salin siaran ini ke siaran baru dan pilih templat WhatsApp-nya.",
        "Some WhatsApp recipients have not written in the last 24 hours, so they can only get a template approved by Meta, and this broadcast has none chosen. Copy it to a new broadcast and choose its WhatsApp template.",
      );
    case "invalid_state": {
      const now = current ? statusLabels[current] : null;
      return text(
        now
          ? `Tindakan ini tidak bisa dilakukan karena status siaran sekarang "${now.id}". Halaman ini sudah diperbarui.`
          : "Tindakan ini tidak bisa dilakukan pada status siaran sekarang. Silakan muat ulang halaman.",
        now
          ? `This cannot be done because the broadcast is now "${now.en}". The page has been updated.`
          : error.message,
      );
    }
    default:
      return text(`Siaran ini tidak bisa diproses: ${error.message}`, error.message);
  }
}

/** A broadcast id from the address; null for anything that is not one (the page is then a 404). */
export const broadcastId = (params: unknown): number | null => idParam(params);
