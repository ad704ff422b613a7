/**
 * The trace array: what the kernel keeps per tracing instance. One ring
 * buffer, one clock, the tracing_on switch, the current tracer, the filters
 * and triggers, and the traced wasm instances (several modules can be
 * traced at once; events carry the instance id so they stay apart).
 */
import type { ClockInfo, WorkerClock } from '../clock/worker-clock.js';
import { FilterError, FilterSpec, type FilterExpr } from '../abi/filter-spec.js';
import { Ftrace } from '../ftrace/ftrace.js';
import { HOST_IP, type FtraceMetadata } from '../abi/index.js';
import { createOps, type FtraceOps } from '../ftrace/ops.js';
import { EVENT_STACK, EVENT_STACK_FRAME, TRACE_CLOCKS, type TraceClock, type TraceData, type TraceEvent, type TraceInstanceInfo } from '../ring/event.js';
import { RingBuffer } from '../ring/ring-buffer.js';
import type { WasmRing } from '../ring/wasm-ring.js';
import { connectTraceMemory, requireWasmRing, setUpWasmRing, traceMemoryHooks } from './trace-memory-host.js';
import { ShadowStack } from './shadow-stack.js';
import type { TracedInstance } from './instance.js';
import { isWasmExport, noteWasmExports } from './wasm-exports.js';
import type { Tracer, TracerHost, TracerName } from './tracer.js';
import { TRACERS } from './registry.js';
import { commandCount, FTRACE_COMMANDS, type FtraceCommand } from './commands.js';

export type { TracedInstance } from './instance.js';

export interface TraceArrayOptions {
  /** 'function' (default), 'function_graph', 'profiler' or 'nop' */
  tracer?: TracerName;
  /**
   * 'perf' (default): microseconds from performance.now(); 'worker': the
   * same microseconds read from `workerClock`'s cell (one load); 'counter':
   * a sequence number, cheapest
   */
  clock?: TraceClock;
  /** the running worker clock that clock 'worker' reads (runtime/node-clock.ts starts one in Node) */
  workerClock?: WorkerClock;
  /** why the clock is not the one the user asked for (a page without cross-origin isolation has no worker clock) */
  clockNote?: string;
  /** ring buffer size in KiB */
  bufferKb?: number;
  /** false: stop recording when the buffer is full instead of overwriting the oldest events */
  overwrite?: boolean;
  /**
   * The trace memory that modules instrumented with one (`traceMemory`)
   * import: their in-wasm recorder writes there while a built-in tracer is
   * the one ops. Needed for such modules; its size is the ring's. Run the
   * worker clock on its buffer (startWorkerClock({ buffer: ring.buffer }))
   * and the recorder reads the time with one load.
   */
  wasmRing?: WasmRing;
}

export interface Trigger {
  /** the expression as written, e.g. 'parse*:traceoff:2' */
  text: string;
  /** the parsed expression: which functions it fires on */
  expr: FilterExpr;
  command: FtraceCommand;
  /** remaining firings; -1 = unlimited */
  count: number;
}

/** A filter expression that matches no function in any module traced so far. */
export interface UnmatchedFilter {
  /** 'filter', 'notrace', 'graph-function', 'graph-notrace' */
  option: string;
  text: string;
}

export class TraceArray implements TracerHost {
  readonly ring: RingBuffer;
  readonly clock: TraceClock;
  /** the clock: microseconds ('perf', 'worker') or the next sequence number ('counter') */
  readonly now: () => number;
  /** what a recording keeps about the clock (the worker clock's measured steps, lag and read cost) */
  readonly clockInfo: ClockInfo | undefined;
  private on = true;
  private graphDepth = 0;
  /** the trace memory of the instances that have one (see TraceArrayOptions.wasmRing) */
  private ring_: WasmRing | null;

  private readonly list: TracedInstance[] = [];
  private current: Tracer;
  private filterSpec = FilterSpec.EMPTY;
  private notraceSpec = FilterSpec.EMPTY;
  private graphFunctionSpec = FilterSpec.EMPTY;
  private graphNotraceSpec = FilterSpec.EMPTY;
  private triggers: Trigger[] = [];
  private readonly warningListeners: ((message: string) => void)[] = [];
  private sequence = 0;
  private readonly instanceListeners: ((inst: TracedInstance) => void)[] = [];

