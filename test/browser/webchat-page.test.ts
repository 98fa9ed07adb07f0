/// <reference lib="dom" />
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startTestApp, type TestApp } from "../support/app.js";

/** Debian's Chromium (apt install chromium); never a downloaded browser. */
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe("the web chat page in a real browser", () => {
  let testApp: TestApp;
  let app: App;
  let browser: Browser;

  beforeAll(async () => {
    testApp = await startTestApp();
    app = testApp.app;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.stop();
  });

  /** Waits until the bot has said `count` messages in all, and returns the last one's text. */
  async function botSaid(page: Page, count: number): Promise<string> {
    await page.waitForFunction((n) => document.querySelectorAll(".msg.bot").length >= n, count, { timeout: 15_000 });
    return page
      .locator(".msg.bot")
      .nth(count - 1)
      .innerText();
  }

  async function type(page: Page, text: string): Promise<void> {
    await page.fill("#input", text);
    await page.click("#send");
  }

  it("lets someone register and enroll in a seeded programme, in Indonesian, on a phone-sized screen", async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    // Markup typed as a name shows as typed (no tags, no formatting, no script) and is refused.
    const markup = "Ahmad <b>Fauzi</b> <img src=x onerror=alert(1)> *AC";
    const name = "Ahmad Fauzi";
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${app.url}/chat`);
    let n = 0;
    await type(page, "Halo");
    n += 2;
    expect(await botSaid(page, n)).toContain("Apakah Anda setuju?");
    // Choices are buttons under the question.
    await page.locator(".choices button", { hasText: "Ya, saya setuju" }).last().click();
    expect(await botSaid(page, ++n)).toBe("Siapa nama lengkap Anda?");
    await type(page, markup);
    expect(await botSaid(page, ++n)).toMatch(/^Mohon tulis nama Anda dengan huruf biasa saja/);
    n += 1; // the question again
    expect(await page.locator(".msg.me").allInnerTexts()).toContain(markup);
    await type(page, name);
    expect(await botSaid(page, ++n)).toBe("Apa nama usaha Anda?");
    await type(page, "Fauzi Teknik AC");
    await botSaid(page, ++n);
    await page.locator(".choices button", { hasText: "Reparasi AC" }).last().click();
    await botSaid(page, ++n);
    await page.locator(".choices button", { hasText: "Kota Pangkalpinang" }).last().click();
    await botSaid(page, ++n);
    await type(page, "0813 1111 2222");
    await botSaid(page, ++n);
    await page.locator(".choices button", { hasText: "Belum / lewati" }).last().click();
    const summary = await botSaid(page, ++n);
    expect(summary).toContain("Nomor HP: 0813-1111-2222");
    expect(summary).toContain(`Nama: ${name}\n`);
    await page.locator(".choices button", { hasText: "Ya, simpan" }).last().click();
    n += 2;
    expect(await botSaid(page, n)).toBe("Menu utama. Silakan pilih:");
    await page.locator(".choices button", { hasText: "Daftar pelatihan" }).last().click();
    await botSaid(page, ++n);
    // His sector and city first.
    await page.locator(".choices button").filter({ hasText: "Reparasi AC" }).last().click();
    expect(await botSaid(page, ++n)).toContain("Sisa kursi:");
    // The first session offered, under the list of sessions.
    const sessionButtons = page
      .locator(".msg.bot")
      .nth(n - 1)
      .locator("xpath=following-sibling::*[1]")
      .locator("button");
    await sessionButtons.first().click();
    expect(await botSaid(page, ++n)).toContain("Anda akan mendaftar di:");
    await page.locator(".choices button", { hasText: "Ya, daftarkan saya" }).last().click();
    n += 2;
    const outcome = await page
      .locator(".msg.bot")
      .nth(n - 2)
      .innerText();
    expect(outcome).toMatch(/^✅ Anda terdaftar di Reparasi AC, \w+, \d+ \w+ 2026 pukul \d\d\.\d\d WIB/);
    // The programme's title in bold; the stars that mark it are gone.
    expect(
      await page
        .locator(".msg.bot")
        .nth(n - 2)
        .locator("strong")
        .allInnerTexts(),
    ).toEqual(["Reparasi AC"]);
    expect(await page.locator(".msg b, .msg img, .msg script").count()).toBe(0);
    expect(await page.locator(".msg.bot").allInnerTexts()).toContainEqual(expect.stringContaining(`${name}!`));
    expect(dialogs).toEqual([]);
    // The page keeps the conversation across a reload.
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll(".msg.bot").length > 0);
    expect(await page.locator(".msg.me").count()).toBeGreaterThan(5);
    // Also when drawn again from the transcript the page keeps.
    expect(await page.locator(".msg.bot strong", { hasText: "Reparasi AC" }).count()).toBeGreaterThan(0);
    expect(await page.locator(".msg b, .msg img, .msg script").count()).toBe(0);
    await page.close();
  });

  it("keeps the chat in an HttpOnly cookie the script never sees, and starts a new one on request", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await page.goto(`${app.url}/chat`);
    await type(page, "Halo");
    expect(await botSaid(page, 2)).toContain("Apakah Anda setuju?");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "sapa_chat", httpOnly: true, sameSite: "Strict" });
    const chatId = cookie!.value.split(".")[0]!;
    expect(chatId).toMatch(/^web-/);
    // Nothing a script on the page can read holds the credential.
    expect(await page.evaluate(() => document.cookie)).toBe("");
    const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }));
    expect(stored).not.toContain(cookie!.value);
    // The cookie alone, from outside the browser, reads nothing without a page of this site (a POST).
    const forged = await fetch(`${app.url}/api/webchat/${chatId}/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: `sapa_chat=${cookie!.value}`,
        "sec-fetch-site": "cross-site",
      },
      body: JSON.stringify({ text: "halo" }),
    });
    expect(forged.status).toBe(403);
    // The page's own script and style run under the policy; nothing was blocked.
    expect(blocked).toEqual([]);

    await page.click("#new-chat");
    await page.waitForFunction(() => document.querySelectorAll(".msg").length === 0);
    await type(page, "Halo");
    expect(await botSaid(page, 2)).toContain("Apakah Anda setuju?");
    const [second] = await context.cookies();
    expect(second!.value.split(".")[0]).not.toBe(chatId);
    await context.close();
  });

  it("works in a frame of this site (the dashboard's Coba bot) and refuses to be framed by another", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route(`${app.url}/framed-here`, (route) =>
      route.fulfill({ contentType: "text/html", body: '<iframe src="/chat" width="400" height="600"></iframe>' }),
    );
    await page.route("http://elsewhere.example/", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<iframe src="${app.url}/chat" width="400" height="600"></iframe>`,
      }),
    );
    await page.goto(`${app.url}/framed-here`);
    const frame = page.frameLocator("iframe");
    await frame.locator("#input").fill("Halo");
    await frame.locator("#send").click();
    await expect.poll(() => frame.locator(".msg.bot").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

    // Loaded (the frame included), the other site's frame shows no chat.
    await page.goto("http://elsewhere.example/");
    expect(page.frames()).toHaveLength(2);
    expect(await page.frames()[1]!.locator("#input").count()).toBe(0);
    await context.close();
  });
});
