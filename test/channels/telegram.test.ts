/**
 * The Telegram channel end to end: telegraf's real code against the fake Bot API server, the
 * whole application (runtime, outbox, workers) on a real database and Redis.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { webhookSecretFor } from "../../src/channels/telegram.js";
import { queueOutbound } from "../../src/outbox/queue-outbound.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { providers } from "../support/databases.js";
import { startFakeTelegram, type FakeTelegram, type SentMessage, type TgUser } from "../support/fake-telegram.js";
import { entityTexts } from "../support/telegram-html.js";
import { buttons, person, rawButtons, type Keyboard } from "../support/telegram-person.js";
import { freePort } from "../support/redis-server.js";
import { waitForQuiet } from "../support/quiet.js";
import { waitFor } from "../support/wait-for.js";

/** A Telegram update with a text message in a private chat, built by hand (to send it twice, or unsigned). */
const privateText = (
  updateId: number,
  messageId: number,
  from: Required<Pick<TgUser, "id" | "first_name">>,
  text: string,
) => ({
  update_id: updateId,
  message: {
    message_id: messageId,
    from: { ...from, is_bot: false },
    chat: { ...from, type: "private" },
    date: Math.floor(Date.now() / 1000),
    text,
  },
});

/** Registration and enrollment through buttons, the contact button and typed answers. */
async function registerAndEnroll(p: ReturnType<typeof person>, fake: FakeTelegram) {
  const consent = await p.say("/start");
  expect(consent[0]!.text).toMatch(/^Selamat datang di Sapa IKM/);
  expect(buttons(consent.at(-1))).toEqual(["yes", "no", "programmes"]);
  expect((await p.press("yes"))[0]!.text).toBe("Siapa nama lengkap Anda?");
  // The press was answered (no spinning button) and the choice shows under the question.
  await waitFor(() => fake.answeredCallbacks.length > 0, 5000, "callback answered");
  await waitFor(() => fake.requests.some((r) => r.method === "editMessageText" && String(r.body.text).includes("✓")));
  await p.say("Sari Dewi");
  const sector = await p.say("Lada Sari");
  const sectorChoices = buttons(sector.at(-1));
  expect(sectorChoices.length).toBeGreaterThan(2);
  const regency = await p.press(sectorChoices[0]!);
  const phone = await p.press(buttons(regency.at(-1))[0]!);
  // The phone step offers Telegram's "share my number" button.
  const keyboard = (phone.at(-1)!.replyMarkup as Keyboard).keyboard as { request_contact?: boolean }[][];
  expect(keyboard[0]![0]!.request_contact).toBe(true);
  const nib = await p.contact("+62 812-3456-7001");
  const summary = await p.press(buttons(nib.at(-1)).at(-1)!);
  expect(summary.map((m) => m.text).join("\n")).toContain("Nomor HP: 0812-3456-7001");
  const menu = await p.press("yes");
  expect(menu.map((m) => m.text).join("\n")).toContain("Terima kasih, Sari Dewi!");
  const programmes = await p.press("enrollment");
  const sessions = await p.press(buttons(programmes.at(-1))[0]!);
  const confirm = await p.press(buttons(sessions.at(-1))[0]!);
  expect(confirm[0]!.text).toMatch(/^Anda akan mendaftar di:/);
  const done = await p.press("yes");
  expect(done[0]!.text).toMatch(/^✅ Anda terdaftar di/);
}

