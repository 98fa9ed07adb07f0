/**
 * The WhatsApp channel on whatsapp-web.js (DESIGN.md section 2, Channels): one WhatsApp Web
 * session in a headless Chromium, linked by scanning a QR code, kept on disk with LocalAuth.
 * Text goes out in WhatsApp's own formatting (render.ts), choices as numbered lists. The adapter keeps the client alive: after a disconnect or a
 * failed start it throws the old client away and starts a new one, with exponential backoff;
 * after a logout it starts one at once, so a new QR code appears.
 */
import QRCode from "qrcode";
import type { Logger } from "../logger.js";
import type { InboundMessage } from "../runtime/inbound-message.js";
import {
  SendError,
  type ChannelAdapter,
  type ChannelHooks,
  type ChannelState,
  type ChannelStatus,
  type DeliveryStatus,
} from "./channel.js";
import { renderForWhatsApp } from "./render.js";
import { within } from "../time-limits.js";

/** The slice of a whatsapp-web.js Message the adapter reads. */
export type WhatsAppMessageLike = {
  id: { _serialized: string };
  from: string;
  to: string;
  fromMe: boolean;
  body: string;
  type: string;
  /** Seconds since the epoch. */
  timestamp: number;
  isStatus?: boolean;
  /** The member who wrote, in a group. */
  author?: string;
  hasMedia?: boolean;
  getContact(): Promise<{ number?: string; pushname?: string }>;
};

/** The slice of whatsapp-web.js's Client the adapter uses (the real Client fits it). */
export type WhatsAppClientLike = {
  on(event: "qr", listener: (qr: string) => void): unknown;
  on(event: "authenticated", listener: () => void): unknown;
  on(event: "auth_failure", listener: (message: string) => void): unknown;
  on(event: "ready", listener: () => void): unknown;
  /** `reason`: "LOGOUT", or a WhatsApp Web state such as "NAVIGATION", "CONFLICT", "UNPAIRED". */
  on(event: "disconnected", listener: (reason: string) => void): unknown;
  on(event: "change_state", listener: (state: string) => void): unknown;
  on(event: "message", listener: (message: WhatsAppMessageLike) => void): unknown;
  /** `ack`: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played. */
  on(event: "message_ack", listener: (message: WhatsAppMessageLike, ack: number) => void): unknown;
  initialize(): Promise<void>;
  sendMessage(chatId: string, text: string): Promise<{ id: { _serialized: string } }>;
  /** A file as a document (whatsapp-web.js MessageMedia with sendMediaAsDocument), with a caption. */
  sendDocument(
    chatId: string,
    document: { fileName: string; mimeType: string; bytes: Uint8Array },
    caption: string | undefined,
  ): Promise<{ id: { _serialized: string } }>;
  destroy(): Promise<void>;
  logout(): Promise<void>;
  removeAllListeners(): unknown;
};

/** The longest caption sent with a document; longer text goes as a message before it. */
const whatsappCaptionLimit = 1024;

export type WhatsAppOptions = {
  /** Makes a new client; called again for every reconnect. */
  createClient: () => WhatsAppClientLike;
  logger: Logger;
  /** Print the QR code in the terminal (default true). */
  printQr?: boolean;
  /** Backoff between reconnects: from initialMs (default 2 s), doubling up to maxMs (default 60 s). */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** While not connected, sends fail with this retryAfterMs, which holds the channel's outbox back (default 5 s). */
  notReadyRetryMs?: number;
};

export type WhatsAppAdapter = ChannelAdapter & {
  start(hooks: ChannelHooks): Promise<void>;
  stop(): Promise<void>;
  status(): ChannelStatus;
  whatsapp: {
    /** Unlinks the bot's phone: ends and deletes the session, then starts afresh for a new QR scan. */
    logout(): Promise<void>;
  };
};

const qrInstructions =
  "Pindai kode QR ini di WhatsApp: Perangkat tertaut > Tautkan perangkat / Scan with WhatsApp: Linked devices > Link a device";

