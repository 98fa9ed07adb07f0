/**
 * The benchmark's side of the fake Bot API process (fake-telegram-process.ts): start it, let
 * simulated users write and wait for the answers, ask for counts and, at the end, for every
 * bulk send and answer it saw.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FakeRequest, RepliedMessage, SoakDump, SoakStats } from "./fake-telegram-process.js";

export type Fake = Awaited<ReturnType<typeof startFake>>;

export async function startFake(ratePerSecond: number) {
  const script = fileURLToPath(new URL("./fake-telegram-process.ts", import.meta.url));
  const child: ChildProcess = fork(script, [String(ratePerSecond)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  // After close (or a crash) a late user's message goes nowhere.
  const send = (request: FakeRequest) => {
    if (child.connected) child.send(request);
  };
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m as T);
      };
      const onExit = (code: number | null) => {
        child.off("message", onMessage);
        reject(new Error(`the fake Bot API exited with ${code}`));
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  // A send racing the child's exit must not take the benchmark down (its users just get no answer).
  child.on("error", (err) => console.error(`[soak] fake Bot API: ${err.message}`));
  const ready = await next<{ url: string; token: string }>("ready");
  // A user waits for the answer to a message before writing the next one.
  const waitingReply = new Map<number, () => void>();
  child.on("message", (m: { type: string }) => {
    if (m.type !== "replied") return;
    const chatId = (m as RepliedMessage).chatId;
    waitingReply.get(chatId)?.();
    waitingReply.delete(chatId);
  });
  return {
    pid: child.pid!,
    url: ready.url,
    token: ready.token,
    /** Queues `text` from the chat's user; resolves once the bot answered (false after `timeoutMs`). */
    say: (chatId: number, text: string, timeoutMs: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waitingReply.delete(chatId);
          resolve(false);
        }, timeoutMs);
        waitingReply.set(chatId, () => {
          clearTimeout(timer);
          resolve(true);
        });
        send({ type: "say", chatId, text });
      }),
    stats: () => {
      const answer = next<SoakStats>("stats");
      send({ type: "stats" });
      return answer;
    },
    dump: () => {
      const answer = next<SoakDump>("dump");
      send({ type: "dump" });
      return answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        send({ type: "close" });
      }),
  };
}
