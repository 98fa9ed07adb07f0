/**
 * (Interim: the full markup module with its parser and renderers replaces this file.)
 * The light markup of OutgoingMessage.text: `*bold*`, `_italic_`; a backslash escapes.
 */

/** Escapes the markup characters of text that comes from people (names, titles). */
export function escapeMarkup(s: string): string {
  return s.replace(/[\\*_]/g, (c) => `\\${c}`);
}

/** User text placed in a message as it is. */
export const plain = escapeMarkup;

/** Bold text (escaped inside). */
export function bold(s: string): string {
  return `*${escapeMarkup(s)}*`;
}

/** Italic text (escaped inside). */
export function italic(s: string): string {
  return `_${escapeMarkup(s)}_`;
}
