/**
 * Chrome trace event JSON (the "JSON Object Format"), which Perfetto
 * (ui.perfetto.dev) and chrome://tracing open.
 *
 * - function_graph: one complete (`X`) event per call that returned, with
 *   `ts` its ENTRY and `dur` up to its EXIT, written when the EXIT is read:
 *   a stream needs no look-ahead, and X events take half the bytes of B/E
 *   pairs. So events are in order of their end, not their start (the format
 *   allows that; viewers sort). walkCalls() matches ENTRY and EXIT. A call
 *   that never returned (a trap) gets a B/E pair, written once the trace
 *   shows it is gone (E at that point), and a call still open at the end a
 *   pair ending at the last timestamp; such an E carries `args.noExit`
 *   ('unwound' | 'end'). An EXIT whose ENTRY is not in the trace
 *   (overwritten in the ring) is left out; otherData.droppedExits counts them.
 *   Times of X and B/E events are rounded to the nanosecond.
 * - function (entries only): an instant event (`ph: "i"`, thread scope) per
 *   ENTRY, with the caller in `args.parent` (`HOST` for the host).
 * - trace_marker: an instant event named by its text, the text also in
 *   `args.text`. Stack traces: an instant `<stack trace>` with the function
 *   and its callers in `args`.
 * - Each instance is a process of its own (pid = tid = instance id + 1, as
 *   pid 0 is special to trace viewers), named by `process_name` /
 *   `thread_name` metadata (`name` and `name-id`, the ftrace task).
 * - With the srcline option, function events carry `args.src`: the
 *   function's file:line from the module's DWARF or source map.
 * - `ts` is in microseconds, as the format wants, for clock 'perf'. With
 *   clock 'counter' there is no time: `ts` is the sequence number and
 *   durations count events; otherData.timeUnit says 'sequence'.
 *
 * writeChromeTrace() streams the file a piece at a time; toChromeTrace()
 * builds the object for traces held in memory.
 *
 * No Node APIs: this runs in browsers too.
 */
import {
  EVENT_ENTRY,
  EVENT_MARKER,
  traceHasExits,
  type TraceStream,
  type TraceEvent,
} from '../ring/event.js';
import { functionName } from '../abi/index.js';
import { instanceTable } from './ftrace-text.js';
import { sourceLocationOf } from './source-line.js';
import { walkCalls } from './calls.js';
import { StackTraces } from './stack-traces.js';

export interface ChromeTraceEvent {
  name?: string;
  cat?: string;
  ph: 'X' | 'B' | 'E' | 'i' | 'M';
  ts?: number;
  /** X: duration */
  dur?: number;
  pid: number;
  tid: number;
  /** instant events: scope (thread) */
  s?: 't';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ns' | 'ms';
  otherData: {
    source: 'wasm-ftrace';
    tracer: string;
    clock: string;
    /** what `ts` counts: microseconds, or the counter clock's sequence numbers */
    timeUnit: 'us' | 'sequence';
    entries: number;
    written: number;
    lost: number;
    /** EXIT events without their ENTRY in the trace, left out */
    droppedExits: number;
    /** calls closed without an EXIT (trap or end of trace) */
    unfinishedCalls: number;
  };
}

/** The pid (and tid) of an instance: its id + 1. */
export function chromePid(instance: number): number {
  return instance + 1;
}

export interface ChromeTraceOptions {
  /** the events nest as calls (the tracer's Tracer.nestsCalls): B/E slices; else instants. Default: the trace holds exits */
  calls?: boolean;
  /** function events carry `args.src`, the function's file:line, where the module's DWARF or source map gave one (about 40 bytes an event, so on request) */
  srcline?: boolean;
}

/** The trace as a Chrome trace object. */
export function toChromeTrace(trace: TraceStream, options: ChromeTraceOptions = {}): ChromeTrace {
  const traceEvents: ChromeTraceEvent[] = [];
  const otherData = writeChromeEvents(trace, traceEvents, options);
  return { traceEvents, displayTimeUnit: trace.clock === 'counter' ? 'ms' : 'ns', otherData };
}

/**
 * The events of the Chrome trace, in the order they are written, each given
 * to `out`; returns otherData (known only at the end). Holds only the open
 * calls of each instance.
 */
