/**
 * A status line on stderr for work that takes a while, shown only on a
 * terminal. Instrumenting and formatting are synchronous (binaryen and the
 * formatters hold the thread), so there is nothing to animate: the line says
 * what is happening and is erased when it is done.
 */
import type { CliIO } from './io.js';

/** Modules at least this big take over a second to instrument on the machines here. */
export const SLOW_MODULE_BYTES = 1 << 20;

export function withStatus<T>(io: CliIO, show: boolean, text: string, work: () => T): T {
  if (!show || !io.isTTY) return work();
  io.stderr(`wasm-ftrace: ${text}...`);
  try {
    return work();
  } finally {
    io.stderr('\r\x1b[K');
  }
}

export function megabytes(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MB`;
}
