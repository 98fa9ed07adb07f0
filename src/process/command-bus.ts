/**
 * Commands for the exclusive channels this process holds, sent from the dashboards of other
 * processes (src/channels/channel-board.ts): they arrive by pub/sub, on a Redis connection of
 * their own, made when the first channel starts listening.
 */
import type { Redis } from "ioredis";
import type { ChannelAdapter } from "../channels/channel.js";
import { channelCommandTopic, parseChannelCommand, type ChannelCommand } from "../channels/channel-board.js";
import type { WhatsAppAdapter } from "../channels/whatsapp.js";
import type { Logger } from "../logger.js";

/** Listening for one channel's commands, switched on while this process holds the channel. */
export type CommandListener = { listen(): Promise<void>; stop(): Promise<void> };

export class ChannelCommandBus {
  private connection: Redis | undefined;
  private readonly handlers = new Map<string, (message: string) => void>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Routes the commands for `channel` to it; `holding` says whether this process holds the
   * channel now: only the holder acts, even if an unsubscribe is still on its way.
   */
  route(channel: ChannelAdapter, holding: () => boolean): CommandListener {
    const topic = channelCommandTopic(this.prefix, channel.name);
    this.handlers.set(topic, (message) => {
      const command = parseChannelCommand(message);
      if (!command || !holding()) return;
      carryOutChannelCommand(channel, command, this.logger).catch((err: unknown) =>
        this.logger.warn(
          { channel: channel.name, command, err: { message: (err as Error).message } },
          "a channel command failed",
        ),
      );
    });
    return {
      listen: async () => {
        await this.subscriber().subscribe(topic);
      },
      stop: async () => {
        if (this.connection?.status === "ready") await this.connection.unsubscribe(topic);
      },
    };
  }

  close(): void {
    this.connection?.disconnect();
  }

  private subscriber(): Redis {
    if (this.connection) return this.connection;
    const connection = this.redis.duplicate();
    connection.on("error", (err: Error) =>
      this.logger.debug({ err: { message: err.message } }, "channel command connection error"),
    );
    connection.on("message", (topic: string, message: string) => this.handlers.get(topic)?.(message));
    this.connection = connection;
    return connection;
  }
}

/** Carries a dashboard's command out on a channel this process holds. */
async function carryOutChannelCommand(channel: ChannelAdapter, command: ChannelCommand, logger: Logger): Promise<void> {
  if (command === "logout") {
    const whatsapp = (channel as Partial<WhatsAppAdapter>).whatsapp;
    if (!whatsapp) return;
    logger.info({ channel: channel.name }, `logging ${channel.name} out, as asked from the dashboard`);
    await whatsapp.logout();
  }
}
