/**
 * The dispatcher behind `ftrace.mcount`, one per traced instance.
 *
 * What the kernel's ftrace.c does with ftrace_trace_function, this does with
 * `direct` and `useList`: the hook follows them on every entry whose guard
 * is set, and update() (update_ftrace_function) points them at
 *   - nothing when no ops is registered (or ftrace_enabled is off),
 *   - the one registered ops' func, directly, when that ops is not DYNAMIC,
 *   - the list function otherwise.
 *
 * Dynamic patching: the guards inside the module (one bit per function) are
 * kept equal to "some enabled ops wants this function", so a function nobody
 * wants never leaves wasm, and the direct call needs no hash test.
 *
 * The direct call taken to its end: when the module has a trace memory and
 * the one ops is `recordable` (a built-in tracer's), update() switches the
 * module's own recorder on, and events never leave wasm; the host replays
 * them into the ops (tracers/trace-memory-host.ts) whenever it takes control, so
 * the ops sees the same calls in the same order as through the hook.
 */
import { FilterSpec, resolveFilter } from '../abi/filter-spec.js';
import { FtraceHash, applyFilterText, FilterError, type FilterUniverse } from './hash.js';
import { ABI, functionName } from '../abi/names.js';
import { isStaticData, readModuleMetadata, type FtraceMetadata } from '../abi/metadata.js';
import { FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, EBUSY, EINVAL, FtraceError, type FtraceOps } from './ops.js';
import { GracePeriod } from './rcu.js';
import { createGuestApi, type GuestApi, type GuestImports } from './guest.js';

export type DispatchMode = 'none' | 'direct' | 'list';

export interface FtraceOptions {
  /** the module's name for `:mod:` filters (default: the name section's module name, else 'wasm') */
  moduleName?: string;
}

export interface AvailableFunction {
  /** line number in available_filter_functions, from 1: what a numeric filter selects */
  line: number;
  ip: number;
  name: string;
}

export interface EnabledFunction {
  ip: number;
  name: string;
  /** how many registered ops want it */
  callbacks: number;
  /** true when mcount calls the ops' func directly (no list walk) */
  direct: boolean;
}

export interface FtraceStats {
  /** entries dropped because the ops they would reach was already running (it called traced wasm) */
  recursionMissed: number;
  /** deferred reclaimer callbacks not yet run */
  rcuPending: number;
}

export class Ftrace {
  readonly metadata: FtraceMetadata;
  /** the module's name, what `:mod:NAME` filters match (a trace array sets it to the instance's name) */
  moduleName: string;
  readonly rcu = new GracePeriod();

  /** The registered ops, published copy-on-write: a walk holds the array it loaded. */
  private opsList: readonly FtraceOps[] = [];
  private currentMode: DispatchMode = 'none';
  private enabled = true;
  /** recursion misses of ops no longer registered */
  private missedByUnregistered = 0;

  /** What the guards should be: bit ip%32 of word ip>>5. */
  private readonly wanted: Uint32Array;
  /** the module's guard globals, once attached */
  private guards: GuardCell[] | null = null;
  /** the module's caller token (i64), reset when a guard turns on */
  private parentToken: { resetToken(): void } | null = null;
  private readonly universe: FilterUniverse;
  /** the guest's side of the API (register_ftrace_function & co. as imports) */
  readonly guest: GuestApi;

  /** the module's in-wasm recorder, when it has a trace memory and a host connected it (connectRecorder) */
  recorder: InWasmRecorder | null = null;

  /**
   * The ops mcount calls directly (ftrace_trace_function == ops->func), or
   * null. @internal: read by the trace memory's replay
   * (tracers/trace-memory-host.ts); written by update() only.
   */
  direct: FtraceOps | null = null;
  /** mcount goes through the list function */
  private useList = false;
  /** the same two, for mcount_exit and the ops that have a retfunc */
  private directExit: FtraceOps | null = null;
  private useExitList = false;
  private exitGuards: GuardCell[] | null = null;
  private readonly wantedExit: Uint32Array;

