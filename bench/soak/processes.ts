/**
 * The soak benchmark's child processes: the real application (`node --import tsx src/main.ts`)
 * in a role, the operator CLI, and a sampler of their memory. Each application process ends
 * itself if the benchmark dies first (die-with-parent.ts); its output is counted (warnings and
 * errors, pino's JSON levels 40 and 50) and its tail kept, to be shown when something goes wrong.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
const guard = pathToFileURL(path.join(here, "die-with-parent.ts")).href;

export type AppProcess = {
  readonly name: string;
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The tail of what it wrote to stdout and stderr. */
  output(): string;
  /** Lines logged at warn (40) and error or worse (50, 60) so far. */
  logged(): { warn: number; error: number };
  /** Null while it runs. */
  exitCode(): number | null;
  /** Resolves once it answers GET /healthz with 200; throws if it exits first or takes too long. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
};

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export function spawnApp(name: string, env: Record<string, string>): AppProcess {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "--import", guard, "src/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const counts = { warn: 0, error: 0 };
  let partial = "";
  const keep = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output += text;
    // Only the tail matters: a noisy process must not eat the benchmark's memory.
    if (output.length > 200_000) output = output.slice(-100_000);
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const level = /"level":(\d+)/.exec(line)?.[1];
      if (level === "40") counts.warn++;
      else if (level && Number(level) >= 50) counts.error++;
    }
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited = false;
  let code: number | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (c, signal) => {
      exited = true;
      code = c ?? (signal ? 128 : 1);
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  return {
    name,
    pid: child.pid!,
    url,
    output: () => output,
    logged: () => ({ ...counts }),
    exitCode: () => code,
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (exited) throw new Error(`${name} exited with ${code} before it was up:\n${output}`);
        const status = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.status)
          .catch(() => 0);
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`${name} was not up within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
    async stop(graceMs = 25_000) {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Runs `node --import tsx src/cli.ts <args>` to its end; resolves with its output, rejects on a non-zero exit. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  onPid?: (pid: number) => void,
): Promise<{ output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--import", guard, "src/cli.ts", ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid) onPid?.(child.pid);
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve({ output: output.trim(), ms: Date.now() - started });
      else reject(new Error(`src/cli.ts ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}

/**
 * Samples the resident memory of processes every second: the peak (VmHWM, which the kernel
 * keeps for the life of the process) and the current size (VmRSS), in MB, per name.
 */
export class MemorySampler {
  private readonly watched = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 1000) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  watch(name: string, pid: number): void {
    this.watched.set(name, pid);
    this.sample();
  }

  /** Takes one last sample of the process and stops watching it (call before it exits, if possible). */
  forget(name: string): void {
    this.sample();
    this.watched.delete(name);
  }

  sample(): void {
    for (const [name, pid] of this.watched) {
      let status: string;
      try {
        status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      } catch {
        continue; // gone
      }
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
      const mb = Math.max(kb("VmHWM"), kb("VmRSS")) / 1024;
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, mb));
    }
  }

  /** The peak resident memory in MB of every process watched, by name. */
  peaks(): Record<string, number> {
    this.sample();
    return Object.fromEntries(this.peak);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
