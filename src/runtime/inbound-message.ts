/**
 * An incoming message, as every channel adapter reports it (DESIGN.md section 2, step 1).
 */
import { splitChoiceId } from "../engine/engine.js";
import type { Input } from "../engine/types.js";
import { parsePhone } from "../understanding/phone.js";

export type InboundMessage = {
  channel: string;
  /** Where replies go. */
  chatId: string;
  /** Who wrote: stable per person on the channel. */
  senderId: string;
  /** The platform's id for this message; a second delivery with the same id is dropped. */
  platformMessageId: string;
  /**
   * The platform's order of this message among the chat's (Telegram's update_id): one chat's
   * turns run in this order, whichever process took them. Without it, in the order they arrived.
   */
  sequence?: number;
  receivedAt: Date;
  text?: string;
  /** A button pressed. */
  choiceId?: string;
  /** A phone number shared with the platform's contact button. */
  contactPhone?: string;
  media?: Extract<Input, { kind: "media" }>["media"];
  /** A deep-link payload such as "daftar-lada-bangka-tengah" (Telegram /start). */
  deepLink?: string;
  /** The sender's number when the platform knows it (WhatsApp). */
  senderPhone?: string;
  displayName?: string;
};

/** Longest text stored or handled; longer text is cut (a name or a menu answer is never this long). */
export const maxInboundText = 4096;

/**
 * Text as stored and handled: well-formed Unicode (a lone surrogate, which JSON can carry,
 * becomes U+FFFD instead of breaking the database write), without NUL characters (PostgreSQL
 * refuses them in text), at most maxInboundText characters.
 */
export function cleanText(text: string): string {
  return withoutNul(text.toWellFormed()).slice(0, maxInboundText);
}

const withoutNul = (text: string) => (text.includes("\0") ? text.replace(/\0/g, "") : text);

/**
 * The message as the runtime takes it, whichever channel it came from: every string without NUL
 * characters and well-formed, since each may be stored (ids in the dedupe row, a choice in the
 * message log, a name). Stripped rather than refused: the participant who pasted one still gets
 * an answer. Text is cut later, by cleanText.
 */
export function cleanInbound(message: InboundMessage): InboundMessage {
  const clean = { ...message } as Record<string, unknown>;
  for (const [key, value] of Object.entries(clean))
    if (typeof value === "string") clean[key] = withoutNul(value.toWellFormed());
  return clean as InboundMessage;
}

export function toInput(message: InboundMessage): Input {
  if (message.choiceId !== undefined) {
    const { choiceId, stamp } = splitChoiceId(message.choiceId);
    return { kind: "choice", choiceId, stamp };
  }
  if (message.contactPhone !== undefined) return { kind: "contact", phone: message.contactPhone };
  if (message.media !== undefined) return { kind: "media", media: message.media };
  return { kind: "text", text: cleanText(message.text ?? "") };
}

/** The name the platform shows for the sender (Telegram first name, WhatsApp push name), tidied. */
export function displayNameOf(message: InboundMessage): string | null {
  const name = message.displayName ? cleanText(message.displayName).trim().slice(0, 100) : "";
  return name || null;
}

/**
 * The number WhatsApp gives with a message, as registration stores it; null when it is not one a
 * person carries (a business account on a landline): then registration asks for a number.
 */
export function senderPhone(phone: string | undefined): string | null {
  const reading = phone ? parsePhone(phone) : null;
  return reading?.ok ? reading.phone : null;
}
