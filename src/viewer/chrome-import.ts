/**
 * Chrome trace event JSON (what `wasm-ftrace dump --chrome` writes, and
 * Perfetto, Chrome and many tools too) back into a TraceData:
 *
 * - B/E pairs (matched per thread, E closes the innermost open B) and X
 *   events (ts + dur) become calls: ENTRY/EXIT events with depths from
 *   their nesting; a child that outlives its parent is cut at the parent's
 *   end. A B never closed keeps its ENTRY and has no EXIT (walkCalls then
 *   ends it with the trace); so does a B closed by an E with args.noExit
 *   (how wasm-ftrace writes a call that never returned).
 * - One instance per pid (per pid and tid when a pid has several threads,
 *   whose calls would not nest), named by `process_name` metadata.
 * - Instant events (`i`/`I`) of category `function` (the function tracer's
 *   export) become ENTRY events at depth 0, their args.parent the parent
 *   (`HOST` or absent: HOST_IP), and those of category `marker` MARKER
 *   events; other categories are left out.
 * - wasm-ftrace's otherData (tracer, entries, written, lost) is taken back,
 *   so that exporting the import gives the same JSON (test/round-trip.test.ts).
 * - `ts` is taken as is (microseconds); otherData.timeUnit 'sequence'
 *   (wasm-ftrace's counter clock) gives clock 'counter'.
 *
 * No Node APIs, no DOM.
 */
import { HOST_IP } from '../abi/index.js';
import {
  EVENT_ENTRY,
  EVENT_EXIT,
  EVENT_MARKER,
  type TraceData,
  type TraceEvent,
  type TraceInstanceInfo,
} from '../ring/event.js';

interface RawEvent {
  ph?: unknown;
  name?: unknown;
  cat?: unknown;
  ts?: unknown;
  dur?: unknown;
  pid?: unknown;
  tid?: unknown;
  args?: unknown;
}

interface Interval {
  start: number;
  /** Infinity: never closed */
  end: number;
  name: string;
  order: number;
}

interface Instant {
  ts: number;
  name: string;
  marker: boolean;
  order: number;
  /** the caller's name (args.parent, the function tracer's export), 'HOST' or absent for none */
  parent?: string;
}

interface Thread {
  pid: number;
  tid: number;
  /** B and E in file order, sorted by ts later */
  /** B and E in file order, sorted by ts later; noExit: an E that only says the call never returned (args.noExit) */
  be: Array<{ ph: 'B' | 'E'; ts: number; name: string; order: number; noExit: boolean }>;
  intervals: Interval[];
  instants: Instant[];
}

export class ChromeImportError extends Error {}

/** Is this parsed JSON a Chrome trace (an event array, or an object with traceEvents)? */
export function isChromeTrace(json: unknown): boolean {
  if (Array.isArray(json)) return json.length === 0 || typeof (json[0] as RawEvent)?.ph === 'string';
  return typeof json === 'object' && json !== null && Array.isArray((json as { traceEvents?: unknown }).traceEvents);
}

const num = (v: unknown, dflt = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);