type Media = NonNullable<InboundMessage["media"]>;
const mediaTypes: Record<string, Media> = {
  sticker: "sticker",
  image: "photo",
  ptt: "voice",
  audio: "voice",
  video: "video",
  document: "document",
  location: "location",
  vcard: "other",
  multi_vcard: "other",
};
/** System messages nobody typed (security code changes, deletions, reactions...): no reply. */
const systemTypes = new Set([
  "e2e_notification",
  "notification",
  "notification_template",
  "gp2",
  "protocol",
  "revoked",
  "ciphertext",
  "call_log",
  "broadcast_notification",
  "reaction",
  "debug",
]);

const ackStatus: Record<number, DeliveryStatus> = { [-1]: "failed", 1: "sent", 2: "delivered", 3: "read", 4: "read" };

/** Disconnect reasons, in words an operator understands. */
const reasonWords: Record<string, string> = {
  NAVIGATION: "WhatsApp Web reloaded",
  CONFLICT: "WhatsApp Web was opened elsewhere",
  UNPAIRED: "the phone unlinked this device",
  UNPAIRED_IDLE: "the phone unlinked this device",
  TIMEOUT: "the phone did not answer",
  PROXYBLOCK: "WhatsApp blocked the connection",
  TOS_BLOCK: "WhatsApp blocked this number",
  SMB_TOS_BLOCK: "WhatsApp blocked this number",
  DEPRECATED_VERSION: "this WhatsApp Web version is no longer accepted",
  "Max qrcode retries reached": "nobody scanned the QR code in time",
};

/** Group chats, status updates, broadcast lists and channels: the bot talks to people one to one. */
function ignoredChat(id: string): boolean {
  return id.endsWith("@g.us") || id.endsWith("@broadcast") || id.endsWith("@newsletter");
}

