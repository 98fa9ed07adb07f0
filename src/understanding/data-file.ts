/**
 * Reading the data files beside this module (data/*.txt). They are read once, when the module
 * loads, so that understanding itself stays free of I/O; staff who extend a file restart the bot.
 *
 * Every file shares one shape: `#` starts a comment, blank lines are skipped, and an entry line
 * is `key: item, item, ...` or `item, item => value` depending on the file.
 */
import fs from "node:fs";

/** The lines of data/<name> that carry entries, with their line numbers for error messages. */
export function dataLines(name: string): { line: number; text: string }[] {
  const text = fs.readFileSync(new URL(`./data/${name}`, import.meta.url), "utf8");
  return text
    .split(/\r?\n/)
    .map((raw, i) => ({ line: i + 1, text: raw.replace(/\s+#.*$/, "").trim() }))
    .filter((l) => l.text && !l.text.startsWith("#"));
}

/** Splits "a, b, c" into trimmed, non-empty items. */
export function items(list: string): string[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Lines `key: item, item` grouped by key (a key may span several lines), in file order. */
export function keyedLists(name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { line, text } of dataLines(name)) {
    const colon = text.indexOf(":");
    if (colon <= 0) throw new Error(`data/${name} line ${line}: expected "key: item, item, ..."`);
    const key = text.slice(0, colon).trim();
    out.set(key, [...(out.get(key) ?? []), ...items(text.slice(colon + 1))]);
  }
  return out;
}
