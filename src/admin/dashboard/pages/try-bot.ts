/** Coba bot (Try the bot): the public web chat at /chat, inside the dashboard. */
import { definePage } from "../page.js";
import { render } from "../render.js";

export const tryBotPage = definePage({
  path: "/dashboard/coba-bot",
  nav: { id: "Coba bot", en: "Try the bot", order: 100 },
  handler: ({ reply, t }) => render(reply, "try-bot", { title: t("Coba bot", "Try the bot") }),
});
