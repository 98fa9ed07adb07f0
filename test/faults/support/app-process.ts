/**
 * The real application as a child process (`node --import tsx src/main.ts`), for tests that
 * kill it the hard way. Its output is kept, to be shown when something goes wrong, and it ends
 * itself if the test process dies first (die-with-parent.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const guard = pathToFileURL(path.join(here, "die-with-parent.ts")).href;

export type AppProcess = {
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  /** Null while it runs. */
  exitCode(): number | null;
  /** Resolves once it answers GET /healthz with 200; throws if it exits first or takes too long. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
};

export function spawnApp(env: Record<string, string>): AppProcess {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "--import", guard, "src/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    // Only the tail matters: a noisy process must not eat the test's memory.
    if (output.length > 200_000) output = output.slice(-100_000);
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
    pid: child.pid!,
    url,
    output: () => output,
    exitCode: () => code,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (exited) throw new Error(`the application exited with ${code} before it was up:\n${output}`);
        const status = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
          .then((r) => r.status)
          .catch(() => 0);
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`the application was not up within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
  };
}
