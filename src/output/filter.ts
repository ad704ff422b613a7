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
 *   timeRange     only calls that ran during this time (uftrace's
 *                 --time-range): a call is kept when it overlaps the range,
 *                 so the calls around it stay and the result still nests;
 *                 other events when their timestamp is inside it
 *
 * Depths are renumbered over the calls kept, so outputs nest what remains.
 * Markers and stack traces are kept. Counters (written, lost) are the
 * recording's; entries is what remains.
 */
import { FilterError, FilterSpec, functionName, resolveFilter, type FilterUniverse } from '../abi/index.js';
import { EVENT_ENTRY, EVENT_EXIT, clockHasTime, traceHasExits, type TraceData, type TraceEvent, type TraceInstanceInfo, type TraceStream } from '../ring/event.js';

export interface ReadFilter {
  /** filter expressions as recording takes them (src/abi/filter-spec.ts): globs, !glob, N, glob:mod:NAME */
  filter?: readonly string[];
  notrace?: readonly string[];
  graphFunction?: readonly string[];
  depth?: number;
  /** microseconds */
  timeFilter?: number;
  timeRange?: TimeRange;
}

/** A --time-range; a missing end is open. */
export interface TimeRange {
  start?: RangeBound;
  end?: RangeBound;
}

/**
 * One end of a time range: `elapsed` microseconds after the trace's first
 * event, or else a timestamp as replay's time column prints it (seconds for
 * the clocks with time, the count itself for clock counter).
 */
export interface RangeBound {
  value: number;
  elapsed: boolean;
}

export function isEmptyFilter(f: ReadFilter): boolean {
  return !f.filter?.length && !f.notrace?.length && !f.graphFunction?.length && !f.depth && !f.timeFilter && !f.timeRange;
}

/** [lo, hi] in the trace's ts units; a FilterError for an elapsed time on a clock without time. */
function resolveRange(range: TimeRange, trace: TraceStream): { lo: number; hi: number } {
  let origin: number | undefined;
  const at = (b: RangeBound | undefined, open: number): number => {
    if (b === undefined) return open;
    if (!b.elapsed) return clockHasTime(trace.clock) ? b.value * 1e6 : b.value;
    if (!clockHasTime(trace.clock)) throw new FilterError(`--time-range: clock ${trace.clock} has no time; give counter values (no unit)`);
    if (origin === undefined) {
      origin = 0;
      for (const e of trace.events) {
        origin = e.ts;
        break;
      }
    }
    return origin + b.value;
  };
  return { lo: at(range.start, -Infinity), hi: at(range.end, Infinity) };
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
  const only = resolveIn(trace.instances, f.filter, '-F', true);
  const not = resolveIn(trace.instances, f.notrace, '-N', false);
  const graph = resolveIn(trace.instances, f.graphFunction, '-G', false);
  const nameOk = (e: TraceEvent): boolean => (only === null || only(e)) && !(not !== null && not(e));
  const exits = traceHasExits(trace);
  const range = f.timeRange ? resolveRange(f.timeRange, trace) : null;
  const pass = (): Iterator<TraceEvent> => (exits ? callsPass(trace.events, f, nameOk, graph, range) : entriesPass(trace.events, nameOk, graph, range));
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

type Selects = (e: TraceEvent) => boolean;

/** What a read-time filter selects from in one instance: its traced functions, in available_filter_functions order. */
function universeOf(info: TraceInstanceInfo): FilterUniverse {
  // the module's defined functions, as `list` numbers them (a trace that does not say: every ip it names)
  const from = info.importCount ?? 0;
  const to = info.functionCount ?? info.names.length;
  return {
    available: Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i),
    nameOf: (ip) => functionName(info.names, ip),
    moduleName: info.name,
  };
}

/**
 * A spec resolved in every instance, as a test of an event's function. An
 * expression that matches no function of any instance is a FilterError, as
 * when recording. Only a filter's empty set means every function (a filter
 * of negations alone); notrace and graph sets are what they hold.
 */
function resolveIn(instances: readonly TraceInstanceInfo[], list: readonly string[] | undefined, option: string, emptyMeansAll: boolean): Selects | null {
  if (!list?.length) return null;
  const spec = FilterSpec.parse(list);
  const universes = new Map(instances.map((i) => [i.id, universeOf(i)]));
  const missing = spec.unmatched(universes.values())[0];
  if (missing) throw new FilterError(`${option} '${missing.text}' matches no function in the trace`);
  const sets = new Map<number, { ips: Set<number>; all: boolean }>();
  for (const [id, u] of universes) {
    const r = resolveFilter(spec, u);
    sets.set(id, { ips: r.ips, all: emptyMeansAll && r.ips.size === 0 && !r.selectsNothing });
  }
  return (e) => {
    const s = sets.get(e.instance);
    return s !== undefined && (s.all || s.ips.has(e.ip));
  };
}

type Range = { lo: number; hi: number } | null;
const inRange = (range: Range, ts: number): boolean => range === null || (ts >= range.lo && ts <= range.hi);

/** Entries only (the function tracer): no calls to measure or nest, just names and times. */
function* entriesPass(events: Iterable<TraceEvent>, nameOk: Selects, graph: Selects | null, range: Range): Generator<TraceEvent> {
  for (const e of events) {
    if (inRange(range, e.ts) && (e.type !== EVENT_ENTRY || (nameOk(e) && (graph === null || graph(e))))) yield e;
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
 * The calls under a time filter's threshold, or that returned before a time
 * range starts, by the ordinal of their ENTRY: every EXIT pairs with the
 * innermost open call of the same function (as the tracer's shadow stack
 * did), a pass ahead of the filter, so that the filter knows at an ENTRY
 * whether its call will be short or over too early.
 */
function droppedCalls(events: Iterable<TraceEvent>, threshold: number, before: number): BitSet {
  const dropped = new BitSet();
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
          if (e.duration < threshold || e.ts < before) dropped.set(s[d]!.ordinal);
          s.length = d;
          break;
        }
      }
    }
    ordinal++;
  }
  return dropped;
}

/**
 * Calls: decide per call at its ENTRY, renumbering depth over what is kept.
 * The frames mirror shortCalls' stacks: push on ENTRY, and an EXIT closes
 * the innermost open call of its function and everything above it.
 */
function* callsPass(
  events: Iterable<TraceEvent>,
  f: ReadFilter,
  nameOk: Selects,
  graph: Selects | null,
  range: Range,
): Generator<TraceEvent> {
  const before = range?.lo ?? -Infinity;
  const short = f.timeFilter !== undefined || before > -Infinity ? droppedCalls(events, f.timeFilter ?? 0, before) : null;
  const startsInTime = (e: TraceEvent): boolean => range === null || e.ts <= range.hi;
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
      const inGraph = graph === null || (s.length > 0 && s[s.length - 1]!.inGraph) || graph(e);
      const keep = nameOk(e) && inGraph && (f.depth === undefined || depth < f.depth) && (short === null || !short.has(ordinal)) && startsInTime(e);
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
        if (nameOk(e) && graph === null && inRange(range, e.ts)) yield { ...e, depth: keptDepth.get(e.instance) ?? 0 };
        continue;
      }
      pop(e.instance, s, at + 1);
      const frame = s.pop()!;
      if (frame.keep) {
        const depth = (keptDepth.get(e.instance) ?? 1) - 1;
        keptDepth.set(e.instance, depth);
        yield { ...e, depth };
      }
    } else if (inRange(range, e.ts)) {
      yield e;
    }
  }
}
