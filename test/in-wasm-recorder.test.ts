/**
 * The in-wasm recorder (a module instrumented with a trace memory) must give
 * the tracers exactly what the JS hook gives them: on every WAT fixture, each
 * built-in tracer records the same events (type, ip, parent, depth, and with
 * the counter clock the same timestamps and durations) and the same repair
 * counts through both paths, and the program behaves the same. Then what
 * only the in-wasm path has: records that never called into JS, a ring that
 * fills, switching to the list function in the middle of a run, markers in
 * order, and timestamps from the clock cell.
 *
 * The engine must have multi-memory (Node >= 22); on Node 20 only the
 * refusal is tested. CI runs this file on Node 24 (test:matrix).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOps, engineHasMultiMemory, instrument, TraceArray, WasmRing, type TracerName } from '../src/index.js';
import { BUILD_DIR, WAT_DIR } from '../wasm-fixtures/build.mjs';
import { cli } from './helpers/cli.js';
import { wat } from './helpers/wat.js';

const inWasm = engineHasMultiMemory();

interface Step {
  export?: string;
  table?: string;
  index?: number;
  args?: (number | string)[];
}

/** The spec fixtures: their built module and the steps their spec runs. */
const fixtures = readdirSync(WAT_DIR)
  .filter((f) => f.endsWith('.spec.json'))
  .map((f) => {
    const name = f.replace(/\.spec\.json$/, '');
    const spec = JSON.parse(readFileSync(join(WAT_DIR, f), 'utf8')) as { steps: Step[]; extra?: { steps: Step[] }[] };
    // Not `overflow`: how deep a recursion gets before the stack runs out depends on frame sizes, which the recorder's calls change.
    const steps = [...spec.steps, ...(spec.extra ?? []).flatMap((e) => e.steps)].filter((s) => s.export !== 'overflow');
    return { name, bytes: readFileSync(join(BUILD_DIR, `${name}.wasm`)), steps };
  });

const normalize = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : Array.isArray(v) ? v.map(normalize) : v);

interface Run {
  events: string[];
  outcomes: unknown[];
  stats: unknown;
  printed: unknown[];
  inWasmRecords: number;
}

/** Runs a fixture's steps under `tracer` with the counter clock, through the JS hook or the in-wasm recorder. */
async function runFixture(bytes: Uint8Array, steps: Step[], tracer: TracerName, traceMemory: boolean, ringRecords?: number): Promise<Run> {
  const { binary } = instrument(bytes, { exitHooks: true, traceMemory });
  const wasmRing = traceMemory ? new WasmRing(ringRecords) : undefined;
  const tr = new TraceArray({ tracer, clock: 'counter', bufferKb: 4096, ...(wasmRing ? { wasmRing } : {}) });
  const printed: unknown[] = [];
  let instance: WebAssembly.Instance | undefined;
  const env = {
    print: (x: unknown) => void printed.push(normalize(x)),
    reenter: (x: number) => (instance!.exports['reentry'] as (x: number) => number)(x),
  };
  const module = new WebAssembly.Module(binary);
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of WebAssembly.Module.imports(module)) if (imp.module === 'env') (imports['env'] ??= {})[imp.name] = env[imp.name as keyof typeof env];
  const outcomes: unknown[] = [];
  try {
    ({ instance } = await tr.instantiate(module, imports as WebAssembly.Imports, 'm'));
  } catch (e) {
    outcomes.push(`instantiate: ${String(e)}`);
  }
  for (const step of steps) {
    if (!instance) break;
    const fn = step.export !== undefined ? instance.exports[step.export] : (instance.exports[step.table!] as WebAssembly.Table).get(step.index ?? 0);
    try {
      outcomes.push(normalize((fn as (...a: unknown[]) => unknown)(...(step.args ?? []).map((a) => (typeof a === 'string' ? BigInt(a) : a)))));
    } catch (e) {
      outcomes.push(`trap: ${(e as Error).message}`);
    }
  }
  const events = tr.read().events.map((e) => `${e.type} ${e.instance} ${e.ip} ${e.parent} ${e.depth} ${e.ts} ${e.duration}`);
  const profile = tr.tracer.stat?.(tr) ?? [];
  return { events: [...events, ...profile.map((r) => JSON.stringify(r))], outcomes, stats: tr.stats, printed, inWasmRecords: wasmRing?.drained ?? 0 };
}

