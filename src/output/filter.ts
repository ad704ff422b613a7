/**
 * Filters applied when reading a trace (uftrace's replay -F/-N/-D/-t): the
 * same options as recording, over events already recorded.
 *
 *   filter        only these functions (ftrace globs), not their callees
 *   notrace       not these functions
 *   graphFunction only calls of these functions and everything they call
 *   depth         only calls fewer than this many kept calls deep
 *   timeFilter    drop calls shorter than this (microseconds; calls that
 *                 never returned are kept)
 *
 * Depths are renumbered over the calls kept, so outputs nest what remains.
 * Markers and stack traces are kept. Counters (written, lost) are the
 * recording's; entries is what remains.
 */
import { compileGlob, functionName, matchesAny, type Glob } from '../abi/index.js';
import { EVENT_ENTRY, EVENT_EXIT, traceHasExits, type TraceData, type TraceEvent, type TraceStream } from '../ring/event.js';

export interface ReadFilter {
  filter?: readonly string[];
  notrace?: readonly string[];
  graphFunction?: readonly string[];
  depth?: number;
  /** microseconds */
  timeFilter?: number;
}

export function isEmptyFilter(f: ReadFilter): boolean {
  return !f.filter?.length && !f.notrace?.length && !f.graphFunction?.length && !f.depth && !f.timeFilter;
}

interface Frame {
  ip: number;
  keep: boolean;
  inGraph: boolean;
}

/** A trace held in memory, filtered into a new array. */
export function filterTrace(trace: TraceData, f: ReadFilter): TraceData {
  if (isEmptyFilter(f)) return trace;
  const s = filterStream(trace, f);
  const events = [...s.events];
  return { tracer: s.tracer, clock: s.clock, instances: s.instances, written: s.written, lost: s.lost, events, entries: events.length };
}

/**
 * The trace filtered as it streams: each pass over `events` filters the
 * source's events again, holding one frame per open call (and, with a time
 * filter, a bit per event from a first pass: which calls were short).
 * `entries` is counted by a pass of its own, the first time it is asked for.
 */
export function filterStream(trace: TraceStream, f: ReadFilter): TraceStream {
  if (isEmptyFilter(f)) return trace;
  const globs = (list?: readonly string[]): Glob[] => (list ?? []).map((g) => compileGlob(g));
  const only = globs(f.filter);
  const not = globs(f.notrace);
  const graph = globs(f.graphFunction);
  const names = new Map(trace.instances.map((i) => [i.id, i.names]));
  const nameOf = (e: TraceEvent): string => functionName(names.get(e.instance), e.ip);
  const nameOk = (e: TraceEvent): boolean => {
    const n = nameOf(e);
    return (only.length === 0 || matchesAny(only, n)) && !matchesAny(not, n);
  };
  const exits = traceHasExits(trace);
  const pass = (): Iterator<TraceEvent> =>
    exits ? callsPass(trace.events, f, nameOk, graph, nameOf) : entriesPass(trace.events, nameOk, graph, nameOf);
  let entries: number | undefined;
  return {
    tracer: trace.tracer,
    clock: trace.clock,
    instances: trace.instances,
    written: trace.written,
    lost: trace.lost,
    hasExits: exits,
    events: { [Symbol.iterator]: pass },
    get entries(): number {
      if (entries === undefined) {
        entries = 0;
        const it = pass();
        while (!it.next().done) entries++;
      }
      return entries;
    },
  };
}

/** Entries only (the function tracer): no calls to measure or nest, just names. */
function* entriesPass(events: Iterable<TraceEvent>, nameOk: (e: TraceEvent) => boolean, graph: Glob[], nameOf: (e: TraceEvent) => string): Generator<TraceEvent> {
  for (const e of events) {
    if (e.type !== EVENT_ENTRY || (nameOk(e) && (graph.length === 0 || matchesAny(graph, nameOf(e))))) yield e;
  }
}

