/**
 * The function profiler's table, as the kernel prints `trace_stat/function0`:
 *
 *   Function                               Hit    Time            Avg             s^2             Self
 *   --------                               ---    ----            ---             ---             ----
 *   main                                     1    100.000 us      100.000 us      0.000 us        30.000 us
 *
 * computed from a trace of function_graph events. Also home of walkCalls(),
 * the call matcher that the folded and Chrome outputs share.
 *
 * Definitions (per function, per instance):
 * - Hit: ENTRY events, as the kernel's counter (incremented on entry).
 * - Time: the sum of the durations of completed calls (each EXIT carries its
 *   own duration, so a call whose ENTRY was overwritten still counts), i.e.
 *   inclusive time, as with the kernel's default graph-time option. Recursive
 *   calls are counted at every level, as in the kernel.
 * - Avg: Time / completed calls. s^2: the kernel's sample variance of the
 *   per-call time, (n Σx² − (Σx)²) / (n (n − 1)) over completed calls, in
 *   us^2; printed, like the kernel, through the duration formatter, so its
 *   text says "us". The kernel divides by Hit; a trace can hold calls that
 *   never returned (a trap, the end of the buffer), so here n is the number
 *   of completed calls and Avg/s^2 describe those only.
 * - Self: Time minus the time of direct children (`Self` column, not in the
 *   kernel, which offers it as the nograph-time option instead). The time
 *   of a child that never returned goes to its parent's self time, so that
 *   self times add up to the time of the outermost calls.
 * With clock 'counter' (no time) or a trace without EXIT events (the
 * function tracer) only Function and Hit are printed, like the kernel's
 * profiler without the graph tracer.
 *
 * Names: the Function column is as wide as the longest name (at least the
 * kernel's 30), never truncated. With several instances a name reads
 * `func [instance]`, the way the kernel shows a module's symbols.
 *
 * No Node APIs: this runs in browsers too.
 */
import { printable } from './printable.js';
import {
  EVENT_ENTRY,
  EVENT_EXIT,
  clockHasTime,
  type TraceStream,
  type TraceEvent,
  type TraceInstanceInfo,
} from '../ring/event.js';
import { functionName } from '../abi/index.js';
import { formatGraphDuration, instanceTable } from './ftrace-text.js';

// ---------------------------------------------------------------------------
// Matching ENTRY and EXIT events into calls.

/** One call on an instance's stack, as walkCalls() reconstructs it. */
export interface CallFrame {
  readonly instance: number;
  readonly ip: number;
  readonly depth: number;
  /** ts of the ENTRY; for an EXIT whose ENTRY is not in the trace, exit ts - duration */
  readonly start: number;
  /** the open call at depth - 1 that made this one, or null when it is not in the trace */
  readonly parent: CallFrame | null;
  /** every caller down to depth 0 is in the trace, so the stack of names is exact */
  readonly known: boolean;
  /** false for a call known only by its EXIT (its ENTRY was overwritten) */
  readonly entered: boolean;
  /** time of direct children that completed, plus children of children that never returned */
  childTime: number;
}

/** Why a call ended without its EXIT: a trap unwound it, or the trace ends first. */
export type LostReason = 'unwound' | 'end';

export interface CallVisitor {
  /** an ENTRY opened `frame` */
  enter?(frame: CallFrame, event: TraceEvent): void;
  /** an EXIT closed `frame` (frame.entered is false when its ENTRY is not in the trace); self = duration - childTime */
  exit?(frame: CallFrame, event: TraceEvent, self: number): void;
  /** `frame` will never see its EXIT; `ts` is when that became known (the next event that proves it, or the last ts) */
  lost?(frame: CallFrame, ts: number, reason: LostReason): void;
  /** any other event (MARKER, STACK, STACK_FRAME), in trace order */
  other?(event: TraceEvent): void;
}

interface WalkState {
  stack: CallFrame[];
  /** child time of calls at depth k whose frame is not open (their ENTRY was overwritten) */
  orphan: Map<number, number>;
}

/**
 * Replays a trace's ENTRY/EXIT events as properly nested calls, per
 * instance, tolerating what a ring buffer and traps leave behind:
 * - an EXIT with no open call (its ENTRY was overwritten): reported as a
 *   call with entered = false, its children's time still attributed to it;
 * - calls that never return (a trap unwound them, the tracer repaired its
 *   shadow stack and wrote nothing): closed as `lost` as soon as an ENTRY at
 *   their depth or above, or an EXIT of a caller, shows they are gone;
 * - calls still open at the end: closed as `lost` at the last timestamp.
 * Every `enter` is followed by exactly one `exit` or `lost` for the same
 * frame, and frames close innermost first.
 */
