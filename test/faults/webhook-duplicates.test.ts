/**
 * Telegram webhooks against two web processes (APP_ROLE=web, as behind a proxy) and one worker
 * (APP_ROLE=worker, which only sends): real child processes on one PostgreSQL database and one
 * Redis prefix.
 *
 * - The same update (same update_id and message_id) POSTed three times to each web process at
 *   once, as Telegram does when it did not get its 200 in time: the message is stored once, the
 *   person gets the replies of one turn, and every POST is answered 200 (a 500 would make
 *   Telegram send it yet again).
 * - A person whose nine registration answers arrive at the same moment, alternately at the two
 *   web processes: each is stored and handled once, one turn at a time, in the order typed, so
 *   the conversation ends where it ends for someone who waited for each reply. Each turn takes
 *   a ticket in Redis scored by Telegram's update_id and runs when its ticket is first; a
 *   message waits 50 ms after taking its ticket (webhook mode), so one typed earlier but
 *   delivered a moment later goes first (src/runtime/redis-keyed-lock.ts).
 *
 * PostgreSQL, not SQLite: the README's several-process layout is on PostgreSQL, and the SQLite
 * set-up (src/db/database.ts: WAL, a 10 s busy timeout, group commit in deferred transactions)
 * is meant for one process; three processes writing one SQLite file would test SQLite's locking
 * more than the application.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registrationAnswers } from "../support/harness.js";
import { freePort } from "../support/redis-server.js";
import { waitFor } from "../support/wait-for.js";
import { appEnv } from "./support/fixtures.js";
import { killAllChildren, runScenario } from "./support/scenario.js";

const secret = "fault-test-webhook-secret-0001";
const duplicated = 10;
const copiesPerInstance = 3;

afterAll(killAllChildren);

/**
 * A Telegram update with a text message in a private chat (as test/channels/telegram.test.ts
 * builds it). In Telegram the messages of a chat, both ways, share one sequence of ids; the fake
 * numbers the bot's messages from 1 in chats it never saw a user write in, so the person's ids
 * start far above, or a reply's id would collide with a stored inbound message's.
 */
const privateText = (updateId: number, messageId: number, chatId: number, text: string) => ({
  update_id: updateId,
  message: {
    message_id: 1_000_000 + messageId,
    from: { id: chatId, first_name: `Peserta ${chatId}`, is_bot: false },
    chat: { id: chatId, first_name: `Peserta ${chatId}`, type: "private" },
    date: Math.floor(Date.now() / 1000),
    text,
  },
});

/** What the run left, for the assertions. */
type Outcome = {
  /** Answers to each of the 60 POSTs of the repeated updates, by status. */
  duplicateStatuses: Record<number, number>;
  /** Chats whose replies were not exactly those of one "halo". */
  wrongReplies: number[];
  /** Inbound rows stored per repeated update. */
  storedPerUpdate: number[];
  quickStatuses: number[];
  /** The message numbers (1 to 9) in the order their turns ran. */
  quickOrder: number[];
  /** What the control and the quick typist got. */
  expected: string[];
  quickReplies: string[];
};

