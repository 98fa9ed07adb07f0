import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { splitChoiceId } from "../../src/engine/engine.js";
import { startTestApp, type TestApp } from "../support/app.js";

type BotMessage = { id: number; text: string; html: string; choices: { id: string; label: string }[] | null };

describe("the web chat API", () => {
  let testApp: TestApp;
  let app: App;

  beforeAll(async () => {
    testApp = await startTestApp();
    app = testApp.app;
  });

  afterAll(() => testApp.stop());

  type Chat = { chatId: string; token: string };

  /** A new chat, as a script starts one. */
  async function session(): Promise<Chat> {
    const res = await fetch(`${app.url}/api/webchat/sessions`, { method: "POST" });
    expect(res.status).toBe(201);
    return (await res.json()) as Chat;
  }

  const post = (chat: Chat, body: unknown) =>
    fetch(`${app.url}/api/webchat/${chat.chatId}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${chat.token}` },
      body: JSON.stringify(body),
    });

  /** Sends, then long-polls as the page does: until the first reply, then until a short silence. */
  async function say(chat: Chat, body: unknown, after: number): Promise<BotMessage[]> {
    expect((await post(chat, body)).status).toBe(202);
    const all: BotMessage[] = [];
    for (let wait = 5; ; wait = 0.3) {
      const res = await fetch(`${app.url}/api/webchat/${chat.chatId}/messages?after=${after}&wait=${wait}`, {
        headers: { authorization: `Bearer ${chat.token}` },
      });
      const { messages } = (await res.json()) as { messages: BotMessage[] };
      if (!messages.length) return all;
      all.push(...messages);
      after = messages[messages.length - 1]!.id;
    }
  }

  it("lets a participant register and enroll over the JSON API, with choices as buttons", async () => {
    const chat = await session();
    let after = 0;
    let offered: { id: string; label: string }[] = [];
    /** Sends a text, or presses the button of the option `choice` (the id as offered carries its question's stamp). */
    const step = async (body: { text: string } | { choice: string }) => {
      const sent =
        "choice" in body
          ? { choice: offered.find((c) => splitChoiceId(c.id).choiceId === body.choice)?.id ?? body.choice }
          : body;
      const replies = await say(chat, sent, after);
      if (replies.length) after = replies[replies.length - 1]!.id;
      const withChoices = replies.filter((r) => r.choices?.length).at(-1);
      if (withChoices) offered = withChoices.choices!;
      return replies;
    };
    const consent = await step({ text: "Halo" });
    expect(consent[0]!.text).toMatch(/^Selamat datang di Sapa IKM/);
    expect(consent[1]!.choices!.map((c) => ({ ...c, id: splitChoiceId(c.id).choiceId }))).toEqual([
      { id: "yes", label: "Ya, saya setuju" },
      { id: "no", label: "Tidak setuju" },
      { id: "programmes", label: "Lihat pelatihan dulu" },
    ]);
    expect((await step({ choice: "yes" }))[0]!.text).toBe("Siapa nama lengkap Anda?");
    await step({ text: "Rina Wati" });
    // Markup is refused as a business name; "&" is fine, and stays text in the HTML.
    expect((await step({ text: "Penjahit <Rina>" }))[0]!.text).toMatch(/tanpa tanda seperti < >/);
    await step({ text: "Penjahit Rina & Co" });
    await step({ choice: "konveksi" });
    await step({ choice: "Kota Pangkalpinang" });
    await step({ text: "0812-7777-8888" });
    const summary = await step({ choice: "no" });
    expect(summary[0]!.text).toContain("Nomor HP: 0812-7777-8888");
    expect(summary[0]!.html).toContain("Nama usaha: Penjahit Rina &amp; Co");
    const menu = await step({ choice: "yes" });
    expect(menu.map((m) => m.text).join("\n")).toContain("Terima kasih, Rina Wati!");
    const programmes = await step({ choice: "enrollment" });
    // Her sector and regency first.
    expect(programmes[0]!.choices![0]!.label).toBe("Pangkalpinang · Produksi Konveksi");
    const sessions = await step({ choice: splitChoiceId(programmes[0]!.choices![0]!.id).choiceId });
    const confirm = await step({ choice: splitChoiceId(sessions[0]!.choices![0]!.id).choiceId });
    expect(confirm[0]!.text).toMatch(/^Anda akan mendaftar di:/);
    const done = await step({ choice: "yes" });
    // `text` is plain for scripts; `html` shows the title in bold.
    expect(done[0]!.text).toMatch(
      /^✅ Anda terdaftar di Produksi Konveksi \(Pangkalpinang\), \w+, \d+ \w+ 2026 pukul \d\d\.\d\d WIB/,
    );
    expect(done[0]!.html).toMatch(/^✅ Anda terdaftar di <strong>Produksi Konveksi \(Pangkalpinang\)<\/strong>, \w+/);
  });

  it("refuses a button of an earlier question: nothing changes, the current question is asked again", async () => {
    const chat = await session();
    const hello = await say(chat, { text: "halo" }, 0);
    const consent = hello.at(-1)!;
    const agree = consent.choices!.find((c) => c.id.startsWith("yes@"))!.id;
    const asked = await say(chat, { choice: agree }, consent.id);
    expect(asked[0]!.text).toBe("Siapa nama lengkap Anda?");
    // The same consent button again, now that the bot asks for a name: no name is stored from it.
    const again = await say(chat, { choice: agree }, asked.at(-1)!.id);
    expect(again[0]!.text).toMatch(/^Tombol itu dari pertanyaan sebelumnya/);
    expect(again.at(-1)!.text).toBe("Siapa nama lengkap Anda?");
    const conversation = await app.database.prisma.conversation.findFirstOrThrow({
      where: { identity: { channel: "web", platformUserId: chat.chatId } },
    });
    expect(conversation.node).toBe("ask_name");
    expect(Object.keys(conversation.variables as object)).not.toContain("name");
  });

  it("answers bad requests with 400 and a reason, and a long text with a reply", async () => {
    const chat = await session();
    const noBody = await post(chat, { hello: 1 });
    expect(noBody.status).toBe(400);
    expect(await noBody.json()).toEqual({ error: 'Send {"text": "..."} or {"choice": "<id>"} as JSON.' });
    const badQuery = await fetch(`${app.url}/api/webchat/${chat.chatId}/messages?after=abc`, {
      headers: { authorization: `Bearer ${chat.token}` },
    });
    expect(badQuery.status).toBe(400);
    const replies = await say(chat, { text: "x".repeat(10_000) }, 0);
    expect(replies[0]!.text).toMatch(/^Selamat datang/);
  });

  it("makes a new, unguessable chat for each session, with a JSON content type and no body too", async () => {
    const a = await session();
    const b = await fetch(`${app.url}/api/webchat/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(b.status).toBe(201);
    const { chatId, token } = (await b.json()) as Chat;
    expect(chatId).not.toBe(a.chatId);
    expect(chatId).toMatch(/^web-[A-Za-z0-9_-]{22}$/);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("serves the chat page, also from the front page", async () => {
    const front = await fetch(`${app.url}/`, { redirect: "manual" });
    expect(front.status).toBe(302);
    expect(front.headers.get("location")).toBe("/chat");
    const res = await fetch(`${app.url}/chat`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("Sapa IKM");
  });
});
