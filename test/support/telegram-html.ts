/**
 * Telegram's HTML parse mode, as the fake Bot API server applies it: the text a person sees and
 * its entities (bold, italic, links...), or the error Telegram gives for HTML it cannot parse.
 * Stricter than Telegram in one way: a bare `&` is refused, so a renderer that forgets to escape
 * one fails here rather than on some phone.
 */

/** A Telegram MessageEntity; offsets and lengths in UTF-16 code units, as Telegram counts them. */
export type MessageEntity = { type: string; offset: number; length: number; url?: string };

/** HTML Telegram refuses; the message is Telegram's description after "can't parse entities: ". */
export class HtmlParseError extends Error {}

const tagTypes: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  span: "spoiler",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  a: "text_link",
};

const named: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** The character of an entity such as `&lt;` or `&#39;`, or null. */
function entityChar(name: string): string | null {
  if (name in named) return named[name]!;
  const code = /^#(\d+)$/.exec(name)?.[1] ?? /^#x([0-9a-f]+)$/i.exec(name)?.[1];
  if (code === undefined) return null;
  const n = parseInt(code, name.startsWith("#x") || name.startsWith("#X") ? 16 : 10);
  return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : null;
}

function decodeEntities(s: string): string {
  return s.replace(/&([a-z]+|#\d+|#x[0-9a-f]+);/gi, (all, name: string) => entityChar(name.toLowerCase()) ?? all);
}

/** The attributes of a start tag. */
function attributesOf(source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of source.matchAll(/([a-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi))
    out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  return out;
}

/** Parses `html` as Telegram does with parse_mode "HTML"; throws HtmlParseError when Telegram would refuse it. */
export function parseTelegramHtml(html: string): { text: string; entities: MessageEntity[] } {
  const at = (i: number) => Buffer.byteLength(html.slice(0, i), "utf8");
  let text = "";
  const entities: MessageEntity[] = [];
  const open: { tag: string; offset: number; url?: string }[] = [];
  let i = 0;
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === "<") {
      const end = html.indexOf(">", i);
      const inner = end < 0 ? html.slice(i + 1) : html.slice(i + 1, end);
      if (inner.startsWith("/")) {
        const tag = inner.slice(1).trim().toLowerCase();
        const started = open.pop();
        if (!started) throw new HtmlParseError(`Unexpected end tag at byte offset ${at(i)}`);
        if (started.tag !== tag)
          throw new HtmlParseError(
            `Unmatched end tag at byte offset ${at(i)}, expected "</${started.tag}>", found "</${tag}>"`,
          );
        const length = text.length - started.offset;
        if (length > 0)
          entities.push({
            type: tagTypes[tag]!,
            offset: started.offset,
            length,
            ...(started.url !== undefined ? { url: started.url } : {}),
          });
      } else {
        const tag = /^[a-z-]+/i.exec(inner)?.[0]?.toLowerCase() ?? "";
        const attributes = attributesOf(inner.slice(tag.length));
        const known = tag in tagTypes && (tag !== "span" || attributes.class === "tg-spoiler");
        if (end < 0 || !known) throw new HtmlParseError(`Unsupported start tag "${tag}" at byte offset ${at(i)}`);
        if (tag === "a" && !attributes.href)
          throw new HtmlParseError(`Can't find URL of a link at byte offset ${at(i)}`);
        open.push({ tag, offset: text.length, ...(tag === "a" ? { url: attributes.href } : {}) });
      }
      i = end + 1;
    } else if (ch === "&") {
      const m = /^&([a-z]+|#\d+|#x[0-9a-f]+);/i.exec(html.slice(i, i + 16));
      const decoded = m ? entityChar(m[1]!.toLowerCase()) : null;
      if (!m || decoded === null) throw new HtmlParseError(`Unsupported HTML entity at byte offset ${at(i)}`);
      text += decoded;
      i += m[0].length;
    } else {
      text += ch;
      i += 1;
    }
  }
  if (open.length) throw new HtmlParseError(`Can't find end tag corresponding to start tag "${open.at(-1)!.tag}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

/** The parts of `text` that an entity of `type` covers. */
export function entityTexts(message: { text: string; entities?: MessageEntity[] }, type: string): string[] {
  return (message.entities ?? [])
    .filter((e) => e.type === type)
    .map((e) => message.text.slice(e.offset, e.offset + e.length));
}
