/**
 * The documentation's structure: the README stays short enough to read on a screen and links every
 * page in docs/, and every relative link in the README and docs/ leads to a file that exists (and,
 * for a link to a heading of a Markdown file, to a heading that exists), so moving a section
 * cannot leave a reader at a dead end.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const docsDir = path.join(root, "docs");
const readme = path.join(root, "README.md");
const docs = fs
  .readdirSync(docsDir)
  .filter((name) => name.endsWith(".md"))
  .map((name) => path.join(docsDir, name));
const pages = [readme, ...docs];

/** The text outside fenced code blocks and inline code, where a `[x](y)` is not a link. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line.replace(/`[^`]*`/g, "");
  });
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as hyphens. */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count ? `${slug}-${count}` : slug);
  }
  return anchors;
}

type Link = { from: string; line: number; target: string };

function linksOf(file: string): Link[] {
  const links: Link[] = [];
  prose(fs.readFileSync(file, "utf8")).forEach((text, i) => {
    for (const match of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ from: path.relative(root, file), line: i + 1, target: match[1]! });
  });
  return links;
}

const relativeLinks = pages.flatMap(linksOf).filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target));

describe("documentation", () => {
  it("keeps the README at most 250 lines", () => {
    const lines = fs.readFileSync(readme, "utf8").trimEnd().split("\n").length;
    expect(lines).toBeLessThanOrEqual(250);
  });

  it("links every page of docs/ from the README", () => {
    const linked = new Set(linksOf(readme).map((l) => path.resolve(root, decodeURIComponent(l.target.split("#")[0]!))));
    expect(docs.filter((doc) => !linked.has(doc)).map((doc) => path.relative(root, doc))).toEqual([]);
  });

  it("finds the links it checks", () => {
    // A parser that found nothing would pass the next test without checking anything.
    expect(relativeLinks.length).toBeGreaterThan(50);
    expect(relativeLinks.some((l) => l.target.includes("#"))).toBe(true);
  });

  it("has every relative link lead to a file and heading that exist", () => {
    const broken: string[] = [];
    for (const link of relativeLinks) {
      const [file = "", anchor] = link.target.split("#");
      const target = file
        ? path.resolve(root, path.dirname(link.from), decodeURIComponent(file))
        : path.join(root, link.from);
      const where = `${link.from}:${link.line} -> ${link.target}`;
      if (!fs.existsSync(target)) broken.push(`${where} (no such file)`);
      else if (anchor && target.endsWith(".md") && !anchorsOf(target).has(anchor.toLowerCase()))
        broken.push(`${where} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });
});
