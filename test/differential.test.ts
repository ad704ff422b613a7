/**
 * Differential tests of the instrument pass: every fixture runs twice on the
 * same engine, as built and as instrumented, with the same host imports, and
 * must behave the same (results, traps and their messages, printed values,
 * WASI stdout and exit code). Where a spec has a hand-written `trace`, the
 * (function, parent) pairs mcount receives must equal it exactly.
 *
 * Rule: "runs uninstrumented implies runs instrumented on the same engine".
 * A fixture Node cannot compile as built (multi-memory on Node 20) only has
 * to instrument into a module binaryen validates.
 *
 * Fixture and spec format: wasm-fixtures/README.md.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { instrument, type FtraceMetadata, type InstrumentOptions, type InstrumentResult } from '../src/index.js';
import { BUILD_DIR, C_DIR, WAT_DIR, buildWat, sources } from '../wasm-fixtures/build.mjs';

const HOST = 'HOST';
/** parent value recording an mcount_exit(ip) call in Events */
const EXIT = -2;
type Pair = [fn: string, parent: string];
type Arg = number | string;

interface Step {
  /** call this export ... */
  export?: string;
  /** ... or entry `index` of this exported table */
  table?: string;
  index?: number;
  args?: Arg[];
  /** expected result: number, string for i64, array for multi-value, null for none */
  result?: unknown;
  /** expected to trap or throw; a string must occur in the error's description */
  trap?: boolean | string;
  /** values passed to env.print during the step */
  printed?: unknown[];
  /** the exact mcount events of the step */
  trace?: Pair[];
  note?: string;
}

interface WatSpec {
  /** what instantiation (the start function) prints and traces */
  start?: { trace?: Pair[]; printed?: unknown[] };
  steps: Step[];
  /** further step sequences, each on fresh instances and in a test of its own, optionally instrumented with options */
  extra?: { name: string; options?: InstrumentOptions; steps: Step[] }[];
}

interface CSpec {
  runs: { args: string[]; exit: number; stdout?: string; stdoutIncludes?: string[] }[];
  /** (function, parent) pairs that must occur among the events of every run */
  calls?: Pair[];
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const builtPath = (name: string): string => join(BUILD_DIR, `${name}.wasm`);

// ---------------------------------------------------------------------------
// Values, errors, events

/** JS values as the specs write them: i64 as decimal strings, multi-value as arrays, nothing as null. */
function normalize(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(normalize);
  if (v === undefined) return null;
  return v;
}

/** Spec arguments to JS: strings are i64 values. */
const toArg = (a: Arg): number | bigint => (typeof a === 'string' ? BigInt(a) : a);

/** The exception-handling JS API, which TypeScript's DOM lib does not describe yet. */
interface WasmTag {}
interface WasmException {
  is(tag: WasmTag): boolean;
  getArg(tag: WasmTag, index: number): unknown;
}
const WasmEH = WebAssembly as unknown as {
  Exception: abstract new (...a: never[]) => WasmException;
  Tag: abstract new (...a: never[]) => WasmTag;
};

/** A trap or exception as text that two instances of one module produce alike. */
function describeError(e: unknown, exports: WebAssembly.Exports | undefined): string {
  if (e instanceof WasmEH.Exception) {
    for (const [name, tag] of Object.entries(exports ?? {})) {
      if (tag instanceof WasmEH.Tag && e.is(tag)) {
        const args: unknown[] = [];
        for (let i = 0; i < 16; i++) {
          try {
            args.push(normalize(e.getArg(tag, i)));
          } catch {
            break;
          }
        }
        return `exception ${name}(${args.join(', ')})`;
      }
    }
    return 'exception with an unexported tag';
  }
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  return `thrown ${String(e)}`;
}

/** mcount events, recorded flat (ip, parent, ip, parent, ...) so million-event runs stay cheap. */
class Events {
  private data: number[] = [];
  record = (ip: number, parent: number): void => {
    this.data.push(ip, parent);
  };
  get count(): number {
    return this.data.length / 2;
  }
  take(): number[] {
    const d = this.data;
    this.data = [];
    return d;
  }
}

/** Events as [name, parent name | HOST] pairs. */
function pairs(flat: number[], names: readonly string[]): Pair[] {
  const out: Pair[] = [];
  const name = (ip: number): string => names[ip] ?? `?ip${ip}`;
  for (let i = 0; i < flat.length; i += 2) {
    const parent = flat[i + 1]!;
    if (parent === EXIT) continue;
    out.push([name(flat[i]!), parent === -1 ? HOST : name(parent)]);
  }
  return out;
}

/**
 * Checks that exits nest with entries (a shadow stack), returning how many
 * frames had to be dropped because no exit came for them (a trap or an
 * exception unwound them).
 */
function exitNesting(flat: number[], stack: number[]): { unwound: number; strayExits: number } {
  let unwound = 0;
  let strayExits = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const ip = flat[i]!;
    if (flat[i + 1] !== EXIT) {
      stack.push(ip);
      continue;
    }
    const at = stack.lastIndexOf(ip);
    if (at < 0) {
      strayExits++;
      continue;
    }
    unwound += stack.length - 1 - at;
    stack.length = at;
  }
  return { unwound, strayExits };
}

