/**
 * The soak benchmark's child processes besides the application (test/faults/support/app-process.ts):
 * the operator CLI, and a sampler of their memory.
 */
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { nodeArgs, root } from "../../test/faults/support/app-process.js";

export { spawnApp, type AppProcess } from "../../test/faults/support/app-process.js";
export { freePort } from "../../test/support/redis-server.js";

/**
 * Builds the application as production runs it (scripts/build.mjs, without type-checking) into a
 * folder of its own under dist/, so that a dist/ in use is left alone; returns the folder and
 * how to remove it.
 */
export function buildApp(): { dir: string; remove: () => void } {
  const dir = path.join(root, "dist", `soak-${crypto.randomBytes(4).toString("hex")}`);
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--out-dir", dir, "--no-check"], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (build.status !== 0) {
    remove();
    throw new Error(`the build failed (${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`);
  }
  return { dir, remove };
}

/**
 * Runs the operator CLI (`src/cli.ts <args>`, or a build's compiled one: nodeArgs) to its end;
 * resolves with its output, rejects on a non-zero exit.
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  onPid?: (pid: number) => void,
  build?: string,
): Promise<{ output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs("cli", build), ...args], {
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
