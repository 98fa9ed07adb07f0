/**
 * The WhatsApp channel on Meta's official Cloud API (WHATSAPP_PROVIDER=cloud; DESIGN.md section 2,
 * Channels). Outbound only here: messages go out through whatsapp-api-js's message classes and
 * calls, with a fetch of ours that points them at WHATSAPP_CLOUD_API_ROOT (the library hard-codes
 * graph.facebook.com), gives each call a time limit and turns Meta's error answers into
 * CloudApiErrors. Inbound comes over HTTP: the webhook route uses whatsapp-cloud-webhook.ts.
 *
 * Rendering: text in WhatsApp's own formatting (render.ts); up to 3 choices whose labels fit 20
 * characters as reply buttons, up to 10 that fit 24 as a list, otherwise a numbered list in the
 * text as on the linked phone. An interactive message's body holds at most 1024 characters: a
 * longer text goes first on its own and the buttons follow under a short line. A file is uploaded
 * and sent as a document, with the text as its caption when it is short.
 */
import { WhatsAppAPI } from "whatsapp-api-js";
import {
  ActionButtons,
  ActionList,
  Body,
  BodyComponent,
  BodyParameter,
  Button,
  Document,
  HeaderComponent,
  HeaderParameter,
  Interactive,
  Language,
  ListSection,
  Row,
  Template,
  Text,
} from "whatsapp-api-js/messages";
import type { ClientMessage } from "whatsapp-api-js/types";
import type { WhatsAppCloudConfig } from "../config.js";
import { toPlainText } from "../engine/markup.js";
import type { OutgoingDocument, OutgoingMessage } from "../engine/types.js";
import type { Logger } from "../logger.js";
import {
  renderNumbered,
  SendError,
  type ChannelAdapter,
  type ChannelStatus,
  type SendResult,
  type TemplateMessage,
} from "./channel.js";
import { renderWhatsApp, splitMarkup } from "./render.js";
import { CloudApiError, cloudSendError, readMetaError } from "./whatsapp-cloud-errors.js";
import { waIdOf } from "./whatsapp-cloud-webhook.js";

export { CloudApiError, cloudSendError, metaErrorReason, tokenRetryMs } from "./whatsapp-cloud-errors.js";
export {
  cloudChatId,
  waIdOf,
  CloudWebhookError,
  parseCloudWebhook,
  verifyCloudSignature,
  verifySubscription,
  type CloudStatus,
  type CloudWebhook,
} from "./whatsapp-cloud-webhook.js";

export type WhatsAppCloudOptions = {
  cloud: WhatsAppCloudConfig;
  logger: Logger;
  /** The fetch the calls go through (default the global one); the API root is applied on top. */
  fetch?: typeof fetch;
  /** A call that takes longer is abandoned and retried (default 15 s). */
  timeoutMs?: number;
};

export type WhatsAppCloudAdapter = ChannelAdapter & {
  name: "whatsapp";
  buttons: true;
  documents: true;
  serviceWindowHours: 24;
  sendTemplate(chatId: string, template: TemplateMessage): Promise<SendResult>;
  status(): ChannelStatus;
};

/** Meta's limits on interactive messages. */
export const cloudLimits = {
  text: 4096,
  body: 1024,
  caption: 1024,
  buttons: 3,
  buttonTitle: 20,
  rows: 10,
  rowTitle: 24,
  rowId: 200,
} as const;

type AtLeastOne<T> = [T, ...T[]];

/** The list's button (at most 20 characters) and the body of buttons that follow a long text. */
const listButton = "Pilih / Choose";
const shortBody = "Silakan pilih salah satu / Please choose one";

/** A message as the Cloud API adapter sends it. */
export type CloudRendering = {
  /** Text messages, in order, in WhatsApp formatting. */
  parts: string[];
  /** Reply buttons or a list after the parts, or null (the choices, if any, are numbered in the text). */
  interactive: { kind: "buttons" | "list"; body: string; choices: { id: string; title: string }[] } | null;
};