// ---------------------------------------------------------------------------
// WAT fixtures: a host for one instance

type Outcome = { result: unknown } | { trap: string };

/**
 * One instance plus the fixed `env` imports the fixtures use:
 *   env.print(x)          records x
 *   env.reenter(x) -> y   calls the instance's export `reentry(x)`
 * and, for instrumented modules, ftrace.mcount recording events.
 * Only the imports the module declares are supplied.
 */
class Host {
  printed: unknown[] = [];
  readonly events = new Events();
  instance: WebAssembly.Instance | undefined;

  constructor(readonly module: WebAssembly.Module) {}

  instantiate(): void {
    const env: Record<string, unknown> = {
      print: (x: unknown) => void this.printed.push(normalize(x)),
      reenter: (x: number) => (this.instance!.exports['reentry'] as (x: number) => number)(x),
    };
    const available: Record<string, Record<string, unknown>> = {
      env,
      ftrace: { mcount: this.events.record, mcount_exit: (ip: number) => this.events.record(ip, EXIT) },
    };
    const imports: Record<string, Record<string, unknown>> = {};
    for (const imp of WebAssembly.Module.imports(this.module)) {
      const value = available[imp.module]?.[imp.name];
      if (value === undefined) throw new Error(`the test host has no import ${imp.module}.${imp.name}`);
      (imports[imp.module] ??= {})[imp.name] = value;
    }
    this.instance = new WebAssembly.Instance(this.module, imports as WebAssembly.Imports);
  }

  run(step: Step): Outcome {
    const exports = this.instance!.exports;
    let fn: unknown;
    if (step.export !== undefined) {
      fn = exports[step.export];
    } else if (step.table !== undefined) {
      fn = (exports[step.table] as WebAssembly.Table).get(step.index ?? 0);
    }
    if (typeof fn !== 'function') throw new Error(`step names no function: ${JSON.stringify(step)}`);
    try {
      return { result: normalize((fn as (...a: unknown[]) => unknown)(...(step.args ?? []).map(toArg))) };
    } catch (e) {
      return { trap: describeError(e, exports) };
    }
  }

  takePrinted(): unknown[] {
    const p = this.printed;
    this.printed = [];
    return p;
  }
}

const stepLabel = (s: Step, i: number): string =>
  `step ${i}: ${s.export ?? `${s.table}[${s.index}]`}(${(s.args ?? []).join(', ')})${s.note ? ` (${s.note})` : ''}`;

interface Pair2 {
  original: Host;
  instrumented: Host;
  metadata: FtraceMetadata;
}

/** Compiles and instantiates both; returns undefined when Node cannot run the original at all. */
function instantiateBoth(original: Uint8Array, instrumented: Uint8Array, metadata: FtraceMetadata): Pair2 | undefined {
  let orig: Host;
  try {
    orig = new Host(new WebAssembly.Module(original as Uint8Array<ArrayBuffer>));
    orig.instantiate();
  } catch {
    return undefined;
  }
  const inst = new Host(new WebAssembly.Module(instrumented as Uint8Array<ArrayBuffer>));
  inst.instantiate();
  return { original: orig, instrumented: inst, metadata };
}

function runSteps(p: Pair2, steps: Step[]): void {
  steps.forEach((step, i) => {
    const label = stepLabel(step, i);
    const a = p.original.run(step);
    const b = p.instrumented.run(step);
    const printedA = p.original.takePrinted();
    const printedB = p.instrumented.takePrinted();
    const trace = pairs(p.instrumented.events.take(), p.metadata.names);

    expect(b, `${label}: instrumented vs original`).toEqual(a);
    expect(printedB, `${label}: printed, instrumented vs original`).toEqual(printedA);
    if (step.trap !== undefined && step.trap !== false) {
      expect(a, `${label}: should trap`).toHaveProperty('trap');
      if (typeof step.trap === 'string') expect((a as { trap: string }).trap, label).toContain(step.trap);
    } else {
      expect(a, `${label}: should not trap`).not.toHaveProperty('trap');
      if ('result' in step) expect((a as { result: unknown }).result, `${label}: result`).toEqual(step.result);
    }
    if (step.printed) expect(printedA, `${label}: printed`).toEqual(step.printed);
    if (step.trace) expect(trace, `${label}: trace`).toEqual(step.trace);
  });
}

