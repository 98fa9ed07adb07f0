/**
 * The light markup of every message the bot sends (OutgoingMessage.text): one language for all
 * flows, which each channel renders its own way (src/channels/render.ts). Pure, no I/O.
 *
 * The syntax, close to what WhatsApp users already type:
 * - `*bold*` and `_italic_`. A marker opens only next to a non-space character, after the start
 *   of the line, a space or punctuation (not after a letter or digit, not after the same marker),
 *   and closes only before the end of the line, a space or punctuation. So `5 * 3`, `file_name`,
 *   `snake_case_word` and `**` stay as typed. The first marker that can close does; a marker with
 *   no partner is plain text. Bold and italic may nest (`*bold _both_*`), never across a line.
 * - A bare `http://` or `https://` URL is a link. It runs to the next space; punctuation at its
 *   end (`.,;:!?'")]}*_`) belongs to the sentence, not the URL, unless escaped.
 * - Lines starting with `- ` or `1. ` are list items and are shown as they are.
 * - A backslash escapes `*`, `_` and `\`: `\*` is a literal star. Any other backslash is literal.
 *
 * Text that comes from people (names, business names, programme titles typed by staff) must never
 * be taken as formatting: interpolate it with `plain()`, or with `bold()` / `italic()`, which
 * escape their argument. `bold()` text must stand next to spaces or punctuation, as in
 * `Program ${bold(title)}:`, not inside a word.
 */

/** A piece of parsed markup. Links are http(s) only; `href` is the URL normalised. */
export type MarkupNode =
  | { type: "text"; text: string }
  | { type: "bold"; children: MarkupNode[] }
  | { type: "italic"; children: MarkupNode[] }
  | { type: "link"; href: string; text: string };

/** Escapes `*`, `_` and `\`, so the text reads exactly as given. */
export function escapeMarkup(s: string): string {
  return s.replace(/[\\*_]/g, "\\$&");
}

/** Text from a person (a name, a title), safe to put into markup: shown exactly as typed. */
export const plain = escapeMarkup;

/** Wraps each line of `s` (escaped) in `marker`, leaving the spaces around it outside. */
function wrap(s: string, marker: string): string {
  return s
    .split("\n")
    .map((line) => {
      const [, lead, body, trail] = /^(\s*)(.*?)(\s*)$/s.exec(line)!;
      return body ? `${lead}${marker}${escapeMarkup(body)}${marker}${trail}` : line;
    })
    .join("\n");
}

/** `s` in bold; `s` is escaped, so anything typed by a person is safe here. */
export function bold(s: string): string {
  return wrap(s, "*");
}

/** `s` in italics; `s` is escaped, so anything typed by a person is safe here. */
export function italic(s: string): string {
  return wrap(s, "_");
}

// ------------------------------------------------------------------ parsing

/** What a marker's neighbour is, for deciding whether it opens or closes. */
type Side = "space" | "word" | "star" | "underscore" | "other";

type Token =
  | { kind: "text"; text: string; left: Side; right: Side }
  | { kind: "marker"; marker: "*" | "_"; left: Side; right: Side }
  | { kind: "link"; href: string; text: string; left: Side; right: Side }
  | { kind: "newline" };

const wordChar = /[\p{L}\p{N}\p{M}]/u;
const spaceChar = /\s/u;
const escapable = new Set(["\\", "*", "_"]);
const urlStart = /https?:\/\//iy;
/** Ends a URL: a space, or what cannot be in one unencoded. */
const urlStop = /[\s<>"]/u;
const urlTrailing = new Set([".", ",", ";", ":", "!", "?", "'", '"', ")", "]", "}", "*", "_"]);

function sideOf(ch: string | undefined): Side {
  if (ch === undefined || spaceChar.test(ch)) return "space";
  if (ch === "*") return "star";
  if (ch === "_") return "underscore";
  return wordChar.test(ch) ? "word" : "other";
}

/**
 * A URL starting at `at`: its end in the source and its text with escapes resolved, or null.
 * Escaped characters belong to the URL even at its end.
 */
function scanUrl(src: string, at: number): { end: number; text: string; href: string } | null {
  urlStart.lastIndex = at;
  if (!urlStart.test(src)) return null;
  // One entry per source character or escape pair: [end in source, resolved text, escaped].
  const pieces: [number, string, boolean][] = [];
  let balance = 0;
  let i = at;
  while (i < src.length && !urlStop.test(src[i]!)) {
    if (src[i] === "\\" && escapable.has(src[i + 1] ?? "")) {
      pieces.push([i + 2, src[i + 1]!, true]);
      i += 2;
    } else {
      const ch = String.fromCodePoint(src.codePointAt(i)!);
      pieces.push([i + ch.length, ch, false]);
      if (ch === "(") balance += 1;
      if (ch === ")") balance -= 1;
      i += ch.length;
    }
  }
  for (;;) {
    const last = pieces.at(-1);
    if (!last || last[2] || !urlTrailing.has(last[1])) break;
    // "(see https://x.id/a_(b))": the last ")" closes the sentence's, the one before it the URL's.
    if (last[1] === ")") {
      if (balance >= 0) break;
      balance += 1;
    }
    pieces.pop();
  }
  const text = pieces.map((p) => p[1]).join("");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) return null;
  return { end: pieces.at(-1)![0], text, href: url.href };
}

