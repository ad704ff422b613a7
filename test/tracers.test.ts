import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { instrument } from '../src/index.js';
import { EVENT_ENTRY, EVENT_EXIT, EVENT_MARKER, EVENT_STACK, EVENT_STACK_FRAME, type TraceEvent } from '../src/ring/event.js';
import { HOST_IP } from '../src/abi/index.js';
import { TraceArray, profileRows, type TraceArrayOptions } from '../src/tracers/index.js';
import { wat } from './helpers/wat.js';

const PROG = `(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (import "ftrace" "trace_marker" (func $marker (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello from the guest")
  (func $leaf (export "leaf") (result i32) (i32.const 1))
  (func $mid (export "mid") (result i32) (i32.add (call $leaf) (call $leaf)))
  (func $top (export "top") (result i32) (i32.add (call $mid) (call $leaf)))
  (func $boom (export "boom") (call $mid) drop (unreachable))
  (func $deep_boom (export "deep_boom") (call $boom))
  (func $via_host (export "via_host") (param i32) (result i32) (call $host (local.get 0)))
  (func $say (export "say") (drop (call $marker (i32.const 64) (i32.const 20))))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2)) (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
)`;
const PROG_BYTES = wat(PROG);
const PLAIN = instrument(PROG_BYTES);
const GRAPH = instrument(PROG_BYTES, { exitHooks: true });

type Exports = Record<string, (...a: number[]) => number>;

async function setup(options: TraceArrayOptions, configure?: (tr: TraceArray) => void) {
  const tr = new TraceArray(options);
  configure?.(tr);
  const bin = options.tracer === 'function' || options.tracer === undefined || options.tracer === 'nop' ? PLAIN : GRAPH;
  let x: Exports = {};
  const { instance, traced } = await tr.instantiate(new WebAssembly.Module(bin.binary as Uint8Array<ArrayBuffer>), {
    env: { host: (n: number) => (n > 0 ? x['via_host']!(n - 1) : x['top']!()) },
  });
  x = instance.exports as unknown as Exports;
  const name = (ip: number) => (ip === HOST_IP ? 'HOST' : traced.names[ip]!);
  return { tr, x, name };
}

/** Events as compact strings: ">name<-parent@depth", "<name@depth" */
function show(events: readonly TraceEvent[], name: (ip: number) => string): string[] {
  return events.map((e) => {
    if (e.type === EVENT_ENTRY) return `>${name(e.ip)}<-${name(e.parent)}@${e.depth}`;
    if (e.type === EVENT_EXIT) return `<${name(e.ip)}@${e.depth}`;
    if (e.type === EVENT_MARKER) return `marker ${e.text}`;
    if (e.type === EVENT_STACK) return `stack ${name(e.ip)} (${e.depth} frames)`;
    if (e.type === EVENT_STACK_FRAME) return `  at ${name(e.ip)}`;
    return `?${e.type}`;
  });
}

