/**
 * The function profiler's table, as the kernel prints `trace_stat/function0`:
 *
 *   Function                               Hit    Time            Avg             Stddev          Self
 *   --------                               ---    ----            ---             ------          ----
 *   main                                     1    100.000 us      100.000 us      0.000 us        30.000 us
 *
 * computed from a trace of function_graph events, through walkCalls() (calls.ts).
 *
 * Definitions (per function, per instance):
 * - Hit: ENTRY events, as the kernel's counter (incremented on entry).
 * - Time: the sum of the durations of completed calls (each EXIT carries its
 *   own duration, so a call whose ENTRY was overwritten still counts), i.e.
 *   inclusive time, as with the kernel's default graph-time option. Recursive
 *   calls are counted at every level, as in the kernel.
 * - Avg: Time / completed calls. s^2 (ProfileRow.s2): the kernel's sample
 *   variance of the per-call time, (n Σx² − (Σx)²) / (n (n − 1)) over
 *   completed calls, in us^2. The kernel prints it through the duration
 *   formatter, so its text says "us" for a value in us^2 (`187 s` for a
 *   spread of 13.7 ms); the table prints its square root instead, the
 *   standard deviation, a time (Stddev). The kernel divides by Hit; a trace
 *   can hold calls that never returned (a trap, the end of the buffer), so
 *   here n is the number of completed calls and Avg/s^2 describe those only.
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
import { clockHasTime, type TraceStream, type TraceInstanceInfo } from '../ring/event.js';
import { functionName } from '../abi/index.js';
import { walkCalls } from './calls.js';
import { formatGraphDuration, instanceTable } from './ftrace-text.js';
import { sourceLineOf } from './source-line.js';

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
  /** `file:line` where the module's DWARF or source map gave one (printed with ProfileOptions.srcline) */
  source?: string;
  /** shortest and longest completed call, inclusive and self (computeProfile sets them; 0 without calls) */
  min?: number;
  max?: number;
  selfMin?: number;
  selfMax?: number;
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
      const source = sourceLineOf(info, ip);
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
        min: Infinity,
        max: 0,
        selfMin: Infinity,
        selfMax: 0,
        ...(source !== undefined ? { source } : {}),
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
      row.min = Math.min(row.min!, ev.duration);
      row.max = Math.max(row.max!, ev.duration);
      row.selfMin = Math.min(row.selfMin!, self);
      row.selfMax = Math.max(row.selfMax!, self);
    },
  });
  return [...rows.values()].map(({ sumSq, ...row }) => {
    const n = row.calls;
    if (n > 0) {
      row.avg = row.total / n;
      row.selfAvg = row.self / n;
    }
    if (n > 1) row.s2 = Math.max(0, (n * sumSq - row.total * row.total) / (n * (n - 1)));
    if (n === 0) row.min = row.selfMin = 0;
    return row;
  });
}

export type ProfileSort = 'total' | 'self' | 'hits' | 'calls' | 'avg' | 'name';

export interface ProfileOptions {
  /** descending by this column (ascending for 'name'), then by the next ones for ties; default 'total', as the kernel sorts by time */
  sort?: ProfileSort | readonly ProfileSort[];
  /** print at most this many rows */
  limit?: number;
  /** print the time columns; default: clock 'perf' and the trace has completed calls */
  times?: boolean;
  /** a last column, Source: each function's file:line (uftrace's --srcline) */
  srcline?: boolean;
  /** the columns after Function, in this order (uftrace's report -f names); default: call, and with times total, total-avg, stddev, self */
  fields?: readonly ProfileField[];
}

/**
 * The columns `report -f` takes, by uftrace's names (`call` is ftrace's Hit,
 * `total-avg` its Avg); `stddev` is the kernel's s^2 as a time. A time
 * column needs a trace with times (clock perf or worker, EXIT events).
 */
export const PROFILE_FIELDS = {
  call: { label: 'Hit', count: (r: ProfileRow) => r.hits },
  total: { label: 'Time', time: (r: ProfileRow) => r.total },
  'total-avg': { label: 'Avg', time: (r: ProfileRow) => r.avg },
  'total-min': { label: 'Min', time: (r: ProfileRow) => r.min },
  'total-max': { label: 'Max', time: (r: ProfileRow) => r.max },
  stddev: { label: 'Stddev', time: (r: ProfileRow) => Math.sqrt(r.s2) },
  self: { label: 'Self', time: (r: ProfileRow) => r.self },
  'self-avg': { label: 'Self avg', time: (r: ProfileRow) => r.selfAvg },
  'self-min': { label: 'Self min', time: (r: ProfileRow) => r.selfMin },
  'self-max': { label: 'Self max', time: (r: ProfileRow) => r.selfMax },
} as const;
export type ProfileField = keyof typeof PROFILE_FIELDS;
export const DEFAULT_PROFILE_FIELDS: readonly ProfileField[] = ['call', 'total', 'total-avg', 'stddev', 'self'];

/** Whether a column prints a time (and so needs a trace with times). */
export function isTimeField(field: ProfileField): boolean {
  return 'time' in PROFILE_FIELDS[field];
}

/** Rows sorted as formatProfile() prints them: by each key in turn, then by name, instance and ip. */
export function sortProfile(rows: readonly ProfileRow[], sort: ProfileSort | readonly ProfileSort[] = 'total'): ProfileRow[] {
  const keys = typeof sort === 'string' ? [sort] : sort;
  const byName = (a: ProfileRow, b: ProfileRow): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const c = k === 'name' ? byName(a, b) : b[k] - a[k];
      if (c !== 0) return c;
    }
    return byName(a, b) || a.instance - b.instance || a.ip - b.ip;
  });
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
  const fields = (options.fields ?? DEFAULT_PROFILE_FIELDS).filter((f) => times || !isTimeField(f));
  // a count is right-aligned in 10 columns after 2 spaces; a time is ftrace's 12-column duration after 4
  const cell = (f: ProfileField | 'source', text: string, header: boolean): string => {
    if (f === 'source') return `${fields.length > 0 && isTimeField(fields[fields.length - 1]!) ? '    ' : '  '}${text}`;
    return isTimeField(f) ? `    ${header ? text.padEnd(12) : text}` : `  ${text.padStart(10)}`;
  };
  const columns: (ProfileField | 'source')[] = [...fields, ...(options.srcline ? (['source'] as const) : [])];
  const label = (f: ProfileField | 'source'): string => (f === 'source' ? 'Source' : PROFILE_FIELDS[f].label);
  const row = (name: string, texts: string[], header: boolean): string => `${`  ${name.padEnd(width)}${columns.map((f, i) => cell(f, texts[i]!, header)).join('')}`.trimEnd()}\n`;
  let out = row('Function', columns.map(label), true);
  out += row('--------', columns.map((f) => '-'.repeat(label(f).length)), true);
  for (const r of sorted) {
    const texts = columns.map((f) => {
      if (f === 'source') return r.source ?? '';
      const def = PROFILE_FIELDS[f];
      return 'count' in def ? String(def.count(r)) : formatGraphDuration(def.time(r) ?? 0);
    });
    out += row(printable(r.name), texts, false);
  }
  return out;
}
