/**
 * Wakes web chat long polls when a chat's messages are sent, in whichever process sends them:
 * the outbox worker that sends a web message may run in a worker process while the poll waits in
 * a web process. A send is published on one Redis channel per installation; each process that
 * has a poll waiting holds one subscriber connection (made at the first poll, not one per poll)
 * and hands the signal to the polls of that chat.
 */
import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";

export class ChatSignals {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private subscriber: Redis | null = null;
  private subscribed: Promise<void> | null = null;
  private readonly topic: string;

  /** `redis` publishes (and is duplicated for the subscriber); `prefix` keeps installations apart. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.topic = `${prefix}:webchat:sent`;
  }

  /** Tells every process that messages of the chat were sent. */
  notify(channel: string, chatId: string): void {
    const key = `${channel}:${chatId}`;
    this.redis.publish(this.topic, key).catch((err: unknown) => {
      // Polls elsewhere see the message at their deadline; those here need not wait that long.
      this.logger.warn({ err: { message: (err as Error).message } }, "could not publish a web chat signal");
      this.emitter.emit(key);
    });
  }

  /**
   * Calls `listener` each time the chat's messages are sent, until the returned function is called.
   * Signals arrive once `ready()` has resolved.
   */
  listen(channel: string, chatId: string, listener: () => void): () => void {
    const key = `${channel}:${chatId}`;
    this.emitter.on(key, listener);
    void this.ready().catch(() => {});
    return () => this.emitter.off(key, listener);
  }

  /** Resolves once this process is subscribed (at once after the first time). */
  ready(): Promise<void> {
    this.subscribed ??= (async () => {
      // Its own connection: a subscribed connection can do nothing else. It queues commands while
      // Redis is away and subscribes again on reconnecting.
      const sub = this.redis.duplicate({
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        enableAutoPipelining: false,
      });
      this.subscriber = sub;
      sub.on("error", (err: Error) =>
        this.logger.warn({ err: { message: err.message } }, "web chat signal connection error"),
      );
      sub.on("message", (_topic: string, key: string) => this.emitter.emit(key));
      await sub.subscribe(this.topic);
    })().catch((err: unknown) => {
      this.subscribed = null;
      this.subscriber?.disconnect();
      this.subscriber = null;
      throw err;
    });
    return this.subscribed;
  }

  close(): void {
    this.subscriber?.disconnect();
    this.subscriber = null;
    this.subscribed = null;
  }
}