describe('function tracer', () => {
  it('records one entry per call with its caller; the counter clock is a strict sequence', async () => {
    const { tr, x, name } = await setup({ tracer: 'function', clock: 'counter' });
    x['top']!();
    const d = tr.read();
    expect(d.tracer).toBe('function');
    expect(d.clock).toBe('counter');
    expect(show(d.events, name)).toEqual(['>top<-HOST@0', '>mid<-top@0', '>leaf<-mid@0', '>leaf<-mid@0', '>leaf<-top@0']);
    expect(d.events.map((e) => e.ts)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stamps perf-clock events in microseconds, non-decreasing', async () => {
    const { tr, x } = await setup({ tracer: 'function', clock: 'perf' });
    const before = performance.now() * 1000;
    x['fib']!(10);
    const after = performance.now() * 1000;
    const ts = tr.read().events.map((e) => e.ts);
    expect(ts).toHaveLength(177);
    expect(ts[0]).toBeGreaterThanOrEqual(before);
    expect(ts[ts.length - 1]).toBeLessThanOrEqual(after);
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]!);
  });

  it('honours the filter and notrace, and rejects a filter that matches nothing', async () => {
    const { tr, x, name } = await setup({ tracer: 'function', clock: 'counter' }, (t) => t.setFilter('leaf mid'));
    x['top']!();
    expect(show(tr.read().events, name)).toEqual(['>mid<-top@0', '>leaf<-mid@0', '>leaf<-mid@0', '>leaf<-top@0']);
    expect(() => tr.setFilter('nosuch*')).toThrow(/'nosuch\*' matches no function/);
    tr.setFilter('!mid', false); // append a removal: leaf alone remains
    tr.ring.reset();
    x['top']!();
    expect(show(tr.read().events, name)).toEqual(['>leaf<-mid@0', '>leaf<-mid@0', '>leaf<-top@0']);
    tr.setFilter('leaf mid');
    tr.setNotrace('leaf');
    tr.ring.reset();
    x['top']!();
    expect(show(tr.read().events, name)).toEqual(['>mid<-top@0']);
  });

  it('trace_marker writes text into the stream, from TypeScript and from the guest', async () => {
    const { tr, x, name } = await setup({ tracer: 'function', clock: 'counter' }, (t) => t.setFilter('say'));
    tr.marker('from TypeScript');
    x['say']!();
    expect(show(tr.read().events, name)).toEqual(['marker from TypeScript', '>say<-HOST@0', 'marker hello from the guest']);
  });
});

describe('triggers in filter commands', () => {
  it('func:traceoff stops recording, func:traceon resumes it, with counts', async () => {
    const { tr, x, name } = await setup({ tracer: 'function', clock: 'counter' }, (t) => t.setFilter('mid:traceoff:1 top:traceon'));
    x['leaf']!(); // recorded
    x['mid']!(); // traceoff fires: mid's own entry is not recorded by the tracer after it
    x['leaf']!(); // not recorded
    x['top']!(); // traceon: top and everything after it again
    x['mid']!(); // count exhausted: stays on
    const events = show(tr.read().events, name);
    expect(events[0]).toBe('>leaf<-HOST@0');
    expect(events.slice(-4)).toEqual(['>leaf<-top@0', '>mid<-HOST@0', '>leaf<-mid@0', '>leaf<-mid@0']);
    expect(events.filter((e) => e === '>leaf<-HOST@0')).toHaveLength(1);
    expect(tr.filters.triggers.map((t) => [t.text, t.count])).toEqual([
      ['mid:traceoff:1', 0],
      ['top:traceon', -1],
    ]);
  });

  it('func:stacktrace records the call stack where it fires', async () => {
    const { tr, x, name } = await setup({ tracer: 'function_graph', clock: 'counter' }, (t) => t.setFilter('leaf:stacktrace:1'));
    x['top']!();
    const events = show(tr.read().events, name);
    const at = events.indexOf('stack leaf (3 frames)');
    expect(at).toBeGreaterThan(0);
    expect(events.slice(at + 1, at + 4)).toEqual(['  at leaf', '  at mid', '  at top']);
  });

  it('func:stacktrace with the function tracer reads the engine stack', async () => {
    const { tr, x, name } = await setup({ tracer: 'function', clock: 'counter' }, (t) => t.setFilter('leaf:stacktrace:1'));
    x['top']!();
    const events = show(tr.read().events, name);
    const at = events.findIndex((e) => e.startsWith('stack leaf'));
    expect(events.slice(at + 1, at + 4)).toEqual(['  at leaf', '  at mid', '  at top']);
  });
});

