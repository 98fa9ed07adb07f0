/**
 * The benchmark's side of a fake Bot API server running in a child process of its own (each
 * benchmark's fake-telegram-process.ts, built on ./child.ts): fork it, wait for its address, ask
 * it things, let a simulated user write and wait for the bot's answer, close it.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { RepliedMessage, UserTextMessage } from "./child.js";

export type FakeBotApi = Awaited<ReturnType<typeof forkFakeBotApi>>;

/** A message to the child: its type and whatever the question needs. */
type Request = { type: string } & Record<string, unknown>;

/** Forks `script` with the rate ceiling as its argument; resolves once it reports its address. */
export async function forkFakeBotApi(script: URL, ratePerSecond: number, label: string) {
  const child: ChildProcess = fork(fileURLToPath(script), [String(ratePerSecond)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  // After close (or a crash) a late user's message goes nowhere.
  const send = (request: Request) => {
    if (child.connected) child.send(request);
  };
  /** The child's next message of `type`; rejects if the child exits first. */
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      // Both listeners go once answered: stats are asked for every few seconds, and a listener
      // left behind per question would pile up on the child (MaxListenersExceededWarning).
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
  child.on("error", (err) => console.error(`[${label}] fake Bot API: ${err.message}`));
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
    /** Sends `request` and resolves with the child's answer of the same type. */
    ask: <T>(request: Request) => {
      const answer = next<T>(request.type);
      send(request);
      return answer;
    },
    /** Queues `text` from the chat's user; resolves once the bot answered (false after `timeoutMs`). */
    userWrites: (chatId: number, text: string, timeoutMs: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waitingReply.delete(chatId);
          resolve(false);
        }, timeoutMs);
        waitingReply.set(chatId, () => {
          clearTimeout(timer);
          resolve(true);
        });
        send({ type: "user-text", chatId, text } satisfies UserTextMessage);
      }),
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
