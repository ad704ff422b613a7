/**
 * ftrace's text output: what `cat trace` prints in the kernel, for the
 * `function` (and `nop`) and `function_graph` tracers.
 *
 * The layout follows kernel/trace/trace_output.c (trace_print_context) and
 * kernel/trace/trace_functions_graph.c, column for column, so that tools and
 * eyes used to ftrace read it unchanged. Where wasm differs:
 *
 * - TASK-PID is the traced instance: its name (a module name, truncated to 15
 *   characters like a kernel comm) and its id. Several instances in one trace
 *   show up the way several tasks do: by the task column in the function
 *   layout, and in the graph layout by the TASK/PID column (funcgraph-proc,
 *   on by default when the trace holds more than one instance) and the
 *   kernel's context-switch banner whenever the instance changes.
 * - CPU is always 000 (JavaScript runs a trace on one thread; `#P:1`), and
 *   the irqs-off/need-resched/... flags are always `.....`: none applies.
 * - A caller outside the module (JS, the start function: HOST_IP) is printed
 *   as `HOST`, e.g. `main <-HOST`; the kernel would print a raw address.
 * - Clock `counter` has no time: like the kernel with a counter clock, the
 *   function layout prints the raw count (` %12llu`) instead of seconds; the
 *   graph layout drops the DURATION column (as `nofuncgraph-duration`) and
 *   shows the counter in a leading column where funcgraph-abstime puts time.
 * - Comments (trace_marker) in the graph are indented one level inside the
 *   innermost open function. The kernel skips that indentation while the
 *   open function is at depth 0, which looks as if the comment were outside
 *   it; here it is not skipped.
 * - The graph header has no entries-in-buffer line, as in the kernel; when
 *   events were lost, a `CPU:0 [LOST n EVENTS]` line (the kernel's wording
 *   for lost events) follows the header instead.
 * - The function layout ignores EXIT events (the function tracer writes none).
 *
 * No Node APIs: this runs in browsers too.
 */
import { HOST_IP, functionName as rawFunctionName } from '../abi/index.js';
import { printable } from './printable.js';
import { sourceLineOf } from './source-line.js';
import {
  EVENT_ENTRY,
  EVENT_EXIT,
  EVENT_MARKER,
  EVENT_STACK,
  EVENT_STACK_FRAME,
  traceHasExits,
  type TraceStream,
  type TraceEvent,
  type TraceInstanceInfo,
} from '../ring/event.js';

// ---------------------------------------------------------------------------
// Shared by the other output formats: names and durations.

/**
 * The instances of a trace by id; ids seen in events but not listed get a
 * placeholder. Only an in-memory trace is scanned for them: a stream's
 * reader lists every instance its events name (openDataFileTrace does).
 */
export function instanceTable(trace: TraceStream): Map<number, TraceInstanceInfo> {
  const table = new Map<number, TraceInstanceInfo>();
  for (const info of trace.instances) table.set(info.id, info);
  if (!Array.isArray(trace.events)) return table;
  for (const ev of trace.events as readonly TraceEvent[]) {
    if (!table.has(ev.instance)) table.set(ev.instance, { id: ev.instance, name: `wasm${ev.instance}`, names: [] });
  }
  return table;
}

/**
 * trace_print_graph_duration(): a duration in microseconds as the graph
 * tracer prints it, `1.234 us ` padded to a fixed width; the fraction shrinks
 * as the integer part grows so that the field never exceeds 7 digits + '.'.
 */
export function formatGraphDuration(us: number): string {
  const ns = Math.max(0, Math.round(us * 1000));
  const usecs = String(Math.floor(ns / 1000));
  let out = usecs;
  let len = usecs.length;
  if (len < 7) {
    // snprintf(nsecs_str, min(5, 8 - len), "%03lu"): at most 3 digits, fewer for wide integers.
    const frac = String(ns % 1000)
      .padStart(3, '0')
      .slice(0, Math.min(5, 8 - len) - 1);
    out += `.${frac}`;
    len += frac.length + 1;
  }
  out += ' us ';
  for (let i = len; i < 8; i++) out += ' ';
  return out;
}

/**
 * trace_find_mark(): the overhead mark of a duration in microseconds.
 * Strictly greater than: `+` 10 us, `!` 100 us, `#` 1000 us, `*` 10 ms,
 * `@` 100 ms, `$` 1 s; a space otherwise.
 */