  constructor(options: TraceArrayOptions = {}) {
    this.clock = options.clock ?? 'perf';
    if (!TRACE_CLOCKS.includes(this.clock)) throw new Error(`unknown trace clock '${String(this.clock)}' (${TRACE_CLOCKS.join(', ')})`);
    let base: () => number;
    if (this.clock === 'worker') {
      if (!options.workerClock) throw new Error("clock 'worker' needs a workerClock (startWorkerClock())");
      const cell = options.workerClock.cell;
      base = () => cell[0]!;
    } else base = this.clock === 'perf' ? () => performance.now() * 1000 : () => ++this.sequence;
    this.ring_ = options.wasmRing ?? null;
    this.now = this.ring_ ? setUpWasmRing(this.ring_, this.list, this.clock, base, options.workerClock) : base;
    const note = options.clockNote !== undefined ? { note: options.clockNote } : {};
    if (this.clock === 'worker') this.clockInfo = { ...options.workerClock!.info, ...note };
    else this.clockInfo = options.clockNote !== undefined ? { source: this.clock === 'perf' ? 'performance.now()' : 'a sequence number', ...note } : undefined;
    this.ring = new RingBuffer({ ...(options.bufferKb !== undefined ? { sizeKb: options.bufferKb } : {}), mode: options.overwrite === false ? 'stop' : 'overwrite' });
    this.current = lookupTracer(options.tracer ?? 'function');
  }

  get tracer(): Tracer {
    return this.current;
  }

  /** tracing_on: when false, tracers keep their state but write nothing */
  get tracingOn(): boolean {
    return this.on;
  }

  set tracingOn(on: boolean) {
    this.flush();
    this.on = on;
  }

  /** max_graph_depth (0: no limit) */
  get maxGraphDepth(): number {
    return this.graphDepth;
  }

  set maxGraphDepth(depth: number) {
    this.flush();
    this.graphDepth = depth;
  }

  /** The trace memory given in the options (TraceArrayOptions.wasmRing), or null. */
  get wasmRing(): WasmRing | null {
    return this.ring_;
  }

  /**
   * Delivers what the in-wasm recorders wrote since the last flush to the
   * tracer. The trace array does it itself before every change and read;
   * call it before reading `ring` directly.
   */
  flush(): void {
    this.ring_?.flush();
  }

  get instances(): readonly TracedInstance[] {
    return this.list;
  }

  /** Selects another tracer: the old one lets go of every instance first. */
  setTracer(name: TracerName): void {
    const next = lookupTracer(name);
    for (const inst of this.list) this.current.detach(this, inst);
    this.current = next;
    for (const inst of this.list) this.attachTracer(inst);
  }

  /**
   * Adds a traced instance. Call it before instantiating, so that the start
   * function is traced too; then pass importsFor() to the instantiation and
   * attach(instance).
   */
  addInstance(ft: Ftrace, name?: string, extra: { moduleHash?: string; codeLayout?: string } = {}): TracedInstance {
    if (this.current.needsExitHooks && !ft.metadata.exitHooks) {
      throw new Error(`the ${this.current.name} tracer needs a module instrumented with exit hooks (instrument(bytes, { exitHooks: true }))`);
    }
    // `:mod:NAME` filters match the name the trace shows
    if (name !== undefined) ft.moduleName = name;
    const inst: TracedInstance = {
      id: this.list.length,
      name: name ?? ft.moduleName,
      ft,
      names: ft.metadata.names,
      ops: [],
      triggerOps: [],
      stack: new ShadowStack(ft.metadata.opaqueCallers),
      graphFunctions: null,
      graphNotrace: new Set(),
      ...(extra.moduleHash !== undefined ? { moduleHash: extra.moduleHash } : {}),
      ...(extra.codeLayout !== undefined ? { codeLayout: extra.codeLayout } : {}),
    };
    if (ft.metadata.traceMemory) inst.stack.hookFrames = 1;
    this.resolveGraphOptions(inst);
    // A guest callback is the host calling into the module from inside
    // mcount: its frames nest in a host call, as an import's re-entries do.
    ft.guest.onCallback = this.hostMarks;
    this.list.push(inst);
    this.warnUnmatched();
    for (const l of this.instanceListeners) l(inst);
    this.attachTracer(inst);
    this.attachTriggers(inst);
    return inst;
  }

  /** Calls `listener` for every instance added from now on (a recorder writes each module's names to its file). */
  onInstanceAdded(listener: (inst: TracedInstance) => void): void {
    this.instanceListeners.push(listener);
  }

