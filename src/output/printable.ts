/**
 * Names and texts from a module or a data file are the module author's (or
 * an attacker's): a function called "a\nb" or "\x1b[2J" must not print one
 * event over two lines or clear the user's terminal. Human-readable outputs
 * pass every such string through printable(); machine formats (Chrome JSON)
 * encode them as their format says.
 */

/** `text` with every control character (C0 with tab and newline, DEL, C1: U+009B is CSI on some terminals) shown as `\xNN`, on one line. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