export function durationMark(us: number): string {
  const ns = Math.round(us * 1000);
  if (ns > 1_000_000_000) return '$';
  if (ns > 100_000_000) return '@';
  if (ns > 10_000_000) return '*';
  if (ns > 1_000_000) return '#';
  if (ns > 100_000) return '!';
  if (ns > 10_000) return '+';
  return ' ';
}

// ---------------------------------------------------------------------------

export interface FtraceTextOptions {
  /** `graph` for function_graph output, `function` for one line per entry; default: the printer passed, else `graph` when the trace holds exits */
  layout?: 'function' | 'graph';
  /** graph: the TASK/PID column (funcgraph-proc); default on when the trace holds more than one instance */
  proc?: boolean;
  /** graph: the absolute time column (funcgraph-abstime); default off, on for clock 'counter', which shows its counter there */
  abstime?: boolean;
  /** graph: the DURATION column (funcgraph-duration); default on, except for clock 'counter', which has no durations */
  duration?: boolean;
  /** graph: the TID column; default on when the trace holds more than one thread (never when it names none) */
  tid?: boolean;
  /** graph: name every closing brace, `} /* foo *\/` (funcgraph-tail); default off */
  tail?: boolean;
  /** function: print ` <-parent` (print-parent); default on */
  printParent?: boolean;
  /** each entry ends with ` /* file:line *\/` where the module's DWARF or source map gave one (uftrace's --srcline); default off */
  srcline?: boolean;
}

const FUNC_HEADER = [
  '#                                _-----=> irqs-off/BH-disabled',
  '#                               / _----=> need-resched',
  '#                              | / _---=> hardirq/softirq',
  '#                              || / _--=> preempt-depth',
  '#                              ||| / _-=> migrate-disable',
  '#                              |||| /     delay',
  '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
  '#              | |         |   |||||     |         |',
];

/**
 * One tracer's text: its print_header, then print_line for each event. A
 * tracer names its printer (Tracer.printText); these are the two layouts.
 */
export type TextPrinter = (trace: TraceStream, options: FtraceTextOptions) => Generator<string>;

/** The whole trace file as one string, lines ending in '\n'. */
export function formatFtraceText(trace: TraceStream, options: FtraceTextOptions = {}, printer?: TextPrinter): string {
  let out = '';
  for (const line of ftraceTextLines(trace, options, printer)) out += `${line}\n`;
  return out;
}

/** The trace file line by line (without '\n'), for streaming large traces. */
export function* ftraceTextLines(trace: TraceStream, options: FtraceTextOptions = {}, printer?: TextPrinter): Generator<string> {
  const print =
    options.layout === 'graph'
      ? graphText
      : options.layout === 'function'
        ? functionText
        : (printer ?? (traceHasExits(trace) ? graphText : functionText));
  yield `# tracer: ${printable(trace.tracer)}`;
  yield '#';
  yield* print(trace, options);
}

/** A function's name as this output prints it: control characters escaped. */
function functionName(info: TraceInstanceInfo | undefined, ip: number): string {
  return printable(rawFunctionName(info, ip));
}

/** trace_print_context(): `<task>-<pid> [000] ..... <time>: ` */
function context(trace: TraceStream, info: TraceInstanceInfo | undefined, ev: TraceEvent): string {
  const comm = printable(info?.name ?? `wasm${ev.instance}`).slice(0, 15);
  let time: string;
  if (trace.clock === 'counter') {
    time = String(Math.trunc(ev.ts)).padStart(12);
  } else {
    // ns2usecs() rounds to the nearest microsecond; ts is already in microseconds.
    const t = Math.round(ev.ts);
    time = `${String(Math.floor(t / 1_000_000)).padStart(5)}.${String(t % 1_000_000).padStart(6, '0')}`;
  }
  return `${comm.padStart(16)}-${String(ev.instance).padEnd(7)} [000] ..... ${time}: `;
}

function markerText(ev: TraceEvent): string {
  const text = ev.text ?? '';
  return printable(text.endsWith('\n') ? text.slice(0, -1) : text);
}

/**
 * A stack trace as the kernel prints it: `<stack trace>` after the context,
 * then one ` => func` line per frame. The first frame is the function the
 * trigger fired on, then its callers (the STACK_FRAME events that follow).
 */
class StackPrinter {
  private remaining = 0;
  private instance = -1;

  constructor(
    private readonly trace: TraceStream,
    private readonly table: Map<number, TraceInstanceInfo>,
  ) {}

