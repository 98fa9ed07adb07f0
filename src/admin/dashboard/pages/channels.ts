/**
 * Kanal (Channels): the state of the web chat, Telegram and WhatsApp; WhatsApp's QR code while
 * it waits for a scan (the page reloads itself every few seconds meanwhile, with a Refresh
 * header, so no script is needed); and logging WhatsApp out (admins, after a confirmation page).
 * WhatsApp runs in one worker: a web process shows what that worker publishes in Redis and sends
 * it the log-out through Redis (src/channels/channel-board.ts).
 */
import type { WhatsAppAdapter } from "../../../channels/whatsapp.js";
import { audit } from "../../../domain/staff.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text } from "../text.js";
import {
  emptyTemplateForm,
  loadChannels,
  loadTemplateSection,
  needsRefresh,
  qrRefreshSeconds,
  templateCategoryLabels,
  templateFormView,
  templateLanguageLabels,
  templateParameterLabels,
  templatePurposeLabels,
  type TemplateFormState,
} from "./channels-data.js";

const channelsPath = "/dashboard/kanal";
const logoutPath = "/dashboard/kanal/whatsapp/keluar";

/**
 * The Kanal page; `templateForm` fills the add-a-template form again after it was refused (the
 * page then does not reload itself, or what was typed would be lost).
 */
export async function renderChannels(ctx: PageContext, templateForm?: TemplateFormState, status = 200) {
  const { reply, deps, t } = ctx;
  const channels = await loadChannels(deps);
  const refresh = !templateForm && needsRefresh(channels);
  // Chromium, Firefox and Safari honour Refresh as a header: the new QR code shows up without a script.
  if (refresh) reply.header("refresh", String(qrRefreshSeconds));
  const templates = await loadTemplateSection(deps);
  const form = templateForm ?? emptyTemplateForm();
  return render(
    reply,
    "channels",
    {
      title: t("Kanal", "Channels"),
      channels,
      refreshSeconds: refresh ? qrRefreshSeconds : 0,
      logoutPath,
      now: new Date(),
      templates,
      templateForm: templateFormView(form, "/dashboard/kanal/templat", "new"),
      // The add form is opened when it comes back with errors.
      templateFormOpen: Boolean(templateForm),
      labels: {
        languages: templateLanguageLabels,
        categories: templateCategoryLabels,
        purposes: templatePurposeLabels,
        kinds: templateParameterLabels,
      },
    },
    { status },
  );
}

export const channelsPage = definePage({
  path: channelsPath,
  nav: { id: "Kanal", en: "Channels", order: 60 },
  handler: (ctx) => renderChannels(ctx),
});

/** The confirmation page: logging out needs a new QR scan on the bot's phone to undo. */
export const confirmWhatsAppLogoutPage = definePage({
  path: logoutPath,
  role: "admin",
  handler: ({ reply, t }) =>
    render(reply, "channel-logout", { title: t("Keluarkan WhatsApp", "Log WhatsApp out"), logoutPath }),
});

export const whatsAppLogoutPage = definePage({
  method: "POST",
  path: logoutPath,
  role: "admin",
  async handler({ reply, deps, staff }) {
    const adapter = deps.channels?.whatsapp as WhatsAppAdapter | undefined;
    const notHere = () =>
      redirectWithFlash(
        reply,
        channelsPath,
        text("WhatsApp tidak berjalan di server ini.", "WhatsApp is not running on this server."),
        "error",
      );
    if (!deps.config.whatsapp.enabled) return notHere();
    const runner = (await deps.bot.sharedChannelStatus()).whatsapp?.runner;
    const notRunning = () =>
      redirectWithFlash(
        reply,
        channelsPath,
        text(
          "WhatsApp tidak berjalan di proses mana pun saat ini, jadi tidak ada yang bisa dikeluarkan.",
          "WhatsApp is not running in any process right now, so there is nothing to log out.",
        ),
        "error",
      );
    if (runner === null) return notRunning();
    if (runner && !runner.here) {
      // A worker runs it: the log-out goes to that worker through Redis; the page shows the new QR
      // code once the worker publishes it.
      const received = await deps.bot.sendChannelCommand("whatsapp", "logout").catch(() => null);
      if (received === null)
        return redirectWithFlash(
          reply,
          channelsPath,
          text(
            "Perintah keluar tidak dapat dikirim: Redis tidak menjawab. Coba lagi sebentar lagi.",
            "The log-out could not be sent: Redis did not answer. Please try again shortly.",
          ),
          "error",
        );
      if (!received) return notRunning();
      await audit(deps.database.prisma, staff.id, "channel.whatsapp_logout", "channel:whatsapp", {
        via: "dashboard",
        worker: `${runner.host} (pid ${runner.pid})`,
      });
      return redirectWithFlash(
        reply,
        channelsPath,
        text(
          `Perintah keluar sudah dikirim ke worker yang menjalankan WhatsApp (${runner.host}). Kode QR baru muncul di halaman ini dalam beberapa detik untuk menautkan nomor lagi.`,
          `The log-out was sent to the worker that runs WhatsApp (${runner.host}). A new QR code appears on this page within a few seconds to link a number again.`,
        ),
      );
    }
    if (!adapter?.whatsapp) return notHere();
    await adapter.whatsapp.logout();
    await audit(deps.database.prisma, staff.id, "channel.whatsapp_logout", "channel:whatsapp", { via: "dashboard" });
    return redirectWithFlash(
      reply,
      channelsPath,
      text(
        "WhatsApp sudah dikeluarkan. Kode QR baru muncul di halaman ini dalam beberapa detik untuk menautkan nomor lagi.",
        "WhatsApp has been logged out. A new QR code appears on this page within a few seconds to link a number again.",
      ),
    );
  },
});

export const channelPages = [channelsPage, confirmWhatsAppLogoutPage, whatsAppLogoutPage];