/**
 * Markup as text messages in WhatsApp's formatting, each within Meta's 4096 characters. The text is
 * split on what a reader sees and the formatting markers come on top, so a part full of bold can
 * come out longer: then it is split finer.
 */
export function textParts(markup: string): string[] {
  for (let max: number = cloudLimits.text; ; max = Math.floor(max * 0.9)) {
    const parts = splitMarkup(markup, max)
      .map((p) => renderWhatsApp(p))
      .filter((p) => p.trim() !== "");
    if (max < 100 || parts.every((p) => p.length <= cloudLimits.text)) return parts;
  }
}

/** Renders a message for the Cloud API: buttons or a list when the choices fit, else as on the linked phone. */
export function renderForWhatsAppCloud(message: OutgoingMessage): CloudRendering {
  const choices = (message.choices ?? []).map((c) => ({ id: c.id, title: toPlainText(c.label).trim() }));
  const ids = new Set(choices.map((c) => c.id));
  const usable =
    choices.length > 0 &&
    ids.size === choices.length &&
    choices.every((c) => c.id !== "" && c.id === c.id.trim() && c.id.length <= cloudLimits.rowId && c.title !== "");
  const titlesWithin = (max: number) => choices.every((c) => c.title.length <= max);
  const kind =
    usable &&
    choices.length <= cloudLimits.buttons &&
    titlesWithin(cloudLimits.buttonTitle) &&
    // Meta refuses two buttons with one title.
    new Set(choices.map((c) => c.title)).size === choices.length
      ? "buttons"
      : usable && choices.length <= cloudLimits.rows && titlesWithin(cloudLimits.rowTitle)
        ? "list"
        : null;
  if (!kind) return { parts: textParts(renderNumbered(message)), interactive: null };
  const parts = textParts(message.text);
  const inBody = parts.length === 1 && parts[0]!.length <= cloudLimits.body;
  return {
    parts: inBody ? [] : parts,
    interactive: { kind, body: inBody ? parts[0]! : shortBody, choices },
  };
}

/**
 * A template parameter as Meta takes it: no line breaks or tabs, no more than four spaces in a
 * row, never empty (each is refused with an error, and the whole message with it).
 */
export function templateParameter(value: string): string {
  const flat = value
    .replace(/\s*[\r\n\t]+\s*/g, " ")
    .replace(/ {4,}/g, "   ")
    .trim();
  return flat || "-";
}

/** A document as the outbox may hand it; `url` (a public link) is sent by link instead of uploaded. */
type CloudDocument = OutgoingDocument & { url?: string };

const graphRoot = "https://graph.facebook.com";