/** A growable bit per event ordinal. */
class BitSet {
  private bits = new Uint8Array(1 << 12);
  set(i: number): void {
    const byte = i >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, byte + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[byte]! |= 1 << (i & 7);
  }
  has(i: number): boolean {
    return ((this.bits[i >>> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }
}

/**
 * The calls under a time filter's threshold, by the ordinal of their ENTRY:
 * every EXIT pairs with the innermost open call of the same function (as
 * the tracer's shadow stack did), a pass ahead of the filter, so that the
 * filter knows at an ENTRY whether its call will be short.
 */
function shortCalls(events: Iterable<TraceEvent>, threshold: number): BitSet {
  const short = new BitSet();
  const stacks = new Map<number, Array<{ ip: number; ordinal: number }>>();
  let ordinal = 0;
  for (const e of events) {
    if (e.type === EVENT_ENTRY) {
      let s = stacks.get(e.instance);
      if (!s) stacks.set(e.instance, (s = []));
      s.push({ ip: e.ip, ordinal });
    } else if (e.type === EVENT_EXIT) {
      const s = stacks.get(e.instance) ?? [];
      for (let d = s.length - 1; d >= 0; d--) {
        if (s[d]!.ip === e.ip) {
          if (e.duration < threshold) short.set(s[d]!.ordinal);
          s.length = d;
          break;
        }
      }
    }
    ordinal++;
  }
  return short;
}

/**
 * Calls: decide per call at its ENTRY, renumbering depth over what is kept.
 * The frames mirror shortCalls' stacks: push on ENTRY, and an EXIT closes
 * the innermost open call of its function and everything above it.
 */
function* callsPass(
  events: Iterable<TraceEvent>,
  f: ReadFilter,
  nameOk: (e: TraceEvent) => boolean,
  graph: Glob[],
  nameOf: (e: TraceEvent) => string,
): Generator<TraceEvent> {
  const short = f.timeFilter !== undefined ? shortCalls(events, f.timeFilter) : null;
  const frames = new Map<number, Frame[]>();
  const keptDepth = new Map<number, number>();
  const framesOf = (instance: number): Frame[] => {
    let s = frames.get(instance);
    if (!s) frames.set(instance, (s = []));
    return s;
  };
  const pop = (instance: number, s: Frame[], to: number): void => {
    while (s.length > to) if (s.pop()!.keep) keptDepth.set(instance, (keptDepth.get(instance) ?? 1) - 1);
  };
  let ordinal = -1;
  for (const e of events) {
    ordinal++;
    if (e.type === EVENT_ENTRY) {
      const s = framesOf(e.instance);
      const depth = keptDepth.get(e.instance) ?? 0;
      const inGraph = graph.length === 0 || (s.length > 0 && s[s.length - 1]!.inGraph) || matchesAny(graph, nameOf(e));
      const keep = nameOk(e) && inGraph && (f.depth === undefined || depth < f.depth) && (short === null || !short.has(ordinal));
      s.push({ ip: e.ip, keep, inGraph });
      if (keep) {
        keptDepth.set(e.instance, depth + 1);
        yield { ...e, depth };
      }
    } else if (e.type === EVENT_EXIT) {
      const s = framesOf(e.instance);
      let at = -1;
      for (let d = s.length - 1; d >= 0; d--) {
        if (s[d]!.ip === e.ip) {
          at = d;
          break;
        }
      }
      if (at < 0) {
        // an exit whose entry is not in the trace: keep it if its function passes
        if (nameOk(e) && graph.length === 0) yield { ...e, depth: keptDepth.get(e.instance) ?? 0 };
        continue;
      }
      pop(e.instance, s, at + 1);
      const frame = s.pop()!;
      if (frame.keep) {
        const depth = (keptDepth.get(e.instance) ?? 1) - 1;
        keptDepth.set(e.instance, depth);
        yield { ...e, depth };
      }
    } else {
      yield e;
    }
  }
}