describe.skipIf(!inWasm)('the in-wasm recorder records what the JS hook records', () => {
  for (const tracer of ['function', 'function_graph', 'profiler'] as const) {
    for (const f of fixtures) {
      it(`${f.name}, ${tracer}`, async () => {
        const js = await runFixture(f.bytes, f.steps, tracer, false);
        const wasm = await runFixture(f.bytes, f.steps, tracer, true);
        expect(wasm.outcomes).toEqual(js.outcomes);
        expect(wasm.printed).toEqual(js.printed);
        expect(wasm.events).toEqual(js.events);
        expect(wasm.stats).toEqual(js.stats);
        // and through a ring of 3 records: drained every third event
        const small = await runFixture(f.bytes, f.steps, tracer, true, 3);
        expect(small.events).toEqual(js.events);
      });
    }
  }

  it('keeps calls between functions in wasm: most records never called into JS', async () => {
    const f = fixtures.find((x) => x.name === 'recursion')!;
    const run = await runFixture(f.bytes, f.steps, 'function_graph', true);
    const entries = run.events.filter((e) => e.startsWith('1 ')).length;
    // every call from one wasm function to another, and every exit, was written in wasm
    expect(run.inWasmRecords).toBeGreaterThan(entries);
  });
});

/** fib plus an import it calls in the middle of the run, so the host can act there. */
const FIB_WITH_CALLOUT = wat(`(module
  (import "env" "callout" (func $callout (param i32)))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (i32.eq (local.get $n) (i32.const 5)) (then (call $callout (local.get $n))))
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`);

/** fib(8) with `onCallout` run at every callout, through either path; the trace and what the extra ops saw. */
async function fibRun(traceMemory: boolean, onCallout: (tr: TraceArray, n: number) => void): Promise<{ events: string[]; tr: TraceArray }> {
  const { binary } = instrument(FIB_WITH_CALLOUT, { exitHooks: true, traceMemory });
  const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter', ...(traceMemory ? { wasmRing: new WasmRing() } : {}) });
  let calls = 0;
  const { instance } = await tr.instantiate(new WebAssembly.Module(binary), { env: { callout: () => onCallout(tr, calls++) } }, 'fib');
  expect((instance.exports['fib'] as (n: number) => number)(8)).toBe(21);
  const events = tr.read().events.map((e) => `${e.type === 3 ? `marker ${e.text}` : `${e.type} ${e.ip} ${e.parent} ${e.depth}`} ${e.ts} ${e.duration}`);
  return { events, tr };
}

describe.skipIf(!inWasm)('switching paths while the recorder runs', () => {
  it('a second ops registered from TypeScript mid-run: nothing lost, nothing reordered, and it sees the calls after it', async () => {
    const seen: Record<string, number[]> = { js: [], wasm: [] };
    const run = (traceMemory: boolean) =>
      fibRun(traceMemory, (tr, n) => {
        const inst = tr.instances[0]!;
        if (n === 0) {
          expect(inst.ft.recorder?.on === true).toBe(traceMemory);
          inst.ft.register(createOps((ip) => void seen[traceMemory ? 'wasm' : 'js']!.push(ip), { name: 'second' }));
          // two ops: the list function, in JS
          expect(inst.ft.mode).toBe('list');
          expect(inst.ft.recorder?.on === true).toBe(false);
        }
      });
    const js = await run(false);
    const wasm = await run(true);
    expect(wasm.events).toEqual(js.events);
    expect(seen['wasm']!.length).toBeGreaterThan(0);
    expect(seen['wasm']).toEqual(seen['js']);
  });

  it('markers written from an import land between the calls around them', async () => {
    const mark = (tr: TraceArray, n: number) => tr.marker(`callout ${n}`);
    const js = await fibRun(false, mark);
    const wasm = await fibRun(true, mark);
    expect(wasm.events.some((e) => e.startsWith('marker'))).toBe(true);
    expect(wasm.events).toEqual(js.events);
  });

  it('tracing_on turned off mid-run stops recording where the JS path stops', async () => {
    const off = (tr: TraceArray, n: number) => {
      if (n === 2) tr.tracingOn = false;
    };
    const js = await fibRun(false, off);
    const wasm = await fibRun(true, off);
    expect(wasm.events.length).toBeLessThan((await fibRun(true, () => {})).events.length);
    expect(wasm.events).toEqual(js.events);
  });
});