export function createWhatsAppCloudAdapter(options: WhatsAppCloudOptions): WhatsAppCloudAdapter {
  const { cloud, logger } = options;
  const baseFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;
  let status: ChannelStatus = { state: "ready", since: new Date() };
  const setStatus = (state: ChannelStatus["state"], detail?: string) => {
    if (status.state !== state || status.detail !== detail)
      status = { state, since: new Date(), ...(detail ? { detail } : {}) };
  };

  /**
   * The library's calls, pointed at the configured API root, each with a time limit; an error
   * answer throws a CloudApiError (the library would hand back the error body as if it were a
   * result).
   */
  const cloudFetch: typeof fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const target = url.startsWith(graphRoot) ? cloud.apiRoot + url.slice(graphRoot.length) : url;
    const response = await baseFetch(target, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // A proxy's HTML page: the status says enough.
    }
    const error = readMetaError(body);
    throw new CloudApiError(error.message ?? `HTTP ${response.status}`, response.status, error.code, error.details);
  };

  // secure: false, since the webhook's signature is checked by verifyCloudSignature, not the library.
  const api = new WhatsAppAPI({
    token: cloud.accessToken,
    v: cloud.apiVersion,
    secure: false,
    ponyfill: { fetch: cloudFetch },
  });

  /** One API call; its failure as a SendError. A refused token also shows on the channel's status. */
  async function call<T>(what: () => Promise<T>): Promise<T> {
    try {
      const result = await what();
      setStatus("ready");
      return result;
    } catch (err) {
      const error = cloudSendError(err);
      if (error.code === "190" || (err instanceof CloudApiError && err.status === 401)) {
        if (status.state !== "disconnected")
          logger.error({ code: error.code }, "Meta refused the WhatsApp Cloud API access token");
        setStatus("disconnected", "Meta refused the access token (WHATSAPP_CLOUD_ACCESS_TOKEN): renew it");
      }
      throw error;
    }
  }

  /** Builds a message; the library's own checks failing means no retry can help. */
  function build<T>(make: () => T): T {
    try {
      return make();
    } catch (err) {
      throw new SendError(`the message cannot be sent as built: ${(err as Error).message}`, true);
    }
  }

  async function sendOne(chatId: string, message: ClientMessage): Promise<string | undefined> {
    // The wa_id as a string: the library's object form types a business-scoped user id as required.
    const response = await call(() => api.sendMessage(cloud.phoneNumberId, waIdOf(chatId), message));
    return "messages" in response ? response.messages[0]?.id : undefined;
  }

  /** Uploads a file to the number's media store; its id, to send it by. */
  async function upload(doc: OutgoingDocument): Promise<string> {
    const form = new FormData();
    form.append("messaging_product", "whatsapp");
    form.append("type", doc.mimeType);
    form.append("file", new Blob([Buffer.from(doc.bytes)], { type: doc.mimeType }), doc.fileName);
    // check=false: the library's list of types is stricter than needed; Meta says what it refuses.
    const response = await call(() => api.uploadMedia(cloud.phoneNumberId, form, false));
    if (!("id" in response) || typeof response.id !== "string")
      throw new SendError("the WhatsApp Cloud API gave no id for an uploaded file", false);
    return response.id;
  }

  /** The document as the Cloud API takes it: by link when it has one, else uploaded. */
  async function documentOf(doc: CloudDocument, caption?: string): Promise<Document> {
    if (doc.url) return build(() => new Document(doc.url!, false, caption, doc.fileName));
    const id = await upload(doc);
    return build(() => new Document(id, true, caption, doc.fileName));
  }

  return {
    name: "whatsapp",
    buttons: true,
    sharePhone: false,
    documents: true,
    serviceWindowHours: 24,
    status: () => ({ ...status }),

    async send(chatId, message) {
      const { parts, interactive } = renderForWhatsAppCloud(message);
      const doc = message.document as CloudDocument | undefined;
      // A file goes as a document, with the text as its caption when it is one short part.
      const caption =
        doc && !interactive && parts.length === 1 && parts[0]!.length <= cloudLimits.caption ? parts[0] : undefined;
      const text = (part: string) => build(() => new Text(part));
      let last: string | undefined;
      for (const part of caption !== undefined ? [] : parts) last = await sendOne(chatId, text(part));
      if (doc) last = await sendOne(chatId, await documentOf(doc, caption));
      if (interactive) {
        const { kind, choices } = interactive;
        const body = build(() => new Body(interactive.body));
        const sent = build(() => {
          if (kind === "buttons") {
            const buttons = choices.map((c) => new Button(c.id, c.title)) as AtLeastOne<Button>;
            return new Interactive(new ActionButtons(...buttons), body);
          }
          const rows = choices.map((c) => new Row(c.id, c.title)) as AtLeastOne<Row>;
          return new Interactive(new ActionList(listButton, new ListSection(undefined, ...rows)), body);
        });
        last = await sendOne(chatId, sent);
      }
      return last ? { platformMessageId: last } : {};
    },

    async sendTemplate(chatId, template) {
      const header = template.document
        ? new HeaderComponent(new HeaderParameter(await documentOf(template.document)))
        : undefined;
      const message = build(() => {
        const parameters = template.parameters.map((p) => new BodyParameter(templateParameter(p)));
        const body = parameters.length ? new BodyComponent(...(parameters as AtLeastOne<BodyParameter>)) : undefined;
        const components = [header, body].filter((c) => c !== undefined);
        return new Template(template.name, new Language(template.language), ...components);
      });
      const id = await sendOne(chatId, message);
      return id ? { platformMessageId: id } : {};
    },
  };
}
