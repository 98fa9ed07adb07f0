/**
 * A simulated Telegram user for tests against the fake Bot API server and the whole application:
 * each action waits for the bot's whole answer.
 */
import type { App } from "../../src/app.js";
import { splitChoiceId } from "../../src/engine/engine.js";
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
    /**
     * Presses a button as a person does: on the latest message that shows it. `data` is the
     * option's id ("yes"); the callback data sent is the button's own, with its question stamp.
     */
    press: (data: string) => {
      const shown = [...sentTo()].reverse().find((m) => rawButtons(m).some((d) => d === data || baseOf(d) === data));
      const raw = shown ? rawButtons(shown).find((d) => d === data || baseOf(d) === data)! : data;
      return answer(() => fake.userPress(user, raw, shown?.messageId));
    },
    contact: (phone: string) => answer(() => fake.userContact(user, phone)),
    sticker: () => answer(() => fake.userSticker(user)),
  };
}

/** The callback data of a message's inline buttons, as sent (with the question's stamp). */
export const rawButtons = (m: SentMessage | undefined) =>
  ((m?.replyMarkup as Keyboard | undefined)?.inline_keyboard ?? []).flat().map((b) => b.callback_data);

/** A button's option id without the stamp of its question ("yes@k3f2a" -> "yes"). */
const baseOf = (data: string) => splitChoiceId(data).choiceId;

/** The option ids of a message's inline buttons. */
export const buttons = (m: SentMessage | undefined) => rawButtons(m).map(baseOf);
