/**
 * The real application as a child process, for tests that kill it the hard way
 * (`node --import tsx src/main.ts`, from the sources) and for the soak benchmark (bench/soak.ts),
 * which runs several in their roles from a build, as production does (`node
 * <productionNodeFlags> dist/src/main.js`). Its output is kept (the tail), to be shown when something goes wrong, and
 * its warnings and errors counted (pino's JSON levels 40 and 50); it ends itself if the process
 * that started it dies first (die-with-parent.mjs, plain JavaScript so that a build's node loads it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The project's root, where src/main.ts and src/cli.ts run from. */
export const root = path.resolve(here, "../../..");
/** Preload (`--import`) that ends a child once its parent is gone. */
export const dieWithParent = pathToFileURL(path.join(here, "die-with-parent.mjs")).href;

/**
 * Node's flags for the application in production, as deploy/Dockerfile, deploy/systemd and
 * `npm run start:prod` give them (test/deploy-flags.test.ts keeps them the same): stack traces
 * by the TypeScript sources, a heap limit, which also keeps V8 from letting the heap grow to
 * several times what is live between full collections, and a young generation of 16 MB instead
 * of 32 (docs/operations.md, "Memory").
 */
export const productionNodeFlags = ["--enable-source-maps", "--max-old-space-size=512", "--max-semi-space-size=8"];

/**
 * Node's arguments for one of the application's entry points (`main` or `cli`): from the sources
 * through tsx, or, given `build` (a folder scripts/build.mjs made), its compiled JavaScript as
 * production starts it (deploy/: `node <productionNodeFlags> dist/src/main.js`; an operator
 * command, `dist/src/cli.js`, with --enable-source-maps only).
 */
export function nodeArgs(entry: "main" | "cli", build?: string): string[] {
  return build
    ? [
        ...(entry === "main" ? productionNodeFlags : ["--enable-source-maps"]),
        "--import",
        dieWithParent,
        path.join(build, "src", `${entry}.js`),
      ]
    : ["--import", "tsx", "--import", dieWithParent, `src/${entry}.ts`];
}

export type AppProcess = {
  readonly name: string;
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The tail of what it wrote to stdout and stderr so far. */
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

/**
 * Starts the application with `env` (PORT among it); `name` is what its errors call it; `build`:
 * run that build's compiled program instead of the sources (nodeArgs).
 */
export function spawnApp(env: Record<string, string>, name = "the application", build?: string): AppProcess {
  const child: ChildProcess = spawn(process.execPath, nodeArgs("main", build), {
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
    // Only the tail matters: a noisy process must not eat its parent's memory.
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
    async ready(timeoutMs = 30_000) {
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
