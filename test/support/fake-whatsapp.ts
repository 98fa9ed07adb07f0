/**
 * A stand-in for whatsapp-web.js's Client, for tests of the WhatsApp adapter: the same events and
 * methods, driven by the test. `FakeWhatsApp` makes the clients (pass `fake.createClient` to the
 * adapter) and remembers every one, so a test sees reconnects; what all of them sent is in `sent`.
 */
import crypto from "node:crypto";
import { EventEmitter } from "node:events";
import type { WhatsAppClientLike, WhatsAppMessageLike } from "../../src/channels/whatsapp.js";

export type FakeSent = {
  chatId: string;
  text: string;
  id: string;
  client: number;
  /** A file sent as a document (MessageMedia): its name, type and bytes; `text` is its caption. */
  document?: { fileName: string; mimeType: string; bytes: Buffer };
};

export type IncomingOptions = {
  /** whatsapp-web.js message type: "chat" (default), "sticker", "image", "ptt", ... */
  type?: string;
  /** For an `@lid` sender: the phone number its contact reports. */
  lidNumber?: string;
  pushname?: string;
  fromMe?: boolean;
  isStatus?: boolean;
  /** The member who wrote, in a group. */
  author?: string;
  /** Seconds since the epoch (default now). */
  timestamp?: number;
};

const hex = () => crypto.randomBytes(8).toString("hex").toUpperCase();

export class FakeWhatsAppClient extends EventEmitter implements WhatsAppClientLike {
  initialized = false;
  destroyed = false;
  loggedOut = false;
  readonly createdAt = Date.now();
  /** What this client sent. */
  readonly sent: FakeSent[] = [];
  private qrCount = 0;

  constructor(
    private readonly controller: FakeWhatsApp,
    /** 0 for the first client made, 1 for the next... */
    readonly index: number,
  ) {
    super();
  }

  async initialize(): Promise<void> {
    this.initialized = true;
    const error = this.controller.takeInitError();
    if (error) throw error;
  }

  async sendMessage(chatId: string, text: string): Promise<{ id: { _serialized: string } }> {
    if (this.destroyed) throw new Error("Protocol error: Session closed. Most likely the page has been closed.");
    const error = this.controller.takeSendError();
    if (error) throw error;
    const sent = { chatId, text, id: `true_${chatId}_${hex()}`, client: this.index };
    this.sent.push(sent);
    this.controller.sent.push(sent);
    return { id: { _serialized: sent.id } };
  }

  async sendDocument(
    chatId: string,
    document: { fileName: string; mimeType: string; bytes: Uint8Array },
    caption: string | undefined,
  ): Promise<{ id: { _serialized: string } }> {
    if (this.destroyed) throw new Error("Protocol error: Session closed. Most likely the page has been closed.");
    const error = this.controller.takeSendError();
    if (error) throw error;
    const sent: FakeSent = {
      chatId,
      text: caption ?? "",
      id: `true_${chatId}_${hex()}`,
      client: this.index,
      document: { fileName: document.fileName, mimeType: document.mimeType, bytes: Buffer.from(document.bytes) },
    };
    this.sent.push(sent);
    this.controller.sent.push(sent);
    return { id: { _serialized: sent.id } };
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
  }

  /** Shows a QR code (a new one each call); returns it. */
  qr(code = `2@fake-qr-${this.index}-${++this.qrCount}`): string {
    this.emit("qr", code);
    return code;
  }

  /** Linked and loaded: "authenticated", then "ready". */
  ready(): void {
    this.emit("authenticated");
    this.emit("ready");
  }

  disconnect(reason: string): void {
    this.emit("disconnected", reason);
  }

  /**
   * A message from `from`: digits ("6281234567890", becomes "...@c.us") or a whole id
   * ("...@c.us", "...@lid", "...@g.us", "status@broadcast"). Returns the message emitted.
   */
  incoming(from: string, body: string, options: IncomingOptions = {}): WhatsAppMessageLike {
    const chat = from.includes("@") ? from : `${from}@c.us`;
    const fromMe = options.fromMe ?? false;
    const message: WhatsAppMessageLike = {
      id: { _serialized: `${fromMe}_${chat}_${hex()}` },
      from: chat,
      to: "6280000000000@c.us",
      fromMe,
      body,
      type: options.type ?? "chat",
      timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
      ...(options.isStatus !== undefined ? { isStatus: options.isStatus } : {}),
      ...(options.author ? { author: options.author } : {}),
      hasMedia: !["chat", "location"].includes(options.type ?? "chat"),
      getContact: async () => {
        this.controller.contactLookups++;
        const user = chat.split("@")[0]!;
        return {
          number: chat.endsWith("@lid") ? options.lidNumber : user,
          ...(options.pushname ? { pushname: options.pushname } : {}),
        };
      },
    };
    this.emit("message", message);
    return message;
  }

  /** A receipt for a message this client sent (by its id): -1 error, 1 server, 2 device, 3 read, 4 played. */
  ack(id: string, ack: number): void {
    const sent = this.controller.sent.find((s) => s.id === id);
    const message: WhatsAppMessageLike = {
      id: { _serialized: id },
      from: "6280000000000@c.us",
      to: sent?.chatId ?? "unknown@c.us",
      fromMe: true,
      body: sent?.text ?? "",
      type: "chat",
      timestamp: Math.floor(Date.now() / 1000),
      getContact: async () => ({}),
    };
    this.emit("message_ack", message, ack);
  }
}

export class FakeWhatsApp {
  /** Every client made, oldest first. */
  readonly clients: FakeWhatsAppClient[] = [];
  /** What every client sent, in order. */
  readonly sent: FakeSent[] = [];
  /** How often a message's contact was looked up. */
  contactLookups = 0;
  private initErrors: Error[] = [];
  private sendError: { error: unknown; times: number } | null = null;

  /** Pass this to the adapter as `createClient`. */
  readonly createClient = (): FakeWhatsAppClient => {
    const client = new FakeWhatsAppClient(this, this.clients.length);
    this.clients.push(client);
    return client;
  };

  /** The newest client. */
  get current(): FakeWhatsAppClient {
    const client = this.clients.at(-1);
    if (!client) throw new Error("no WhatsApp client was created yet");
    return client;
  }

  /** The next `times` clients fail to start. */
  failInitialize(times = 1, error = new Error("Failed to launch the browser process!")): void {
    this.initErrors.push(...Array.from({ length: times }, () => error));
  }

  /** The next `times` sends throw `error` (null: sends work again). */
  failSend(error: unknown, times = Infinity): void {
    this.sendError = error === null ? null : { error, times };
  }

  /** Messages sent to one chat, as text. */
  sentTo(chatId: string): string[] {
    return this.sent.filter((s) => s.chatId === chatId).map((s) => s.text);
  }

  /** @internal */
  takeInitError(): Error | undefined {
    return this.initErrors.shift();
  }

  /** @internal */
  takeSendError(): unknown {
    if (!this.sendError) return undefined;
    const { error } = this.sendError;
    if (--this.sendError.times <= 0) this.sendError = null;
    return error;
  }
}