  /**
   * The import object for an instance: the user's imports, JS functions
   * wrapped so the tracer knows when the module calls out to the host (a
   * host entry that follows is a re-entry, not a sign that a trap unwound
   * the stack), plus the `ftrace` module with the hook and the guest API
   * (trace_marker too). An import that is another instance's wasm export
   * (wasm-exports.ts) is passed as it is: wrapped, it would refuse v128 and
   * make a wasm-to-wasm call go through JS; the shadow stack tells such a
   * call from a trap without the wrapper (shadow-stack.ts).
   */
  importsFor(inst: TracedInstance, imports: WebAssembly.Imports = {}): WebAssembly.Imports {
    // From now on every call out of this instance is reported, so an entry
    // from the host outside any such call means the stack was unwound.
    inst.stack.tracksHost = true;
    const out: WebAssembly.Imports = {};
    for (const [moduleName, fields] of Object.entries(imports)) {
      if (moduleName === 'ftrace') continue;
      const wrapped: WebAssembly.ModuleImports = {};
      for (const [field, value] of Object.entries(fields)) {
        wrapped[field] = typeof value === 'function' && !isWasmExport(value) ? this.hostCall(value as (...a: unknown[]) => unknown) : value;
      }
      out[moduleName] = wrapped;
    }
    const ft = inst.ft;
    out['ftrace'] = {
      ...(ft.metadata.traceMemory ? traceMemoryHooks(requireWasmRing(this.ring_), ft) : ft.imports),
      // trace_marker(buf, len): the guest writes a string into the trace
      trace_marker: (buf: number, len: number) => {
        try {
          this.marker(inst.ft.guest.readText(buf, len), inst.id);
          return 0;
        } catch {
          return -22;
        }
      },
    };
    return out;
  }

  /** Connects a traced instance once instantiated (guards, guest memory). */
  attach(inst: TracedInstance, instance: WebAssembly.Instance): void {
    noteWasmExports(instance);
    inst.instance = instance;
    inst.ft.attach(instance);
    if (inst.ft.metadata.traceMemory) connectTraceMemory(requireWasmRing(this.ring_), inst, instance);
  }

  /** Compiles (if needed), instantiates and attaches in one go. */
  async instantiate(
    module: WebAssembly.Module,
    imports: WebAssembly.Imports = {},
    name?: string,
    extra: { moduleHash?: string; codeLayout?: string } = {},
  ): Promise<{ instance: WebAssembly.Instance; traced: TracedInstance }> {
    const traced = this.addInstance(Ftrace.forModule(module), name, extra);
    const instance = await WebAssembly.instantiate(module, this.importsFor(traced, imports));
    this.attach(traced, instance);
    return { instance, traced };
  }

  // ------------------------------------------------------------------ filters

  /**
   * set_ftrace_filter for the tracer: the filter language of
   * src/abi/filter-spec.ts, with the commands of commands.ts as triggers
   * (`func:traceon[:count]`, `func:traceoff[:count]`, `func:stacktrace[:count]`;
   * `!func:cmd` removes one). The spec is resolved by each instance's core
   * with ftrace's set semantics over every module: `fa !fb` traces fa and
   * nothing else, wherever fa and fb live. An expression that matches no
   * function in any instance is an error (FilterError) and nothing changes;
   * before the first instance exists it is checked when instances arrive
   * (a warning, see onWarning, and unmatchedFilters() for the end).
   */
  setFilter(text: string | readonly string[], reset = true): void {
    const spec = FilterSpec.parse(text, [...FTRACE_COMMANDS.keys()]);
    let triggers = reset ? [] : [...this.triggers];
    for (const e of spec.commands) {
      const command = FTRACE_COMMANDS.get(e.command!.name)!;
      const count = commandCount(e.text, e.command!.param);
      if (e.negate) triggers = triggers.filter((t) => !(t.command === command && t.expr.pattern === e.pattern));
      else triggers.push({ text: e.text, expr: e, command, count });
    }
    this.checkMatches(spec);
    this.filterSpec = reset ? spec : this.filterSpec.concat(spec);
    this.triggers = triggers;
    this.reattach();
  }

  /** set_ftrace_notrace for the tracer. */
  setNotrace(text: string | readonly string[], reset = true): void {
    const spec = FilterSpec.parse(text);
    this.checkMatches(spec);
    this.notraceSpec = reset ? spec : this.notraceSpec.concat(spec);
    this.reattach();
  }

  /** set_graph_function: function_graph records only these functions and what they call. */
  setGraphFunction(text: string | readonly string[]): void {
    this.flush();
    const spec = FilterSpec.parse(text);
    this.checkMatches(spec);
    this.graphFunctionSpec = spec;
    for (const inst of this.list) this.resolveGraphOptions(inst);
  }

  /** set_graph_notrace: function_graph records neither these functions nor what they call. */
  setGraphNotrace(text: string | readonly string[]): void {
    this.flush();
    const spec = FilterSpec.parse(text);
    this.checkMatches(spec);
    this.graphNotraceSpec = spec;
    for (const inst of this.list) this.resolveGraphOptions(inst);
  }

