/**
 * Folded stacks, `outer;inner;leaf weight` per line, the input of
 * flamegraph.pl, inferno and speedscope.
 *
 * From function_graph events (ENTRY/EXIT with depths):
 * - weight 'calls': how many times that exact stack was entered;
 * - weight 'time': the stack's self time in microseconds (its calls'
 *   durations minus their direct children's), summed per stack, then rounded
 *   to an integer. Lines that round to 0 are left out. Calls that never
 *   returned have no duration: their self time is counted in their caller's
 *   (see walkCalls). Needs clock 'perf': a 'counter' trace has no time.
 * Only stacks whose every caller is in the trace are written: when the ring
 * overwrote the start of a call chain (an ENTRY at depth 3 with nothing open
 * below it), the chain would be rooted at the wrong function.
 *
 * From the function tracer (ENTRY events only): a call's full stack cannot be
 * rebuilt from parent links (they name the caller, not which call of it), so
 * each entry gives the two-level stack `parent;func` (just `func` when the
 * caller is the host), weighted by calls. Weight 'time' needs function_graph.
 *
 * With several instances in the trace, every stack starts with the instance's
 * name (`name-id` when two instances share a name), so that they stay apart.
 * Lines are sorted by stack (code unit order) and end in '\n'. `;` inside a
 * name would split a frame and is written as `:`, line breaks as spaces.
 *
 * No Node APIs: this runs in browsers too.
 */
import { printable } from './printable.js';
import { EVENT_ENTRY, clockHasTime, traceHasExits, type TraceStream, type TraceInstanceInfo } from '../ring/event.js';
import { HOST_IP, functionName } from '../abi/index.js';
import { instanceTable } from './ftrace-text.js';
import { walkCalls, type CallFrame } from './calls.js';

export type FoldedWeight = 'calls' | 'time';

export interface FoldedOptions {
  /** default 'calls' */
  weight?: FoldedWeight;
  /** the events nest as calls (the tracer's Tracer.nestsCalls); default: the trace holds exits */
  calls?: boolean;
}

function frameText(name: string): string {
  return printable(name.replace(/;/g, ':'));
}

/** Stack → weight, sorted by stack. Throws when the trace cannot give the weight asked for. */
export function computeFolded(trace: TraceStream, options: FoldedOptions = {}): Array<[stack: string, weight: number]> {
  const weight = options.weight ?? 'calls';
  const table = instanceTable(trace);
  const graph = options.calls ?? traceHasExits(trace);
  if (weight === 'time' && !graph) {
    throw new Error("folded weight 'time' needs function_graph events (durations); the function tracer records entries only");
  }
  if (weight === 'time' && !clockHasTime(trace.clock)) {
    throw new Error(`folded weight 'time' needs a clock with time (perf, worker); clock '${trace.clock}' has no time`);
  }

  // The root frame per instance when several share the trace.
  const roots = new Map<number, string>();
  if (table.size > 1) {
    const counts = new Map<string, number>();
    for (const info of table.values()) counts.set(info.name, (counts.get(info.name) ?? 0) + 1);
    for (const info of table.values()) {
      roots.set(info.id, frameText((counts.get(info.name) ?? 0) > 1 ? `${info.name}-${info.id}` : info.name));
    }
  }
  const name = (info: TraceInstanceInfo | undefined, ip: number): string => frameText(functionName(info, ip));
  const totals = new Map<string, number>();
  const add = (stack: string, w: number): void => {
    totals.set(stack, (totals.get(stack) ?? 0) + w);
  };

  if (!graph) {
    for (const ev of trace.events) {
      if (ev.type !== EVENT_ENTRY) continue;
      const info = table.get(ev.instance);
      const parts: string[] = [];
      const root = roots.get(ev.instance);
      if (root !== undefined) parts.push(root);
      if (ev.parent !== HOST_IP) parts.push(name(info, ev.parent));
      parts.push(name(info, ev.ip));
      add(parts.join(';'), 1);
    }
  } else {
    // The stack text of a frame, built once per frame and reused by its children.
    const paths = new WeakMap<CallFrame, string>();
    const pathOf = (frame: CallFrame): string => {
      let path = paths.get(frame);
      if (path === undefined) {
        const own = name(table.get(frame.instance), frame.ip);
        if (frame.parent) path = `${pathOf(frame.parent)};${own}`;
        else {
          const root = roots.get(frame.instance);
          path = root === undefined ? own : `${root};${own}`;
        }
        paths.set(frame, path);
      }
      return path;
    };
    walkCalls(trace, {
      enter(frame) {
        if (weight === 'calls' && frame.known) add(pathOf(frame), 1);
      },
      exit(frame, _ev, self) {
        if (weight === 'time' && frame.known) add(pathOf(frame), self);
      },
    });
  }

  const lines: Array<[string, number]> = [];
  for (const [stack, w] of totals) {
    const value = weight === 'time' ? Math.round(w) : w;
    if (value > 0) lines.push([stack, value]);
  }
  return lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The folded file: one `stack weight` line per stack, sorted. */
export function formatFolded(trace: TraceStream, options: FoldedOptions = {}): string {
  return computeFolded(trace, options)
    .map(([stack, w]) => `${stack} ${w}\n`)
    .join('');
}