/** Send failures that no retry can fix: the number is not on WhatsApp. */
const invalidNumber = /invalid wid|wid error|not a whatsapp user|no lid for user/i;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createWhatsAppAdapter(options: WhatsAppOptions): WhatsAppAdapter {
  const { logger } = options;
  const initialMs = options.reconnect?.initialMs ?? 2_000;
  const maxMs = options.reconnect?.maxMs ?? 60_000;
  const printQr = options.printQr ?? true;
  const notReadyRetryMs = options.notReadyRetryMs ?? 5_000;

  let hooks: ChannelHooks | null = null;
  let stopped = false;
  let client: WhatsAppClientLike | null = null;
  /** Bumped whenever a client is retired: events of older clients are ignored. */
  let generation = 0;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let status: ChannelStatus = { state: "disconnected", since: new Date(), detail: "not started" };

  const setState = (state: ChannelState, extra: { detail?: string; qr?: string } = {}) => {
    status = { state, since: state === status.state ? status.since : new Date(), ...extra };
  };

  /** Starts a new client; a failed start is retried with backoff. */
  function launch(): void {
    if (stopped || client) return;
    let c: WhatsAppClientLike;
    try {
      c = options.createClient();
    } catch (err) {
      const why = `WhatsApp Web could not start (${errorText(err)})`;
      logger.warn({ err: { message: errorText(err) } }, "WhatsApp Web could not start");
      scheduleReconnect(why);
      return;
    }
    const gen = ++generation;
    client = c;
    wire(c, gen);
    setState("connecting", { detail: "starting WhatsApp Web" });
    c.initialize().catch(async (err: unknown) => {
      if (gen !== generation || stopped) return;
      const why = `WhatsApp Web could not start (${errorText(err)})`;
      setState("disconnected", { detail: why });
      logger.warn({ err: { message: errorText(err) } }, "WhatsApp Web could not start");
      await retire(c);
      scheduleReconnect(why);
    });
  }

  /** Drops a client: ignores its events from now on, logs it out if asked, and closes its browser. */
  async function retire(c: WhatsAppClientLike, logout = false): Promise<void> {
    if (client === c) {
      client = null;
      generation++;
    }
    c.removeAllListeners();
    if (logout) {
      // After a logout on the phone LocalAuth has already deleted the session; this makes sure.
      await within(c.logout(), 15_000).catch((err: unknown) =>
        logger.debug({ err: { message: errorText(err) } }, "WhatsApp logout failed"),
      );
    }
    await within(c.destroy(), 15_000).catch((err: unknown) =>
      logger.debug({ err: { message: errorText(err) } }, "closing the WhatsApp client failed"),
    );
  }

  function scheduleReconnect(why: string): void {
    // Stopped, or a logout already started a fresh client meanwhile.
    if (stopped || client) return;
    clearTimeout(timer);
    const base = Math.min(maxMs, initialMs * 2 ** failures);
    const delay = Math.round(base + Math.random() * base * 0.1);
    failures++;
    setState("disconnected", { detail: `${why}; reconnecting in ${Math.ceil(delay / 1000)} s` });
    logger.info({ delayMs: delay }, "WhatsApp reconnect scheduled");
    timer = setTimeout(() => {
      timer = undefined;
      launch();
    }, delay);
  }

  /** The session is gone: say so, and start a fresh client at once for a new QR code. */
  async function restartForQr(c: WhatsAppClientLike | null, why: string): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    setState("disconnected", { detail: `${why}; scan the new QR code to link WhatsApp again` });
    logger.warn(`WhatsApp ${why}: a new QR code scan is needed`);
    if (c) await retire(c, true);
    failures = 0;
    if (!stopped && hooks) launch();
  }

  function wire(c: WhatsAppClientLike, gen: number): void {
    const current = () => gen === generation && !stopped;
    c.on("qr", (qr) => {
      if (!current()) return;
      setState("waiting_for_qr", {
        qr,
        detail: "waiting for a QR code scan: WhatsApp on the bot's phone, Linked devices > Link a device",
      });
      logger.info("WhatsApp is waiting for a QR code scan");
      if (printQr)
        QRCode.toString(qr, { type: "terminal", small: true })
          .then((art) => process.stdout.write(`\n${qrInstructions}\n${art}\n`))
          .catch((err: unknown) => logger.warn({ err: { message: errorText(err) } }, "printing the QR code failed"));
    });
    c.on("authenticated", () => {
      if (!current()) return;
      setState("connecting", { detail: "linked; loading chats" });
      logger.info("WhatsApp authenticated");
    });
    c.on("auth_failure", (message) => {
      if (!current()) return;
      const why = `WhatsApp refused the saved session (${message})`;
      setState("disconnected", { detail: why });
      logger.warn({ reason: message }, "WhatsApp authentication failed");
      void retire(c).then(() => scheduleReconnect(why));
    });
    c.on("ready", () => {
      if (!current()) return;
      failures = 0;
      setState("ready");
      logger.info("WhatsApp is ready");
    });
    c.on("change_state", (state) => {
      if (current()) logger.info({ state }, "WhatsApp connection state changed");
    });
    c.on("disconnected", (reason) => {
      if (!current()) return;
      if (reason === "LOGOUT") {
        void restartForQr(c, "was logged out on the phone");
        return;
      }
      const why = `disconnected: ${reasonWords[reason] ?? reason}`;
      setState("disconnected", { detail: why });
      logger.warn({ reason }, "WhatsApp disconnected");
      void retire(c).then(() => scheduleReconnect(why));
    });
    c.on("message", (msg) => {
      if (!current()) return;
      void receive(msg);
    });
    c.on("message_ack", (msg, ack) => {
      if (!current() || !hooks || !msg.fromMe) return;
      const delivery = ackStatus[ack];
      if (!delivery) return;
      const id = msg.id._serialized;
      hooks
        .delivery(id, delivery, delivery === "failed" ? "WhatsApp reported an error" : undefined)
        .catch((err: unknown) => logger.warn({ err, ack }, "recording a WhatsApp receipt failed"));
    });
  }

  /** Hands a message to the bot; errors are logged (masked), so one bad message never stops the client. */
  async function receive(msg: WhatsAppMessageLike): Promise<void> {
    const target = hooks;
    if (!target || msg.fromMe || msg.isStatus || ignoredChat(msg.from) || systemTypes.has(msg.type)) return;
    try {
      await target.inbound(await toInbound(msg));
    } catch (err) {
      logger.error({ err, chatId: msg.from }, "handling a WhatsApp message failed");
    }
  }

  async function toInbound(msg: WhatsAppMessageLike): Promise<InboundMessage> {
    const [user = "", server] = msg.from.split("@");
    let phone: string | undefined;
    let displayName: string | undefined;
    if (server === "c.us" && /^\d{6,15}$/.test(user)) phone = `+${user}`;
    else if (server === "lid") {
      // A LID is a private id, not a phone number; the contact may know the number.
      const contact = await msg.getContact().catch((err: unknown) => {
        logger.warn({ err: { message: errorText(err) }, chatId: msg.from }, "looking up a WhatsApp contact failed");
        return null;
      });
      const number = contact?.number?.replace(/\D/g, "");
      if (number && /^\d{6,15}$/.test(number) && number !== user) phone = `+${number}`;
      if (contact?.pushname) displayName = contact.pushname;
    }
    const media = mediaTypes[msg.type];
    const content: Pick<InboundMessage, "text" | "media"> =
      msg.type === "chat" ? { text: msg.body } : media ? { media } : msg.body ? { text: msg.body } : { media: "other" };
    return {
      channel: "whatsapp",
      chatId: msg.from,
      senderId: msg.from,
      platformMessageId: msg.id._serialized,
      receivedAt: msg.timestamp > 0 ? new Date(msg.timestamp * 1000) : new Date(),
      ...content,
      ...(phone ? { senderPhone: phone } : {}),
      ...(displayName ? { displayName } : {}),
    };
  }

  return {
    name: "whatsapp",
    buttons: false,
    sharePhone: false,

    async start(h) {
      hooks = h;
      stopped = false;
      failures = 0;
      // Chromium and WhatsApp Web take a while to load: the bot does not wait for them.
      launch();
    },

    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      const c = client;
      setState("disconnected", { detail: "stopped" });
      if (c) await retire(c);
      hooks = null;
    },

    status: () => ({ ...status }),

    async send(chatId, message) {
      const c = client;
      if (status.state !== "ready" || !c)
        throw new SendError(`WhatsApp is not connected (${status.state})`, false, notReadyRetryMs);
      // WhatsApp gives the participant's number with each message: requestPhone needs nothing here.
      const parts = renderForWhatsApp(message);
      // A file goes as a document, with the text as its caption when it is one short part.
      const doc = message.document;
      const caption = doc && parts.length === 1 && parts[0]!.length <= whatsappCaptionLimit ? parts[0] : undefined;
      const sends: (() => Promise<{ id: { _serialized: string } }>)[] = [
        ...(caption !== undefined ? [] : parts).map((part) => () => c.sendMessage(chatId, part)),
        ...(doc ? [() => c.sendDocument(chatId, doc, caption)] : []),
      ];
      let last: string | undefined;
      for (const sendOne of sends) {
        try {
          last = (await sendOne()).id._serialized;
        } catch (err) {
          const reason = errorText(err);
          throw new SendError(
            invalidNumber.test(reason) ? `not a WhatsApp number: ${reason}` : reason,
            invalidNumber.test(reason),
          );
        }
      }
      return last ? { platformMessageId: last } : {};
    },

    whatsapp: {
      async logout() {
        if (stopped || !hooks) return;
        await restartForQr(client, "was logged out from the dashboard");
      },
    },
  };
}