export function walkCalls(trace: TraceStream, visitor: CallVisitor): void {
  const states = new Map<number, WalkState>();
  const stateOf = (id: number): WalkState => {
    let st = states.get(id);
    if (!st) {
      st = { stack: [], orphan: new Map() };
      states.set(id, st);
    }
    return st;
  };
  const credit = (st: WalkState, depth: number, parent: CallFrame | null, time: number): void => {
    if (parent) parent.childTime += time;
    else if (depth > 0) st.orphan.set(depth - 1, (st.orphan.get(depth - 1) ?? 0) + time);
  };
  const dropOrphans = (st: WalkState, fromDepth: number): void => {
    if (st.orphan.size === 0) return; // the common case: nothing was ever overwritten
    for (const k of [...st.orphan.keys()]) if (k >= fromDepth) st.orphan.delete(k);
  };
  /** closes frames from the top while `pred` holds */
  const unwind = (st: WalkState, pred: (f: CallFrame) => boolean, ts: number, reason: LostReason): void => {
    for (let top = st.stack.at(-1); top && pred(top); top = st.stack.at(-1)) {
      st.stack.pop();
      // The lost call's own time is unknown; what its children took still belongs to its caller.
      credit(st, top.depth, top.parent, top.childTime);
      visitor.lost?.(top, ts, reason);
    }
  };
  const parentAt = (st: WalkState, depth: number): CallFrame | null => {
    const top = st.stack.at(-1);
    return top && top.depth === depth - 1 ? top : null;
  };

  let lastTs = -Infinity;
  for (const ev of trace.events) {
    if (ev.ts > lastTs) lastTs = ev.ts;
    if (ev.type === EVENT_ENTRY) {
      const st = stateOf(ev.instance);
      unwind(st, (f) => f.depth >= ev.depth, ev.ts, 'unwound');
      dropOrphans(st, ev.depth);
      const parent = parentAt(st, ev.depth);
      const frame: CallFrame = {
        instance: ev.instance,
        ip: ev.ip,
        depth: ev.depth,
        start: ev.ts,
        parent,
        known: ev.depth === 0 || (parent !== null && parent.known),
        entered: true,
        childTime: 0,
      };
      st.stack.push(frame);
      visitor.enter?.(frame, ev);
    } else if (ev.type === EVENT_EXIT) {
      const st = stateOf(ev.instance);
      let at = -1;
      for (let i = st.stack.length - 1; i >= 0; i--) {
        const f = st.stack[i]!;
        if (f.ip === ev.ip && f.depth === ev.depth) {
          at = i;
          break;
        }
        if (f.depth < ev.depth) break;
      }
      let frame: CallFrame;
      if (at >= 0) {
        const target = st.stack[at]!;
        unwind(st, (f) => f !== target, ev.ts, 'unwound');
        st.stack.pop();
        frame = target;
      } else {
        unwind(st, (f) => f.depth >= ev.depth, ev.ts, 'unwound');
        const parent = parentAt(st, ev.depth);
        frame = {
          instance: ev.instance,
          ip: ev.ip,
          depth: ev.depth,
          start: ev.ts - ev.duration,
          parent,
          known: ev.depth === 0 || (parent !== null && parent.known),
          entered: false,
          childTime: st.orphan.get(ev.depth) ?? 0,
        };
      }
      dropOrphans(st, ev.depth);
      credit(st, frame.depth, frame.parent, ev.duration);
      visitor.exit?.(frame, ev, ev.duration - frame.childTime);
    } else {
      visitor.other?.(ev);
    }
  }
  for (const st of states.values()) unwind(st, () => true, lastTs, 'end');
}

// ---------------------------------------------------------------------------
// The profile.

export interface ProfileRow {
  instance: number;
  ip: number;
  /** display name; `func [instance]` when the trace holds several instances */
  name: string;
  /** ENTRY events */
  hits: number;
  /** completed calls (EXIT events) */
  calls: number;
  /** inclusive time of completed calls, in the clock's unit (us for 'perf') */
  total: number;
  /** total / calls, 0 without calls */
  avg: number;
  /** sample variance of the per-call time (unit squared: us^2), 0 with fewer than 2 calls */
  s2: number;
  /** total minus the time of direct children */
  self: number;
  /** self / calls, 0 without calls */
  selfAvg: number;
}

