import { describe, expect, it } from "vitest";
import { renderNumbered, splitRanges } from "../../src/channels/channel.js";
import {
  renderForConsole,
  renderForTelegram,
  renderForWeb,
  renderForWhatsApp,
  renderPlain,
  renderTelegramHtml,
  renderWebHtml,
  renderWhatsApp,
  splitMarkup,
} from "../../src/channels/render.js";
import { bold, plain, toPlainText } from "../../src/engine/markup.js";

/** A name someone might type to see what happens. */
const nasty = "<b>Budi</b> & *Co* </b><script>alert(1)</script> _x_ \"q\" 'a'";

describe("rendering a message for each channel", () => {
  it("gives Telegram HTML with every piece of text escaped (a URL ends at <)", () => {
    expect(renderTelegramHtml(`Halo ${bold("Lada & Co")}, _selamat_ datang: https://x.example/?a=1&b=<2>`)).toBe(
      'Halo <b>Lada &amp; Co</b>, <i>selamat</i> datang: <a href="https://x.example/?a=1&amp;b=">https://x.example/?a=1&amp;b=</a>&lt;2&gt;',
    );
    expect(renderTelegramHtml(`Nama: ${plain(nasty)}`)).toBe(
      "Nama: &lt;b&gt;Budi&lt;/b&gt; &amp; *Co* &lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt; _x_ \"q\" 'a'",
    );
  });

  it("never makes a link of anything but http and https", () => {
    const html = renderTelegramHtml("javascript:alert(1) *javascript:alert(2)* data:text/html,x");
    expect(html).not.toContain("<a");
    expect(renderWebHtml("klik javascript:alert(1)")).toBe("klik javascript:alert(1)");
    // A quote cannot leave the href.
    expect(renderWebHtml('https://x.example/"onclick="alert(1)')).toBe(
      '<a href="https://x.example/" target="_blank" rel="noopener noreferrer">https://x.example/</a>&quot;onclick=&quot;alert(1)',
    );
  });

  it("gives the web safe HTML, quotes escaped too", () => {
    expect(renderWebHtml(`${bold(nasty)} _ok_`)).toBe(
      "<strong>&lt;b&gt;Budi&lt;/b&gt; &amp; *Co* &lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt; _x_ &quot;q&quot; &#39;a&#39;</strong> <em>ok</em>",
    );
  });

  it("gives WhatsApp its own markers, escaped ones as the bare character", () => {
    expect(renderWhatsApp(`*Jadwal* _baru_ untuk ${plain("*Co*")} di https://x.example/a\\_b`)).toBe(
      "*Jadwal* _baru_ untuk *Co* di https://x.example/a_b",
    );
    expect(renderWhatsApp("5 * 3 dan file_name")).toBe("5 * 3 dan file_name");
  });

  it("gives the console plain text", () => {
    expect(renderPlain(`*Halo* _Budi_ ${plain("\\*")}`)).toBe("Halo Budi \\*");
  });

  it("keeps unpaired and nested markers, emoji and long text intact in every form", () => {
    const text = "🎉 *a _b_ c* _d *e* f_ *g h _i ✨".repeat(150).slice(0, 5000);
    const plainText = toPlainText(text);
    for (const html of [renderTelegramHtml(text), renderWebHtml(text)]) {
      const unescaped = html
        .replace(/<[^>]+>/g, "")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, "&");
      expect(unescaped).toBe(plainText);
      expect(html.match(/<(b|strong)>/g)?.length).toBe(html.match(/<\/(b|strong)>/g)?.length);
    }
  });

  it("shows choices as a numbered list of plain labels where there are no buttons", () => {
    const message = {
      text: "Pilih *program*:",
      choices: [
        { id: "p1", label: "*Lada* & Co" },
        { id: "p2", label: plain("Konveksi_Belitung *") },
      ],
    };
    expect(renderNumbered(message)).toBe("Pilih *program*:\n\n1. Lada & Co\n2. Konveksi\\_Belitung \\*");
    expect(renderForWhatsApp(message)).toEqual(["Pilih *program*:\n\n1. Lada & Co\n2. Konveksi_Belitung *"]);
    expect(renderForConsole(message)).toBe("Pilih program:\n\n1. Lada & Co\n2. Konveksi_Belitung *");
  });

  it("gives Telegram buttons with plain labels, or a numbered list when a choice does not fit a button", () => {
    const buttons = renderForTelegram({
      text: "Setuju?",
      choices: [{ id: "yes@k3f2a", label: "*Ya*, <saya> setuju" }],
    });
    expect(buttons).toEqual({ parts: ["Setuju?"], buttons: [{ text: "Ya, <saya> setuju", data: "yes@k3f2a" }] });
    const tooLong = renderForTelegram({ text: "Pilih:", choices: [{ id: "x".repeat(65), label: "*Satu*" }] });
    expect(tooLong).toEqual({ parts: ["Pilih:\n\n1. Satu"], buttons: null });
    // Only buttons: Telegram needs some text.
    expect(renderForTelegram({ text: "", choices: [{ id: "a", label: "A" }] }).parts).toEqual(["…"]);
  });

  it("gives the web plain text, safe HTML and plain labels", () => {
    expect(
      renderForWeb({ text: `Terdaftar di ${bold("Lada <Putih>")}`, choices: [{ id: "ok", label: "_Oke_" }] }),
    ).toEqual({
      text: "Terdaftar di Lada <Putih>",
      html: "Terdaftar di <strong>Lada &lt;Putih&gt;</strong>",
      choices: [{ id: "ok", label: "Oke" }],
    });
    expect(renderForWeb({ text: "Halo" }).choices).toBeNull();
  });

  it("splits long text so that no tag is cut: a bold phrase cut in two is bold in both parts", () => {
    const phrase = `*${"kata ".repeat(1000).trim()}*`;
    const parts = renderForTelegram({ text: phrase }).parts;
    expect(parts.length).toBe(2);
    for (const part of parts) {
      expect(part).toMatch(/^<b>kata[^<]*kata<\/b>$/);
      expect(part.length - "<b></b>".length).toBeLessThanOrEqual(4096);
    }
    expect(parts.map((p) => p.slice(3, -4)).join(" ")).toBe("kata ".repeat(1000).trim());
  });

  it("splits at paragraphs as plain text is split, and never inside a link when it can help it", () => {
    const paragraph = (n: number) => `*Paragraf ${n}.* ` + "Pelatihan lada. ".repeat(150).trim();
    const text = [1, 2, 3].map(paragraph).join("\n\n");
    const parts = splitMarkup(text, 4096).map((p) => renderPlain(p));
    const plainText = toPlainText(text);
    expect(parts).toEqual(splitRanges(plainText, 4096).map(([from, to]) => plainText.slice(from, to)));
    expect(parts.map((p) => p.slice(0, 11))).toEqual(["Paragraf 1.", "Paragraf 2.", "Paragraf 3."]);

    const url = `https://x.example/${"a".repeat(60)}`;
    const around = `${"b".repeat(4060)} ${url} c`;
    const [first, second] = splitMarkup(around, 4096).map((p) => renderTelegramHtml(p));
    expect(first).toBe("b".repeat(4060));
    expect(second).toBe(`<a href="${url}">${url}</a> c`);
  });
});
