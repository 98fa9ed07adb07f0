/**
 * What every channel adapter provides to the outbox worker and the bot, and what it reports
 * back: inbound messages, delivery receipts and its connection state.
 */
import { stripMarkup } from "../engine/markup.js";
import type { OutgoingDocument, OutgoingMessage } from "../engine/types.js";
import type { InboundMessage } from "../runtime/inbound-message.js";

/** `platformMessageId` is the id of the (last) platform message sent, unique per channel. */
export type SendResult = { platformMessageId?: string };

/**
 * A send that failed. `permanent` ones are not retried; `retryAfterMs` (a platform's 429) slows
 * the whole channel; `blocked` means the person blocked the bot, so their identity is marked
 * and nothing more is sent to it until they write again.
 */
export class SendError extends Error {
  override name = "SendError";
  /** The platform's own error code (Meta's, such as 131026), kept on the message. */
  readonly code: string | undefined;
  /**
   * The platform refused a free-form message outside its customer-service window (Meta's
   * 131047): the outbox sends the message's template instead, once.
   */
  readonly outsideWindow: boolean;
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
    readonly blocked = false,
    extra: { code?: string; outsideWindow?: boolean } = {},
  ) {
    super(message);
    this.code = extra.code;
    this.outsideWindow = extra.outsideWindow ?? false;
  }
}

/**
 * An approved message template (WhatsApp Cloud API), as the outbox sends it outside the
 * customer-service window: its name and language as approved by Meta, the body's parameters in
 * order ({{1}}, {{2}}...), and for a template with a document header, the file.
 */
export type TemplateMessage = {
  name: string;
  /** Meta's language code: "id" or "en". */
  language: string;
  parameters: string[];
  document?: OutgoingDocument;
};

export type DeliveryStatus = "sent" | "delivered" | "read" | "failed";

/**
 * Connection state, shown on /healthz and the dashboard. The QR code goes to the dashboard only
 * (through Redis, with a short TTL, when a worker runs the channel: channel-board.ts), never to logs.
 */
export type ChannelState = "disabled" | "connecting" | "waiting_for_qr" | "ready" | "disconnected";
export type ChannelStatus = {
  state: ChannelState;
  since: Date;
  /** Why it is not ready, in words an operator understands. */
  detail?: string;
  /** The WhatsApp pairing code while waiting for a scan. */
  qr?: string;
};

/** What the bot gives an adapter that receives messages on its own (polling, a client's events). */
export type ChannelHooks = {
  /** Hands an inbound message to the runtime; resolves once it is committed. */
  inbound(message: InboundMessage): Promise<unknown>;
  /** A delivery receipt for a message sent earlier (WhatsApp acks, Cloud API status webhooks). */
  delivery(platformMessageId: string, status: DeliveryStatus, error?: string, code?: string): Promise<void>;
};

export type ChannelAdapter = {
  /** "telegram", "whatsapp", "web" or "console". */
  name: string;
  /** Shows choices as buttons (else as a numbered list in the text). */
  buttons: boolean;
  /** Offers a "share my phone number" button (Telegram's contact request). */
  sharePhone?: boolean;
  /**
   * False when the channel does not send files itself (the web chat shows a download link): the
   * outbox worker then leaves OutgoingMessage.document out.
   */
  documents?: boolean;
  send(chatId: string, message: OutgoingMessage): Promise<SendResult>;
  /**
   * Hours after a person's last message in which free-form messages may be sent (the WhatsApp
   * Cloud API's customer-service window: 24). Outside it the outbox sends the template mapped to
   * the message's kind through `sendTemplate`. Absent: no window.
   */
  serviceWindowHours?: number;
  /** Sends an approved template (channels with a service window). */
  sendTemplate?(chatId: string, template: TemplateMessage): Promise<SendResult>;
  /** Starts receiving (long polling, a WhatsApp client); absent for channels fed over HTTP. */
  start?(hooks: ChannelHooks): Promise<void>;
  /** Stops receiving and closes connections. */
  stop?(): Promise<void>;
  status?(): ChannelStatus;
};

/**
 * Choices as a numbered list under the text, for channels without buttons. The result is markup
 * (engine/markup.ts); labels are shown as plain text, since buttons format nothing either.
 */
export function renderNumbered(message: OutgoingMessage): string {
  if (!message.choices?.length) return message.text;
  const list = message.choices.map((c, i) => `${i + 1}. ${stripMarkup(c.label)}`).join("\n");
  return message.text ? `${message.text}\n\n${list}` : list;
}

/**
 * Where to split text longer than `max` characters into parts of at most `max`: at a paragraph
 * break if there is one in the second half of the part, else at a line break, else after a
 * sentence, else at a space, else anywhere (never inside a surrogate pair). `canCut(i)` may
 * refuse a cut before character i (inside a link); it is ignored when nothing else fits.
 * Returns [start, end) ranges with the spaces around each cut left out; empty parts are dropped.
 */
export function splitRanges(
  text: string,
  max: number,
  canCut: (i: number) => boolean = () => true,
): [number, number][] {
  if (text.length <= max) return text ? [[0, text.length]] : [];
  const ranges: [number, number][] = [];
  let pos = 0;
  const push = (from: number, to: number) => {
    while (to > from && /\s/u.test(text[to - 1]!)) to -= 1;
    if (to > from) ranges.push([from, to]);
  };
  while (text.length - pos > max) {
    const window = text.slice(pos, pos + max + 1);
    const floor = Math.floor(max / 2);
    /** The last `needle` in the second half of the window that may be cut at (`keep` characters after it). */
    const last = (needle: string, keep: number) => {
      for (let i = window.lastIndexOf(needle); i >= floor && i > 0; i = window.lastIndexOf(needle, i - 1))
        if (i + keep <= max && canCut(pos + i + keep)) return i + keep;
      return -1;
    };
    let cut = last("\n\n", 0);
    if (cut < 0) cut = last("\n", 0);
    if (cut < 0) cut = Math.max(...[". ", "! ", "? ", "。"].map((p) => last(p, 1)));
    if (cut < 0) cut = last(" ", 0);
    if (cut < 0) {
      cut = max;
      while (cut > 1 && !canCut(pos + cut)) cut -= 1;
      if (!canCut(pos + cut)) cut = max;
    }
    const code = text.charCodeAt(pos + cut - 1);
    if (code >= 0xd800 && code <= 0xdbff && cut > 1) cut -= 1;
    push(pos, pos + cut);
    pos += cut;
    while (pos < text.length && /\s/u.test(text[pos]!)) pos += 1;
  }
  push(pos, text.length);
  return ranges;
}