export function writeChromeEvents(trace: TraceStream, out: { push(e: ChromeTraceEvent): void }, options: ChromeTraceOptions = {}): ChromeTrace['otherData'] {
  const table = instanceTable(trace);
  for (const info of table.values()) {
    const pid = chromePid(info.id);
    out.push({ name: 'process_name', ph: 'M', pid, tid: pid, args: { name: info.name } });
    out.push({ name: 'process_sort_index', ph: 'M', pid, tid: pid, args: { sort_index: info.id } });
    out.push({ name: 'thread_name', ph: 'M', pid, tid: pid, args: { name: info.thread !== undefined ? `${info.name}-${info.id} (thread ${info.thread})` : `${info.name}-${info.id}` } });
  }
  const place = (ev: { instance: number }): { pid: number; tid: number } => {
    const pid = chromePid(ev.instance);
    return { pid, tid: pid };
  };
  const nameOf = (instance: number, ip: number): string => functionName(table.get(instance), ip);
  const srcArgs = (instance: number, ip: number): { args?: { src: string } } => {
    const src = options.srcline ? sourceLocationOf(table.get(instance), ip) : undefined;
    return src ? { args: { src: `${src.file}:${src.line}` } } : {};
  };
  // microseconds to 3 decimals: 0.1, not 0.09999999997671694 (counter clock values are whole already)
  const ns = (us: number): number => Math.round(us * 1000) / 1000;

  // A stack trace is one instant event, written once its frames are in.
  const stacks = new StackTraces((ev, callers) => {
    out.push({
      name: '<stack trace>',
      cat: 'stacktrace',
      ph: 'i',
      s: 't',
      ts: ev.ts,
      ...place(ev),
      args: { function: nameOf(ev.instance, ev.ip), callers: callers.map((ip) => nameOf(ev.instance, ip)) },
    });
  });
  const flushStack = (): void => stacks.flush();
  const other = (ev: TraceEvent): void => {
    if (stacks.feed(ev)) return;
    if (ev.type === EVENT_MARKER) {
      // the kernel ends every marker with a newline; a title does not need it
      const text = (ev.text ?? '').replace(/\n$/, '');
      out.push({ name: text, cat: 'marker', ph: 'i', s: 't', ts: ev.ts, ...place(ev), args: { text } });
    }
  };

  let droppedExits = 0;
  let unfinishedCalls = 0;
  const graph = options.calls ?? traceHasExits(trace);
  if (graph) {
    walkCalls(trace, {
      enter() {
        flushStack();
      },
      exit(frame, ev) {
        flushStack();
        if (!frame.entered) {
          droppedExits++;
          return;
        }
        // Start and end on a nanosecond grid (rounding keeps their order, so children still nest), dur between them.
        const ts = ns(frame.start);
        out.push({ name: nameOf(frame.instance, frame.ip), cat: 'function', ph: 'X', ts, dur: ns(ns(ev.ts) - ts), ...place(ev), ...srcArgs(frame.instance, frame.ip) });
      },
      lost(frame, ts, reason) {
        flushStack();
        unfinishedCalls++;
        const name = nameOf(frame.instance, frame.ip);
        out.push({ name, cat: 'function', ph: 'B', ts: ns(frame.start), ...place(frame), ...srcArgs(frame.instance, frame.ip) });
        out.push({ name, cat: 'function', ph: 'E', ts: ns(ts), ...place(frame), args: { noExit: reason } });
      },
      other,
    });
  } else {
    for (const ev of trace.events) {
      if (ev.type === EVENT_ENTRY) {
        flushStack();
        out.push({
          name: nameOf(ev.instance, ev.ip),
          cat: 'function',
          ph: 'i',
          s: 't',
          ts: ev.ts,
          ...place(ev),
          args: { parent: nameOf(ev.instance, ev.parent), ...srcArgs(ev.instance, ev.ip).args },
        });
      } else {
        other(ev);
      }
    }
  }
  flushStack();

  return {
    source: 'wasm-ftrace',
    tracer: trace.tracer,
    clock: trace.clock,
    timeUnit: trace.clock === 'counter' ? 'sequence' : 'us',
    entries: trace.entries,
    written: trace.written,
    lost: trace.lost,
    droppedExits,
    unfinishedCalls,
  };
}

/**
 * The trace as Chrome trace JSON text, given to `write` a piece at a time,
 * one event per line so that diffs stay readable: streams a trace of any size.
 */
export function writeChromeTrace(trace: TraceStream, write: (text: string) => void, options: ChromeTraceOptions = {}): void {
  write('{"traceEvents":[\n');
  let first = true;
  const otherData = writeChromeEvents(
    trace,
    {
      push(e) {
        write(first ? JSON.stringify(e) : `,\n${JSON.stringify(e)}`);
        first = false;
      },
    },
    options,
  );
  write(`\n],\n"displayTimeUnit":${JSON.stringify(trace.clock === 'counter' ? 'ms' : 'ns')},\n"otherData":${JSON.stringify(otherData)}}\n`);
}

/** The trace as Chrome trace JSON text, one event per line so that diffs stay readable. */
export function formatChromeTrace(trace: TraceStream, options: ChromeTraceOptions = {}): string {
  const parts: string[] = [];
  writeChromeTrace(trace, (t) => parts.push(t), options);
  return parts.join('');
}