  get filters(): { filter: string; notrace: string; triggers: readonly Trigger[]; graphFunction: string; graphNotrace: string } {
    return {
      filter: this.filterSpec.functions.map((e) => e.text).join(' '),
      notrace: this.notraceSpec.text,
      triggers: this.triggers,
      graphFunction: this.graphFunctionSpec.text,
      graphNotrace: this.graphNotraceSpec.text,
    };
  }

  /**
   * The filter expressions that match no function in any instance so far.
   * While modules may still arrive (a preload, a page) this is what to
   * report at the end: each of them is an error then.
   */
  unmatchedFilters(): UnmatchedFilter[] {
    const universes = this.list.map((i) => i.ft.filterUniverse);
    const out: UnmatchedFilter[] = [];
    const specs: [string, FilterSpec][] = [
      ['filter', this.filterSpec],
      ['notrace', this.notraceSpec],
      ['graph-function', this.graphFunctionSpec],
      ['graph-notrace', this.graphNotraceSpec],
    ];
    for (const [option, spec] of specs) for (const e of spec.unmatched(universes)) out.push({ option, text: e.text });
    return out;
  }

  /** Calls `listener` with warnings: filters that match nothing in the first module to arrive. */
  onWarning(listener: (message: string) => void): void {
    this.warningListeners.push(listener);
  }

  /**
   * Resolves the filter and notrace specs for `inst` and registers the
   * tracer's ops there - unless the filter adds functions, none of them in
   * this module: then the module traces nothing (an empty hash would mean
   * every function).
   */
  registerFiltered(inst: TracedInstance, ops: FtraceOps): void {
    const filter = this.filterSpec.functions.length > 0 ? this.filterSpec : FilterSpec.EMPTY;
    if (inst.ft.resolveFilter(filter).selectsNothing) return;
    inst.ft.setFilter(ops, filter, true);
    inst.ft.setNotrace(ops, this.notraceSpec, true);
    inst.ft.register(ops);
    inst.ops.push(ops);
  }

  /** Unregisters what registerFiltered registered on `inst`. */
  unregisterAll(inst: TracedInstance): void {
    for (const o of inst.ops) inst.ft.unregister(o);
    inst.ops = [];
  }

  // ------------------------------------------------------------------ markers, reading

  /** trace_marker: writes `text` into the trace. */
  marker(text: string, instance = 0): void {
    this.flush();
    if (this.tracingOn) this.ring.writeMarker(instance, this.now(), text);
  }

  /** The trace as it is (`cat trace`): the buffer is left as it is. */
  read(): TraceData {
    this.flush();
    return this.ring.toTraceData({ tracer: this.current.name, clock: this.clock, instances: this.instanceInfos() });
  }

  /** `cat trace_pipe`: takes events out of the buffer. */
  consume(max?: number): TraceEvent[] {
    this.flush();
    return this.ring.consume(max);
  }

  instanceInfos(): TraceInstanceInfo[] {
    return this.list.map((i) => ({ id: i.id, name: i.name, names: i.names, importCount: i.ft.metadata.importCount, functionCount: i.ft.metadata.functionCount }));
  }

  /** Counters a user should see: what was lost, and why. */
  get stats(): { entries: number; written: number; lost: number; unwoundFrames: number; strayExits: number; recursionMissed: number } {
    this.flush();
    let unwound = 0;
    let stray = 0;
    let missed = 0;
    for (const i of this.list) {
      unwound += i.stack.unwound;
      stray += i.stack.strayExits;
      missed += i.ft.stats.recursionMissed;
    }
    return { entries: this.ring.entries, written: this.ring.written, lost: this.ring.lost, unwoundFrames: unwound, strayExits: stray, recursionMissed: missed };
  }

  // ------------------------------------------------------------------ internals

  private attachTracer(inst: TracedInstance): void {
    this.current.attach(this, inst);
  }

  private reattach(): void {
    for (const inst of this.list) {
      this.current.detach(this, inst);
      for (const o of inst.triggerOps) inst.ft.unregister(o);
      inst.triggerOps = [];
      this.attachTracer(inst);
      this.attachTriggers(inst);
    }
  }

