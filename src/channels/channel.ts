/**
 * What every channel adapter provides to the outbox worker, and what it reports back.
 */
import type { OutgoingMessage } from "../engine/types.js";

export type SendResult = { platformMessageId?: string };

/** A send that failed; `permanent` ones are not retried, `retryAfterMs` slows the channel. */
export class SendError extends Error {
  override name = "SendError";
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export type ChannelAdapter = {
  /** "telegram", "whatsapp", "web" or "console". */
  name: string;
  /** Shows choices as buttons (else as a numbered list in the text). */
  buttons: boolean;
  send(chatId: string, message: OutgoingMessage): Promise<SendResult>;
};

/** Choices as a numbered list under the text, for channels without buttons. */
export function renderNumbered(message: OutgoingMessage): string {
  if (!message.choices?.length) return message.text;
  const list = message.choices.map((c, i) => `${i + 1}. ${c.label}`).join("\n");
  return message.text ? `${message.text}\n\n${list}` : list;
}
