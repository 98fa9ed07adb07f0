/**
 * What every fault scenario needs around the application processes: a timeline printed at the
 * end (the first thing to read when a run fails), clean-up steps run in reverse order whatever
 * happened, and the child processes started, so none outlives its file.
 */
import { spawnApp, type AppProcess } from "./app-process.js";

/** Every child started by any scenario of this test file (for an afterAll that kills them all). */
const everyChild = new Set<AppProcess>();

/** SIGKILLs every application process still running; for afterAll. */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...everyChild].map((c) => c.kill()));
}

export class Scenario {
  private readonly started = Date.now();
  private readonly lines: string[] = [];
  private readonly steps: (() => unknown)[] = [];
  readonly children: AppProcess[] = [];

  /** Adds a line to the timeline, stamped with the seconds since the scenario started. */
  note(line: string): void {
    this.lines.push(`${((Date.now() - this.started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  }

  /** Seconds since the scenario started. */
  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Runs `step` at the end, before the steps deferred earlier (like nested try/finally). */
  defer(step: () => unknown): void {
    this.steps.unshift(step);
  }

  /** Starts the application and waits until it answers /healthz. */
  async spawn(label: string, env: Record<string, string>): Promise<AppProcess> {
    const child = spawnApp(env);
    everyChild.add(child);
    this.children.push(child);
    if (this.children.length === 1) this.defer(() => Promise.all(this.children.map((c) => c.kill())));
    await child.ready();
    this.note(`${label} (pid ${child.pid}) is up`);
    return child;
  }

  /** The output of every child, for a failure report. */
  outputs(): string {
    return this.children.map((c, i) => `--- child ${i + 1} (pid ${c.pid}):\n${c.output().slice(-6000)}`).join("\n");
  }

  async cleanUp(): Promise<void> {
    for (const step of this.steps)
      await Promise.resolve()
        .then(step)
        .catch((err: unknown) => console.error(err));
    this.steps.length = 0;
  }

  timeline(): string {
    return this.lines.join("\n");
  }
}

/** Runs `body` with a fresh Scenario; cleans up and prints the timeline however it ends. */
export async function runScenario<T>(title: string, body: (s: Scenario) => Promise<T>): Promise<T> {
  const s = new Scenario();
  let failed = false;
  try {
    return await body(s);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await s.cleanUp();
    console.info(`${title}:\n${s.timeline()}`);
    if (failed) console.info(`${title}, output of the application processes:\n${s.outputs()}`);
  }
}
