/**
 * A simulated Telegram user for tests against the fake Bot API server and the whole application:
 * each action waits for the bot's whole answer.
 */
import type { App } from "../../src/app.js";
import type { FakeTelegram, SentMessage, TgUser } from "./fake-telegram.js";
import { waitFor } from "./wait-for.js";

export type Keyboard = { inline_keyboard?: { text: string; callback_data: string }[][]; keyboard?: unknown[][] };

/** A simulated person, with a helper that waits for the bot's whole answer to each input. */
export function person(fake: FakeTelegram, app: App, id: number, first_name = "Sari") {
  const user: TgUser = { id, first_name };
  const sentTo = () => fake.sentTo(id).filter((m) => m.method === "sendMessage");
  const settled = async () => {
    const open = await app.database.prisma.outboxItem.count({
      where: { channel: "telegram", chatId: String(id), status: { in: ["pending", "sending"] } },
    });
    return open === 0;
  };
  /** Runs `act`, then returns what the bot sent to this chat until everything is out. */
  const answer = async (act: () => Promise<unknown>): Promise<SentMessage[]> => {
    const before = sentTo().length;
    await act();
    await waitFor(async () => sentTo().length > before && (await settled()), 15_000, `a reply to ${id}`);
    // A turn's messages are committed together; give a moment for any straggler.
    await new Promise((r) => setTimeout(r, 100));
    return sentTo().slice(before);
  };
  return {
    user,
    say: (text: string) => answer(() => fake.userMessage(user, text)),
    press: (data: string) => answer(() => fake.userPress(user, data)),
    contact: (phone: string) => answer(() => fake.userContact(user, phone)),
    sticker: () => answer(() => fake.userSticker(user)),
  };
}

/** The callback data of a message's inline buttons. */
export const buttons = (m: SentMessage | undefined) =>
  ((m?.replyMarkup as Keyboard | undefined)?.inline_keyboard ?? []).flat().map((b) => b.callback_data);