describe.each(providers)("Telegram over long polling (%s)", (provider) => {
  let fake: FakeTelegram;
  let testApp: TestApp;
  let app: App;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    testApp = await startTestApp({
      provider,
      env: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_CHAT_GAP_MS: "1000" },
    });
    app = testApp.app;
    await waitFor(() => app.bot.channelStatus().telegram?.state === "ready", 10_000, "telegram ready");
  });

  /** Every update fetched and handled (confirmed by the next poll's offset), and the bot quiet. */
  const quiet = async () => {
    await waitFor(() => fake.pendingUpdates.length === 0, 10_000, "the updates handled");
    await waitForQuiet(app.bot, { database: app.database, channels: ["telegram"] });
  };

  afterEach(() => {
    fake.failAll("sendMessage", null);
    fake.blockedChats.clear();
  });

  afterAll(async () => {
    await testApp.stop();
    await fake.close();
  });

  it("lets a participant register and enroll with buttons and the contact button", async () => {
    await registerAndEnroll(person(fake, app, 7001), fake);
    const participant = await app.database.prisma.participant.findFirst({ where: { name: "Sari Dewi" } });
    expect(participant?.phone).toBe("6281234567001");
    // The name Telegram shows is kept on the identity, for staff to recognise the chat.
    const identity = await app.database.prisma.channelIdentity.findFirst({ where: { platformUserId: "7001" } });
    expect(identity?.displayName).toBe("Sari");
    expect(await app.database.prisma.enrollment.count({ where: { participantId: participant!.id } })).toBe(1);
  });

  if (provider === "postgresql") return;

  it("opens a programme from a deep link (/start daftar-<programme>)", async () => {
    // Sari registered in the first test; her link goes straight to the programme's sessions.
    const replies = await person(fake, app, 7001).say("/start daftar-konveksi-belitung");
    const text = replies.map((m) => m.text).join("\n");
    expect(text).toMatch(/Konveksi/);
    expect(text).not.toMatch(/Lada/);
    expect(buttons(replies.at(-1)).length).toBeGreaterThan(0);
  });

  it("processes the same update delivered twice only once", async () => {
    const p = person(fake, app, 7002);
    const update = privateText(990_001, 5, { id: 7002, first_name: "Andi" }, "halo");
    const replies = await (async () => {
      const before = fake.sentTo(7002).length;
      await fake.pushUpdate(update);
      await fake.pushUpdate({ ...update, update_id: 990_002 });
      await waitFor(() => fake.sentTo(7002).length > before);
      await quiet();
      return fake.sentTo(7002).slice(before);
    })();
    expect(replies.filter((m) => /^Selamat datang/.test(m.text))).toHaveLength(1);
    expect(
      await app.database.prisma.message.count({ where: { channel: "telegram", chatId: "7002", direction: "inbound" } }),
    ).toBe(1);
    // The person keeps going from where they are.
    expect((await p.press("yes"))[0]!.text).toBe("Siapa nama lengkap Anda?");
  });

  it("waits out a 429 for retry_after before sending anything, then sends", async () => {
    const p = person(fake, app, 7003);
    fake.failNext("sendMessage", { code: 429, retryAfter: 2 });
    const replies = await p.say("halo");
    expect(replies[0]!.text).toMatch(/^Selamat datang/);
    const sends = fake.requests.filter((r) => r.method === "sendMessage");
    const limited = sends.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    // Nothing went to Telegram until retry_after had passed.
    for (const later of sends.slice(limited + 1)) expect(later.at - sends[limited]!.at).toBeGreaterThanOrEqual(1990);
    expect(fake.http429).toBe(1);
  });

  it("retries a 500 with backoff and records a 400 as a permanent failure with its reason", async () => {
    const p = person(fake, app, 7004);
    fake.failNext("sendMessage", { code: 500 });
    expect((await p.say("halo"))[0]!.text).toMatch(/^Selamat datang/);
    fake.failNext("sendMessage", { code: 400, description: "Bad Request: chat not found" });
    const [item] = await queueOutbound(app.database, app.bot.outbox, [
      { channel: "telegram", chatId: "7004", identityId: null, message: { text: "Pengumuman" }, kind: "notice" },
    ]);
    const failed = await waitFor(async () => {
      const row = await app.database.prisma.outboxItem.findUnique({ where: { id: item! }, include: { message: true } });
      return row?.status === "failed" ? row : null;
    });
    expect(failed.lastError).toBe("Telegram 400: Bad Request: chat not found");
    expect(failed.message.error).toBe("Telegram 400: Bad Request: chat not found");
    expect(failed.attempts).toBe(1);
  });

  it("marks a person who blocked the bot, sends them nothing more, and resumes when they write again", async () => {
    const p = person(fake, app, 7005);
    await p.say("halo");
    fake.blockedChats.add(7005);
    const identity = await app.database.prisma.channelIdentity.findFirstOrThrow({ where: { platformUserId: "7005" } });
    const [first, second] = await queueOutbound(app.database, app.bot.outbox, [
      { channel: "telegram", chatId: "7005", identityId: identity.id, message: { text: "Satu" }, kind: "notice" },
      { channel: "telegram", chatId: "7005", identityId: identity.id, message: { text: "Dua" }, kind: "notice" },
    ]);
    await waitFor(async () => {
      const rows = await app.database.prisma.outboxItem.findMany({ where: { id: { in: [first!, second!] } } });
      return rows.every((r) => r.status === "failed");
    });
    const blocked = await app.database.prisma.channelIdentity.findUniqueOrThrow({ where: { id: identity.id } });
    expect(blocked.blockedAt).not.toBeNull();
    // One 403 from Telegram; the second message was never tried.
    const tries = fake.requests.filter(
      (r) => r.method === "sendMessage" && String(r.body.chat_id) === "7005" && r.status === 403,
    );
    expect(tries).toHaveLength(1);
    const secondRow = await app.database.prisma.outboxItem.findUniqueOrThrow({ where: { id: second! } });
    expect(secondRow.lastError).toBe("not sent: the person has blocked the bot");
    fake.blockedChats.delete(7005);
    const back = await p.say("menu");
    expect(back.length).toBeGreaterThan(0);
    const unblocked = await app.database.prisma.channelIdentity.findUniqueOrThrow({ where: { id: identity.id } });
    expect(unblocked.blockedAt).toBeNull();
  });

  it("splits a long message at paragraph boundaries, keeping every character", async () => {
    const paragraph = (n: number) =>
      (`Paragraf ${n}. ` + "Pelatihan lada untuk IKM Bangka Belitung. ".repeat(40)).trim();
    const text = Array.from({ length: 6 }, (_, i) => paragraph(i + 1)).join("\n\n");
    expect(text.length).toBeGreaterThan(4096 * 2);
    const before = fake.sentTo(7006).length;
    await queueOutbound(app.database, app.bot.outbox, [
      { channel: "telegram", chatId: "7006", identityId: null, message: { text }, kind: "notice" },
    ]);
    const parts = await waitFor(() => {
      const sent = fake.sentTo(7006).slice(before);
      return sent.length >= 3 ? sent : null;
    });
    for (const part of parts) {
      expect(part.text.length).toBeLessThanOrEqual(4096);
      expect(part.text).toMatch(/^Paragraf \d+\./);
    }
    expect(parts.map((m) => m.text).join("\n\n")).toBe(text);
  });

  it("answers a group once, politely, and ignores edited messages", async () => {
    const before = fake.sent.length;
    await fake.groupMessage({ id: 7007 }, -100_7007, "halo bot");
    await fake.groupMessage({ id: 7008 }, -100_7007, "halo lagi");
    await waitFor(() => fake.sentTo(-100_7007).length === 1);
    expect(fake.sentTo(-100_7007)[0]!.text).toMatch(/chat pribadi/);
    await fake.editedMessage({ id: 7001 }, "ubah");
    await quiet();
    expect(fake.sent.length - before).toBe(1);
    expect(await app.database.prisma.channelIdentity.count({ where: { platformUserId: "7008" } })).toBe(0);
  });

  it("keeps nothing but the refusal of someone who says no to the data notice, not even their Telegram name", async () => {
    const p = person(fake, app, 7012, "Wawan");
    await p.say("/start");
    await p.press("no");
    await p.say("halo lagi");
    const identity = await app.database.prisma.channelIdentity.findFirstOrThrow({
      where: { platformUserId: "7012" },
      include: { messages: { where: { direction: "inbound" } } },
    });
    expect(identity.consentRefusedAt).not.toBeNull();
    expect(identity.displayName).toBeNull();
    expect(identity.participantId).toBeNull();
    // What they typed before the refusal is gone; the message after it asks again.
    expect(identity.messages[0]!.text).toBeNull();
  });

  it("never lets an old button change anything: 'Ya, simpan' pressed at 'Yakin ingin menghapus?' deletes nothing", async () => {
    const p = person(fake, app, 7015, "Yanti");
    await p.say("halo");
    await p.press("yes");
    await p.say("Yanti Lestari");
    const sector = await p.say("Lada Yanti");
    const regency = await p.press(buttons(sector.at(-1))[0]!);
    await p.press(buttons(regency.at(-1))[0]!);
    const nib = await p.contact("+62 812-3456-7015");
    const summary = (await p.press(buttons(nib.at(-1)).at(-1)!)).at(-1)!;
    const save = rawButtons(summary).find((d) => d.startsWith("yes@"))!;
    await p.press("yes");
    const participant = await app.database.prisma.participant.findFirstOrThrow({ where: { name: "Yanti Lestari" } });

    await p.say("privasi");
    const asked = await p.say("hapus data saya");
    expect(asked.at(-1)!.text).toMatch(/Yakin ingin menghapus\?/);
    // The old "Ya, simpan" of the summary, tapped while the bot asks whether to delete.
    const stale = await (async () => {
      const before = fake.sentTo(7015).length;
      await fake.userPress(p.user, save, summary.messageId);
      await waitFor(() => fake.sentTo(7015).length > before + 1, 15_000, "the answer to an old button");
      return fake.sentTo(7015).slice(before);
    })();
    expect(stale[0]!.text).toMatch(/^Tombol itu dari pertanyaan sebelumnya, jadi tidak ada yang diubah/);
    expect(stale.at(-1)!.text).toMatch(/Yakin ingin menghapus\?/);
    expect(await app.database.prisma.participant.findUnique({ where: { id: participant.id } })).not.toBeNull();
    // The current question's own button still works, and "Tidak jadi" keeps everything.
    const kept = await p.press("no");
    expect(kept[0]!.text).toBe("Baik, data Anda tidak dihapus.");
    const still = await app.database.prisma.participant.findUnique({ where: { id: participant.id } });
    expect(still?.name).toBe("Yanti Lestari");
  });

  it("gives a sticker a helpful reply and keeps the participant's place", async () => {
    const p = person(fake, app, 7009);
    await p.say("halo");
    await p.press("yes");
    const sticker = await p.sticker();
    expect(sticker[0]!.text).toMatch(/^Maaf, saya hanya bisa membaca pesan teks/);
    expect((await p.say("Rudi Hartono"))[0]!.text).toMatch(/usaha/i);
  });

  it("formats with HTML: a programme title in bold, a typed business name shown as typed, markup refused as a name, formatting kept after a press", async () => {
    const p = person(fake, app, 7013, "Budi");
    const business = "Lada & Sahang (Budi)";
    await p.say("/start");
    await p.press("yes");
    // Markup is no name: refused, and the refusal itself is sent as valid HTML.
    const refused = await p.say("<b>Budi</b> & *Co*");
    expect(refused[0]!.text).toMatch(/tanpa tanda seperti < > \{ \}/);
    await p.say("Budi Santoso");
    const sector = await p.say(business);
    const regency = await p.press(buttons(sector.at(-1))[0]!);
    await p.press(buttons(regency.at(-1))[0]!);
    const nib = await p.contact("+62 812-3456-7013");
    const [summary] = await p.press(buttons(nib.at(-1)).at(-1)!);
    // Every message goes as Telegram HTML; what Budi typed is text, never markup.
    const sends = fake.sentTo(7013).filter((m) => m.method === "sendMessage");
    expect(sends.every((m) => m.parseMode === "HTML")).toBe(true);
    expect(summary!.sentText).toContain("Nama usaha: Lada &amp; Sahang (Budi)");
    expect(summary!.text).toContain(`Nama usaha: ${business}`);
    expect(entityTexts(summary!, "bold").join()).not.toContain("Budi");
    await p.press("yes");

    const programmes = await p.press("enrollment");
    const first = (programmes.at(-1)!.replyMarkup as Keyboard).inline_keyboard![0]![0]!;
    const sessions = await p.press(first.callback_data);
    // The programme's title heads its sessions, in bold.
    expect(first.text).toMatch(/^Diversifikasi Produk Lada/);
    expect(entityTexts(sessions[0]!, "bold")[0]).toBe("Diversifikasi Produk Lada");
    expect(sessions[0]!.text).toMatch(/^Diversifikasi Produk Lada\n/);
    const [confirm] = await p.press(buttons(sessions.at(-1))[0]!);
    const titleInConfirm = entityTexts(confirm!, "bold");
    expect(titleInConfirm.length).toBeGreaterThan(0);
    await p.press("yes");
    // The pressed choice shows under the question, whose formatting stays.
    const pressed = await waitFor(() => {
      const shown = fake.shownMessage(7013, confirm!.messageId);
      return shown?.text?.endsWith("✓ Ya, daftarkan saya") ? shown : null;
    });
    expect(pressed.reply_markup).toBeUndefined();
    expect(entityTexts({ text: pressed.text!, entities: pressed.entities }, "bold")).toEqual(titleInConfirm);

    // What is stored about him shows his name exactly as he typed it.
    await p.say("privasi");
    const [stored] = await p.press("see");
    expect(stored!.text).toContain(`Nama usaha: ${business}\n`);
    expect(stored!.entities ?? []).toEqual([]);
  });

  it("takes the buttons off a question answered by typing, never off a reminder's", async () => {
    const p = person(fake, app, 7014, "Rina");
    const consent = (await p.say("halo")).at(-1)!;
    const send = async (message: { text: string; choices: { id: string; label: string }[] }) => {
      const before = fake.sentTo(7014).length;
      await queueOutbound(app.database, app.bot.outbox, [
        { channel: "telegram", chatId: "7014", identityId: null, message, kind: "notice" },
      ]);
      return waitFor(() => fake.sentTo(7014)[before]);
    };
    const question = await send({
      text: "Apakah Anda *bisa* hadir?",
      choices: [
        { id: "yes@k3f2a", label: "Ya" },
        { id: "no@k3f2a", label: "Tidak" },
      ],
    });
    expect(rawButtons(question)).toEqual(["yes@k3f2a", "no@k3f2a"]);
    // Rina types instead of pressing; with the bot's answer, the old buttons are gone.
    await p.say("ya");
    expect(fake.shownMessage(7014, question.messageId)?.reply_markup).toBeUndefined();
    expect(fake.shownMessage(7014, question.messageId)).toMatchObject({ text: "Apakah Anda bisa hadir?" });
    expect(entityTexts(fake.shownMessage(7014, question.messageId) as SentMessage, "bold")).toEqual(["bisa"]);

    const reminder = await send({
      text: "🔔 Pengingat: besok Anda mengikuti *Uji Pengingat*.",
      choices: [
        { id: "hadir-12", label: "Hadir" },
        { id: "tidak-12", label: "Tidak bisa hadir" },
      ],
    });
    await p.say("halo");
    await p.say("menu");
    // A question whose button was pressed shows the choice; its keyboard is taken away once only.
    const pressedQuestion = await send({
      text: "Lanjutkan?",
      choices: [{ id: "yes@m9x1c", label: "Ya, lanjut" }],
    });
    await fake.userPress(p.user, "yes@m9x1c", pressedQuestion.messageId);
    await waitFor(() => fake.shownMessage(7014, pressedQuestion.messageId)?.text === "Lanjutkan?\n\n✓ Ya, lanjut");
    await p.say("menu");
    // A reminder's buttons stay valid for ever: still there after more answers.
    expect(fake.shownMessage(7014, reminder.messageId)?.reply_markup).toEqual(reminder.replyMarkup);
    const removals = fake.requests.filter(
      (r) => r.method === "editMessageReplyMarkup" && String(r.body.chat_id) === "7014",
    );
    // The consent question went when the next message came, and so did the question typed over.
    expect(removals.map((r) => r.body.message_id)).toEqual([consent.messageId, question.messageId]);
  });

  it("spaces bulk messages to one chat by at least the chat gap, and sends replies ahead of bulk", async () => {
    const p = person(fake, app, 7010);
    await p.say("halo");
    const before = fake.sentTo(7010).length;
    await queueOutbound(
      app.database,
      app.bot.outbox,
      ["Satu", "Dua", "Tiga"].map((text) => ({
        channel: "telegram",
        chatId: "7010",
        identityId: null,
        message: { text },
        kind: "broadcast" as const,
      })),
    );
    await queueOutbound(
      app.database,
      app.bot.outbox,
      ["Empat", "Lima"].map((text) => ({
        channel: "telegram",
        chatId: "7010",
        identityId: null,
        message: { text },
        kind: "broadcast" as const,
      })),
    );
    // The second bulk job of this chat waits out the chat gap the first one took: it is put back,
    // delayed, while the first job's three go out. (How long it waited is the chat_gap_ms figure
    // of the timing benchmark.)
    const bulk = app.bot.outbox.queue("telegram", "bulk");
    await waitFor(
      async () => fake.sentTo(7010).length - before === 3 && (await bulk.getDelayedCount()) > 0,
      10_000,
      "the second job held by the chat gap",
    );
    const sent = await waitFor(() => {
      const s = fake.sentTo(7010).slice(before);
      return s.length >= 5 ? s : null;
    }, 15_000);
    expect(sent.map((m) => m.text)).toEqual(["Satu", "Dua", "Tiga", "Empat", "Lima"]);
  });
});

