/**
 * A function's source location as the outputs print it (`--srcline`):
 * `file:line` from its instance's sourceLines (the pass read it from the
 * module's DWARF or source map), looked up through one map per table.
 *
 * No Node APIs: this runs in browsers too.
 */
import type { SourceLines } from '../abi/index.js';
import type { TraceInstanceInfo, TraceStream } from '../ring/event.js';
import { printable } from './printable.js';

export interface SourceLocation {
  file: string;
  line: number;
  /** `file:line`, control characters escaped */
  text: string;
}

const maps = new WeakMap<SourceLines, Map<number, SourceLocation>>();

/** Where function `ip` of the instance starts in the source, or undefined when the module did not say. */
export function sourceLocationOf(info: TraceInstanceInfo | undefined, ip: number): SourceLocation | undefined {
  const table = info?.sourceLines;
  if (!table) return undefined;
  let map = maps.get(table);
  if (!map) {
    map = new Map();
    for (const [fn, f, line] of table.functions) {
      const file = table.files[f] ?? '?';
      map.set(fn, { file, line, text: printable(`${file}:${line}`) });
    }
    maps.set(table, map);
  }
  return map.get(ip);
}

/** `file:line` of function `ip` (control characters escaped), or undefined. */
export function sourceLineOf(info: TraceInstanceInfo | undefined, ip: number): string | undefined {
  return sourceLocationOf(info, ip)?.text;
}

/** Whether any instance of the trace has source lines. */
export function traceHasSourceLines(trace: TraceStream): boolean {
  return trace.instances.some((i) => (i.sourceLines?.functions.length ?? 0) > 0);
}
