/**
 * Each channel's connection state, as this process and as the installation sees it (the
 * dashboard shows the latter), and the commands a dashboard sends to the process running a channel.
 */
import type { Redis } from "ioredis";
import type { ChannelAdapter, ChannelStatus } from "../channels/channel.js";
import {
  readChannelStatus,
  sendChannelCommand,
  thisProcess,
  type ChannelCommand,
  type SharedChannelStatus,
} from "../channels/channel-board.js";
import type { RunningChannels } from "./running-channels.js";

/** The part of the Bot that reads channel states and sends channel commands (see Bot for each). */
export type StatusBoard = {
  channelStatus(): Record<string, ChannelStatus>;
  runningChannelStatus(): Record<string, ChannelStatus>;
  sharedChannelStatus(): Promise<Record<string, SharedChannelStatus>>;
  sendChannelCommand(channel: string, command: ChannelCommand): Promise<number>;
};

export function createStatusBoard(args: {
  channels: Record<string, ChannelAdapter>;
  exclusive: Record<string, { sendsHere: boolean }>;
  running: RunningChannels;
  /** The fail-fast connection: a dashboard does not wait for Redis to come back. */
  redis: Redis;
  prefix: string;
}): StatusBoard {
  const { channels, exclusive, running, redis, prefix } = args;
  return {
    channelStatus: () =>
      Object.fromEntries(Object.values(channels).flatMap((c) => (c.status ? [[c.name, c.status()] as const] : []))),
    runningChannelStatus: () =>
      Object.fromEntries(
        running.started.flatMap((c) => (c.status && running.runsHere(c) ? [[c.name, c.status()] as const] : [])),
      ),
    async sharedChannelStatus() {
      const here = { here: true, ...thisProcess() };
      const out: Record<string, SharedChannelStatus> = {};
      const fromRedis: Promise<void>[] = [];
      for (const c of Object.values(channels)) {
        if (!c.status) continue;
        if (running.runsHere(c)) {
          out[c.name] = running.isLeased(c.name) ? { ...c.status(), runner: here } : c.status();
        } else if (!exclusive[c.name]) {
          // Not one process's for all (a webhook started elsewhere, tools): this process's own view.
          out[c.name] = c.status();
        } else {
          fromRedis.push(
            readChannelStatus(redis, prefix, c.name).then(
              (published) => {
                out[c.name] = published ?? { state: "disabled", since: new Date(), runner: null };
              },
              (err: unknown) => {
                out[c.name] = {
                  state: "disabled",
                  since: new Date(),
                  detail: `unknown: Redis did not answer (${(err as Error).message})`,
                  runner: null,
                };
              },
            ),
          );
        }
      }
      await Promise.all(fromRedis);
      return out;
    },
    sendChannelCommand: (channel, command) => sendChannelCommand(redis, prefix, channel, command),
  };
}
