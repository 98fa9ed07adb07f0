/**
 * Reading the WhatsApp Cloud API's webhook: the subscription check (GET), the signature on each
 * POST, and what a signed body holds, as InboundMessages and delivery statuses. Pure functions:
 * the HTTP route calls them and decides what to answer.
 */
import crypto from "node:crypto";
import { z } from "zod";
import type { InboundMessage } from "../runtime/inbound-message.js";
import type { DeliveryStatus } from "./channel.js";
import { metaErrorReason } from "./whatsapp-cloud-errors.js";

const sha256 = (value: string) => crypto.createHash("sha256").update(value, "utf8").digest();

/**
 * Whether `X-Hub-Signature-256` (`sha256=<hex>`) is the HMAC-SHA256 of the raw body with the app
 * secret. Compared in constant time, on the decoded 32 bytes; a missing, repeated, odd-length or
 * non-hex header is simply false, never a throw. The raw body is what Meta signed: the body must
 * not be parsed and serialised again before this check.
 */
export function verifyCloudSignature(
  rawBody: Buffer,
  header: string | string[] | undefined,
  appSecret: string,
): boolean {
  if (typeof header !== "string") return false;
  const hex = /^sha256=([0-9a-f]{64})$/i.exec(header.trim())?.[1];
  if (!hex) return false;
  const expected = crypto.createHmac("sha256", appSecret).update(rawBody).digest();
  return crypto.timingSafeEqual(Buffer.from(hex, "hex"), expected);
}

/**
 * The subscription check Meta makes when the webhook URL is saved: the challenge to echo when
 * `hub.mode` is "subscribe" and `hub.verify_token` is ours (compared in constant time), else null
 * (answer 403).
 */
export function verifySubscription(query: Record<string, unknown>, verifyToken: string): string | null {
  const mode = query["hub.mode"];
  const token = query["hub.verify_token"];
  const challenge = query["hub.challenge"];
  if (mode !== "subscribe" || typeof token !== "string" || typeof challenge !== "string") return null;
  // Digests, not the strings: timingSafeEqual needs equal lengths, and a digest's length leaks nothing.
  return crypto.timingSafeEqual(sha256(token), sha256(verifyToken)) ? challenge : null;
}

/** A signed body that is not a WhatsApp webhook of the shape Meta documents: answer 400. */
export class CloudWebhookError extends Error {
  override name = "CloudWebhookError";
}

const textSchema = z.looseObject({ body: z.string() });
const replySchema = z.looseObject({ id: z.string(), title: z.string().optional() });
const messageSchema = z.looseObject({
  /** The sender's wa_id; Meta's business-scoped user ids may come without it. */
  from: z.string().optional(),
  id: z.string().min(1),
  /** Seconds since the epoch, as a string. */
  timestamp: z.string().regex(/^\d+$/),
  type: z.string(),
  text: textSchema.optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      button_reply: replySchema.optional(),
      list_reply: replySchema.optional(),
    })
    .optional(),
  /** A template's quick-reply button. */
  button: z.looseObject({ payload: z.string().optional(), text: z.string().optional() }).optional(),
  contacts: z
    .array(
      z.looseObject({
        phones: z.array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional() })).optional(),
      }),
    )
    .optional(),
});
const statusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.string().optional(),
  recipient_id: z.string().optional(),
  errors: z
    .array(
      z.looseObject({
        code: z.union([z.number(), z.string()]),
        title: z.string().optional(),
        message: z.string().optional(),
        error_data: z.looseObject({ details: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});
const messagesValueSchema = z.looseObject({
  messaging_product: z.literal("whatsapp").optional(),
  metadata: z.looseObject({ phone_number_id: z.string() }),
  contacts: z
    .array(z.looseObject({ wa_id: z.string().optional(), profile: z.looseObject({ name: z.string() }).optional() }))
    .optional(),
  messages: z.array(messageSchema).optional(),
  statuses: z.array(statusSchema).optional(),
  errors: z.array(z.looseObject({ code: z.union([z.number(), z.string()]) })).optional(),
});
/** The envelope; each change's value is checked by its field (only "messages" is read). */
const webhookSchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
    }),
  ),
});

/** A delivery status from the webhook. `chatId` is the recipient's chat id (cloudChatId). */
export type CloudStatus = {
  platformMessageId: string;
  status: DeliveryStatus;
  error?: string;
  code?: string;
  chatId: string;
};

/** What one webhook body holds. `ignored` says why a part was left out, without personal data. */
export type CloudWebhook = { messages: InboundMessage[]; statuses: CloudStatus[]; ignored: string[] };

type Media = NonNullable<InboundMessage["media"]>;
const mediaTypes: Record<string, Media> = {
  image: "photo",
  sticker: "sticker",
  audio: "voice",
  voice: "voice",
  video: "video",
  document: "document",
  location: "location",
};
/** Nothing a person said to the bot: a changed number, a reaction, a first look at the chat. */
const systemTypes = new Set(["system", "reaction", "request_welcome", "ephemeral", "revoke"]);
const statusTypes = new Set<string>(["sent", "delivered", "read", "failed"]);
/** A wa_id: the person's number in international form, digits only. */
const waId = /^\d{5,20}$/;