  /**
   * The hook the instrumented module imports as `ftrace.mcount`: what the
   * mcount trampoline is in the kernel. The direct case is inlined here
   * rather than behind another function pointer: it is the one whose cost
   * the benchmark holds against a bare import call.
   */
  readonly mcount = (ip: number, parentIp: number): void => {
    const op = this.direct;
    if (op !== null) {
      // Until attach() the guards are the pass's defaults (everything on),
      // so the direct call cannot yet skip the hash test.
      if (this.guards === null && !Ftrace.opsTest(op, ip)) return;
      if (op.busy !== 0) {
        op.recursionMissed++;
        return;
      }
      op.busy = 1;
      try {
        op.func(ip, parentIp >>> 0, op);
      } finally {
        op.busy = 0;
      }
    } else if (this.useList) {
      this.listFunc(ip, parentIp >>> 0);
    }
  };

  /**
   * The exit hook, `ftrace.mcount_exit`, in modules built with exit hooks:
   * the same dispatch for the ops that have a retfunc. An ops that is
   * running (busy) misses exits as it missed the entries under it.
   */
  readonly mcountExit = (ip: number): void => {
    const op = this.directExit;
    if (op !== null) {
      if (this.exitGuards === null && !Ftrace.opsTest(op, ip)) return;
      if (op.busy !== 0) {
        op.recursionMissed++;
        return;
      }
      op.busy = 1;
      try {
        op.retfunc!(ip, op);
      } finally {
        op.busy = 0;
      }
    } else if (this.useExitList) {
      this.listExitFunc(ip);
    }
  };

  constructor(metadata: FtraceMetadata, options: FtraceOptions = {}) {
    this.metadata = metadata;
    this.moduleName = options.moduleName ?? metadata.moduleName ?? 'wasm';
    this.wanted = new Uint32Array(Math.max(1, metadata.guardWords));
    this.wantedExit = new Uint32Array(Math.max(1, metadata.guardWords));
    const names = metadata.names;
    const self = this;
    this.universe = {
      available: metadata.traced,
      nameOf: (ip) => functionName(names, ip),
      get moduleName() {
        return self.moduleName;
      },
    };
    this.guest = createGuestApi(this);
  }

  /** An Ftrace for a compiled instrumented module (its metadata comes from the wasm-ftrace section). */
  static forModule(module: WebAssembly.Module, options?: FtraceOptions): Ftrace {
    const meta = readModuleMetadata(module);
    if (!meta) throw new Error('the module is not instrumented by wasm-ftrace (no wasm-ftrace section)');
    return new Ftrace(meta, options);
  }

  /**
   * Connects the module's in-wasm recorder (a module instrumented with a
   * trace memory): from now on the direct case records in wasm when the ops
   * allows it. `flush` must replay every record written so far (through
   * replayRecords); `update` sets the module's switch.
   */
  connectRecorder(recorder: InWasmRecorder): void {
    this.recorder = recorder;
    this.update();
  }

  /** The `ftrace` import module for the instrumented module: `{ ftrace: ft.imports }`, the hook and the guest API. */
  get imports(): GuestImports & { mcount: (ip: number, parentIp: number) => void; mcount_exit: (ip: number) => void } {
    return { mcount: this.mcount, mcount_exit: this.mcountExit, ...this.guest.imports };
  }

  /**
   * Connects to the instance's guard globals, so functions no ops wants stop
   * calling out. Call it right after instantiation.
   */
  attach(instance: WebAssembly.Instance): void {
    const words = this.metadata.guardWords;
    const control = instance.exports[ABI.control];
    if (typeof control === 'function') {
      // The guards and the token live unexported in the module; this export writes them.
      const set = control as (index: number, value: number) => void;
      const cell = (index: number): GuardCell => ({
        set value(v: number) {
          set(index, v);
        },
      });
      this.guards = Array.from({ length: words }, (_, w) => cell(w));
      if (this.metadata.exitHooks) this.exitGuards = Array.from({ length: words }, (_, w) => cell(words + w));
      this.parentToken = { resetToken: () => set(-1, 0) };
    } else {
      // Modules instrumented by earlier builds export the globals themselves.
      const global = (name: string): WebAssembly.Global => {
        const g = instance.exports[name];
        if (!(g instanceof WebAssembly.Global)) throw new Error(`the instance does not export ${ABI.control} or ${name}: was it instrumented by wasm-ftrace?`);
        return g;
      };
      this.guards = Array.from({ length: words }, (_, w) => global(`${ABI.guardPrefix}${w}`));
      if (this.metadata.exitHooks) this.exitGuards = Array.from({ length: words }, (_, w) => global(`${ABI.exitGuardPrefix}${w}`));
      const token = instance.exports[ABI.parentGlobal];
      this.parentToken = token instanceof WebAssembly.Global ? { resetToken: () => (token.value = -1n) } : null;
    }
    this.guest.attach(instance);
    this.syncGuards(true);
  }

