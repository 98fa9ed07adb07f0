/**
 * The one message model rendered for each channel. Message text is markup (engine/markup.ts):
 * `*bold*`, `_italic_`, bare http(s) links, `\` escapes. Each target gets its own form:
 * - Telegram: HTML for parse_mode "HTML": every piece of text escaped (& < >), bold as <b>,
 *   italic as <i>, links as <a href> (http and https only); buttons are plain text.
 * - WhatsApp: its own `*bold*` and `_italic_`; escaped markers come out as the bare character
 *   (WhatsApp has no escape), links as the URL; choices as a numbered list of plain labels.
 * - Web chat and dashboard: the same safe HTML as Telegram (<strong>, <em>, <a> opening a new
 *   tab), so no HTML ever comes from user text; plus plain text for scripts.
 * - Console: plain text.
 * Long texts are split before rendering, on the text a reader sees, so no tag is ever cut: a bold
 * phrase cut in two is bold in both parts.
 */
import { nodesToPlainText, parseMarkup, sliceNodes, toPlainText, type MarkupNode } from "../engine/markup.js";
import type { OutgoingMessage } from "../engine/types.js";
import { renderNumbered, splitRanges } from "./channel.js";

/** Markup, as text or already parsed. */
export type Markup = string | MarkupNode[];

const nodesOf = (markup: Markup) => (typeof markup === "string" ? parseMarkup(markup) : markup);

/** Text for HTML element content. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Text for a double-quoted HTML attribute. */
const escapeAttribute = (s: string) => escapeHtml(s).replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** Telegram's HTML (parse_mode "HTML"). */
export function renderTelegramHtml(markup: Markup): string {
  return nodesOf(markup)
    .map((n) => {
      switch (n.type) {
        case "text":
          return escapeHtml(n.text);
        case "bold":
          return `<b>${renderTelegramHtml(n.children)}</b>`;
        case "italic":
          return `<i>${renderTelegramHtml(n.children)}</i>`;
        case "link":
          return `<a href="${escapeAttribute(n.href)}">${escapeHtml(n.text)}</a>`;
      }
    })
    .join("");
}

/** Safe HTML for the web chat and the dashboard (quotes escaped too, for any context). */
export function renderWebHtml(markup: Markup): string {
  return nodesOf(markup)
    .map((n) => {
      switch (n.type) {
        case "text":
          return escapeAttribute(n.text);
        case "bold":
          return `<strong>${renderWebHtml(n.children)}</strong>`;
        case "italic":
          return `<em>${renderWebHtml(n.children)}</em>`;
        case "link":
          return `<a href="${escapeAttribute(n.href)}" target="_blank" rel="noopener noreferrer">${escapeAttribute(n.text)}</a>`;
      }
    })
    .join("");
}

/** WhatsApp's own formatting. */
export function renderWhatsApp(markup: Markup): string {
  return nodesOf(markup)
    .map((n) => {
      switch (n.type) {
        case "text":
        case "link":
          return n.text;
        case "bold":
          return `*${renderWhatsApp(n.children)}*`;
        case "italic":
          return `_${renderWhatsApp(n.children)}_`;
      }
    })
    .join("");
}

/** Plain text: markers removed, escapes resolved. */
export function renderPlain(markup: Markup): string {
  return typeof markup === "string" ? toPlainText(markup) : nodesToPlainText(markup);
}

/** Where links lie in the plain text of `nodes`, as [start, end) offsets. */
function linkRanges(nodes: MarkupNode[], at = 0, out: [number, number][] = []): [number, number][] {
  for (const n of nodes) {
    if (n.type === "text") at += n.text.length;
    else if (n.type === "link") {
      out.push([at, at + n.text.length]);
      at += n.text.length;
    } else {
      linkRanges(n.children, at, out);
      at += nodesToPlainText(n.children).length;
    }
  }
  return out;
}

/**
 * Markup longer than `max` characters of plain text (what Telegram counts) split into parts where
 * splitRanges cuts the plain text, never through a link when there is another way.
 */
