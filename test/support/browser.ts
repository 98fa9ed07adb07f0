/// <reference lib="dom" />
/**
 * A real browser for tests: Debian's Chromium (apt install chromium; CHROMIUM_PATH for another
 * binary) driven by playwright-core, never a downloaded browser. Helpers to sign in to the
 * dashboard and to keep screenshots in docs/screenshots/ for the README and reviewers.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A phone's screen (the staff who use the dashboard on the road). */
export const phoneViewport = { width: 390, height: 844 };

export const screenshotsDir = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * Signs in through the dashboard's form (at `baseUrl`/masuk, or where `page` already is when
 * that is the sign-in form) and waits for the page it leads to; throws with the page's message
 * when it stays on the form.
 */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  if (new URL(page.url(), baseUrl).pathname !== "/masuk") await page.goto(`${baseUrl}/masuk`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForEvent("load"), page.click("button[type=submit]")]);
  if (new URL(page.url()).pathname === "/masuk") {
    const notice = await page.locator(".notice, .field-error").allInnerTexts();
    throw new Error(`Signing in as ${email} failed: ${notice.join(" ") || "no message"}`);
  }
}

/** Saves a full-page screenshot as docs/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const file = path.join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