describe("Telegram over a webhook", () => {
  let fake: FakeTelegram;
  let testApp: TestApp;
  let app: App;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    const port = await freePort();
    testApp = await startTestApp({
      env: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
    });
    app = testApp.app;
    await waitFor(() => fake.webhook !== null, 10_000, "webhook set");
  });

  afterAll(async () => {
    await testApp.stop();
    await fake.close();
  });

  it("sets the webhook with the secret and registers and enrolls a participant through it", async () => {
    expect(fake.webhook!.url).toBe(`${app.url}/telegram/webhook`);
    expect(fake.webhook!.secret).toBe(webhookSecretFor(fake.token));
    await registerAndEnroll(person(fake, app, 8001), fake);
    expect(fake.webhookDeliveries.every((d) => d.status === 200)).toBe(true);
  });

  it("refuses a call without the right secret and processes nothing", async () => {
    const update = privateText(880_001, 1, { id: 8002, first_name: "Eko" }, "halo");
    expect((await fake.deliverRaw(update)).status).toBe(401);
    expect((await fake.deliverRaw(update, { "X-Telegram-Bot-Api-Secret-Token": "wrong-secret-0000" })).status).toBe(
      401,
    );
    await waitForQuiet(app.bot, { database: app.database, channels: ["telegram"] });
    expect(await app.database.prisma.message.count({ where: { chatId: "8002" } })).toBe(0);
    expect(fake.sentTo(8002)).toHaveLength(0);
  });
});