describe.skipIf(!inWasm)('the profiler', () => {
  it('counts the calls the trace memory still holds when its rows are read', async () => {
    const rows = async (traceMemory: boolean) => {
      const { binary } = instrument(FIB_WITH_CALLOUT, { exitHooks: true, traceMemory });
      const tr = new TraceArray({ tracer: 'profiler', clock: 'counter', ...(traceMemory ? { wasmRing: new WasmRing() } : {}) });
      const { instance } = await tr.instantiate(new WebAssembly.Module(binary), { env: { callout: () => {} } }, 'fib');
      (instance.exports['fib'] as (n: number) => number)(7);
      // no read() first: stat() alone must see every call
      return tr.tracer.stat!(tr).map((r) => `${r.name} ${r.hits} ${r.total} ${r.self}`);
    };
    const js = await rows(false);
    expect(js.length).toBeGreaterThan(0);
    expect(await rows(true)).toEqual(js);
  });
});

describe.skipIf(!inWasm)('timestamps in wasm', () => {
  it('with the worker clock on the trace memory, records carry the clock cell as it was', async () => {
    const { binary } = instrument(FIB_WITH_CALLOUT, { traceMemory: true });
    const ring = new WasmRing();
    const cell = ring.clockCell;
    const workerClock = { cell, info: { source: 'a test writes the cell' }, stop() {} };
    const tr = new TraceArray({ tracer: 'function', clock: 'worker', workerClock, wasmRing: ring });
    cell[0] = 1000;
    // the import moves the clock: entries after it carry the new time
    const { instance } = await tr.instantiate(new WebAssembly.Module(binary), { env: { callout: () => void (cell[0] = 2000) } }, 'fib');
    (instance.exports['fib'] as (n: number) => number)(6);
    const ts = tr.read().events.map((e) => e.ts);
    expect(ring.drained).toBeGreaterThan(0);
    expect(ts[0]).toBe(1000);
    expect(ts.at(-1)).toBe(2000);
    expect(new Set(ts)).toEqual(new Set([1000, 2000]));
  });

  it('with the perf clock, each record asks the host for the time, in order', async () => {
    const { binary } = instrument(FIB_WITH_CALLOUT, { exitHooks: true, traceMemory: true });
    const ring = new WasmRing();
    const tr = new TraceArray({ tracer: 'function_graph', clock: 'perf', wasmRing: ring });
    const { instance } = await tr.instantiate(new WebAssembly.Module(binary), { env: { callout: () => {} } }, 'fib');
    const before = performance.now() * 1000;
    (instance.exports['fib'] as (n: number) => number)(10);
    const after = performance.now() * 1000;
    const events = tr.read().events;
    expect(ring.drained).toBeGreaterThan(100);
    for (let i = 1; i < events.length; i++) expect(events[i]!.ts).toBeGreaterThanOrEqual(events[i - 1]!.ts);
    expect(events[0]!.ts).toBeGreaterThanOrEqual(before);
    expect(events.at(-1)!.ts).toBeLessThanOrEqual(after);
  });
});

describe('record and run choose the recorder', () => {
  const hash = join(BUILD_DIR, 'hash.wasm');

  it.skipIf(!inWasm)('record writes the same trace through both paths, and info says which recorded it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-ftrace-inwasm-'));
    try {
      const a = join(dir, 'wasm.data');
      const b = join(dir, 'js.data');
      expect((await cli('record', '--clock', 'counter', '--no-cache', '-o', a, hash)).code).toBe(0);
      expect((await cli('record', '--clock', 'counter', '--no-cache', '--recorder', 'js', '-o', b, hash)).code).toBe(0);
      const replayA = await cli('replay', a);
      expect(replayA.stdout.split('\n').length).toBeGreaterThan(100);
      expect(replayA.stdout).toBe((await cli('replay', b)).stdout);
      expect((await cli('info', a)).stdout).toMatch(/^recorder +wasm: \d+ entries and exits written in wasm/m);
      expect((await cli('info', b)).stdout).toMatch(/^recorder +js: every event called into JavaScript/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(inWasm)('--recorder wasm on an engine without multi-memory is one line naming the problem', async () => {
    const r = await cli('record', '--recorder', 'wasm', '-o', join(tmpdir(), 'never-written.data'), hash);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--recorder wasm needs an engine with multi-memory \(Node >= 22\)/);
  });
});
