/**
 * The hook-overhead scenarios: each is one way of running a workload, set
 * up once per instance. Every callback an ops or import gets here is empty,
 * so a scenario measures the mechanism, not the work a tracer chooses to do
 * (the tracers' own scenarios measure that).
 */
import { Ftrace } from '../ftrace/ftrace.js';
import { createOps } from '../ftrace/ops.js';
import type { WorkerClock } from '../clock/worker-clock.js';
import type { TraceClock } from '../ring/event.js';
import { startWorkerClock } from '../runtime/node-clock.js';
import { TraceArray } from '../tracers/trace-array.js';
import { WasmRing } from '../ring/wasm-ring.js';
import type { TracerName } from '../tracers/tracer.js';
import type { WrapImports } from './workloads.js';

/** Which binary a scenario runs. */
export type Variant = 'original' | 'traced' | 'exits' | 'logexec' | 'wasm' | 'wasm-exits';

export interface ScenarioInstance {
  wrap: WrapImports;
  attach(instance: WebAssembly.Instance): void;
  /** the dispatcher's mode once set up ('none', 'direct', 'list'), or null when no dispatcher runs */
  mode(): string | null;
}

export interface ScenarioContext {
  /** a traced function the run never calls (a name or a line number of available_filter_functions) */
  never: string | null;
  /** the import binaryen's log-execution added */
  logImport: { module: string; name: string } | null;
}

export interface Scenario {
  id: string;
  label: string;
  variant: Variant;
  /** it records something per entry (held against log-execution) */
  records: boolean;
  setup(module: WebAssembly.Module, ctx: ScenarioContext): ScenarioInstance;
}

const identity: WrapImports = (imports) => imports;
const noop = (): void => {};

/** The instrumented module with `mcount` an arbitrary JS function: guards stay at the pass's default (on). */
function bareImport(mcount: (ip: number, parentIp: number) => void): ScenarioInstance {
  return { wrap: (imports) => ({ ...imports, ftrace: { mcount } }), attach: noop, mode: () => null };
}

/** The core alone, with `setup` registering ops once attached. */
function core(module: WebAssembly.Module, setup: (ft: Ftrace) => void): ScenarioInstance {
  const ft = Ftrace.forModule(module);
  return {
    wrap: (imports) => ({ ...imports, ftrace: { ...ft.imports } }),
    attach: (instance) => {
      ft.attach(instance);
      setup(ft);
    },
    mode: () => ft.mode,
  };
}

/**
 * The worker clock of this bench thread, started by the first scenario that
 * needs it (each scenario has a thread of its own, so only those scenarios
 * pay for its Worker).
 */
let workerClock: WorkerClock | undefined;
function benchWorkerClock(): WorkerClock {
  workerClock ??= startWorkerClock();
  return workerClock;
}

/**
 * The worker clock running on a trace memory's buffer, so the in-wasm
 * recorder reads it with a load (as `record` sets it up).
 */
let ringClock: { ring: WasmRing; clock: WorkerClock } | undefined;
function benchRingClock(): { ring: WasmRing; clock: WorkerClock } {
  if (!ringClock) {
    const ring = new WasmRing();
    ringClock = { ring, clock: startWorkerClock({ buffer: ring.buffer }) };
  }
  return ringClock;
}

