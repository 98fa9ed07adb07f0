/**
 * A private redis-server that can be stopped and started again on the same port, for the test
 * that restarts Redis (the shared server on 6379 serves every other test file at the same time
 * and must stay up). Append-only persistence is on, as the README asks of production, so a
 * clean stop (SIGTERM: Redis writes out what it has) and start keeps the queues.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, waitForRedis } from "../../support/redis-server.js";

export type RestartableRedis = {
  url: string;
  port: number;
  /** SIGTERM (Redis saves and exits), and wait for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  destroy(): Promise<void>;
};

export async function startRestartableRedis(): Promise<RestartableRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-redis-restart-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    // "noeviction" and AOF: the settings the README asks for, so the app warns about neither.
    child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--maxmemory-policy",
        "noeviction",
        "--dir",
        dir,
      ],
      { stdio: "ignore" },
    );
    const current = child;
    exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
    // Loading the append-only file answers LOADING to PING until done.
    await waitForRedis(url, 100, () => current.exitCode !== null);
  };

  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    child = null;
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    async destroy() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
