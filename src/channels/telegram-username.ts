/**
 * The Telegram bot's username, asked of the Bot API (getMe), for a tool that runs without the
 * bot (the check-in poster's link). Null when Telegram does not answer within a few seconds.
 */
import { Telegram } from "telegraf";

export async function telegramBotUsername(
  settings: { token: string; apiRoot: string },
  timeoutMs = 5000,
): Promise<string | null> {
  const telegram = new Telegram(settings.token, { apiRoot: settings.apiRoot });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    const me = await Promise.race([telegram.getMe().then((m) => m.username ?? null), timeout]);
    return me;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