export function splitMarkup(markup: Markup, max: number): MarkupNode[][] {
  const nodes = nodesOf(markup);
  const text = nodesToPlainText(nodes);
  const links = linkRanges(nodes);
  const canCut = (i: number) => !links.some(([from, to]) => from < i && i < to);
  return splitRanges(text, max, canCut).map(([from, to]) => sliceNodes(nodes, from, to));
}

/** Telegram's limit on a message's text, after its HTML is parsed. */
export const telegramTextLimit = 4096;
/** Telegram's limit on a button's callback data, in bytes. */
const callbackDataLimit = 64;
/** Longer labels do not fit a button: such choices go in the text as a numbered list. */
const buttonLabelLimit = 200;
const utf8 = new TextEncoder();

/** A message as the Telegram adapter sends it. */
export type TelegramRendering = {
  /** The text in parts that each fit one message, each Telegram HTML. */
  parts: string[];
  /** Inline buttons under the last part (label as plain text, callback data), or null. */
  buttons: { text: string; data: string }[] | null;
};

/** What a phone shows of an inline button before it cuts the label (Telegram). */
export const buttonLabelShown = 30;

/**
 * A label cut to what a phone shows, at a word, with an ellipsis. Flows put the part that
 * tells options apart first ("15 Des · Produksi Konveksi"), so the cut keeps it.
 */
export function fitLabel(label: string, max = buttonLabelShown): string {
  const chars = [...label];
  if (chars.length <= max) return label;
  const cut = chars.slice(0, max - 1).join("");
  const space = cut.lastIndexOf(" ");
  return `${(space >= max / 2 ? cut.slice(0, space) : cut).replace(/[\s,–·:(-]+$/u, "")}…`;
}

/** Renders a message for Telegram: HTML parts, and buttons when every choice fits one. */
export function renderForTelegram(message: OutgoingMessage): TelegramRendering {
  const choices = message.choices ?? [];
  const labels = choices.map((c) => toPlainText(c.label));
  const useButtons =
    choices.length > 0 &&
    choices.every(
      (c, i) =>
        utf8.encode(c.id).length <= callbackDataLimit &&
        labels[i]!.trim() !== "" &&
        labels[i]!.length <= buttonLabelLimit,
    );
  const markup = useButtons ? message.text : renderNumbered(message);
  const parts = splitMarkup(markup, telegramTextLimit).map((p) => renderTelegramHtml(p));
  return {
    // Telegram refuses an empty text: a question that is only buttons gets an ellipsis.
    parts: parts.some((p) => p.trim() !== "") ? parts : ["…"],
    buttons: useButtons ? choices.map((c, i) => ({ text: fitLabel(labels[i]!), data: c.id })) : null,
  };
}

/** How long a WhatsApp message may get before it is split (WhatsApp allows more; phones read less). */
export const whatsappTextLimit = 4096;

/** Renders a message for WhatsApp: its own formatting, choices as a numbered list, in parts. */
export function renderForWhatsApp(message: OutgoingMessage): string[] {
  return splitMarkup(renderNumbered(message), whatsappTextLimit)
    .map((p) => renderWhatsApp(p))
    .filter((p) => p.length > 0);
}

/** A message as the web chat API gives it. */
export type WebRendering = {
  /** Plain text, markers removed, for scripts that read the API. */
  text: string;
  /** Safe HTML for the page. */
  html: string;
  /** Choices with plain-text labels, or null. */
  choices: { id: string; label: string }[] | null;
};

/** Renders a message for the web chat: plain text, safe HTML, choices with plain labels. */
export function renderForWeb(message: OutgoingMessage): WebRendering {
  const nodes = parseMarkup(message.text);
  return {
    text: nodesToPlainText(nodes),
    html: renderWebHtml(nodes),
    choices: message.choices?.length ? message.choices.map((c) => ({ id: c.id, label: toPlainText(c.label) })) : null,
  };
}

/** Renders a message for the console: plain text, choices as a numbered list. */
export function renderForConsole(message: OutgoingMessage): string {
  return toPlainText(renderNumbered(message));
}