  // ------------------------------------------------------------------ registration

  /**
   * register_ftrace_function(). Throws FtraceError(EBUSY) when the ops is
   * already ENABLED. An ops with an `address` outside the module's static
   * data is flagged DYNAMIC (core_kernel_data() is false for it).
   */
  register(ops: FtraceOps): void {
    if (ops.flags & FTRACE_OPS_FL_ENABLED) throw new FtraceError(`ops '${ops.name}' is already registered`, EBUSY);
    if (ops.address !== undefined && !this.coreKernelData(ops.address)) ops.flags |= FTRACE_OPS_FL_DYNAMIC;
    ops.flags |= FTRACE_OPS_FL_ENABLED;
    // Publish a new list: walks in flight keep the one they loaded.
    this.opsList = [...this.opsList, ops];
    this.update();
  }

  /**
   * unregister_ftrace_function(). When it returns, the ops is never called
   * again - not by a later entry, and not by a list walk that is still
   * iterating below us on the stack (it checks ENABLED before each call) -
   * and the host holds nothing that points into the guest's copy of it, so
   * a DYNAMIC ops may be freed at once.
   */
  unregister(ops: FtraceOps): void {
    if (!(ops.flags & FTRACE_OPS_FL_ENABLED) || !this.opsList.includes(ops)) {
      throw new FtraceError(`ops '${ops.name}' is not registered`, EINVAL);
    }
    ops.flags &= ~FTRACE_OPS_FL_ENABLED;
    this.opsList = this.opsList.filter((o) => o !== ops);
    this.missedByUnregistered += ops.recursionMissed;
    ops.recursionMissed = 0;
    this.update();
    // Dynamic ops may be freed: every caller that could still reach it must be
    // done before we return. At depth 0 none is in flight. Inside a callback
    // the walks below us re-check ENABLED, which we just cleared, so they are
    // done with it too; nothing else holds it. (The model: rcu.ts.)
  }

  /** core_kernel_data(addr): is addr inside the module's static data? */
  coreKernelData(addr: number): boolean {
    return isStaticData(this.metadata, addr);
  }

  // ------------------------------------------------------------------ filters

  /**
   * ftrace_set_filter(): which functions `ops` is called for. Text is parsed
   * here, and an expression that matches nothing in this module throws
   * FilterError; a FilterSpec (parsed once for several modules) is resolved
   * against this module's functions, leaving the matches-nothing-anywhere
   * check to its holder.
   */
  setFilter(ops: FtraceOps, filter: string | FilterSpec, reset = true): void {
    ops.filterHash = applyFilterText(ops.filterHash, filter, reset, this.universe);
    if (ops.flags & FTRACE_OPS_FL_ENABLED) this.update();
  }

  /** The ips a filter selects (as set_ftrace_filter would), for tracer options like set_graph_function. */
  selectFunctions(filter: string | FilterSpec): FtraceHash {
    return applyFilterText(FtraceHash.EMPTY, filter, true, this.universe);
  }

  /**
   * A spec resolved against this module: the hash set_ftrace_filter would
   * hold, and whether it selects nothing here though it adds functions
   * elsewhere (then an ops with it must not be registered here at all: an
   * empty hash means every function).
   */
  resolveFilter(spec: FilterSpec): { hash: FtraceHash; selectsNothing: boolean } {
    const r = resolveFilter(spec, this.universe);
    return { hash: FtraceHash.of(r.ips), selectsNothing: r.selectsNothing };
  }

  /** What filters select from in this module: its traced functions, their names, its name. */
  get filterUniverse(): FilterUniverse {
    return this.universe;
  }

  /** ftrace_set_notrace(): functions `ops` is never called for. */
  setNotrace(ops: FtraceOps, filter: string | FilterSpec, reset = true): void {
    ops.notraceHash = applyFilterText(ops.notraceHash, filter, reset, this.universe);
    if (ops.flags & FTRACE_OPS_FL_ENABLED) this.update();
  }

