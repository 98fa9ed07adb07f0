/**
 * Reading a Telegram update: the webhook's check of its shape, and the InboundMessage the bot
 * makes of it (private chats only; commands, deep links, button presses, shared contacts, media).
 */
import type { Update } from "telegraf/types";
import { z } from "zod";
import type { InboundMessage } from "../runtime/inbound-message.js";

const chatSchema = z.looseObject({ id: z.number().int(), type: z.string() });
const userSchema = z.looseObject({ id: z.number().int(), is_bot: z.boolean().optional(), first_name: z.string() });
/**
 * The parts of an update toInbound reads, with their types: only Telegram can post (the secret),
 * but a malformed body must get a 400, not a TypeError and a 500 that Telegram would retry.
 */
export const telegramUpdateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: z
    .looseObject({
      message_id: z.number().int(),
      date: z.number(),
      chat: chatSchema,
      from: userSchema.optional(),
      text: z.string().optional(),
      contact: z.looseObject({ phone_number: z.string(), user_id: z.number().int().optional() }).optional(),
    })
    .optional(),
  callback_query: z
    .looseObject({
      id: z.string(),
      from: userSchema,
      data: z.string().optional(),
      message: z.looseObject({ message_id: z.number().int(), chat: chatSchema }).optional(),
    })
    .optional(),
});

const mediaOf = (message: Record<string, unknown>): InboundMessage["media"] | undefined => {
  if ("sticker" in message || "animation" in message || "dice" in message) return "sticker";
  if ("photo" in message) return "photo";
  if ("voice" in message || "audio" in message || "video_note" in message) return "voice";
  if ("video" in message) return "video";
  if ("document" in message) return "document";
  if ("location" in message || "venue" in message) return "location";
  return undefined;
};

/** The InboundMessage of an update, or null for what the bot does not handle. */
export function toInbound(update: Update): InboundMessage | null {
  if ("callback_query" in update) {
    const q = update.callback_query;
    const chat = q.message?.chat;
    if (!("data" in q) || !chat || chat.type !== "private") return null;
    return {
      channel: "telegram",
      chatId: String(chat.id),
      senderId: String(q.from.id),
      platformMessageId: `cb:${q.id}`,
      sequence: update.update_id,
      receivedAt: new Date(),
      choiceId: q.data,
      displayName: q.from.first_name,
    };
  }
  if (!("message" in update)) return null;
  const m = update.message;
  if (m.chat.type !== "private" || !m.from || m.from.is_bot) return null;
  const base = {
    channel: "telegram",
    chatId: String(m.chat.id),
    senderId: String(m.from.id),
    platformMessageId: `${m.chat.id}:${m.message_id}`,
    sequence: update.update_id,
    receivedAt: new Date(m.date * 1000),
    displayName: m.from.first_name,
  };
  if ("text" in m) {
    const command = /^\/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$/s.exec(m.text.trim());
    if (command) {
      const [, name, rest] = command;
      // /start with a payload is a deep link; bare /start (the first message) opens the menu.
      if (name!.toLowerCase() === "start")
        return rest && /^[\w-]{1,64}$/.test(rest.trim())
          ? { ...base, deepLink: rest.trim() }
          : { ...base, text: "menu" };
      return { ...base, text: rest ? `${name} ${rest}` : name! };
    }
    return { ...base, text: m.text };
  }
  if ("contact" in m) {
    // Only the sender's own number counts as theirs. Telegram gives it in international form,
    // with or without the plus: with it, a number from abroad is not read as Indonesian.
    const phone = m.contact.phone_number.trim();
    return m.contact.user_id === m.from.id
      ? { ...base, contactPhone: /^\d/.test(phone) ? `+${phone}` : phone }
      : { ...base, media: "other" };
  }
  return { ...base, media: mediaOf(m as unknown as Record<string, unknown>) ?? "other" };
}
