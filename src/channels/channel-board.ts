/**
 * A channel that one process runs for the whole installation (WhatsApp Web, Telegram long
 * polling: the leases in src/process/channel-leases.ts) seen from every process through Redis,
 * so the dashboard of a web process can show it and act on it:
 * - the process that runs it publishes its status (state, since, detail, the QR code while
 *   WhatsApp waits for a scan, and which host and process runs it) under
 *   `<prefix>:channel-status:<channel>`, at once on every change and every few seconds, with a
 *   TTL of a few publish intervals: when that process dies the key runs out, and the others say
 *   that no process runs the channel;
 * - the others send it commands (log WhatsApp out) on the pub/sub topic
 *   `<prefix>:channel-command:<channel>`, to which only the running process listens.
 * The QR code lives in Redis only, for the TTL; it never goes to the logs.
 */
import os from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import type { ChannelState, ChannelStatus } from "./channel.js";

/** The process that runs a channel. */
export type ChannelRunner = { here: boolean; host: string; pid: number };

/**
 * A channel's status as the installation sees it. `runner`: the process that runs it; null: no
 * process does (nothing fresh in Redis: no worker holds it, or the one that did died); absent:
 * a channel not run by one process for all (a webhook, the web chat): this process's own view.
 */
export type SharedChannelStatus = ChannelStatus & { runner?: ChannelRunner | null };

/** What a dashboard may ask the process running a channel to do. */
export type ChannelCommand = "logout";

export const channelStatusKey = (prefix: string, channel: string) => `${prefix}:channel-status:${channel}`;
export const channelCommandTopic = (prefix: string, channel: string) => `${prefix}:channel-command:${channel}`;

/** What is stored under channelStatusKey. */
type Published = {
  state: ChannelState;
  since: string;
  detail?: string;
  qr?: string;
  host: string;
  pid: number;
  /** The lease token of the publisher: only it deletes the key. */
  token: string;
  publishedAt: string;
};

const states = new Set<ChannelState>(["disabled", "connecting", "waiting_for_qr", "ready", "disconnected"]);

/** This process, as other processes are told about it. */
export const thisProcess = (): Omit<ChannelRunner, "here"> => ({ host: os.hostname(), pid: process.pid });

/** Reads what the process running `channel` published; null when nothing (fresh) is there. */
export async function readChannelStatus(
  redis: Pick<Redis, "get">,
  prefix: string,
  channel: string,
): Promise<SharedChannelStatus | null> {
  const raw = await redis.get(channelStatusKey(prefix, channel));
  if (!raw) return null;
  let p: Partial<Published>;
  try {
    p = JSON.parse(raw) as Partial<Published>;
  } catch {
    return null;
  }
  if (!p.state || !states.has(p.state) || typeof p.since !== "string") return null;
  return {
    state: p.state,
    since: new Date(p.since),
    ...(p.detail ? { detail: p.detail } : {}),
    ...(p.state === "waiting_for_qr" && p.qr ? { qr: p.qr } : {}),
    // Read from Redis: another process (or another bot in this one, in tests) runs it.
    runner: { here: false, host: String(p.host ?? "?"), pid: Number(p.pid ?? 0) },
  };
}

/**
 * Asks the process running `channel` to carry `command` out. Resolves with how many processes
 * received it: 1, or 0 when none runs the channel (or Redis lost the subscription meanwhile).
 */
export async function sendChannelCommand(
  redis: Pick<Redis, "publish">,
  prefix: string,
  channel: string,
  command: ChannelCommand,
): Promise<number> {
  const from = thisProcess();
  return redis.publish(
    channelCommandTopic(prefix, channel),
    JSON.stringify({ command, from: `${from.host}:${from.pid}`, at: new Date().toISOString() }),
  );
}

/** Parses a command message; null for anything else. */
export function parseChannelCommand(message: string): ChannelCommand | null {
  try {
    const { command } = JSON.parse(message) as { command?: unknown };
    return command === "logout" ? command : null;
  } catch {
    return null;
  }
}

/** Deletes the key only while it still holds what `token` published (a new holder may have replaced it). */
const clearScript = `
local v = redis.call("GET", KEYS[1])
if v and string.find(v, ARGV[1], 1, true) then return redis.call("DEL", KEYS[1]) end
return 0`;

export type StatusPublisherOptions = {
  /** A fail-fast connection (no offline queue): while Redis is away a publish fails at once. */
  redis: Redis;
  prefix: string;
  channel: string;
  status: () => ChannelStatus;
  /** The lease token of this process for the channel. */
  token: string;
  logger: Logger;
  /** Republished at least this often (default 5 s); the key lives 3 times as long. */
  everyMs?: number;
  /** How often the local status is compared with what was published last (default 250 ms). */
  watchMs?: number;
};

/**
 * Publishes one channel's status while this process runs it: at once, then whenever the status
 * changes (checked locally every `watchMs`, which costs nothing) and every `everyMs` to keep the
 * key alive. Errors are logged once per outage, with the error's message only.
 */
export class ChannelStatusPublisher {
  private timer: NodeJS.Timeout | undefined;
  private last = "";
  private lastAt = 0;
  private busy = false;
  private failing = false;
  private running = false;
  private readonly everyMs: number;
  private readonly watchMs: number;
  private readonly key: string;
  private readonly me = thisProcess();

  constructor(private readonly options: StatusPublisherOptions) {
    this.everyMs = options.everyMs ?? 5_000;
    this.watchMs = options.watchMs ?? 250;
    this.key = channelStatusKey(options.prefix, options.channel);
  }

  /** How long the key lives after the last publish. */
  get ttlMs(): number {
    return this.everyMs * 3;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.last = "";
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.watchMs);
    this.timer.unref();
  }

  /** Stops publishing; `clear`: also deletes the key if it is still this process's. */
  async stop(clear: boolean): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    this.timer = undefined;
    if (!clear) return;
    await this.options.redis.eval(clearScript, 1, this.key, this.options.token).catch(() => {});
  }

  private async tick(): Promise<void> {
    if (!this.running || this.busy) return;
    const s = this.options.status();
    const fingerprint = JSON.stringify([s.state, s.since.getTime(), s.detail ?? "", s.qr ?? ""]);
    if (fingerprint === this.last && Date.now() - this.lastAt < this.everyMs) return;
    const value: Published = {
      state: s.state,
      since: s.since.toISOString(),
      ...(s.detail ? { detail: s.detail } : {}),
      // The pairing code only while it can be scanned.
      ...(s.state === "waiting_for_qr" && s.qr ? { qr: s.qr } : {}),
      host: this.me.host,
      pid: this.me.pid,
      token: this.options.token,
      publishedAt: new Date().toISOString(),
    };
    this.busy = true;
    try {
      await this.options.redis.set(this.key, JSON.stringify(value), "PX", this.ttlMs);
      // Stopped meanwhile (the lease was lost): what was just written must not outlive it.
      if (!this.running) await this.options.redis.eval(clearScript, 1, this.key, this.options.token);
      this.last = fingerprint;
      this.lastAt = Date.now();
      if (this.failing)
        this.options.logger.info({ channel: this.options.channel }, "publishing the channel status works again");
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.options.logger.warn(
          { channel: this.options.channel, err: { message: (err as Error).message } },
          "could not publish the channel status to Redis (the dashboards of other processes show it as not running)",
        );
      this.failing = true;
    } finally {
      this.busy = false;
    }
  }
}
