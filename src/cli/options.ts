/**
 * One table of the options commands share, as uftrace keeps it: each
 * option says which commands accept it, so `record` and the readers spell
 * and parse `-F` the same way.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { FilterSpec } from '../abi/filter-spec.js';
import type { RangeBound, TimeRange } from '../output/filter.js';
import { FTRACE_COMMANDS } from '../tracers/commands.js';
import { TRACERS } from '../tracers/registry.js';
import type { TracerName } from '../tracers/tracer.js';

export type CommandName = 'run' | 'record' | 'report' | 'replay' | 'graph' | 'dump' | 'list' | 'info';

/** For repeatable options: `--notrace a --notrace b` -> ['a', 'b']. Also splits commas, as set_ftrace_filter accepts lists. */
export function collectGlobs(value: string, previous: string[] = []): string[] {
  const parts = value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) throw new InvalidArgumentError('an empty pattern matches nothing');
  return [...previous, ...parts];
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`takes a positive whole number, not '${value}'`);
  return n;
}

/**
 * uftrace's `-f/--output-fields` list: `a,b` (these, in this order), `+a,b`
 * (the defaults, then these), `all`, `none`; an unknown name is a usage error.
 */
export function outputFields<F extends string>(known: readonly F[], defaults: readonly F[], all: readonly F[] = known): (value: string) => F[] {
  return (value) => {
    const add = value.startsWith('+');
    const names = (add ? value.slice(1) : value).split(',').map((f) => f.trim()).filter(Boolean);
    if (names.length === 1 && names[0] === 'none' && !add) return [];
    if (names.length === 1 && names[0] === 'all' && !add) return [...all];
    for (const n of names) if (!known.includes(n as F)) throw new InvalidArgumentError(`unknown field '${n}' (${known.join(', ')}, all, none)`);
    const out = add ? [...defaults] : [];
    for (const n of names as F[]) if (!out.includes(n)) out.push(n);
    return out;
  };
}

