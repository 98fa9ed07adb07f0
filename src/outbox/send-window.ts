/**
 * The customer-service window of channels that have one (the WhatsApp Cloud API, issue 17 item
 * 4): a free-form message may go only within `serviceWindowHours` of the person's last message;
 * outside it the row goes as the approved template of its kind (the registry of
 * src/domain/whatsapp-templates.ts), or the broadcast's chosen template. And the opt-in rule of
 * such channels: messages the bot starts go only to people who consented and did not opt out.
 * The outbox worker asks this module per row, just before the claim.
 */
import type { TemplateMessage } from "../channels/channel.js";
import type { Database } from "../db/database.js";
import {
  fillTemplateParameters,
  insideServiceWindow,
  templateFor,
  type TemplatePurpose,
} from "../domain/whatsapp-templates.js";
import type { OutgoingDocument } from "../engine/types.js";

/** What the window and opt-in rules read of a due row (the worker's due query). */
export type WindowRow = {
  /** reply, notice, reminder, motivation, survey or broadcast. */
  kind: string;
  text: string | null;
  /** A file to send with the message, by reference ({"kind":"certificate","number":...}). */
  attachment: unknown;
  /** Message.template: the template it is to go as (set by a fallback), or null. */
  template: string | null;
  lastInboundAt: Date | null;
  participantName: string | null;
  /** The participant's language ("id" or "en"); null without a participant. */
  language: string | null;
  consentAt: Date | null;
  optedOutAt: Date | null;
  /** For a broadcast's row: the template chosen when composing. */
  broadcastTemplateId: number | null;
};

/** A row of the template registry, as much as sending needs. */
export type Template = { id: number; name: string; language: string; parameters: unknown; document: boolean };

/** The template a row's kind maps to: replies and notices share one; a certificate has its own (with the file). */
export function purposeOf(row: Pick<WindowRow, "kind" | "attachment">): TemplatePurpose {
  const attachment = row.attachment as { kind?: unknown } | null;
  if (attachment && typeof attachment === "object" && attachment.kind === "certificate") return "certificate";
  switch (row.kind) {
    case "reminder":
    case "motivation":
    case "survey":
    case "broadcast":
      return row.kind;
    default:
      return "notice";
  }
}

const purposeWords: Record<TemplatePurpose, string> = {
  reminder: "reminders",
  notice: "notices",
  motivation: "motivation messages",
  survey: "surveys",
  certificate: "certificates",
  broadcast: "broadcasts",
};

/** Why a row outside the window was not sent, for the dashboard (Message.error). */
export const noTemplateReason = (purpose: TemplatePurpose, hours = 24) =>
  `outside WhatsApp's ${hours}-hour window and no approved template for ${purposeWords[purpose]}: add one on the Kanal page`;

/**
 * Why a message the bot starts may not go to this person on a channel with a window, or null
 * when it may. Replies always may: the person has just written.
 */
export function businessInitiatedRefusal(row: Pick<WindowRow, "kind" | "consentAt" | "optedOutAt">): string | null {
  if (row.kind === "reply") return null;
  if (row.optedOutAt) return "not sent: the person has opted out (BERHENTI)";
  if (!row.consentAt) return "not sent: the person has not agreed to receive messages from the bot";
  return null;
}

/** The template send of a row: the template's name and language, its parameters, the file for a document header. */
export function templateMessageOf(
  template: Template,
  parameters: string[],
  document: OutgoingDocument | null,
): TemplateMessage {
  return {
    name: template.name,
    language: template.language,
    parameters,
    ...(template.document && document ? { document } : {}),
  };
}

/** Templates are read again after this long: a change on the Kanal page reaches the workers within it. */
const cacheMs = 30_000;

/** The window's rules for one channel's worker, with the registry's answers kept for a little while. */
export class SendWindow {
  private readonly cache = new Map<string, { at: number; value: Promise<Template | null> }>();

  constructor(
    private readonly database: Database,
    readonly hours: number,
    private readonly departmentName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The row goes as a template: it is marked so (a fallback), or the person last wrote before the window. */
  outside(row: Pick<WindowRow, "template" | "lastInboundAt">): boolean {
    return row.template !== null || !insideServiceWindow(row.lastInboundAt, this.now(), this.hours);
  }

  /**
   * The template a row goes as: the one named on the message (a fallback), else the broadcast's
   * chosen one, else the one mapped to the row's kind in the participant's language (or the
   * other). Null when there is none.
   */
  async templateOf(row: WindowRow): Promise<Template | null> {
    const language = row.language ?? "id";
    const db = this.database.prisma;
    if (row.template !== null) {
      const named = row.template;
      const found = await this.cached(`name:${named}:${language}`, async () => {
        const rows = await db.whatsAppTemplate.findMany({ where: { name: named } });
        return rows.find((t) => t.language === language) ?? rows[0] ?? null;
      });
      if (found) return found;
    }
    if (row.kind === "broadcast" && row.broadcastTemplateId !== null) {
      const id = row.broadcastTemplateId;
      const chosen = await this.cached(`id:${id}`, () => db.whatsAppTemplate.findUnique({ where: { id } }));
      if (chosen) return chosen;
    }
    const purpose = purposeOf(row);
    return this.cached(`for:${purpose}:${language}`, () => templateFor(db, purpose, language));
  }

  /** The template's parameters for this row: the participant's name, the message's text, the department. */
  parameters(row: WindowRow, template: Template): string[] {
    return fillTemplateParameters(template, {
      name: row.participantName,
      text: row.text ?? "",
      department: this.departmentName,
    });
  }

  /** Why a row outside the window cannot go (no template). */
  noTemplate(row: WindowRow): string {
    return noTemplateReason(purposeOf(row), this.hours);
  }

  private cached(key: string, load: () => Promise<Template | null>): Promise<Template | null> {
    const hit = this.cache.get(key);
    const at = Date.now();
    if (hit && at - hit.at < cacheMs) return hit.value;
    const value = load().catch((err: unknown) => {
      this.cache.delete(key);
      throw err;
    });
    this.cache.set(key, { at, value });
    return value;
  }
}