function scenario(): Promise<Outcome> {
  return runScenario("webhook duplicates", async (s) => {
    const fake = await s.fakeTelegram();
    const database = await s.database("postgresql");
    const db = database.prisma;
    const queues = s.redis();

    const webPorts = [await freePort(), await freePort()];
    const common = {
      ...appEnv({ database, redis: queues, telegram: fake }),
      // The proxy's address in real life; here the first web process. Both tell Telegram the same.
      PUBLIC_URL: `http://127.0.0.1:${webPorts[0]}`,
      TELEGRAM_WEBHOOK_SECRET: secret,
    };
    const webs = await Promise.all(
      webPorts.map((port, i) => s.spawn(`web ${i + 1}`, { ...common, APP_ROLE: "web", PORT: String(port) })),
    );
    await s.spawn("worker", { ...common, APP_ROLE: "worker", PORT: String(await freePort()) });
    await waitFor(() => fake.webhook !== null, 10_000, "the webhook set");

    let updateId = 500_000;
    const post = async (web: number, update: object) => {
      const response = await fetch(`${webs[web]!.url}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
        body: JSON.stringify(update),
      });
      await response.arrayBuffer();
      return response.status;
    };
    const textsTo = (chatId: number) => fake.sentTo(chatId).map((m) => m.text);
    /** Waits until the chat has received something new and then nothing for 600 ms. */
    const settledReplies = async (chatId: number, before: number) => {
      let last = -1;
      let since = Date.now();
      await waitFor(
        () => {
          const n = fake.sentTo(chatId).length;
          if (n !== last) [last, since] = [n, Date.now()];
          return n > before && Date.now() - since >= 600;
        },
        20_000,
        `the replies to ${chatId}`,
      );
    };

    // Someone who waits for each reply: what the conversation should look like.
    const control = 820_000;
    const answers = registrationAnswers("Sari Dewi", "081234500001");
    for (const [i, text] of answers.entries()) {
      const before = fake.sentTo(control).length;
      expect(await post(i % 2, privateText(++updateId, i + 1, control, text))).toBe(200);
      await settledReplies(control, before).catch(async (err: unknown) => {
        // What the turn wrote and what reached Telegram, to tell a lost reply from a slow one.
        const rows = await db.outboxItem.findMany({ where: { chatId: String(control) }, orderBy: { id: "asc" } });
        s.note(
          `no reply to answer ${i + 1} "${text}": outbox ${JSON.stringify(rows.map((r) => [r.id, r.status, r.attempts]))}; ` +
            `sent ${JSON.stringify(textsTo(control).map((t) => t.slice(0, 20)))}`,
        );
        throw err;
      });
    }
    const expected = textsTo(control);
    s.note(`control: ${answers.length} answers, one at a time, got ${expected.length} replies`);
    // One message on Telegram per reply written: none went twice.
    expect(await db.message.count({ where: { chatId: String(control), direction: "outbound" } })).toBe(expected.length);

    // The same update, six times at once: three to each web process.
    const chats = Array.from({ length: duplicated }, (_, i) => 821_000 + i);
    const statuses = (
      await Promise.all(
        chats.flatMap((chatId) => {
          const update = privateText(++updateId, 1, chatId, "halo");
          return Array.from({ length: 2 * copiesPerInstance }, (_, k) => post(k % 2, update));
        }),
      )
    ).reduce<Record<number, number>>((a, st) => ({ ...a, [st]: (a[st] ?? 0) + 1 }), {});
    s.note(
      `${duplicated} updates, each POSTed ${2 * copiesPerInstance} times at once: statuses ${JSON.stringify(statuses)}`,
    );
    // Someone who said "halo" once: what each of those should have got.
    const oneHalo = await (async () => {
      const chatId = 822_000;
      expect(await post(0, privateText(++updateId, 1, chatId, "halo"))).toBe(200);
      await settledReplies(chatId, 0);
      return textsTo(chatId);
    })();
    for (const chatId of chats) await settledReplies(chatId, 0);
    await new Promise((r) => setTimeout(r, 1_000));
    const wrongReplies = chats.filter((c) => JSON.stringify(textsTo(c)) !== JSON.stringify(oneHalo));
    s.note(`replies to "halo": ${oneHalo.length}; chats that got another number: ${wrongReplies.length}`);
    const inbound = await db.message.groupBy({
      by: ["chatId"],
      where: { chatId: { in: chats.map(String) }, direction: "inbound" },
      _count: { _all: true },
    });

    // Nine answers arriving at the same moment, alternately at the two web processes.
    const quick = 823_000;
    const quickStatuses = await Promise.all(
      answers.map((text, i) => post(i % 2, privateText(++updateId, i + 1, quick, text))),
    );
    await settledReplies(quick, expected.length - 1).catch(() => {});
    await new Promise((r) => setTimeout(r, 1_000));
    const stored = await db.message.findMany({
      where: { chatId: String(quick), direction: "inbound" },
      orderBy: { id: "asc" },
      select: { platformMessageId: true },
    });
    const quickOrder = stored.map((m) => Number(m.platformMessageId!.split(":")[1]) - 1_000_000);
    s.note(`quick typist: turns ran in the order ${quickOrder.join(" ")}; ${textsTo(quick).length} replies`);
    return {
      duplicateStatuses: statuses,
      wrongReplies,
      storedPerUpdate: chats.map((c) => inbound.find((g) => g.chatId === String(c))?._count._all ?? 0),
      quickStatuses,
      quickOrder,
      expected,
      quickReplies: textsTo(quick),
    };
  });
}

describe("Telegram webhooks on two web processes", { timeout: 90_000 }, () => {
  let run: Promise<Outcome>;
  beforeAll(() => {
    run = scenario();
    // Awaited by the tests; a rejection must not count as unhandled before then.
    run.catch(() => {});
  });

  it("process an update delivered six times at once, three times to each, once", async () => {
    const o = await run;
    // Every delivery answered 200: a 500 would make Telegram send it yet again.
    expect(o.duplicateStatuses).toEqual({ 200: duplicated * 2 * copiesPerInstance });
    expect(o.storedPerUpdate).toEqual(Array(duplicated).fill(1));
    expect(o.wrongReplies).toEqual([]);
  });

  it("handle each of one chat's messages arriving at the same moment once", async () => {
    const o = await run;
    expect(o.quickStatuses).toEqual(Array(9).fill(200));
    expect([...o.quickOrder].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("handle one chat's messages arriving at the same moment in the order typed", async () => {
    const o = await run;
    expect(o.quickOrder).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(o.quickReplies).toEqual(o.expected);
  });
});
