/** Ringkasan (Overview): the figures staff look at first. */
import type { ChannelState } from "../../../channels/channel.js";
import { loadOverview } from "../overview-data.js";
import { definePage } from "../page.js";
import { render } from "../render.js";
import { pick, text, type Text } from "../text.js";

const stateLabels: Record<ChannelState, Text> = {
  ready: text("Terhubung", "Connected"),
  connecting: text("Menghubungkan", "Connecting"),
  waiting_for_qr: text("Menunggu pindai kode QR", "Waiting for a QR scan"),
  disconnected: text("Terputus", "Disconnected"),
  disabled: text("Nonaktif", "Disabled"),
};

export const overviewPage = definePage({
  path: "/dashboard",
  nav: { id: "Ringkasan", en: "Overview", order: 10 },
  async handler({ reply, deps, t, language }) {
    const now = new Date();
    return render(reply, "overview", {
      title: t("Ringkasan", "Overview"),
      now,
      overview: await loadOverview(deps, now),
      stateLabel: (state: ChannelState) => pick(stateLabels[state] ?? text(state, state), language),
    });
  },
});
