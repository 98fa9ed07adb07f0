/**
 * Lease and takeover of a channel only one process may run at a time (WhatsApp Web, Telegram
 * long polling): the channel runs in the process that holds its lease in Redis, and another
 * takes over when the holder dies or stalls.
 */
import type { Worker } from "bullmq";
import type { ChannelAdapter, ChannelHooks } from "../channels/channel.js";
import type { ChannelStatusPublisher } from "../channels/channel-board.js";
import type { Logger } from "../logger.js";
import type { RedisLease } from "../redis.js";
import type { CommandListener } from "./command-bus.js";
import { settlesWithin } from "../time-limits.js";

export type ChannelHolder = {
  /** Tries to take the lease at once; the channel starts if it was free, else it is tried again later. */
  begin(): Promise<void>;
  /** Whether this process holds the lease (and so runs the channel). */
  holding(): boolean;
  /**
   * Stops trying to take the lease (shutdown); one held is renewed until release(). The channel
   * and its workers are closed by the bot.
   */
  pause(): void;
  /** Gives the lease up, once the channel is stopped. */
  release(): Promise<void>;
};

/**
 * Runs a channel only while this process holds its lease: takes it (or waits for it), starts the
 * channel and its outbox workers, renews the lease, and stops them if the lease is lost (a
 * stalled process whose lease another took meanwhile), going back to waiting.
 */
export function holdChannel(args: {
  channel: ChannelAdapter;
  hooks: ChannelHooks;
  lease: RedisLease;
  renewMs: number;
  retryMs: number;
  logger: Logger;
  workers: (() => Worker[]) | null;
  heldWorkers: Map<string, Worker[]>;
  /** Publishes the channel's status to Redis while this process holds it. */
  publisher: ChannelStatusPublisher;
  /** Listening for commands from other processes while this process holds it. */
  commands: CommandListener;
}): ChannelHolder {
  const { channel, lease, logger, publisher, commands } = args;
  const quietly = (what: string) => (err: unknown) =>
    logger.warn({ channel: channel.name, err: { message: (err as Error).message } }, what);
  let holding = false;
  // Paused (the process is stopping): no taking the lease any more, but one held is renewed
  // until it is released, so that no other process starts the channel (a second Chromium on the
  // WhatsApp profile) while this one is still draining with it.
  let paused = false;
  let released = false;
  let waitingLogged = false;
  let timer: NodeJS.Timeout | undefined;
  const later = (ms: number) => {
    if (released || (paused && !holding)) return;
    timer = setTimeout(() => void tick(), ms);
    timer.unref();
  };
  const tick = async (): Promise<void> => {
    if (released) return;
    if (!holding) {
      if (paused) return;
      let taken = false;
      let remaining = args.retryMs;
      try {
        taken = await lease.acquire();
        if (!taken) remaining = await lease.remainingMs();
      } catch (err) {
        logger.warn(
          { channel: channel.name, err: { message: (err as Error).message } },
          "could not ask Redis for a channel lease",
        );
      }
      if (paused) {
        if (taken) await lease.release().catch(() => {});
        return;
      }
      if (!taken) {
        if (!waitingLogged)
          logger.info(
            { channel: channel.name },
            `another process runs ${channel.name}; this one takes over if that one stops`,
          );
        waitingLogged = true;
        // Try again when the holder's lease would run out if it is not renewed, at most retryMs away.
        later(Math.min(args.retryMs, remaining + 50 + Math.random() * 200));
        return;
      }
      holding = true;
      waitingLogged = false;
      logger.info({ channel: channel.name }, `this process runs ${channel.name} (holds its lease)`);
      if (args.workers) args.heldWorkers.set(channel.name, args.workers());
      // Listening first: once other processes see the status, they can send commands.
      await settlesWithin(commands.listen().catch(quietly("could not listen for channel commands")), 2_000);
      await channel.start!(args.hooks);
      publisher.start();
      later(args.renewMs);
      return;
    }
    let kept: boolean | null = null;
    try {
      kept = await lease.renew();
    } catch (err) {
      // Unknown: Redis is away. Keep running; the lease is checked again shortly.
      logger.warn(
        { channel: channel.name, err: { message: (err as Error).message } },
        "could not renew a channel lease",
      );
    }
    if (kept === false && paused) {
      // Stopping anyway: close() stops the channel.
      holding = false;
      return;
    }
    if (kept === false) {
      logger.warn({ channel: channel.name }, `another process took over ${channel.name}: stopping it here`);
      holding = false;
      await publisher.stop(true);
      await commands.stop().catch(quietly("could not stop listening for channel commands"));
      await channel.stop?.();
      const mine = args.heldWorkers.get(channel.name) ?? [];
      args.heldWorkers.delete(channel.name);
      await Promise.all(mine.map((w) => w.close()));
      later(args.retryMs);
      return;
    }
    later(args.renewMs);
  };
  return {
    begin: tick,
    holding: () => holding,
    pause() {
      paused = true;
      if (!holding) clearTimeout(timer);
    },
    async release() {
      released = true;
      clearTimeout(timer);
      await publisher.stop(holding);
      await commands.stop().catch(() => {});
      if (holding) await lease.release();
      holding = false;
    },
  };
}