/** A tracer through the trace array, as `wasm-ftrace run -t TRACER --clock CLOCK` sets it up; `inWasm`: on a module with a trace memory. */
function tracer(module: WebAssembly.Module, name: TracerName, clock: TraceClock, filter?: string, inWasm = false): ScenarioInstance {
  const ringAndClock = inWasm && clock === 'worker' ? benchRingClock() : undefined;
  const workerClock = clock === 'worker' ? (ringAndClock?.clock ?? benchWorkerClock()) : undefined;
  const wasmRing = ringAndClock?.ring ?? (inWasm ? new WasmRing() : undefined);
  const tr = new TraceArray({ tracer: name, clock, ...(workerClock ? { workerClock } : {}), ...(wasmRing ? { wasmRing } : {}) });
  const inst = tr.addInstance(Ftrace.forModule(module));
  if (filter !== undefined) tr.setFilter(filter);
  return {
    wrap: (imports) => tr.importsFor(inst, imports),
    attach: (instance) => tr.attach(inst, instance),
    mode: () => inst.ft.mode,
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'baseline',
    label: 'baseline (uninstrumented)',
    variant: 'original',
    records: false,
    setup: () => ({ wrap: identity, attach: noop, mode: () => null }),
  },
  {
    id: 'off',
    label: 'tracing off (nop tracer)',
    variant: 'traced',
    records: false,
    setup: (m) => tracer(m, 'nop', 'counter'),
  },
  {
    id: 'filtered',
    label: 'filtered to a function never called',
    variant: 'traced',
    records: false,
    setup: (m, ctx) => {
      if (ctx.never === null) throw new Error('no traced function is left uncalled by the run');
      return tracer(m, 'function', 'counter', ctx.never);
    },
  },
  {
    id: 'floor',
    label: 'empty import at every entry (floor)',
    variant: 'traced',
    records: false,
    setup: () => bareImport(() => {}),
  },
  {
    id: 'direct',
    label: 'one empty static ops (direct)',
    variant: 'traced',
    records: false,
    setup: (m) => core(m, (ft) => ft.register(createOps(() => {}))),
  },
  {
    id: 'list',
    label: 'two empty ops (list)',
    variant: 'traced',
    records: false,
    setup: (m) =>
      core(m, (ft) => {
        ft.register(createOps(() => {}));
        ft.register(createOps(() => {}));
      }),
  },
  {
    id: 'dynamic',
    label: 'one empty dynamic ops (list)',
    variant: 'traced',
    records: false,
    setup: (m) => core(m, (ft) => ft.register(createOps(() => {}, { dynamic: true }))),
  },
  {
    id: 'function-counter',
    label: 'function tracer, counter clock',
    variant: 'traced',
    records: true,
    setup: (m) => tracer(m, 'function', 'counter'),
  },
  {
    id: 'function-perf',
    label: 'function tracer, perf clock',
    variant: 'traced',
    records: true,
    setup: (m) => tracer(m, 'function', 'perf'),
  },
  {
    id: 'graph',
    label: 'function_graph tracer, perf clock',
    variant: 'exits',
    records: true,
    setup: (m) => tracer(m, 'function_graph', 'perf'),
  },
  {
    id: 'profiler',
    label: 'profiler, perf clock',
    variant: 'exits',
    records: true,
    setup: (m) => tracer(m, 'profiler', 'perf'),
  },
  {
    id: 'function-worker',
    label: 'function tracer, worker clock',
    variant: 'traced',
    records: true,
    setup: (m) => tracer(m, 'function', 'worker'),
  },
  {
    id: 'graph-worker',
    label: 'function_graph tracer, worker clock',
    variant: 'exits',
    records: true,
    setup: (m) => tracer(m, 'function_graph', 'worker'),
  },
  {
    id: 'profiler-worker',
    label: 'profiler, worker clock',
    variant: 'exits',
    records: true,
    setup: (m) => tracer(m, 'profiler', 'worker'),
  },
  {
    id: 'wasm-off',
    label: 'tracing off (nop tracer), trace memory',
    variant: 'wasm',
    records: false,
    setup: (m) => tracer(m, 'nop', 'counter', undefined, true),
  },
  {
    id: 'wasm-function-counter',
    label: 'function tracer, counter clock, in wasm',
    variant: 'wasm',
    records: true,
    setup: (m) => tracer(m, 'function', 'counter', undefined, true),
  },
  {
    id: 'wasm-function-worker',
    label: 'function tracer, worker clock, in wasm',
    variant: 'wasm',
    records: true,
    setup: (m) => tracer(m, 'function', 'worker', undefined, true),
  },
  {
    id: 'wasm-graph-worker',
    label: 'function_graph tracer, worker clock, in wasm',
    variant: 'wasm-exits',
    records: true,
    setup: (m) => tracer(m, 'function_graph', 'worker', undefined, true),
  },
  {
    id: 'wasm-graph-perf',
    label: 'function_graph tracer, perf clock, in wasm',
    variant: 'wasm-exits',
    records: true,
    setup: (m) => tracer(m, 'function_graph', 'perf', undefined, true),
  },
  {
    id: 'wasm-profiler-worker',
    label: 'profiler, worker clock, in wasm',
    variant: 'wasm-exits',
    records: true,
    setup: (m) => tracer(m, 'profiler', 'worker', undefined, true),
  },
  {
    id: 'clock',
    label: 'empty import + performance.now() (floor + clock read)',
    variant: 'traced',
    records: false,
    setup: () => bareImport(() => void performance.now()),
  },
  {
    id: 'clock-worker',
    label: 'empty import + a worker clock read (floor + cell load)',
    variant: 'traced',
    records: false,
    setup: () => {
      const cell = benchWorkerClock().cell;
      let sink = 0;
      return bareImport(() => {
        sink += cell[0]!;
      });
    },
  },
  {
    id: 'log-execution',
    label: "binaryen --log-execution, empty import",
    variant: 'logexec',
    records: false,
    setup: (_m, ctx) => {
      const at = ctx.logImport ?? { module: 'env', name: 'log_execution' };
      const empty = (_id: number): void => {};
      return {
        wrap: (imports) => ({ ...imports, [at.module]: { ...imports[at.module], [at.name]: empty } }),
        attach: noop,
        mode: () => null,
      };
    },
  },
];

export const SCENARIO_IDS: readonly string[] = SCENARIOS.map((s) => s.id);

export function scenarioById(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown scenario '${id}' (${SCENARIO_IDS.join(', ')})`);
  return s;
}