// ---------------------------------------------------------------------------

const watFixtures = sources(WAT_DIR, '.wat');
const watSpecs = watFixtures.filter((n) => existsSync(join(WAT_DIR, `${n}.spec.json`)));
const watNoSpec = watFixtures.filter((n) => !watSpecs.includes(n));
const cAll = sources(C_DIR, '.c');
/** C fixtures with a spec run under plain WASI; others (e.g. guests of the ftrace import API) are only instrumented here. */
const cFixtures = cAll.filter((n) => existsSync(join(C_DIR, `${n}.spec.json`)));
const cNoSpec = cAll.filter((n) => !cFixtures.includes(n));

describe('fixtures', () => {
  it('every WAT fixture has a committed build that matches its source', async () => {
    expect(watFixtures.length).toBeGreaterThan(0);
    for (const name of watFixtures) {
      expect(existsSync(builtPath(name)), `build/${name}.wasm exists (npm run fixtures)`).toBe(true);
      const fresh = await buildWat(name);
      expect(Buffer.compare(Buffer.from(fresh), readFileSync(builtPath(name))), `build/${name}.wasm is up to date`).toBe(0);
    }
  });

  it('every C fixture has a committed build', () => {
    expect(cFixtures.length).toBeGreaterThan(0);
    for (const name of cAll) expect(existsSync(builtPath(name)), `build/${name}.wasm exists`).toBe(true);
  });
});

describe.each(watSpecs)('WAT fixture %s', (name) => {
  const spec = readJson<WatSpec>(join(WAT_DIR, `${name}.spec.json`));
  const original = readFileSync(builtPath(name));

  const prepare = (options: InstrumentOptions = {}): Pair2 | undefined => {
    const out = instrument(original, options);
    return instantiateBoth(original, out.binary, out.metadata);
  };

  it('instruments cleanly: no warnings, valid output, only ftrace.mcount added to the imports', () => {
    const out = instrument(original);
    expect(out.warnings).toEqual([]);
    expect(out.stats.instrumented).toBe(out.stats.functions - out.stats.imports);
    expect(binaryenValidates(out.binary)).toBe(true);
    if (!WebAssembly.validate(original)) return; // the engine cannot run the original: nothing more to require
    expect(WebAssembly.validate(out.binary as Uint8Array<ArrayBuffer>)).toBe(true);
    const imp = (b: Uint8Array) =>
      WebAssembly.Module.imports(new WebAssembly.Module(b as Uint8Array<ArrayBuffer>)).map((i) => `${i.module}.${i.name}:${i.kind}`);
    expect(imp(out.binary).sort()).toEqual([...imp(original), 'ftrace.mcount:function'].sort());
    // every function the WAT names keeps its name
    for (const n of out.metadata.names) expect(n).not.toMatch(/^func\[\d+\]$/);
  });

  it('behaves the same instrumented, with the hand-written traces', (ctx) => {
    const p = prepare();
    if (!p) return ctx.skip();
    const startTrace = pairs(p.instrumented.events.take(), p.metadata.names);
    const startPrinted = p.original.takePrinted();
    expect(p.instrumented.takePrinted(), 'printed during instantiation').toEqual(startPrinted);
    if (spec.start?.trace) expect(startTrace, 'start function trace').toEqual(spec.start.trace);
    else expect(startTrace, 'no start function: no events during instantiation').toEqual([]);
    if (spec.start?.printed) expect(startPrinted, 'printed by the start function').toEqual(spec.start.printed);
    runSteps(p, spec.steps);
  });

  it('behaves the same with exit hooks, and every exit closes the innermost open entry', (ctx) => {
    const out = instrument(original, { exitHooks: true });
    expect(out.warnings).toEqual([]);
    expect(binaryenValidates(out.binary)).toBe(true);
    const p = instantiateBoth(original, out.binary, out.metadata);
    if (!p) return ctx.skip();
    const stack: number[] = [];
    const start = p.instrumented.events.take();
    if (spec.start?.trace) expect(pairs(start, out.metadata.names), 'start function trace').toEqual(spec.start.trace);
    expect(exitNesting(start, stack)).toEqual({ unwound: 0, strayExits: 0 });
    expect(stack, 'the start function returned').toEqual([]);
    p.original.takePrinted();
    p.instrumented.takePrinted();
    spec.steps.forEach((step, i) => {
      const label = stepLabel(step, i);
      const a = p.original.run(step);
      const b = p.instrumented.run(step);
      expect(b, `${label}: instrumented vs original`).toEqual(a);
      expect(p.instrumented.takePrinted(), label).toEqual(p.original.takePrinted());
      const flat = p.instrumented.events.take();
      if (step.trace) expect(pairs(flat, out.metadata.names), `${label}: entries`).toEqual(step.trace);
      const nesting = exitNesting(flat, stack);
      expect(nesting.strayExits, `${label}: exits without an entry`).toBe(0);
      if ('trap' in a) {
        stack.length = 0; // the trap unwound every frame of the step
      } else {
        // only an exception caught inside the module unwinds frames without exits
        if (name !== 'eh') expect(nesting.unwound, `${label}: frames left without an exit`).toBe(0);
        expect(stack, `${label}: every entry of the step has its exit`).toEqual([]);
      }
    });
  });

  for (const extra of spec.extra ?? []) {
    it(extra.name, (ctx) => {
      const p = prepare(extra.options);
      if (!p) return ctx.skip();
      p.instrumented.events.take();
      p.original.takePrinted();
      p.instrumented.takePrinted();
      runSteps(p, extra.steps);
    });
  }
});