  *print(ev: TraceEvent): Generator<string> {
    const info = this.table.get(ev.instance);
    if (ev.type === EVENT_STACK) {
      this.remaining = ev.depth;
      this.instance = ev.instance;
      yield `${context(this.trace, info, ev)}<stack trace>`;
      yield ` => ${functionName(info, ev.ip)}`;
    } else if (this.remaining > 0 && ev.instance === this.instance) {
      this.remaining--;
      yield ` => ${functionName(info, ev.ip)}`;
    }
    // A frame whose STACK header was overwritten in the ring says nothing on its own: dropped.
  }

  /** any other event ends a stack trace, even one cut short */
  reset(): void {
    this.remaining = 0;
  }
}

/** ` /* file:line *\/` after an entry with --srcline (uftrace's layout), else nothing. */
function srclineText(options: FtraceTextOptions): (info: TraceInstanceInfo | undefined, ip: number) => string {
  if (!options.srcline) return () => '';
  return (info, ip) => {
    const at = sourceLineOf(info, ip);
    return at === undefined ? '' : ` /* ${at} */`;
  };
}

/** The function tracer's layout (and nop's): one line per entry, with its caller. */
export function* functionText(trace: TraceStream, options: FtraceTextOptions): Generator<string> {
  yield `# entries-in-buffer/entries-written: ${trace.entries}/${trace.written}   #P:1`;
  yield '#';
  for (const l of FUNC_HEADER) yield options.srcline && l.endsWith('FUNCTION') ? `${l} [SOURCE]` : l;
  const table = instanceTable(trace);
  const stacks = new StackPrinter(trace, table);
  const printParent = options.printParent ?? true;
  const src = srclineText(options);
  for (const ev of trace.events) {
    if (ev.type === EVENT_STACK || ev.type === EVENT_STACK_FRAME) {
      yield* stacks.print(ev);
      continue;
    }
    stacks.reset();
    const info = table.get(ev.instance);
    if (ev.type === EVENT_ENTRY) {
      const parent = printParent ? ` <-${functionName(info, ev.parent)}` : '';
      yield `${context(trace, info, ev)}${functionName(info, ev.ip)}${parent}${src(info, ev.ip)}`;
    } else if (ev.type === EVENT_MARKER) {
      yield `${context(trace, info, ev)}tracing_mark_write: ${markerText(ev)}`;
    }
  }
}

/** print_graph_proc(): `comm-pid` with comm cut to 7 characters, centred in 14 columns */
function graphProc(info: TraceInstanceInfo | undefined, id: number): string {
  const text = `${printable(info?.name ?? `wasm${id}`).slice(0, 7)}-${id}`;
  const spaces = Math.max(0, 14 - text.length);
  const left = Math.floor(spaces / 2);
  return ' '.repeat(left) + text + ' '.repeat(spaces - left);
}

/** What the graph printer remembers per instance (the kernel keeps it per CPU). */
interface GraphState {
  /** the function entered at each depth whose closing brace is still to come */
  enterFuncs: Map<number, number>;
  /** depth of the innermost open function, for comment indentation; -1 when none */
  depth: number;
}

