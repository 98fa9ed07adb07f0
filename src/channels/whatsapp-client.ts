/**
 * The real WhatsApp Web client: whatsapp-web.js with its session kept on disk (LocalAuth) in a
 * headless Chromium, and the profile's in-use marks a dead worker left behind cleared first.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type WhatsAppWeb from "whatsapp-web.js";
import type { WhatsAppClientLike } from "./whatsapp.js";

/**
 * whatsapp-web.js, loaded when the first client is made: it brings puppeteer and its
 * dependencies, several MB of code a process keeps in memory once loaded, and only the worker
 * holding WhatsApp's lease ever makes a client (web processes, other workers and installations
 * without WhatsApp Web never do). A CommonJS package, so `require` loads it on the spot.
 */
const whatsappWeb = (): typeof WhatsAppWeb => createRequire(import.meta.url)("whatsapp-web.js") as typeof WhatsAppWeb;

/**
 * Chromium's marks that a profile is in use ("SingletonLock" links to "<host>-<pid>"). A worker
 * that died leaves them in the session folder, and Chromium on another host sharing that folder
 * then refuses the profile as "in use by another computer". Only the holder of WhatsApp's lease
 * starts a client, so no other process should use the profile and the marks can go, unless
 * they name a process of this host that is still alive (this worker's previous Chromium, slow
 * to quit): then Chromium's own refusal is the right answer, and they stay.
 */
export function removeProfileLocks(profileDir: string): string[] {
  try {
    const [, host, pid] = /^(.*)-(\d+)$/.exec(fs.readlinkSync(path.join(profileDir, "SingletonLock"))) ?? [];
    if (host === os.hostname() && pid && processAlive(Number(pid))) return [];
  } catch {
    // No lock, or not a link: nothing to check.
  }
  const removed: string[] = [];
  for (const name of ["SingletonLock", "SingletonCookie", "SingletonSocket"]) {
    const file = path.join(profileDir, name);
    try {
      // lstat, not exists: the marks are symbolic links to names that need not exist here.
      fs.lstatSync(file);
    } catch {
      continue;
    }
    fs.rmSync(file, { force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The real client: LocalAuth session under `sessionDir`, Debian's Chromium, headless. */
export function createWhatsAppClient(config: { sessionDir: string; chromiumPath: string }): WhatsAppClientLike {
  const { Client, LocalAuth, MessageMedia } = whatsappWeb();
  // LocalAuth keeps the Chromium profile in <dataPath>/session (no clientId).
  removeProfileLocks(path.join(config.sessionDir, "session"));
  const client = new Client({
    authStrategy: new LocalAuth({ dataPath: config.sessionDir }),
    puppeteer: {
      executablePath: config.chromiumPath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
    },
  });
  return Object.assign(client, {
    sendDocument: (
      chatId: string,
      document: { fileName: string; mimeType: string; bytes: Uint8Array },
      caption: string | undefined,
    ) =>
      client.sendMessage(
        chatId,
        new MessageMedia(document.mimeType, Buffer.from(document.bytes).toString("base64"), document.fileName),
        { sendMediaAsDocument: true, ...(caption !== undefined ? { caption } : {}) },
      ),
  });
}
