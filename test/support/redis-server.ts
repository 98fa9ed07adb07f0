/**
 * A private redis-server on a free port, for tests that stop Redis (the shared one must stay up).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { Redis } from "ioredis";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/**
 * Waits until a redis-server just started answers PING (loading an append-only file answers
 * LOADING until done), trying every 100 ms up to `tries` times or until `exited()`.
 */
export async function waitForRedis(url: string, tries: number, exited: () => boolean): Promise<void> {
  for (let i = 0; ; i++) {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      probe.disconnect();
      if (i > tries || exited()) throw new Error(`redis-server at ${url} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export type PrivateRedis = { url: string; port: number; stop(): Promise<void> };

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  // Its own folder, so whatever it writes (an append-only file, if a test turns it on) stays out of the repo.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sapa-redis-"));
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitForRedis(url, 50, () => child.exitCode !== null);

  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    port,
    async stop() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
