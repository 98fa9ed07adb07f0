import { describe, expect, it } from "vitest";
import {
  bold,
  escapeMarkup,
  italic,
  parseMarkup,
  plain,
  sliceNodes,
  stripMarkup,
  toPlainText,
  type MarkupNode,
} from "../../src/engine/markup.js";

const text = (t: string): MarkupNode => ({ type: "text", text: t });
const b = (...children: MarkupNode[]): MarkupNode => ({ type: "bold", children });
const i = (...children: MarkupNode[]): MarkupNode => ({ type: "italic", children });
const link = (href: string, t = href): MarkupNode => ({ type: "link", href, text: t });

describe("the message markup", () => {
  it("reads *bold*, _italic_ and bare http(s) links", () => {
    expect(parseMarkup("Program *Lada Putih* mulai _besok_, lihat https://disperindag.example.id/lada")).toEqual([
      text("Program "),
      b(text("Lada Putih")),
      text(" mulai "),
      i(text("besok")),
      text(", lihat "),
      link("https://disperindag.example.id/lada"),
    ]);
  });

  it("leaves stars and underscores that do not mark anything as they are", () => {
    for (const literal of [
      "5 * 3 = 15",
      "file_name dan snake_case_word",
      "x*y*z",
      "*x*y",
      "**dua**",
      "__init__",
      "* bukan daftar *",
      "satu *tanpa pasangan",
      "_",
      "*",
      "* *",
    ])
      expect(parseMarkup(literal), literal).toEqual([text(literal)]);
  });

  it("pairs a marker with the first one that can close it, and keeps the rest literal", () => {
    expect(parseMarkup("*a* b*")).toEqual([b(text("a")), text(" b*")]);
    expect(parseMarkup("*a _b* c_")).toEqual([b(text("a _b")), text(" c_")]);
  });

  it("does not carry formatting over a line break", () => {
    expect(parseMarkup("*satu\ndua*")).toEqual([text("*satu\ndua*")]);
    expect(parseMarkup("*satu*\n*dua*")).toEqual([b(text("satu")), text("\n"), b(text("dua"))]);
  });

  it("nests bold and italic one way or the other, next to punctuation and emoji", () => {
    expect(parseMarkup("*tebal _miring_*")).toEqual([b(text("tebal "), i(text("miring")))]);
    expect(parseMarkup("_*keduanya*_")).toEqual([i(b(text("keduanya")))]);
    expect(parseMarkup("(*Catatan*): 🎉*Selamat!*🎉")).toEqual([
      text("("),
      b(text("Catatan")),
      text("): 🎉"),
      b(text("Selamat!")),
      text("🎉"),
    ]);
  });

  it("keeps list lines as they are", () => {
    const list = "- satu\n- *dua*\n1. tiga";
    expect(toPlainText(list)).toBe("- satu\n- dua\n1. tiga");
  });

  it("ends a link before the sentence's punctuation, and keeps the brackets a URL opened", () => {
    expect(parseMarkup("Peta: https://maps.example/a_b_c.")).toEqual([
      text("Peta: "),
      link("https://maps.example/a_b_c"),
      text("."),
    ]);
    expect(parseMarkup("(lihat https://id.example/wiki/Lada_(tanaman))")).toEqual([
      text("(lihat "),
      link("https://id.example/wiki/Lada_(tanaman)"),
      text(")"),
    ]);
    expect(parseMarkup("*https://x.example*")).toEqual([b(link("https://x.example/", "https://x.example"))]);
  });

  it("makes links of http and https only", () => {
    for (const s of ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://x.example", "http://", "xhttps://a.b"])
      expect(
        parseMarkup(s).some((n) => n.type === "link"),
        s,
      ).toBe(false);
  });

  it("takes a backslash before *, _ and \\ as an escape, and any other backslash literally", () => {
    expect(parseMarkup("\\*bukan tebal\\*")).toEqual([text("*bukan tebal*")]);
    expect(parseMarkup("C:\\data\\\\x")).toEqual([text("C:\\data\\x")]);
    expect(parseMarkup("*\\*bintang*")).toEqual([b(text("*bintang"))]);
  });

  it("round-trips any text through plain(): nothing typed by a person becomes formatting", () => {
    for (const s of [
      "<b>Budi</b> & *Co*",
      "_Lada_ \\*Jaya\\*",
      "a\\",
      "\\",
      "snake_case *x* _y_",
      "https://x.example/a_b_ *c*",
      "🌶️ *Lada* ✨",
      "",
    ]) {
      expect(toPlainText(plain(s)), s).toBe(s);
      expect(
        parseMarkup(plain(s)).every((n) => n.type === "text" || n.type === "link"),
        s,
      ).toBe(true);
    }
    expect(escapeMarkup("*a_b\\")).toBe("\\*a\\_b\\\\");
  });

  it("bolds and italicises text from people safely, line by line, spaces outside the markers", () => {
    expect(bold("Lada *Putih*")).toBe("*Lada \\*Putih\\**");
    expect(parseMarkup(`Program ${bold("Lada *Putih*")}:`)).toEqual([
      text("Program "),
      b(text("Lada *Putih*")),
      text(":"),
    ]);
    expect(bold(" dua kata ")).toBe(" *dua kata* ");
    expect(parseMarkup(bold("satu\ndua"))).toEqual([b(text("satu")), text("\n"), b(text("dua"))]);
    expect(bold("")).toBe("");
    expect(parseMarkup(italic("a_b"))).toEqual([i(text("a_b"))]);
    expect(parseMarkup(bold("\\"))).toEqual([b(text("\\"))]);
  });

  it("turns markup into plain text, and into markup that formats nothing", () => {
    expect(toPlainText("*Halo* _Budi_ \\* https://x.example/a\\_b")).toBe("Halo Budi * https://x.example/a_b");
    expect(stripMarkup("*Pilih* \\*ini\\*")).toBe("Pilih \\*ini\\*");
  });

  it("reads 5,000 characters of anything quickly and keeps every character", () => {
    const nasty = "*_a \\ * _ https://x.example/*_ (*) 🎉 ".repeat(160).slice(0, 5000);
    expect(toPlainText(plain(nasty))).toBe(nasty);
    const openers = "*a ".repeat(1700);
    expect(toPlainText(openers)).toBe(openers);
    expect(toPlainText(`*${"x".repeat(5000)}*`)).toBe("x".repeat(5000));
  });

  it("slices parsed markup by plain-text offsets, formatting kept in both halves", () => {
    const nodes = parseMarkup("aa *tebal _miring_* https://x.example/ab");
    expect(sliceNodes(nodes, 0, 6)).toEqual([text("aa "), b(text("teb"))]);
    expect(sliceNodes(nodes, 6, 12)).toEqual([b(text("al "), i(text("mir")))]);
    expect(sliceNodes(nodes, 24, 100)).toEqual([link("https://x.example/ab", "x.example/ab")]);
  });
});