describe.each([...watNoSpec, ...cNoSpec])('instrument-only fixture %s', (name) => {
  it('instruments into a module binaryen validates', () => {
    const original = readFileSync(builtPath(name));
    const out = instrument(original);
    expect(out.stats.instrumented).toBe(out.stats.functions - out.stats.imports);
    expect(out.stats.instrumented).toBeGreaterThan(0);
    expect(binaryenValidates(out.binary)).toBe(true);
    // if this engine can compile the original, it must compile the output too
    if (WebAssembly.validate(original)) expect(WebAssembly.validate(out.binary as Uint8Array<ArrayBuffer>)).toBe(true);
  });
});

/** readBinary(bytes, features): the typings know only the one-argument form. */
const readBinary = binaryen.readBinary as unknown as (bytes: Uint8Array, features: number) => binaryen.Module;

function binaryenValidates(bytes: Uint8Array): boolean {
  const features = binaryen.Features.All & ~(binaryen.Features as unknown as Record<string, number>)['CompactImports']!;
  const mod = readBinary(bytes, features);
  try {
    return Boolean(mod.validate());
  } finally {
    mod.dispose();
  }
}

// ---------------------------------------------------------------------------
// --only / --notrace

describe('--only and --notrace', () => {
  const original = readFileSync(builtPath('recursion'));

  function traceOf(options: { only?: string[]; notrace?: string[] }, steps: Step[]): { traces: Pair[][]; metadata: FtraceMetadata } {
    const out = instrument(original, options);
    const host = new Host(new WebAssembly.Module(out.binary as Uint8Array<ArrayBuffer>));
    host.instantiate();
    const traces = steps.map((s) => {
      const r = host.run(s);
      expect(r).toEqual({ result: s.result });
      return pairs(host.events.take(), out.metadata.names);
    });
    return { traces, metadata: out.metadata };
  }

  it("only: ['fib*'] traces fib alone, and reports its untraced callers as parents", () => {
    const { traces, metadata } = traceOf({ only: ['fib*'] }, [
      { export: 'sum_fibs', args: [3], result: 2 },
      { export: 'combo', args: [], result: 3 },
      { export: 'fact', args: [4], result: 24 },
      { export: 'fib', args: [2], result: 1 },
    ]);
    expect(metadata.traced.map((ip) => metadata.names[ip])).toEqual(['fib']);
    expect(traces).toEqual([
      // sum_fibs(3) = fib(0) + fib(1) + fib(2); sum_fibs itself is not traced
      [['fib', 'sum_fibs'], ['fib', 'sum_fibs'], ['fib', 'sum_fibs'], ['fib', 'fib'], ['fib', 'fib']],
      // combo: fib(3) and its 4 recursive calls, fact twice (untraced), then fib(2) and its 2 calls
      [['fib', 'combo'], ['fib', 'fib'], ['fib', 'fib'], ['fib', 'fib'], ['fib', 'fib'], ['fib', 'combo'], ['fib', 'fib'], ['fib', 'fib']],
      [],
      [['fib', HOST], ['fib', 'fib'], ['fib', 'fib']],
    ]);
  });

  it("notrace: ['is_odd'] silences is_odd, which is still reported as is_even's parent", () => {
    const { traces } = traceOf({ notrace: ['is_odd'] }, [
      { export: 'is_even', args: [3], result: 0 },
      { export: 'is_odd', args: [2], result: 0 },
    ]);
    expect(traces).toEqual([
      [['is_even', HOST], ['is_even', 'is_odd']],
      [['is_even', 'is_odd']],
    ]);
  });

  it("only: ['is_*'] with notrace: ['is_odd'] traces is_even alone", () => {
    const { traces, metadata } = traceOf({ only: ['is_*'], notrace: ['is_odd'] }, [{ export: 'is_odd', args: [4], result: 0 }]);
    expect(metadata.traced.map((ip) => metadata.names[ip])).toEqual(['is_even']);
    // is_odd(4) -> is_even(3) -> is_odd(2) -> is_even(1) -> is_odd(0)
    expect(traces).toEqual([[['is_even', 'is_odd'], ['is_even', 'is_odd']]]);
  });

  it("only: ['op_*'] on the C interpreter: functions called through a function pointer report the untraced dispatcher", () => {
    const bytes = readFileSync(builtPath('interp'));
    const out = instrument(bytes, { only: ['op_*'] });
    const run = runWasi(out.binary, ['interp', '5']);
    const seen = new Set(pairs(run.events, out.metadata.names).map(([f, p]) => `${f}<-${p}`));
    expect(run.exit).toBe(0);
    expect([...seen].sort()).toEqual(['op_add<-run', 'op_lt<-run', 'op_sub<-run']);
  });
});

