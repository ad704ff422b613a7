/**
 * Names and texts from a module or a data file are the module author's (or
 * an attacker's): a function called "a\nb" or "\x1b[2J" must not print one
 * event over two lines or clear the user's terminal. Human-readable outputs
 * pass every such string through printable(); machine formats (Chrome JSON)
 * encode them as their format says.
 */

// C0 controls (tab and newline included), DEL, and C1 controls (U+009B is CSI on some terminals).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character shown as `\xNN`, on one line. */
export function printable(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