describe('function_graph tracer', () => {
  it('records entries and exits that nest, with depth and duration', async () => {
    const { tr, x, name } = await setup({ tracer: 'function_graph', clock: 'counter' });
    x['top']!();
    const d = tr.read();
    expect(show(d.events, name)).toEqual([
      '>top<-HOST@0',
      '>mid<-top@1',
      '>leaf<-mid@2',
      '<leaf@2',
      '>leaf<-mid@2',
      '<leaf@2',
      '<mid@1',
      '>leaf<-top@1',
      '<leaf@1',
      '<top@0',
    ]);
    // counter clock: a duration is the number of events between entry and exit
    expect(d.events.filter((e) => e.type === EVENT_EXIT).map((e) => e.duration)).toEqual([1, 1, 5, 1, 9]);
  });

  it('repairs the stack after a trap: lost frames are counted, the next call starts at depth 0', async () => {
    const { tr, x, name } = await setup({ tracer: 'function_graph', clock: 'counter' });
    expect(() => x['deep_boom']!()).toThrow(WebAssembly.RuntimeError);
    tr.ring.reset();
    x['leaf']!();
    expect(show(tr.read().events, name)).toEqual(['>leaf<-HOST@0', '<leaf@0']);
    expect(tr.stats.unwoundFrames).toBe(2); // deep_boom and boom never returned
  });

  it('repairs the stack after an exception caught inside the module', async () => {
    const eh = instrument(readFileSync('wasm-fixtures/build/eh.wasm'), { exitHooks: true });
    const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter' });
    const { instance, traced } = await tr.instantiate(new WebAssembly.Module(eh.binary as Uint8Array<ArrayBuffer>), {});
    expect((instance.exports['catcher'] as (x: number) => number)(3)).toBe(35);
    const name = (ip: number) => (ip === HOST_IP ? 'HOST' : traced.names[ip]!);
    // level_a -> level_b -> thrower throws; catcher catches and calls handle
    expect(show(tr.read().events, name)).toEqual([
      '>catcher<-HOST@0',
      '>level_a<-catcher@1',
      '>level_b<-level_a@2',
      '>thrower<-level_b@3',
      '>handle<-catcher@1', // the three frames above catcher were unwound
      '<handle@1',
      '<catcher@0',
    ]);
    expect(tr.stats.unwoundFrames).toBe(3);
  });

  it('keeps the frames below a host call when the host re-enters the module', async () => {
    const { tr, x, name } = await setup({ tracer: 'function_graph', clock: 'counter' }, (t) => t.setFilter('via_host top'));
    x['via_host']!(1);
    expect(show(tr.read().events, name)).toEqual([
      '>via_host<-HOST@0',
      '>via_host<-HOST@1', // re-entered from env.host: nested, not a new stack
      '>top<-HOST@2',
      '<top@2',
      '<via_host@1',
      '<via_host@0',
    ]);
    expect(tr.stats.unwoundFrames).toBe(0);
  });

  it('max_graph_depth, set_graph_function and set_graph_notrace', async () => {
    const a = await setup({ tracer: 'function_graph', clock: 'counter' }, (t) => (t.maxGraphDepth = 2));
    a.x['top']!();
    expect(show(a.tr.read().events, a.name)).toEqual(['>top<-HOST@0', '>mid<-top@1', '<mid@1', '>leaf<-top@1', '<leaf@1', '<top@0']);

    const b = await setup({ tracer: 'function_graph', clock: 'counter' }, (t) => t.setGraphFunction('mid'));
    b.x['top']!();
    expect(show(b.tr.read().events, b.name)).toEqual(['>mid<-top@0', '>leaf<-mid@1', '<leaf@1', '>leaf<-mid@1', '<leaf@1', '<mid@0']);

    const c = await setup({ tracer: 'function_graph', clock: 'counter' }, (t) => t.setGraphNotrace('mid'));
    c.x['top']!();
    expect(show(c.tr.read().events, c.name)).toEqual(['>top<-HOST@0', '>leaf<-top@1', '<leaf@1', '<top@0']);
  });

  it('survives wrap-around of a small buffer: only whole records, the newest kept, losses counted', async () => {
    const { tr, x } = await setup({ tracer: 'function_graph', clock: 'counter', bufferKb: 4 });
    x['fib']!(15);
    const d = tr.read();
    expect(d.written).toBe(2 * 1973);
    expect(d.entries).toBe(tr.ring.capacity);
    expect(d.lost).toBe(d.written - d.entries);
    const last = d.events[d.events.length - 1]!;
    expect([last.type, last.depth]).toEqual([EVENT_EXIT, 0]);
  });

  it('follows 10^5 nested frames (in a worker with a large stack)', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const { TraceArray } = await import(workerData.tracers);
        const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter', bufferKb: 8 * 1024 });
        const { instance } = await tr.instantiate(new WebAssembly.Module(workerData.binary), {});
        const r = instance.exports.fact(100000n);
        const events = tr.read().events;
        let maxDepth = 0, exits = 0;
        for (const e of events) { if (e.depth > maxDepth) maxDepth = e.depth; if (e.type === 2) exits++; }
        parentPort.postMessage({ r: String(r), maxDepth, exits, stats: tr.stats });
      })().catch((e) => parentPort.postMessage({ error: String(e) }));`;
    const fact = instrument(wat(`(module (func $fact (export "fact") (param i64) (result i64)
      (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
        (else (i64.mul (local.get 0) (call $fact (i64.sub (local.get 0) (i64.const 1))))))))`), { exitHooks: true });
    const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const w = new Worker(code, {
        eval: true,
        resourceLimits: { stackSizeMb: 256 },
        workerData: { binary: fact.binary, tracers: new URL('../dist/tracers/index.js', import.meta.url).href },
      });
      w.once('message', resolve);
      w.once('error', reject);
    });
    expect(result['error']).toBeUndefined();
    expect(result['maxDepth']).toBe(100000);
    expect(result['exits']).toBe(100001);
    expect(result['stats']).toMatchObject({ unwoundFrames: 0, strayExits: 0, lost: 0 });
  });
});

describe('profiler', () => {
  it('counts hits, total and self time per function', async () => {
    const { tr, x } = await setup({ tracer: 'profiler', clock: 'counter' });
    x['top']!();
    x['top']!();
    const rows = Object.fromEntries(profileRows(tr).map((r) => [r.name, r]));
    expect(Object.keys(rows).sort()).toEqual(['leaf', 'mid', 'top']);
    expect(rows['top']).toMatchObject({ hits: 2 });
    expect(rows['mid']).toMatchObject({ hits: 2 });
    expect(rows['leaf']).toMatchObject({ hits: 6 });
    // no ring buffer writes: the counter clock only ticks at entries and exits
    expect(tr.read().entries).toBe(0);
    expect(rows['leaf']!.total).toBe(rows['leaf']!.self);
    expect(rows['top']!.self).toBeLessThan(rows['top']!.total);
    expect(rows['top']!.total).toBe(rows['top']!.self + rows['mid']!.total + rows['leaf']!.total / 3);
  });
});

describe('several instances', () => {
  it('keeps two modules traced at once apart', async () => {
    const tr = new TraceArray({ tracer: 'function', clock: 'counter' });
    const a = await tr.instantiate(new WebAssembly.Module(PLAIN.binary as Uint8Array<ArrayBuffer>), { env: { host: () => 0 } }, 'first');
    const recursion = instrument(readFileSync('wasm-fixtures/build/recursion.wasm'));
    const b = await tr.instantiate(new WebAssembly.Module(recursion.binary as Uint8Array<ArrayBuffer>), {}, 'second');
    (a.instance.exports['leaf'] as () => number)();
    (b.instance.exports['fib'] as (n: number) => number)(1);
    const d = tr.read();
    expect(d.instances.map((i) => i.name)).toEqual(['first', 'second']);
    expect(d.events.map((e) => `${d.instances[e.instance]!.name}:${d.instances[e.instance]!.names[e.ip]}`)).toEqual(['first:leaf', 'second:fib']);
  });
});