  private attachTriggers(inst: TracedInstance): void {
    for (const t of this.triggers) {
      // the functions it fires on: its expression without the command
      const spec = FilterSpec.of([{ ...t.expr, command: null }]);
      const { hash } = inst.ft.resolveFilter(spec);
      if (hash.size === 0) continue; // matches in another instance only
      const ops = createOps(
        (ip, parent) => {
          if (t.count === 0) return;
          if (t.count > 0) t.count--;
          t.command.fire(this, inst, ip, parent);
        },
        { name: `trigger ${t.text}` },
      );
      inst.ft.setFilter(ops, spec, true);
      inst.ft.register(ops);
      inst.triggerOps.push(ops);
    }
  }

  /** func:stacktrace: the shadow stack when a graph-style tracer keeps one, else the engine's own stack trace. */
  stackTrace(inst: TracedInstance, ip: number, parent: number): void {
    if (!this.tracingOn) return;
    const frames: number[] = [];
    const st = inst.stack;
    if (st.depth > 0) {
      for (let d = st.depth - 1; d >= 0; d--) frames.push(st.ips[d]!);
      if (frames[0] !== ip) frames.unshift(ip);
    } else {
      frames.push(...wasmFramesFromJsStack(inst.ft.metadata));
      if (frames.length === 0) frames.push(ip, ...(parent !== HOST_IP ? [parent] : []));
    }
    const ts = this.now();
    this.ring.write(EVENT_STACK, inst.id, ip, parent, frames.length, ts, 0);
    for (const f of frames) this.ring.write(EVENT_STACK_FRAME, inst.id, f, 0, 0, ts, 0);
  }

  /** A host call begins or ends, for every instance's shadow stack (a call out of one may re-enter another). */
  private readonly hostMarks = {
    enter: (): void => {
      this.ring_?.flush();
      const list = this.list;
      for (let i = 0; i < list.length; i++) list[i]!.stack.hostEnter();
    },
    leave: (): void => {
      this.ring_?.flush();
      const list = this.list;
      for (let i = 0; i < list.length; i++) list[i]!.stack.hostLeave();
    },
  };

  private hostCall(fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
    const marks = this.hostMarks;
    return function (this: unknown, ...args: unknown[]) {
      marks.enter();
      try {
        return fn.apply(this, args);
      } finally {
        marks.leave();
      }
    };
  }

  private resolveGraphOptions(inst: TracedInstance): void {
    inst.graphFunctions = this.graphFunctionSpec.isEmpty ? null : new Set(inst.ft.resolveFilter(this.graphFunctionSpec).hash);
    inst.graphNotrace = new Set(this.graphNotraceSpec.isEmpty ? [] : inst.ft.resolveFilter(this.graphNotraceSpec).hash);
  }

  /** An expression that matches nothing in every instance is an error; with no instance yet, the first to arrive says. */
  private checkMatches(spec: FilterSpec): void {
    if (this.list.length === 0) return;
    const missing = spec.unmatched(this.list.map((i) => i.ft.filterUniverse))[0];
    if (missing) throw new FilterError(`'${missing.text}' matches no function`);
  }

  /** At the first instance: the expressions set before it that match nothing there, as warnings. */
  private warnUnmatched(): void {
    if (this.list.length !== 1 || this.warningListeners.length === 0) return;
    for (const u of this.unmatchedFilters()) {
      const message = `${u.option} '${u.text}' matches no function in ${this.list[0]!.name}; it is an error unless a module loaded later has one`;
      for (const l of this.warningListeners) l(message);
    }
  }
}

function lookupTracer(name: string): Tracer {
  const t = TRACERS.get(name);
  if (!t) throw new Error(`unknown tracer '${name}' (available: ${[...TRACERS.keys()].join(', ')})`);
  return t;
}

/**
 * The wasm frames of the current JS stack, innermost first, as input ips:
 * V8 names them `wasm-function[N]` with N the index in the instrumented
 * module, where the pass's imports come right after the input's.
 */
function wasmFramesFromJsStack(meta: FtraceMetadata): number[] {
  const limit = (Error as { stackTraceLimit?: number }).stackTraceLimit;
  (Error as { stackTraceLimit?: number }).stackTraceLimit = 200;
  const stack = new Error().stack ?? '';
  (Error as { stackTraceLimit?: number }).stackTraceLimit = limit;
  // the pass's imports: mcount, mcount_exit, and the trace memory's drain and clock
  const added = 1 + (meta.exitHooks ? 1 : 0) + (meta.traceMemory ? 2 : 0);
  const frames: number[] = [];
  for (const m of stack.matchAll(/wasm-function\[(\d+)\]/g)) {
    const index = Number(m[1]);
    const ip = index < meta.importCount ? index : index - added;
    // the pass's own functions (the recorder's dispatch) come after the input's
    if (ip < meta.functionCount) frames.push(ip);
  }
  return frames;
}
