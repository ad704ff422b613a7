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
import { EVENT_ENTRY, EVENT_EXIT, type TraceData, type TraceEvent } from '../ring/event.js';

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
  entry: number;
  keep: boolean;
  inGraph: boolean;
}

export function filterTrace(trace: TraceData, f: ReadFilter): TraceData {
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

  if (!trace.events.some((e) => e.type === EVENT_EXIT)) {
    // Entries only (the function tracer): no calls to measure or nest, just names.
    const out = trace.events.filter((e) => e.type !== EVENT_ENTRY || (nameOk(e) && (graph.length === 0 || matchesAny(graph, nameOf(e)))));
    return { ...trace, events: out, entries: out.length };
  }

  // Pass 1: pair every exit with its entry (innermost frame of the same
  // function, as the tracer's shadow stack did), to know durations up front.
  const events = trace.events;
  const duration = new Float64Array(events.length).fill(-1);
  const entryOf = new Int32Array(events.length).fill(-1);
  const stacks = new Map<number, number[]>();
  const stackOf = (instance: number): number[] => {
    let s = stacks.get(instance);
    if (!s) stacks.set(instance, (s = []));
    return s;
  };
  events.forEach((e, i) => {
    if (e.type === EVENT_ENTRY) stackOf(e.instance).push(i);
    else if (e.type === EVENT_EXIT) {
      const s = stackOf(e.instance);
      for (let d = s.length - 1; d >= 0; d--) {
        if (events[s[d]!]!.ip === e.ip) {
          duration[s[d]!] = e.duration;
          entryOf[i] = s[d]!;
          s.length = d;
          break;
        }
      }
    }
  });

  // Pass 2: decide per call, renumbering depth over what is kept.
  const out: TraceEvent[] = [];
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
  events.forEach((e, i) => {
    if (e.type === EVENT_ENTRY) {
      const s = framesOf(e.instance);
      const depth = keptDepth.get(e.instance) ?? 0;
      const inGraph = graph.length === 0 || (s.length > 0 && s[s.length - 1]!.inGraph) || matchesAny(graph, nameOf(e));
      const keep =
        nameOk(e) &&
        inGraph &&
        (f.depth === undefined || depth < f.depth) &&
        (f.timeFilter === undefined || duration[i]! < 0 || duration[i]! >= f.timeFilter);
      s.push({ ip: e.ip, entry: i, keep, inGraph });
      if (keep) {
        out.push({ ...e, depth });
        keptDepth.set(e.instance, depth + 1);
      }
    } else if (e.type === EVENT_EXIT) {
      const s = framesOf(e.instance);
      const entry = entryOf[i]!;
      const at = entry < 0 ? -1 : s.findIndex((fr) => fr.entry === entry);
      if (at < 0) {
        // an exit whose entry is not in the trace: keep it if its function passes
        if (nameOk(e) && graph.length === 0) out.push({ ...e, depth: keptDepth.get(e.instance) ?? 0 });
        return;
      }
      pop(e.instance, s, at + 1);
      const frame = s.pop()!;
      if (frame.keep) {
        const depth = (keptDepth.get(e.instance) ?? 1) - 1;
        keptDepth.set(e.instance, depth);
        out.push({ ...e, depth });
      }
    } else {
      out.push(e);
    }
  });
  return { ...trace, events: out, entries: out.length };
}