// ---------------------------------------------------------------------------
// C fixtures under WASI

interface WasiRun {
  exit: number;
  stdout: string;
  events: number[];
}

function runWasi(bytes: Uint8Array, args: string[]): WasiRun {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-ftrace-diff-'));
  const outPath = join(dir, 'stdout');
  const fd = openSync(outPath, 'w');
  const events = new Events();
  try {
    const wasi = new WASI({ version: 'preview1', args, env: {}, returnOnExit: true, stdout: fd });
    const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    const imports: WebAssembly.Imports = { ...wasi.getImportObject() } as WebAssembly.Imports;
    if (WebAssembly.Module.imports(module).some((i) => i.module === 'ftrace')) imports['ftrace'] = { mcount: events.record };
    const instance = new WebAssembly.Instance(module, imports);
    const exit = wasi.start(instance);
    closeSync(fd);
    return { exit, stdout: readFileSync(outPath, 'utf8'), events: events.take() };
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(cFixtures)('C fixture %s (WASI)', (name) => {
  const spec = readJson<CSpec>(join(C_DIR, `${name}.spec.json`));
  const original = readFileSync(builtPath(name));
  let memo: InstrumentResult | undefined;
  const instrumented = (): InstrumentResult => (memo ??= instrument(original));

  it('keeps its function names', () => {
    const out = instrumented();
    expect(out.metadata.names).toContain('main');
    expect(out.metadata.names).toContain('_start');
    expect(binaryenValidates(out.binary)).toBe(true);
  });

  it.each(spec.runs.map((r) => [r.args.join(' ') || '(no args)', r] as const))('args %s: same stdout and exit code, mcount called', (_, r) => {
    const out = instrumented();
    const argv = [name, ...r.args];
    const a = runWasi(original, argv);
    const b = runWasi(out.binary, argv);
    expect(b.stdout).toBe(a.stdout);
    expect(b.exit).toBe(a.exit);
    expect(a.exit).toBe(r.exit);
    if (r.stdout !== undefined) expect(a.stdout).toBe(r.stdout);
    for (const s of r.stdoutIncludes ?? []) expect(a.stdout).toContain(s);

    const trace = pairs(b.events, out.metadata.names);
    expect(trace.length).toBeGreaterThan(0);
    // A WASI command is entered from the host once, through its exported _start.
    const fromHost = trace.filter(([, p]) => p === HOST);
    expect(fromHost).toEqual([trace[0]]);
    expect(trace[0]![0]).toMatch(/^_start/);
    const seen = new Set(trace.map(([f, p]) => `${f}<-${p}`));
    for (const [f, p] of spec.calls ?? []) expect(seen, `${f} called by ${p}`).toContain(`${f}<-${p}`);
    // main runs, with a caller inside the module
    expect(trace.some(([f, p]) => f === 'main' && p !== HOST)).toBe(true);
  });
});