/** A duration: `100` (microseconds), `100us`, `2ms`, `1.5s`, `300ns`. Returns microseconds. */
export function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|ms|s)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`'${value}' is not a duration (e.g. 100us, 2ms, 1.5s)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'us';
  return unit === 'ns' ? n / 1000 : unit === 'ms' ? n * 1000 : unit === 's' ? n * 1e6 : n;
}

/**
 * uftrace's --time-range: `START~STOP`, either end may be left out. A time
 * with a unit (`10ms`, `1.5s`) is elapsed since the trace's first event; a
 * bare number is a timestamp as replay's time column prints it (seconds, or
 * the count of clock counter).
 */
export function timeRange(value: string): TimeRange {
  const parts = value.split('~');
  if (parts.length !== 2 || (parts[0]!.trim() === '' && parts[1]!.trim() === '')) {
    throw new InvalidArgumentError(`'${value}' is not a time range: START~STOP (e.g. 10ms~20ms, 1.25~1.5, ~5ms)`);
  }
  const bound = (text: string): RangeBound | undefined => {
    const t = text.trim();
    if (t === '') return undefined;
    if (/^\d+(?:\.\d+)?$/.test(t)) return { value: Number(t), elapsed: false };
    return { value: duration(t), elapsed: true };
  };
  const start = bound(parts[0]!);
  const end = bound(parts[1]!);
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

function choice(name: string, allowed: readonly string[]): (v: string) => string {
  return (v) => {
    if (!allowed.includes(v)) throw new InvalidArgumentError(`unknown ${name} '${v}' (${allowed.join(', ')})`);
    return v;
  };
}

interface SharedOption {
  flags: string;
  description: string;
  commands: readonly CommandName[];
  /** commander's argParser: the value, and the previous one for repeatable options */
  parse?: ((value: string) => unknown) | ((value: string, previous: string[]) => unknown);
  defaultValue?: unknown;
  /** what differs for one command: its help line, accepted values or default */
  perCommand?: Partial<Record<CommandName, Partial<Pick<SharedOption, 'description' | 'parse' | 'defaultValue'>>>>;
}

const RECORDING: readonly CommandName[] = ['run', 'record'];
const READING: readonly CommandName[] = ['report', 'replay', 'graph', 'dump'];
const BOTH: readonly CommandName[] = [...RECORDING, ...READING];

const TRACER_NAMES = [...TRACERS.keys()];
/** record writes events: a tracer that keeps live results (stat, as the profiler) leaves that to report. */
const RECORD_TRACERS = TRACER_NAMES.filter((t) => !TRACERS.get(t)!.stat);

function recordTracer(v: string): string {
  if (TRACERS.get(v)?.stat) {
    throw new InvalidArgumentError(`record writes events; the ${v} tracer keeps its results in memory: use -t function_graph (the default) and 'wasm-ftrace report' computes the profile`);
  }
  return choice('tracer', RECORD_TRACERS)(v);
}

export const OPTION_TABLE: readonly SharedOption[] = [
  {
    flags: '-t, --tracer <name>',
    description: `the tracer: ${TRACER_NAMES.join(', ')}`,
    commands: RECORDING,
    parse: choice('tracer', TRACER_NAMES),
    defaultValue: 'function',
    perCommand: {
      record: { description: `the tracer: ${RECORD_TRACERS.join(', ')}`, parse: recordTracer, defaultValue: 'function_graph' },
    },
  },
  {
    flags: '--clock <clock>',
    description: "'perf' (performance.now(), microseconds), 'worker' (the same time read from a cell a Worker keeps current: ~2 ns a read, steps of ~60-100 us) or 'counter' (order only, cheapest)",
    commands: RECORDING,
    parse: choice('clock', ['perf', 'worker', 'counter']),
    defaultValue: 'perf',
  },
  {
    flags: '-F, --filter <glob>',
    description: 'only these functions (ftrace globs; repeatable); when recording also func:traceon, func:traceoff[:n], func:stacktrace[:n]',
    commands: BOTH,
    parse: collectGlobs,
  },
  { flags: '-N, --notrace <glob>', description: 'not these functions (repeatable)', commands: BOTH, parse: collectGlobs },
  { flags: '-D, --depth <n>', description: 'function_graph: max_graph_depth', commands: BOTH, parse: positiveInt },
  {
    flags: '-G, --graph-function <glob>',
    description: 'function_graph: only these functions and what they call (repeatable)',
    commands: BOTH,
    parse: collectGlobs,
  },
  { flags: '--buffer-size <KiB>', description: 'ring buffer size in KiB (run keeps the newest events when it is full; record streams them to disk)', commands: RECORDING, parse: positiveInt },
  {
    flags: '--trigger <cmd>',
    description: "a trigger such as 'parse:traceoff', 'main:traceon', 'f:stacktrace:3' (repeatable)",
    commands: RECORDING,
    parse: collectGlobs,
  },
  { flags: '--time-filter <duration>', description: 'drop calls shorter than this (e.g. 10us, 1ms)', commands: BOTH, parse: duration },
  {
    flags: '-r, --time-range <range>',
    description: "only calls that ran during START~STOP (either may be left out): '10ms~20ms' elapsed since the first event, '1.25~1.5' timestamps as replay -f time prints them",
    commands: READING,
    parse: timeRange,
  },
  {
    flags: '--instrument-all',
    description: 'instrument every function even when -F selects a few (for filters that change while the program runs: triggers, the guest API)',
    commands: RECORDING,
  },
  {
    flags: '--symbols <file>',
    description: 'names for a stripped module: its unstripped build (.wasm, checked against the recorded one), an Emscripten symbol map (index:name lines) or a JSON name map (repeatable)',
    commands: READING,
    parse: (v: string, previous: string[] = []) => [...previous, v],
  },
  { flags: '--no-demangle', description: 'show C++ and Rust names mangled, as the module has them', commands: READING },
  {
    flags: '--srcline',
    description: "show each function's source file:line (from the module's DWARF line table or source map, which instrumenting keeps)",
    commands: READING,
  },
  {
    flags: '--recorder <where>',
    description:
      "'wasm': events are written by the module itself into a trace memory while one tracer runs (needs multi-memory: Node >= 22); 'js': every event calls into JavaScript; 'auto' (default): wasm where the engine has multi-memory",
    commands: RECORDING,
    parse: choice('recorder', ['auto', 'wasm', 'js']),
    defaultValue: 'auto',
  },
  { flags: '--no-cache', description: 'instrument again instead of reusing the instrument cache ($WASM_FTRACE_CACHE_DIR, else $XDG_CACHE_HOME/wasm-ftrace, else ~/.cache/wasm-ftrace)', commands: RECORDING },
];

/**
 * The functions the pass has to instrument for these filters: only what -F
 * can select (and the functions triggers fire on), or undefined for every
 * function. Every function stays instrumented when a filter can reach
 * beyond its globs: a negation (`!name`), a line number, `:mod:`,
 * -G (function_graph follows calls into any function), triggers alone, or
 * --instrument-all.
 */
export function instrumentOnly(flags: SharedFlags): string[] | undefined {
  if (flags.instrumentAll || !flags.filter?.length || flags.graphFunction?.length) return undefined;
  const spec = FilterSpec.parse([...flags.filter, ...(flags.trigger ?? [])], [...FTRACE_COMMANDS.keys()]);
  const plain: string[] = [];
  const fired: string[] = [];
  for (const e of spec.exprs) {
    // A character class or `?` may name a function literally (func[47]): the pass's globs would miss it.
    if (e.negate || e.line !== null || e.module !== null || e.glob?.kind === 'glob') return undefined;
    if (e.command === null) plain.push(e.pattern);
    else if (e.text.startsWith(':')) return undefined;
    else fired.push(e.pattern);
  }
  return plain.length > 0 ? [...plain, ...fired] : undefined;
}

/** Adds to `cmd` every shared option that `name` accepts. */
export function addSharedOptions(cmd: Command, name: CommandName): Command {
  for (const o of OPTION_TABLE) {
    if (!o.commands.includes(name)) continue;
    const { description, parse, defaultValue } = { ...o, ...o.perCommand?.[name] };
    const opt = new Option(o.flags, description);
    if (parse) opt.argParser(parse as (value: string, previous: unknown) => unknown);
    if (defaultValue !== undefined) opt.default(defaultValue);
    cmd.addOption(opt);
  }
  return cmd;
}

/** The shared options as parsed, for any command. */
export interface SharedFlags {
  /** checked against the registered tracers by the option parser */
  tracer: TracerName;
  clock: 'perf' | 'worker' | 'counter';
  filter?: string[];
  notrace?: string[];
  depth?: number;
  graphFunction?: string[];
  bufferSize?: number;
  trigger?: string[];
  timeFilter?: number;
  /** readers: --time-range */
  timeRange?: TimeRange;
  instrumentAll?: boolean;
  /** false: --no-cache */
  cache?: boolean;
  /** where events are recorded: 'auto' (wasm where the engine allows), 'wasm', 'js' */
  recorder?: 'auto' | 'wasm' | 'js';
  /** readers: symbol files */
  symbols?: string[];
  /** readers: false with --no-demangle */
  demangle?: boolean;
  /** readers: show file:line */
  srcline?: boolean;
}
