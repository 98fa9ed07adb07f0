/**
 * The channels this process runs: those that receive on their own (Telegram polling, the WhatsApp
 * client) are started here with hooks into the inbound runtime; an exclusive one (see
 * BotOptions.exclusive) only while this process holds its lease, publishing its status and
 * listening for commands meanwhile.
 */
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ChannelAdapter, ChannelHooks } from "../channels/channel.js";
import { ChannelStatusPublisher } from "../channels/channel-board.js";
import { receiptWouldChange, recordDeliveryStatus } from "../channels/delivery-status.js";
import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";
import { RedisLease } from "../redis.js";
import type { InboundRuntime } from "../runtime/inbound-runtime.js";
import { holdChannel, type ChannelHolder } from "./channel-leases.js";
import { ChannelCommandBus } from "./command-bus.js";
import { settlesWithin } from "../time-limits.js";

/** How long a delivery receipt waits for the record of its message's send. */
const receiptWaitMs = 3_000;

export type RunningChannelsOptions = {
  channels: Record<string, ChannelAdapter>;
  /** Channels only one process may run at a time; see BotOptions.exclusive. */
  exclusive: Record<string, { sendsHere: boolean }>;
  runtime: InboundRuntime;
  database: Database;
  /** The bot's main connection: the command subscriber is a duplicate of it. */
  redis: Redis;
  /** The fail-fast connection: leases and the status board. */
  enqueueConnection: Redis;
  prefix: string;
  logger: Logger;
  /** The outbox workers of a channel that sends from the lease holder only; null: workers run elsewhere. */
  channelWorkers: ((channel: ChannelAdapter) => Worker[]) | null;
  /** Told of a sent message the platform reports failed (the WhatsApp Cloud API's 131047 falls back to a template). */
  onDeliveryFailed?: (channel: string, platformMessageId: string, code: string | undefined) => Promise<void>;
  lease?: { ttlMs?: number; renewMs?: number; retryMs?: number };
  statusBoard?: { publishMs?: number; watchMs?: number };
};

export class RunningChannels {
  /** Channels started here (an exclusive one: started trying to hold it). */
  readonly started: ChannelAdapter[] = [];
  private readonly holders: ChannelHolder[] = [];
  private readonly holderOf = new Map<string, ChannelHolder>();
  /** Outbox workers of channels that send from the lease holder only, while this process holds it. */
  private readonly heldWorkers = new Map<string, Worker[]>();
  private readonly commands: ChannelCommandBus;

  constructor(private readonly options: RunningChannelsOptions) {
    this.commands = new ChannelCommandBus(options.redis, options.prefix, options.logger);
  }

  /** Starts the channels that receive on their own; `names` limits it to those channels. */
  async start(names?: string[]): Promise<void> {
    const { options } = this;
    for (const channel of Object.values(options.channels)) {
      if (!channel.start || this.started.includes(channel)) continue;
      if (names && !names.includes(channel.name)) continue;
      const hooks: ChannelHooks = {
        inbound: (message) => options.runtime.handle(message),
        delivery: async (platformMessageId, status, error, code) => {
          const prisma = options.database.prisma;
          const record = () => recordDeliveryStatus(prisma, channel.name, platformMessageId, status, error, code);
          let changed = await record();
          // A receipt can overtake the record of its send (Meta posts "sent" or a 131047 failure as
          // soon as it takes the message, while the worker is still writing down its id): wait for
          // the record a moment. A receipt for a message never sent (another system on the same
          // number) costs this wait once and changes nothing.
          for (let waited = 0; !changed && waited <= receiptWaitMs; waited += 100) {
            // Recorded now (perhaps a moment after the first try): once more if it would change anything.
            const wouldChange = await receiptWouldChange(prisma, channel.name, platformMessageId, status);
            if (wouldChange !== null) {
              if (wouldChange) changed = await record();
              break;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
          if (!changed)
            options.logger.debug({ channel: channel.name, status }, "a receipt for no message we know, or late");
          if (changed && status === "failed") await options.onDeliveryFailed?.(channel.name, platformMessageId, code);
        },
      };
      this.started.push(channel);
      const rule = options.exclusive[channel.name];
      if (!rule) {
        await channel.start(hooks);
        continue;
      }
      const lease = new RedisLease(
        options.enqueueConnection,
        `${options.prefix}:${channel.name}:holder`,
        options.lease?.ttlMs ?? 15_000,
      );
      const channelWorkers = options.channelWorkers;
      const holder: ChannelHolder = holdChannel({
        channel,
        hooks,
        lease,
        renewMs: options.lease?.renewMs ?? 5_000,
        retryMs: options.lease?.retryMs ?? 5_000,
        logger: options.logger,
        workers: rule.sendsHere && channelWorkers ? () => channelWorkers(channel) : null,
        heldWorkers: this.heldWorkers,
        publisher: new ChannelStatusPublisher({
          redis: options.enqueueConnection,
          prefix: options.prefix,
          channel: channel.name,
          status: () => channel.status?.() ?? { state: "ready", since: new Date() },
          token: lease.token,
          logger: options.logger,
          ...(options.statusBoard?.publishMs ? { everyMs: options.statusBoard.publishMs } : {}),
          ...(options.statusBoard?.watchMs ? { watchMs: options.statusBoard.watchMs } : {}),
        }),
        commands: this.commands.route(channel, () => holder.holding()),
      });
      this.holders.push(holder);
      this.holderOf.set(channel.name, holder);
      await holder.begin();
    }
  }

  /** Whether `channel` runs in this process: started here and, if leased, holding the lease. */
  runsHere(channel: ChannelAdapter): boolean {
    return this.started.includes(channel) && (this.holderOf.get(channel.name)?.holding() ?? true);
  }

  /** Whether `name` is run under a lease (exclusive, and started here). */
  isLeased(name: string): boolean {
    return this.holderOf.has(name);
  }

  /**
   * Shutdown, first step: no more taking leases. Returns the held channels' outbox workers, to be
   * closed with the others, and how to stop the held channels whose sends do not go through what
   * receives (Telegram polling: it stops taking updates at once); one that sends through its
   * client (WhatsApp) stays up until its jobs are done.
   */
  pause(): { heldWorkers: Worker[]; stopReceivers: () => Promise<unknown> } {
    for (const holder of this.holders) holder.pause();
    const { exclusive } = this.options;
    const receiversOnly = this.started.filter((c) => exclusive[c.name] && !exclusive[c.name]!.sendsHere);
    return {
      heldWorkers: [...this.heldWorkers.values()].flat(),
      stopReceivers: () => Promise.all(receiversOnly.map((c) => c.stop?.())),
    };
  }

  /** Shutdown, last step: stops every channel started here and gives their leases up. */
  async close(): Promise<void> {
    await settlesWithin(Promise.all(this.started.map((c) => c.stop?.())), 5_000);
    // The channels are down: another process may take their leases at once.
    await settlesWithin(Promise.all(this.holders.map((h) => h.release())), 2_000);
    this.commands.close();
  }
}