  /**
   * ftrace_ops_test(): filter hash empty or holding ip, and ip not in the
   * notrace hash. The hashes may be swapped by a filter change at any time;
   * called inside a walk, this sees one of them whole.
   */
  static opsTest(ops: FtraceOps, ip: number): boolean {
    return (ops.filterHash.size === 0 || ops.filterHash.has(ip)) && !ops.notraceHash.has(ip);
  }

  // ------------------------------------------------------------------ the switch

  /** ftrace_enabled: off stops every callback and clears every guard; on restores them. */
  get ftraceEnabled(): boolean {
    return this.enabled;
  }

  set ftraceEnabled(on: boolean) {
    this.enabled = on;
    this.update();
  }

  /** How mcount reaches the ops now: 'none', 'direct' (one static ops) or 'list'. */
  get mode(): DispatchMode {
    return this.currentMode;
  }

  get registered(): readonly FtraceOps[] {
    return this.opsList;
  }

  get stats(): FtraceStats {
    let missed = this.missedByUnregistered;
    for (const o of this.opsList) missed += o.recursionMissed;
    return { recursionMissed: missed, rcuPending: this.rcu.pending };
  }

  /** Resolves at the next quiescent point: no guest frames on the stack, no dispatch in flight (rcu.ts). */
  synchronize(): Promise<void> {
    return this.rcu.synchronize();
  }

  /**
   * call_rcu: runs `cb` at the next quiescent point (rcu.ts): when the
   * outermost call from the host into the instance returns (callGuest), or
   * from a microtask. Never inside mcount, never synchronously.
   */
  callRcu(cb: () => void): void {
    this.rcu.callRcu(cb);
  }

  /** Calls into the instance from the host (an export), counted so that its return is a quiescent point. */
  callGuest<T>(fn: () => T): T {
    return this.rcu.callGuest(fn);
  }

  // ------------------------------------------------------------------ views

  /** available_filter_functions: the traced functions, with the line numbers numeric filters use. */
  availableFunctions(): AvailableFunction[] {
    return this.metadata.traced.map((ip, i) => ({ line: i + 1, ip, name: this.universe.nameOf(ip) }));
  }

  /** enabled_functions: each function some ops wants, how many want it, and whether the call is direct. */
  enabledFunctions(): EnabledFunction[] {
    const out: EnabledFunction[] = [];
    if (!this.enabled) return out;
    for (const ip of this.metadata.traced) {
      let callbacks = 0;
      for (const o of this.opsList) if (Ftrace.opsTest(o, ip)) callbacks++;
      if (callbacks > 0) out.push({ ip, name: this.universe.nameOf(ip), callbacks, direct: this.currentMode === 'direct' });
    }
    return out;
  }

  // ------------------------------------------------------------------ internals

  /** update_ftrace_function() plus re-patching the guards. */
  private update(): void {
    // Records written in wasm belong to the dispatch as it was: deliver them
    // before it changes. The caller may already have changed the ops's
    // hashes or ENABLED, but the replay goes to `direct`, still the ops the
    // module wrote them for, and the direct call tests neither (the guards did).
    this.recorder?.flush();
    const list = this.opsList;
    const only = list.length === 1 ? list[0]! : undefined;
    if (!this.enabled || list.length === 0) {
      this.currentMode = 'none';
      this.direct = null;
      this.useList = false;
    } else if (only && !(only.flags & FTRACE_OPS_FL_DYNAMIC)) {
      // One static ops: have mcount call it directly. The guards pass only
      // functions it wants, so no hash test is needed on that path.
      this.currentMode = 'direct';
      this.direct = only;
      this.useList = false;
    } else {
      // Several ops, or a dynamic one: there is no safe way to call a
      // dynamic ops without the read-side section the list walk provides.
      this.currentMode = 'list';
      this.direct = null;
      this.useList = true;
    }
    // Exits follow the same rule, among the ops that want them.
    const withExit = this.enabled ? list.filter((o) => o.retfunc) : [];
    const onlyExit = withExit.length === 1 ? withExit[0]! : undefined;
    this.directExit = onlyExit && this.currentMode === 'direct' ? onlyExit : null;
    this.useExitList = withExit.length > 0 && this.directExit === null;
    this.recorder?.update(this.direct, this.useExitList);
    this.syncGuards(false);
  }