export function importChromeTrace(json: unknown): TraceData {
  if (!isChromeTrace(json)) throw new ChromeImportError('not a Chrome trace: expected an array of events or an object with traceEvents');
  const raw = (Array.isArray(json) ? json : (json as { traceEvents: unknown[] }).traceEvents) as RawEvent[];
  const other = (Array.isArray(json) ? {} : ((json as { otherData?: unknown }).otherData ?? {})) as Record<string, unknown>;

  const threads = new Map<string, Thread>();
  const processNames = new Map<number, string>();
  const threadOf = (pid: number, tid: number): Thread => {
    const key = `${pid}:${tid}`;
    let t = threads.get(key);
    if (!t) {
      t = { pid, tid, be: [], intervals: [], instants: [] };
      threads.set(key, t);
    }
    return t;
  };
  let order = 0;
  for (const e of raw) {
    if (typeof e !== 'object' || e === null) continue;
    const ph = e.ph;
    const pid = num(e.pid);
    const tid = num(e.tid, pid);
    const name = typeof e.name === 'string' ? e.name : '';
    if (ph === 'M') {
      const args = e.args as { name?: unknown } | undefined;
      if (e.name === 'process_name' && typeof args?.name === 'string') processNames.set(pid, args.name);
      continue;
    }
    const ts = num(e.ts, NaN);
    if (Number.isNaN(ts)) continue;
    if (ph === 'B' || ph === 'E') {
      const noExit = ph === 'E' && (e.args as { noExit?: unknown } | undefined)?.noExit !== undefined;
      threadOf(pid, tid).be.push({ ph, ts, name, order: order++, noExit });
    }
    else if (ph === 'X') threadOf(pid, tid).intervals.push({ start: ts, end: ts + Math.max(0, num(e.dur)), name, order: order++ });
    else if (ph === 'i' || ph === 'I') {
      if (e.cat === 'function') {
        const parent = (e.args as { parent?: unknown } | undefined)?.parent;
        threadOf(pid, tid).instants.push({ ts, name, marker: false, order: order++, ...(typeof parent === 'string' ? { parent } : {}) });
      }
      else if (e.cat === 'marker') {
        const text = typeof (e.args as { text?: unknown } | undefined)?.text === 'string' ? (e.args as { text: string }).text : name;
        threadOf(pid, tid).instants.push({ ts, name: text, marker: true, order: order++ });
      }
    }
  }

  // B/E into intervals, per thread.
  for (const t of threads.values()) {
    t.be.sort((a, b) => a.ts - b.ts || a.order - b.order);
    const open: Interval[] = [];
    for (const e of t.be) {
      if (e.ph === 'B') {
        const iv: Interval = { start: e.ts, end: Infinity, name: e.name, order: e.order };
        open.push(iv);
        t.intervals.push(iv);
      } else {
        const iv = open.pop();
        // (an E with args.noExit closes nothing: wasm-ftrace writes it for a call that never returned)
        if (iv && !e.noExit) iv.end = Math.max(iv.start, e.ts);
      }
    }
  }

  // Instances: per pid, split by tid only where a pid has several threads.
  const tidsOf = new Map<number, number>();
  for (const t of threads.values()) tidsOf.set(t.pid, (tidsOf.get(t.pid) ?? 0) + 1);
  const list = [...threads.values()].sort((a, b) => a.pid - b.pid || a.tid - b.tid);
  const instances: TraceInstanceInfo[] = [];
  const perInstance: TraceEvent[][] = [];
  list.forEach((t, id) => {
    const base = processNames.get(t.pid) ?? `pid ${t.pid}`;
    const names: string[] = [];
    const ipOf = new Map<string, number>();
    const ip = (name: string): number => {
      let i = ipOf.get(name);
      if (i === undefined) {
        i = names.length;
        names.push(name);
        ipOf.set(name, i);
      }
      return i;
    };
    instances.push({ id, name: (tidsOf.get(t.pid) ?? 0) > 1 ? `${base} tid ${t.tid}` : base, names });
    const out: TraceEvent[] = [];
    const ivs = t.intervals.sort((a, b) => a.start - b.start || b.end - a.end || a.order - b.order);
    const stack: Array<{ iv: Interval; ip: number; end: number }> = [];
    let k = 0;
    const instants = t.instants.sort((a, b) => a.ts - b.ts || a.order - b.order);
    const closeUntil = (ts: number): void => {
      // pop frames that ended at or before ts (innermost first)
      for (let top = stack.at(-1); top && top.end <= ts; top = stack.at(-1)) {
        stack.pop();
        out.push({ type: EVENT_EXIT, instance: id, ip: top.ip, parent: 0, depth: stack.length, ts: top.end, duration: top.end - top.iv.start });
      }
    };
    const flushInstants = (ts: number): void => {
      while (k < instants.length && instants[k]!.ts < ts) {
        const it = instants[k++]!;
        closeUntil(it.ts);
        if (it.marker) out.push({ type: EVENT_MARKER, instance: id, ip: 0, parent: 0, depth: 0, ts: it.ts, duration: 0, text: it.name });
        else {
          const me = ip(it.name);
          const parent = it.parent === undefined || it.parent === 'HOST' ? HOST_IP : ip(it.parent);
          out.push({ type: EVENT_ENTRY, instance: id, ip: me, parent, depth: 0, ts: it.ts, duration: 0 });
        }
      }
    };
    for (const iv of ivs) {
      flushInstants(iv.start);
      closeUntil(iv.start);
      const parent = stack.at(-1);
      const end = parent ? Math.min(iv.end, parent.end) : iv.end;
      const me = ip(iv.name);
      out.push({
        type: EVENT_ENTRY,
        instance: id,
        ip: me,
        parent: parent ? parent.ip : HOST_IP,
        depth: stack.length,
        ts: iv.start,
        duration: 0,
      });
      stack.push({ iv, ip: me, end });
    }
    flushInstants(Infinity);
    closeUntil(Number.MAX_VALUE); // frames that never closed keep end = Infinity: no EXIT
    perInstance.push(out);
  });

  let events: TraceEvent[];
  if (perInstance.length === 1) events = perInstance[0]!;
  else events = perInstance.flat().sort((a, b) => a.ts - b.ts); // stable: each instance keeps its order
  const hasExit = events.some((e) => e.type === EVENT_EXIT);
  const tracer = typeof other['tracer'] === 'string' ? (other['tracer'] as string) : hasExit ? 'function_graph' : 'function';
  const lost = num(other['lost']);
  return {
    tracer,
    clock: other['timeUnit'] === 'sequence' ? 'counter' : 'perf',
    instances,
    events,
    entries: num(other['entries'], events.length),
    written: num(other['written'], events.length + lost),
    lost,
  };
}