/** Splits markup into text, markers, links and line breaks, each knowing its neighbours. */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let text = "";
  let textLeft: Side = "space";
  let prev: Side = "space";
  const flush = () => {
    // The right side is filled in at the end, when the next token is known.
    if (text) tokens.push({ kind: "text", text, left: textLeft, right: "space" });
    text = "";
  };
  /** Adds literal text; `side` is how it looks to a marker next to it. */
  const literal = (s: string, first: Side, last: Side) => {
    if (!text) textLeft = first;
    text += s;
    prev = last;
  };
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === "\\" && escapable.has(src[i + 1] ?? "")) {
      // An escaped marker is ordinary punctuation to the markers around it.
      literal(src[i + 1]!, "other", "other");
      i += 2;
      continue;
    }
    if (ch === "\n") {
      flush();
      tokens.push({ kind: "newline" });
      prev = "space";
      i += 1;
      continue;
    }
    if (ch === "*" || ch === "_") {
      flush();
      tokens.push({ kind: "marker", marker: ch, left: prev, right: "space" });
      prev = sideOf(ch);
      i += 1;
      continue;
    }
    if ((ch === "h" || ch === "H") && prev !== "word") {
      const url = scanUrl(src, i);
      if (url) {
        flush();
        tokens.push({ kind: "link", href: url.href, text: url.text, left: prev, right: "space" });
        prev = sideOf(url.text.at(-1));
        i = url.end;
        continue;
      }
    }
    const cp = String.fromCodePoint(src.codePointAt(i)!);
    const side = sideOf(cp);
    literal(cp, side, side);
    i += cp.length;
  }
  flush();
  // Each token's right neighbour is the left edge of the next one.
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === "newline") continue;
    const next = tokens[k + 1];
    t.right = !next || next.kind === "newline" ? "space" : firstSide(next);
  }
  return tokens;
}

function firstSide(t: Exclude<Token, { kind: "newline" }>): Side {
  if (t.kind === "marker") return t.marker === "*" ? "star" : "underscore";
  if (t.kind === "link") return "word";
  return t.left;
}

const own = (marker: "*" | "_"): Side => (marker === "*" ? "star" : "underscore");

function opens(t: Token): boolean {
  if (t.kind !== "marker") return false;
  const same = own(t.marker);
  return t.left !== "word" && t.left !== same && t.right !== "space" && t.right !== same;
}

function closes(t: Token): boolean {
  if (t.kind !== "marker") return false;
  const same = own(t.marker);
  return t.left !== "space" && t.left !== same && t.right !== "word" && t.right !== same;
}

/** Parses markup into nodes; see the module comment for the syntax. Never fails. */
export function parseMarkup(markup: string): MarkupNode[] {
  const tokens = tokenize(markup);
  // For each token, the first marker after it on the same line that can close bold (or italic).
  const nextCloser = { "*": new Int32Array(tokens.length), _: new Int32Array(tokens.length) };
  const pending = { "*": -1, _: -1 };
  for (let k = tokens.length - 1; k >= 0; k--) {
    nextCloser["*"][k] = pending["*"];
    nextCloser._[k] = pending._;
    const t = tokens[k]!;
    if (t.kind === "newline") pending["*"] = pending._ = -1;
    else if (t.kind === "marker" && closes(t)) pending[t.marker] = k;
  }

  const parse = (from: number, to: number, allowed: { "*": boolean; _: boolean }): MarkupNode[] => {
    const out: MarkupNode[] = [];
    const text = (s: string) => {
      const last = out.at(-1);
      if (last?.type === "text") last.text += s;
      else out.push({ type: "text", text: s });
    };
    let k = from;
    while (k < to) {
      const t = tokens[k]!;
      if (t.kind === "newline") text("\n");
      else if (t.kind === "text") text(t.text);
      else if (t.kind === "link") out.push({ type: "link", href: t.href, text: t.text });
      else {
        const close = nextCloser[t.marker][k]!;
        if (allowed[t.marker] && opens(t) && close > k + 1 && close < to) {
          const children = parse(k + 1, close, { ...allowed, [t.marker]: false });
          out.push({ type: t.marker === "*" ? "bold" : "italic", children });
          k = close + 1;
          continue;
        }
        text(t.marker);
      }
      k += 1;
    }
    return out;
  };
  return parse(0, tokens.length, { "*": true, _: true });
}

// ------------------------------------------------------------------ plain text

/** The text of parsed markup, as a reader sees it without formatting. */
export function nodesToPlainText(nodes: MarkupNode[]): string {
  return nodes.map((n) => (n.type === "text" || n.type === "link" ? n.text : nodesToPlainText(n.children))).join("");
}

/** Markup as plain text: markers removed, escapes resolved, URLs as written. */
export function toPlainText(markup: string): string {
  return nodesToPlainText(parseMarkup(markup));
}

/** Markup that shows `s` (markup) without its formatting: for places that format nothing. */
export function stripMarkup(markup: string): string {
  return escapeMarkup(toPlainText(markup));
}

/**
 * The part of `nodes` between two offsets of their plain text, formatting kept: a cut through a
 * bold phrase leaves both halves bold. A link cut in two keeps its target in both halves.
 */
export function sliceNodes(nodes: MarkupNode[], start: number, end: number): MarkupNode[] {
  const out: MarkupNode[] = [];
  let at = 0;
  for (const n of nodes) {
    const length = n.type === "text" || n.type === "link" ? n.text.length : nodesToPlainText(n.children).length;
    const from = Math.max(start, at) - at;
    const to = Math.min(end, at + length) - at;
    at += length;
    if (to <= from) continue;
    if (n.type === "text") out.push({ type: "text", text: n.text.slice(from, to) });
    else if (n.type === "link") out.push({ ...n, text: n.text.slice(from, to) });
    else {
      const children = sliceNodes(n.children, from, to);
      if (children.length) out.push({ type: n.type, children });
    }
  }
  return out;
}
