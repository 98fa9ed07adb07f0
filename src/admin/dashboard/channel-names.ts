/** How channels are named to staff, and which ones this installation runs. */
import type { DashboardDeps } from "./page.js";
import { text, type Text } from "./text.js";

const channelLabels: Record<string, Text> = {
  web: text("Obrolan web", "Web chat"),
  telegram: text("Telegram", "Telegram"),
  whatsapp: text("WhatsApp", "WhatsApp"),
  console: text("Konsol", "Console"),
};

/** The channels a participant can be on, by id. */
export const participantChannels = ["telegram", "whatsapp", "web"] as const;

export const channelLabel = (channel: string): Text => channelLabels[channel] ?? text(channel, channel);

/** The channels this installation runs, from its configuration: the web chat always. */
export function configuredChannels(deps: DashboardDeps): string[] {
  return ["web", ...(deps.config.telegram ? ["telegram"] : []), ...(deps.config.whatsapp.enabled ? ["whatsapp"] : [])];
}