/**
 * The chat id of a wa_id: the same as whatsapp-web.js gives the person (`6281234567890@c.us`),
 * so participants, their history and enrollments carry over when a department moves from the
 * linked phone to the Cloud API (docs/whatsapp-cloud.md). The adapter strips it again to send.
 */
export const cloudChatId = (wa: string) => `${wa}@c.us`;

/** The wa_id of a chat id (either form). */
export const waIdOf = (chatId: string) => chatId.replace(/@c\.us$/, "");

/** Issue paths only: the values may be personal data. */
const describeIssues = (error: z.ZodError) =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
    .join("; ");

/**
 * Reads a webhook body (already parsed from JSON, its signature checked) for the phone number id
 * `phoneNumberId`. Throws CloudWebhookError when the body is not of Meta's shape (answer 400;
 * nothing of it is processed); anything well-formed the bot does not handle (another phone number
 * id, another field, a reaction, an unknown status) is listed in `ignored`.
 *
 * Messages: text as text; a reply button or list row pressed as `choiceId` (the choice's id, as
 * Telegram's callback data); a template's quick reply as text (its payload, else its label); a
 * shared contact card with the sender's own number as `contactPhone`, any other card as media
 * "other" (as on Telegram, only the sender's own number counts as theirs); pictures, voice,
 * video, documents, stickers and locations as `media`; unsupported or unknown types as media
 * "other" (answered like the other channels); system notices and reactions are ignored.
 */
export function parseCloudWebhook(body: unknown, phoneNumberId: string): CloudWebhook {
  const result: CloudWebhook = { messages: [], statuses: [], ignored: [] };
  const envelope = webhookSchema.safeParse(body);
  if (!envelope.success) throw new CloudWebhookError(`not a WhatsApp webhook (${describeIssues(envelope.error)})`);
  if (envelope.data.object !== "whatsapp_business_account") {
    result.ignored.push(`object ${envelope.data.object.slice(0, 40)}`);
    return result;
  }
  for (const entry of envelope.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== "messages") {
        result.ignored.push(`field ${change.field.slice(0, 40)}`);
        continue;
      }
      const parsed = messagesValueSchema.safeParse(change.value);
      if (!parsed.success)
        throw new CloudWebhookError(`not a WhatsApp messages update (${describeIssues(parsed.error)})`);
      const value = parsed.data;
      if (value.metadata.phone_number_id !== phoneNumberId) {
        result.ignored.push(`phone number id ${value.metadata.phone_number_id.slice(0, 20)} is not this bot's`);
        continue;
      }
      const names = new Map(
        (value.contacts ?? []).flatMap((c) => (c.wa_id && c.profile?.name ? [[c.wa_id, c.profile.name]] : [])),
      );
      for (const message of value.messages ?? []) {
        if (!message.from || !waId.test(message.from)) {
          result.ignored.push(`message without a phone number (${message.type.slice(0, 40)})`);
          continue;
        }
        const inbound = toInbound(message, message.from, names.get(message.from));
        if (inbound) result.messages.push(inbound);
        else result.ignored.push(`message type ${message.type.slice(0, 40)}`);
      }
      for (const status of value.statuses ?? []) {
        if (!statusTypes.has(status.status)) {
          result.ignored.push(`status ${status.status.slice(0, 40)}`);
          continue;
        }
        if (!status.recipient_id || !waId.test(status.recipient_id)) {
          result.ignored.push(`status without a phone number (${status.status.slice(0, 40)})`);
          continue;
        }
        const error = status.errors?.[0];
        const code = error ? String(error.code) : undefined;
        result.statuses.push({
          platformMessageId: status.id,
          status: status.status as DeliveryStatus,
          chatId: cloudChatId(status.recipient_id),
          ...(error ? { error: metaErrorReason(code, error.error_data?.details ?? error.message ?? error.title) } : {}),
          ...(code ? { code } : {}),
        });
      }
      for (const error of value.errors ?? []) result.ignored.push(`error ${String(error.code).slice(0, 20)}`);
    }
  }
  return result;
}

function toInbound(
  message: z.infer<typeof messageSchema>,
  from: string,
  displayName: string | undefined,
): InboundMessage | null {
  if (systemTypes.has(message.type)) return null;
  const base: InboundMessage = {
    channel: "whatsapp",
    chatId: cloudChatId(from),
    senderId: cloudChatId(from),
    platformMessageId: message.id,
    receivedAt: new Date(Number(message.timestamp) * 1000),
    senderPhone: `+${from}`,
    ...(displayName ? { displayName } : {}),
  };
  switch (message.type) {
    case "text":
      return message.text ? { ...base, text: message.text.body } : { ...base, media: "other" };
    case "interactive": {
      const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
      return reply ? { ...base, choiceId: reply.id } : { ...base, media: "other" };
    }
    case "button": {
      const text = message.button?.payload || message.button?.text;
      return text ? { ...base, text } : { ...base, media: "other" };
    }
    case "contacts": {
      const own = message.contacts?.some((c) => c.phones?.some((p) => p.wa_id === from));
      return own ? { ...base, contactPhone: `+${from}` } : { ...base, media: "other" };
    }
    default:
      return { ...base, media: mediaTypes[message.type] ?? "other" };
  }
}