/** The function_graph layout: nested calls with durations (trace_functions_graph.c). */
export function* graphText(trace: TraceStream, options: FtraceTextOptions): Generator<string> {
  const table = instanceTable(trace);
  const counter = trace.clock === 'counter';
  const showDuration = !counter && (options.duration ?? true);
  const timeColumn = options.abstime ?? counter;
  const proc = options.proc ?? table.size > 1;
  const tail = options.tail ?? false;
  // more than one thread recorded (record -- node with Workers or children): a TID column, as uftrace prints one
  const threads = new Set([...table.values()].map((i) => i.thread).filter((t) => t !== undefined));
  // (a recording of one thread does not name it: no column to show then)
  const tidWidth = (options.tid ?? threads.size > 1) && threads.size > 0 ? Math.max(3, ...[...threads].map((t) => t.length)) : 0;
  const src = srclineText(options);

  // print_graph_headers_flags()
  let h1 = '#';
  let h2 = '#';
  if (timeColumn) {
    h1 += counter ? '     COUNTER    ' : '     TIME       ';
    h2 += '      |         ';
  }
  h1 += ' CPU';
  h2 += ' |  ';
  if (tidWidth > 0) {
    h1 += `${'TID'.padStart(tidWidth + 1)}  `;
    h2 += `${'|'.padStart(tidWidth + 1)}  `;
  }
  if (proc) {
    h1 += '  TASK/PID       ';
    h2 += '   |    |        ';
  }
  if (showDuration) {
    h1 += '  DURATION   ';
    h2 += '   |   |      ';
  }
  yield `${h1}               FUNCTION CALLS${options.srcline ? ' [SOURCE]' : ''}`;
  yield `${h2}               |   |   |   |`;
  if (trace.lost > 0) yield `CPU:0 [LOST ${trace.lost} EVENTS]`;

  const states = new Map<number, GraphState>();
  const stateOf = (id: number): GraphState => {
    let st = states.get(id);
    if (!st) {
      st = { enterFuncs: new Map(), depth: -1 };
      states.set(id, st);
    }
    return st;
  };
  let lastInstance: number | null = null;
  const stacks = new StackPrinter(trace, table);

  /** print_graph_prologue(): the context-switch banner, then the leading columns */
  function* prologue(ev: TraceEvent): Generator<string, string> {
    if (lastInstance !== null && lastInstance !== ev.instance) {
      yield ' ------------------------------------------';
      yield ` 0) ${graphProc(table.get(lastInstance), lastInstance)} => ${graphProc(table.get(ev.instance), ev.instance)}`;
      yield ' ------------------------------------------';
      yield '';
    }
    lastInstance = ev.instance;
    let p = '';
    if (timeColumn) {
      if (counter) {
        p += `${String(Math.trunc(ev.ts)).padStart(12)} |  `;
      } else {
        // print_graph_abs_time() truncates to the microsecond
        const t = Math.floor(ev.ts);
        p += `${String(Math.floor(t / 1_000_000)).padStart(5)}.${String(t % 1_000_000).padStart(6, '0')} |  `;
      }
    }
    p += ' 0) ';
    if (tidWidth > 0) p += `[${(table.get(ev.instance)?.thread ?? '?').padStart(tidWidth)}] `;
    if (proc) p += `${graphProc(table.get(ev.instance), ev.instance)} | `;
    return p;
  }
  const fill = showDuration ? '              |  ' : '';
  const duration = (us: number): string => (showDuration ? `${durationMark(us)} ${formatGraphDuration(us)}|  ` : '');
  const indent = (depth: number): string => ' '.repeat(Math.max(0, depth) * 2);

  // One event of look-ahead (for leaf calls), so that a stream is read once.
  const events = trace.events[Symbol.iterator]();
  let ahead = events.next();
  while (!ahead.done) {
    const ev = ahead.value;
    ahead = events.next();
    if (ev.type === EVENT_STACK || ev.type === EVENT_STACK_FRAME) {
      // The graph tracer leaves stack traces to the default printer (trace_print_context + <stack trace>).
      yield* stacks.print(ev);
      continue;
    }
    stacks.reset();
    const info = table.get(ev.instance);
    const st = stateOf(ev.instance);
    if (ev.type === EVENT_ENTRY) {
      const p = yield* prologue(ev);
      const next = ahead.done ? undefined : ahead.value;
      // get_return_for_leaf(): the very next event is this call's EXIT
      if (
        next !== undefined &&
        next.type === EVENT_EXIT &&
        next.instance === ev.instance &&
        next.ip === ev.ip &&
        next.depth === ev.depth
      ) {
        st.depth = ev.depth - 1;
        st.enterFuncs.delete(ev.depth);
        yield `${p}${duration(next.duration)}${indent(ev.depth)}${functionName(info, ev.ip)}();${src(info, ev.ip)}`;
        ahead = events.next();
      } else {
        st.depth = ev.depth;
        st.enterFuncs.set(ev.depth, ev.ip);
        yield `${p}${fill}${indent(ev.depth)}${functionName(info, ev.ip)}() {${src(info, ev.ip)}`;
      }
    } else if (ev.type === EVENT_EXIT) {
      const p = yield* prologue(ev);
      // An EXIT whose ENTRY is not in view (overwritten, or at another depth) names its function.
      const match = st.enterFuncs.get(ev.depth) === ev.ip;
      st.enterFuncs.delete(ev.depth);
      st.depth = ev.depth - 1;
      const brace = match && !tail ? '}' : `} /* ${functionName(info, ev.ip)} */`;
      yield `${p}${duration(ev.duration)}${indent(ev.depth)}${brace}`;
    } else if (ev.type === EVENT_MARKER) {
      const p = yield* prologue(ev);
      const pad = st.depth >= 0 ? indent(st.depth + 1) : '';
      yield `${p}${fill}${pad}/* ${markerText(ev)} */`;
    }
  }
}