  /**
   * ftrace_ops_list_func(). Some of the ops may be dynamically allocated:
   * the walk is a read-side section, so an unregister that happens meanwhile
   * (even from one of these callbacks) is not complete until we leave it.
   */
  private readonly listFunc = (ip: number, parentIp: number): void => {
    const rcu = this.rcu;
    rcu.readLock();
    // One try for the walk: if a callback throws, `running` says whose busy
    // flag to clear, and the read-side section still ends.
    let running: FtraceOps | null = null;
    try {
      const list = this.opsList;
      for (let i = 0; i < list.length; i++) {
        const op = list[i]!;
        // Unregistered since this walk loaded the list: never call it again.
        if (!(op.flags & FTRACE_OPS_FL_ENABLED)) continue;
        // ftrace_ops_test(), inlined: this runs for every ops on every entry.
        const filter = op.filterHash;
        if (filter.size !== 0 && !filter.has(ip)) continue;
        const notrace = op.notraceHash;
        if (notrace.size !== 0 && notrace.has(ip)) continue;
        if (op.busy !== 0) {
          op.recursionMissed++;
          continue;
        }
        op.busy = 1;
        running = op;
        op.func(ip, parentIp, op);
        op.busy = 0;
        running = null;
      }
    } finally {
      if (running !== null) running.busy = 0;
      rcu.readUnlock();
    }
  };

  /**
   * The exit list function: like listFunc, for the ops with a retfunc. An ops
   * unregistered since the list was loaded is skipped, as for entries.
   */
  private readonly listExitFunc = (ip: number): void => {
    this.rcu.readLock();
    try {
      const list = this.opsList;
      for (let i = 0; i < list.length; i++) {
        const op = list[i]!;
        if (!op.retfunc || !(op.flags & FTRACE_OPS_FL_ENABLED) || !Ftrace.opsTest(op, ip)) continue;
        if (op.busy !== 0) {
          op.recursionMissed++;
          continue;
        }
        op.busy = 1;
        try {
          op.retfunc(ip, op);
        } finally {
          op.busy = 0;
        }
      }
    } finally {
      this.rcu.readUnlock();
    }
  };

  /** Recomputes the wanted bits and writes the words that changed into the module. */
  private syncGuards(force: boolean): void {
    const next = new Uint32Array(this.wanted.length);
    const nextExit = new Uint32Array(this.wanted.length);
    if (this.enabled && this.opsList.length > 0) {
      for (const ip of this.metadata.traced) {
        for (const o of this.opsList) {
          if (Ftrace.opsTest(o, ip)) {
            next[ip >>> 5]! |= 1 << (ip & 31);
            if (o.retfunc) {
              nextExit[ip >>> 5]! |= 1 << (ip & 31);
              break;
            }
          }
        }
      }
    }
    const turnedOn = writeGuards(this.wanted, next, this.guards, force);
    writeGuards(this.wantedExit, nextExit, this.exitGuards, force);
    // A function whose guard was off did not consume the token left by the
    // call into it; now that it reads tokens again, that one must not look
    // fresh to its next entry from the host. (No call site is between its
    // store and the callee's read while JS runs, so nothing live is lost.)
    if (turnedOn && this.parentToken) this.parentToken.resetToken();
  }
}

/** What Ftrace needs of a module's in-wasm recorder (TraceArray connects it). */
export interface InWasmRecorder {
  /** delivers every record written so far (replayRecords) */
  flush(): void;
  /**
   * update_ftrace_function() is done: the recorder turns on exactly for a
   * direct ops that is recordable (and no exit goes through the list)
   */
  update(direct: FtraceOps | null, exitList: boolean): void;
  /** whether the module records in wasm now */
  readonly on: boolean;
}

/** Writes the guard words that changed; returns whether any bit turned on. */
/** A guard word in the module: a global of an older module, or a setter through ABI.control. */
interface GuardCell {
  value: number;
}

function writeGuards(wanted: Uint32Array, next: Uint32Array, globals: GuardCell[] | null, force: boolean): boolean {
  let turnedOn = false;
  for (let w = 0; w < next.length; w++) {
    if (!force && next[w] === wanted[w]) continue;
    if (next[w]! & ~wanted[w]!) turnedOn = true;
    wanted[w] = next[w]!;
    const g = globals?.[w];
    if (g) g.value = next[w]! | 0;
  }
  return turnedOn;
}

export { FilterError };
