/**
 * The fonts of the PDFs the bot makes (check-in posters, certificates): DejaVu Sans, regular and
 * bold, kept in assets/fonts (license beside them) so a fresh checkout or a container needs no
 * system fonts. Found from src/domain (tsx) and from a build's dist/src/domain alike.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const fontFiles = { regular: "DejaVuSans.ttf", bold: "DejaVuSans-Bold.ttf" } as const;

let found: string | null = null;

/** The project's assets/fonts folder. */
export function fontsDir(): string {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, "assets", "fonts");
    if (fs.existsSync(path.join(candidate, fontFiles.regular))) return (found = candidate);
    dir = path.dirname(dir);
  }
  throw new Error(`assets/fonts/${fontFiles.regular} not found: the fonts of the PDFs are missing`);
}

/** The path of one of the fonts. */
export const fontFile = (which: keyof typeof fontFiles): string => path.join(fontsDir(), fontFiles[which]);

/**
 * pdfkit, loaded at the first PDF: it and fontkit (with brotli, unicode tables and the like) are
 * megabytes of code that a process keeps in memory once loaded, and most processes never make a PDF.
 */
export const loadPdfKit = async (): Promise<typeof import("pdfkit")> => (await import("pdfkit")).default;