/** Per function hits and times of a trace, unsorted (in order of first appearance). */
export function computeProfile(trace: TraceStream): ProfileRow[] {
  const table = instanceTable(trace);
  const qualify = table.size > 1;
  const rows = new Map<string, ProfileRow & { sumSq: number }>();
  const rowOf = (instance: number, ip: number): ProfileRow & { sumSq: number } => {
    const key = `${instance}:${ip}`;
    let row = rows.get(key);
    if (!row) {
      const info: TraceInstanceInfo | undefined = table.get(instance);
      const base = functionName(info, ip);
      row = {
        instance,
        ip,
        name: qualify ? `${base} [${info?.name ?? instance}]` : base,
        hits: 0,
        calls: 0,
        total: 0,
        avg: 0,
        s2: 0,
        self: 0,
        selfAvg: 0,
        sumSq: 0,
      };
      rows.set(key, row);
    }
    return row;
  };
  walkCalls(trace, {
    enter(frame) {
      rowOf(frame.instance, frame.ip).hits++;
    },
    exit(frame, ev, self) {
      const row = rowOf(frame.instance, frame.ip);
      row.calls++;
      row.total += ev.duration;
      row.sumSq += ev.duration * ev.duration;
      row.self += self;
    },
  });
  return [...rows.values()].map(({ sumSq, ...row }) => {
    const n = row.calls;
    if (n > 0) {
      row.avg = row.total / n;
      row.selfAvg = row.self / n;
    }
    if (n > 1) row.s2 = Math.max(0, (n * sumSq - row.total * row.total) / (n * (n - 1)));
    return row;
  });
}

export type ProfileSort = 'total' | 'self' | 'hits' | 'calls' | 'avg' | 'name';

export interface ProfileOptions {
  /** descending by this column (ascending for 'name'); default 'total', as the kernel sorts by time */
  sort?: ProfileSort;
  /** print at most this many rows */
  limit?: number;
  /** print the time columns; default: clock 'perf' and the trace has completed calls */
  times?: boolean;
}

/** Rows sorted as formatProfile() prints them; ties broken by name, then instance, then ip. */
export function sortProfile(rows: readonly ProfileRow[], sort: ProfileSort = 'total'): ProfileRow[] {
  const tie = (a: ProfileRow, b: ProfileRow): number =>
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.instance - b.instance || a.ip - b.ip;
  return [...rows].sort((a, b) => (sort === 'name' ? 0 : b[sort] - a[sort]) || tie(a, b));
}

/** The trace_stat/function table of a trace. */
export function formatProfile(trace: TraceStream, options: ProfileOptions = {}): string {
  const rows = computeProfile(trace);
  return formatProfileRows(rows, { ...options, times: options.times ?? (clockHasTime(trace.clock) && rows.some((r) => r.calls > 0)) });
}

/** The table for rows from anywhere (computeProfile, or the live profiler tracer). */
export function formatProfileRows(rows: readonly ProfileRow[], options: ProfileOptions = {}): string {
  const times = options.times ?? rows.some((r) => r.calls > 0);
  let sorted = sortProfile(rows, options.sort ?? (times ? 'total' : 'hits'));
  if (options.limit !== undefined) sorted = sorted.slice(0, Math.max(0, options.limit));
  const width = Math.max(30, ...sorted.map((r) => printable(r.name).length));
  const head = (a: string, b: string): string => `  ${a.padEnd(width)}  ${b.padStart(10)}`;
  let out = '';
  if (times) {
    out += `${head('Function', 'Hit')}    Time            Avg             s^2             Self\n`;
    out += `${head('--------', '---')}    ----            ---             ---             ----\n`;
  } else {
    out += `${head('Function', 'Hit')}\n${head('--------', '---')}\n`;
  }
  for (const r of sorted) {
    let line = head(printable(r.name), String(r.hits));
    if (times) {
      const cols = [r.total, r.avg, r.s2, r.self].map(formatGraphDuration);
      line += `    ${cols.join('    ')}`;
    }
    out += `${line.trimEnd()}\n`;
  }
  return out;
}
