import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../src/datafile/node-reader.js';
import { instrument } from '../src/instrument/pass.js';
import { HOST_IP } from '../src/abi/index.js';
import { EVENT_ENTRY, EVENT_EXIT, type TraceEvent } from '../src/ring/event.js';
import { TraceArray, type TraceArrayOptions } from '../src/tracers/index.js';
import { installInterceptor, sha256Hex, type InterceptOptions, type Interceptor } from '../src/runtime/intercept.js';
import { wat } from './helpers/wat.js';

const fixture = (name: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(path.resolve('wasm-fixtures/build', name)));
const RECURSION = fixture('recursion.wasm');
const START = fixture('start.wasm');
const IMPORTS_WAT = wat(`(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "base" (global $base i32))
  (memory (export "memory") 1)
  (func $twice (param i32) (result i32) (call $add (local.get 0) (local.get 0)))
  (func (export "go") (param i32) (result i32) (i32.add (global.get $base) (call $twice (local.get 0)))))`);
const WASM_TYPE = { 'content-type': 'application/wasm' };
// Node's fetch (undici) compiles its HTTP parser (wasm) when Response is first
// touched: let that happen now, before any interceptor is installed.
void new Response('');

type Fn = (...a: number[]) => number;
const call = (instance: WebAssembly.Instance, name: string, ...args: number[]): number => (instance.exports[name] as Fn)(...args);

const O = {
  Module: WebAssembly.Module,
  Instance: WebAssembly.Instance,
  instantiate: WebAssembly.instantiate,
  compile: WebAssembly.compile,
  validate: WebAssembly.validate,
  instantiateStreaming: WebAssembly.instantiateStreaming,
  compileStreaming: WebAssembly.compileStreaming,
  imports: WebAssembly.Module.imports,
  exports: WebAssembly.Module.exports,
  customSections: WebAssembly.Module.customSections,
};

let current: Interceptor | undefined;
afterEach(() => {
  current?.uninstall();
  current = undefined;
});

function setup(trOptions: TraceArrayOptions = {}, options: Partial<InterceptOptions> = {}) {
  const tr = new TraceArray({ clock: 'counter', ...trOptions });
  const errors: { error: unknown; module?: string }[] = [];
  const ic = installInterceptor(tr, {
    exitHooks: false,
    pass: instrument,
    onError: (error, m) => errors.push({ error, ...(m ? { module: m.name } : {}) }),
    ...options,
  });
  current = ic;
  /** entries of one instance as [name, parent name] */
  const entries = (instance: number): [string, string][] => {
    const data = tr.read();
    const names = data.instances[instance]!.names;
    return data.events
      .filter((e) => e.type === EVENT_ENTRY && e.instance === instance)
      .map((e) => [names[e.ip]!, e.parent === HOST_IP ? 'HOST' : names[e.parent]!]);
  };
  return { tr, ic, errors, entries };
}

/** fib(n) entries: one per call */
const fibCalls = (n: number): number => (n < 2 ? 1 : 1 + fibCalls(n - 1) + fibCalls(n - 2));

describe('sha256Hex', () => {
  it('agrees with node:crypto around the padding boundaries and on a real module', () => {
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096 + 17]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 151 + n) & 255);
      expect(sha256Hex(bytes), `length ${n}`).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(sha256Hex(RECURSION)).toBe(createHash('sha256').update(RECURSION).digest('hex'));
  });
});

describe('installInterceptor: every API path', () => {
  const paths: [string, (bytes: Uint8Array<ArrayBuffer>) => Promise<WebAssembly.Instance>][] = [
    ['new Module + new Instance', async (b) => new WebAssembly.Instance(new WebAssembly.Module(b))],
    ['instantiate(bytes)', async (b) => (await WebAssembly.instantiate(b)).instance],
    ['instantiate(ArrayBuffer)', async (b) => (await WebAssembly.instantiate(b.slice().buffer)).instance],
    ['instantiate(new Module)', async (b) => WebAssembly.instantiate(new WebAssembly.Module(b))],
    ['compile + instantiate(module)', async (b) => WebAssembly.instantiate(await WebAssembly.compile(b))],
    ['instantiateStreaming(Response)', async (b) => (await WebAssembly.instantiateStreaming(new Response(b, { headers: WASM_TYPE }))).instance],
    ['instantiateStreaming(Promise<Response>)', async (b) => (await WebAssembly.instantiateStreaming(Promise.resolve(new Response(b, { headers: WASM_TYPE })))).instance],
    ['compileStreaming + new Instance', async (b) => new WebAssembly.Instance(await WebAssembly.compileStreaming(new Response(b, { headers: WASM_TYPE })))],
  ];
  for (const [label, load] of paths) {
    it(`${label}: same results, events recorded`, async () => {
      const plain = await WebAssembly.instantiate(RECURSION);
      const { tr, ic, errors, entries } = setup();
      const instance = await load(RECURSION);
      expect(instance).toBeInstanceOf(WebAssembly.Instance);
      expect(call(instance, 'fib', 10)).toBe(call(plain.instance, 'fib', 10));
      expect(call(instance, 'fact', 5)).toBe(120);
      expect(entries(0)).toHaveLength(fibCalls(10) + 5);
      expect(entries(0).slice(0, 3)).toEqual([['fib', 'HOST'], ['fib', 'fib'], ['fib', 'fib']]);
      expect(errors).toEqual([]);
      expect(ic.modules).toHaveLength(1);
      expect(ic.modules[0]).toMatchObject({ status: 'traced', hash: sha256Hex(RECURSION), size: RECURSION.length, loads: 1 });
      expect(tr.instances[0]!.moduleHash).toBe(sha256Hex(RECURSION));
      expect(ic.modules[0]!.instances).toEqual([tr.instances[0]]);
    });
  }

  it('instantiate(bytes) returns {module, instance} whose module lists the original imports and exports', async () => {
    // binaryen writes function imports first: the original order must come back
    const MIXED = wat(`(module
      (import "env" "base" (global $base i32))
      (import "env" "add" (func $add (param i32 i32) (result i32)))
      (import "env" "table" (table 1 funcref))
      (import "js" "mem" (memory 1 2))
      (import "env" "ref" (global externref))
      (import "env" "add" (func $add2 (param i32 i32) (result i32)))
      (func $twice (param i32) (result i32) (call $add (local.get 0) (local.get 0)))
      (export "mem" (memory 0))
      (func (export "go") (param i32) (result i32) (i32.add (global.get $base) (call $twice (local.get 0))))
      (export "add" (func $add2)))`);
    const plainModule = new O.Module(MIXED);
    setup();
    const imports = {
      env: { add: (a: number, b: number) => a + b, base: 100, table: new WebAssembly.Table({ element: 'anyfunc', initial: 1 }), ref: null },
      js: { mem: new WebAssembly.Memory({ initial: 1, maximum: 2 }) },
    };
    const { module, instance } = await WebAssembly.instantiate(MIXED, imports);
    expect(module).toBeInstanceOf(WebAssembly.Module);
    expect(call(instance, 'go', 4)).toBe(108);
    expect(O.imports(module).map((d) => d.kind)).not.toEqual(O.imports(plainModule).map((d) => d.kind)); // (what makes this test worth having)
    expect(WebAssembly.Module.imports(module)).toEqual(O.imports(plainModule));
    expect(WebAssembly.Module.exports(module)).toEqual(O.exports(plainModule));
    // the engine's own view still has them; the instance's exports are the original's
    expect(O.imports(module).map((d) => `${d.module}.${d.name}`)).toContain('ftrace.mcount');
    expect(O.exports(module).map((d) => d.name)).toContain('__ftrace_control');
    expect(Object.keys(instance.exports)).toEqual(O.exports(plainModule).map((d) => d.name));
    expect(Object.isFrozen(instance.exports)).toBe(true);
    expect(instance).toBeInstanceOf(WebAssembly.Instance);
    expect(WebAssembly.Module.customSections(module, 'wasm-ftrace')).toHaveLength(1);
  });

  it('glue that builds its import object from WebAssembly.Module.imports still links (a Proxy, as Emscripten GOT handlers are)', async () => {
    const { entries } = setup();
    const module = new WebAssembly.Module(IMPORTS_WAT);
    const seen: string[] = [];
    const env = new Proxy({} as Record<string, unknown>, {
      get(_t, name) {
        seen.push(String(name));
        return name === 'add' ? (a: number, b: number) => a + b : name === 'base' ? 1 : undefined;
      },
    });
    const fromDescriptors = Object.fromEntries(WebAssembly.Module.imports(module).map((d) => [d.module, env]));
    const instance = new WebAssembly.Instance(module, fromDescriptors);
    expect(call(instance, 'go', 2)).toBe(5);
    expect(Object.keys(fromDescriptors)).toEqual(['env']);
    expect(seen.sort()).toEqual(['add', 'base']);
    expect(entries(0)).toEqual([
      ['go', 'HOST'],
      ['twice', 'go'],
    ]);
  });

  it('keeps two modules apart, and instruments the same bytes once', async () => {
    const { tr, ic, entries } = setup();
    const a1 = new WebAssembly.Instance(new WebAssembly.Module(RECURSION));
    const b = (await WebAssembly.instantiate(IMPORTS_WAT, { env: { add: (x: number, y: number) => x * y, base: 0 } })).instance;
    const a2 = (await WebAssembly.instantiate(RECURSION)).instance;
    call(a1, 'fact', 2);
    call(b, 'go', 3);
    call(a2, 'fib', 1);
    expect(ic.modules.map((m) => [m.index, m.status, m.loads, m.instances.length])).toEqual([
      [0, 'traced', 2, 2],
      [1, 'traced', 1, 1],
    ]);
    expect(tr.instances.map((i) => [i.id, i.name])).toEqual([
      [0, 'wasm0'],
      [1, 'wasm1'],
      [2, 'wasm0'],
    ]);
    expect(entries(0)).toEqual([
      ['fact', 'HOST'],
      ['fact', 'fact'],
    ]);
    expect(entries(1)).toEqual([
      ['go', 'HOST'],
      ['twice', 'go'],
    ]);
    expect(entries(2)).toEqual([['fib', 'HOST']]);
  });

  it('traces a start function (the instance is registered before instantiation)', async () => {
    const printed: number[] = [];
    const plain = new O.Instance(new O.Module(START), { env: { print: (n: number) => printed.push(n) } });
    for (const load of [
      (imports: WebAssembly.Imports) => Promise.resolve(new WebAssembly.Instance(new WebAssembly.Module(START), imports)),
      async (imports: WebAssembly.Imports) => (await WebAssembly.instantiate(START, imports)).instance,
    ]) {
      const { entries } = setup();
      const instance = await load({ env: { print: (n: number) => printed.push(n) } });
      expect(call(instance, 'get_counter')).toBe(call(plain, 'get_counter'));
      expect(entries(0)).toEqual([
        ['init', 'HOST'],
        ['store', 'init'],
        ['bump', 'store'],
        ['square', 'init'],
        ['store', 'init'],
        ['bump', 'store'],
        ['bump', 'init'],
        ['get_counter', 'HOST'],
      ]);
      current!.uninstall();
    }
    expect(printed).toEqual([2, 2, 2]);
  });

  it('function_graph: modules get exit hooks', async () => {
    const { tr } = setup({ tracer: 'function_graph' }, { exitHooks: true });
    const { instance } = await WebAssembly.instantiate(RECURSION);
    call(instance, 'fact', 3);
    const kinds = tr.read().events.map((e: TraceEvent) => (e.type === EVENT_ENTRY ? `>${e.depth}` : e.type === EVENT_EXIT ? `<${e.depth}` : '?'));
    expect(kinds).toEqual(['>0', '>1', '>2', '<2', '<1', '<0']);
  });

  it('an invalid module fails as it did before, reported and untraced', async () => {
    const bad = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60]); // truncated type section
    const before = await Promise.all([
      captureSync(() => new O.Module(bad)),
      O.instantiate(bad).catch((e: unknown) => e),
      O.compile(bad).catch((e: unknown) => e),
      O.compileStreaming(new Response(bad, { headers: WASM_TYPE })).catch((e: unknown) => e),
    ]);
    const { ic, errors } = setup();
    const after = await Promise.all([
      captureSync(() => new WebAssembly.Module(bad)),
      WebAssembly.instantiate(bad).catch((e: unknown) => e),
      WebAssembly.compile(bad).catch((e: unknown) => e),
      WebAssembly.compileStreaming(new Response(bad, { headers: WASM_TYPE })).catch((e: unknown) => e),
    ]);
    for (let i = 0; i < before.length; i++) {
      expect(before[i]).toBeInstanceOf(WebAssembly.CompileError);
      expect(after[i]).toBeInstanceOf(WebAssembly.CompileError);
    }
    expect((after[0] as Error).message).toBe((before[0] as Error).message);
    expect(ic.modules).toHaveLength(1); // instrumented (and failed) once
    expect(ic.modules[0]).toMatchObject({ status: 'failed', loads: 4, instances: [] });
    expect(errors).toHaveLength(1);
  });

  it.runIf(!WebAssembly.validate(fixture('multi-memory.wasm')))('bytes binaryen instruments but this engine rejects: the original error, untraced', async () => {
    const bytes = fixture('multi-memory.wasm'); // Node 20 has no multi-memory
    const before = captureSync(() => new O.Module(bytes)) as Error;
    const beforeAsync = (await O.compile(bytes).catch((e: unknown) => e)) as Error;
    const { ic, errors } = setup();
    const after = captureSync(() => new WebAssembly.Module(bytes)) as Error;
    const afterAsync = (await WebAssembly.compile(bytes).catch((e: unknown) => e)) as Error;
    expect(after).toBeInstanceOf(WebAssembly.CompileError);
    expect(after.message).toBe(before.message);
    expect(afterAsync.message).toBe(beforeAsync.message);
    expect(ic.modules).toEqual([expect.objectContaining({ status: 'failed', reason: expect.stringMatching(/^the engine rejected the instrumented module/), loads: 2 })]);
    expect(errors).toHaveLength(1);
  });

  it('wrong arguments and link errors keep their error types', async () => {
    setup();
    const module = new WebAssembly.Module(IMPORTS_WAT);
    const plainModule = new O.Module(IMPORTS_WAT);
    const cases: [string, unknown][] = [
      ['no import object', undefined],
      ['no env', {}],
      ['env not an object', { env: 5 }],
      ['import object not an object', 7],
      ['missing function', { env: { base: 1 } }],
      ['wrong global type', { env: { add: () => 0, base: 'x' } }],
    ];
    for (const [label, imports] of cases) {
      const before = captureSync(() => new O.Instance(plainModule, imports as WebAssembly.Imports));
      const after = captureSync(() => new WebAssembly.Instance(module, imports as WebAssembly.Imports));
      expect((after as Error).constructor, label).toBe((before as Error).constructor);
      const asyncAfter = await WebAssembly.instantiate(module, imports as WebAssembly.Imports).catch((e: unknown) => e);
      expect((asyncAfter as Error).constructor, label).toBe((before as Error).constructor);
      const bytesAfter = await WebAssembly.instantiate(IMPORTS_WAT, imports as WebAssembly.Imports).catch((e: unknown) => e);
      expect((bytesAfter as Error).constructor, label).toBe((before as Error).constructor);
    }
    expect(captureSync(() => (WebAssembly.Module as unknown as Fn)(RECURSION as never))).toBeInstanceOf(TypeError);
    expect(captureSync(() => new WebAssembly.Module('nope' as never))).toBeInstanceOf(TypeError);
    expect(await WebAssembly.compile('nope' as never).catch((e: unknown) => e)).toBeInstanceOf(TypeError);
  });

  it('streaming: a response the engine refuses is refused with its own error', async () => {
    setup();
    for (const init of [{ headers: { 'content-type': 'text/plain' } }, { status: 404, headers: WASM_TYPE }, { headers: { 'content-type': 'application/wasm; x=1' } }]) {
      const before = await O.instantiateStreaming(new Response(RECURSION, init)).then(
        () => 'ok',
        (e: Error) => e.message,
      );
      const after = await WebAssembly.instantiateStreaming(new Response(RECURSION, init)).then(
        () => 'ok',
        (e: Error) => e.message,
      );
      expect(after).toBe(before);
    }
    expect(await WebAssembly.compileStreaming(Promise.reject(new Error('offline'))).catch((e: Error) => e.message)).toBe('offline');
  });

  it('instanceof, constructor and subclassing work for wrapped and unwrapped objects', async () => {
    const early = new O.Module(RECURSION);
    const { tr } = setup();
    const wrapped = new WebAssembly.Module(RECURSION);
    expect(wrapped).toBeInstanceOf(WebAssembly.Module);
    expect(early).toBeInstanceOf(WebAssembly.Module);
    expect(wrapped).toBeInstanceOf(O.Module);
    expect(wrapped.constructor).toBe(WebAssembly.Module);
    class MyModule extends WebAssembly.Module {
      tag = 'mine';
    }
    const mine = new MyModule(RECURSION);
    expect(mine).toBeInstanceOf(MyModule);
    expect(mine.tag).toBe('mine');
    expect(call(new WebAssembly.Instance(mine), 'fib', 5)).toBe(5);
    // a module compiled before install is left alone (untraced)
    expect(call(new WebAssembly.Instance(early), 'fib', 5)).toBe(5);
    expect(tr.instances).toHaveLength(1);
    expect(WebAssembly.validate(RECURSION)).toBe(true);
    expect(WebAssembly.validate).toBe(O.validate);
  });

  it('already instrumented bytes: left to a program that supplies ftrace, traced otherwise', async () => {
    const { binary } = instrument(RECURSION);
    const { ic, tr } = setup();
    let own = 0;
    const self = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), { ftrace: { mcount: () => own++ } });
    call(self, 'fib', 2);
    expect(own).toBe(3);
    expect(tr.instances).toHaveLength(0);
    const shipped = (await WebAssembly.instantiate(binary as Uint8Array<ArrayBuffer>)).instance;
    call(shipped, 'fib', 2);
    expect(ic.modules[0]).toMatchObject({ status: 'preinstrumented' });
    expect(tr.read().events.filter((e) => e.type === EVENT_ENTRY)).toHaveLength(3);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>)).map((d) => d.module)).toContain('ftrace');
  });

  it('--only globs that match nothing in a module leave that module untraced, quietly', async () => {
    const { ic, errors, entries } = setup({}, { instrument: { only: ['fact*'], notrace: ['nosuch'] } });
    const r = (await WebAssembly.instantiate(RECURSION)).instance;
    const other = (await WebAssembly.instantiate(IMPORTS_WAT, { env: { add: (a: number, b: number) => a + b, base: 0 } })).instance;
    call(r, 'fact', 2);
    call(r, 'fib', 2);
    expect(call(other, 'go', 1)).toBe(2);
    expect(ic.modules.map((m) => m.status)).toEqual(['traced', 'skipped']);
    expect(entries(0)).toEqual([
      ['fact', 'HOST'],
      ['fact', 'fact'],
    ]);
    expect(errors).toEqual([]);
  });

  it('drops a glob that matches nothing in a module by the error\'s fields, whatever the glob\'s text', async () => {
    // (a glob with a line break once defeated the message-matching regex: the module failed, untraced)
    const { ic, errors } = setup({}, { instrument: { notrace: ['no\nsuch', "it's"] } });
    const r = (await WebAssembly.instantiate(RECURSION)).instance;
    expect(call(r, 'fib', 2)).toBe(1);
    expect(ic.modules.map((m) => m.status)).toEqual(['traced']);
    expect(errors).toEqual([]);
  });

  it('without a pass, traces modules instrumented beforehand and leaves the others untraced, saying why', async () => {
    const { ic, errors } = setup({}, { pass: undefined });
    const shipped = instrument(RECURSION).binary as Uint8Array<ArrayBuffer>;
    const plain = (await WebAssembly.instantiate(IMPORTS_WAT, { env: { add: (a: number, b: number) => a + b, base: 0 } })).instance;
    const traced = (await WebAssembly.instantiate(shipped)).instance;
    expect(call(plain, 'go', 1)).toBe(2);
    expect(call(traced, 'fib', 2)).toBe(1);
    expect(ic.modules.map((m) => m.status)).toEqual(['failed', 'preinstrumented']);
    expect(errors.map((e) => (e.error as Error).message)).toEqual([expect.stringMatching(/^it is not instrumented/)]);
    expect(ic.modules[1]!.instances).toHaveLength(1);
  });

  it('a compile still in flight at uninstall gives a module the original functions can instantiate', async () => {
    setup();
    const pending = WebAssembly.compile(RECURSION);
    current!.uninstall();
    const module = await pending;
    expect(O.customSections(module, 'wasm-ftrace')).toHaveLength(0);
    expect(call(new WebAssembly.Instance(module), 'fib', 6)).toBe(8);
  });

  it('uninstall restores the originals; a second install while one is active is refused', () => {
    const tr = new TraceArray();
    const ic = installInterceptor(tr, { exitHooks: false, pass: instrument });
    expect(() => installInterceptor(tr, { exitHooks: false, pass: instrument })).toThrow(/already installed/);
    expect(WebAssembly.Module).not.toBe(O.Module);
    ic.uninstall();
    expect(ic.installed).toBe(false);
    for (const [k, v] of Object.entries(O)) {
      const got = k === 'imports' || k === 'exports' || k === 'customSections' ? WebAssembly.Module[k] : WebAssembly[k as keyof typeof WebAssembly];
      expect(got, k).toBe(v);
    }
    expect(WebAssembly.Module.prototype.constructor).toBe(O.Module);
    expect(WebAssembly.Instance.prototype.constructor).toBe(O.Instance);
    expect(tr.instances).toHaveLength(0);
    new WebAssembly.Instance(new WebAssembly.Module(RECURSION));
    expect(tr.instances).toHaveLength(0);
  });
});

// ---------------------------------------------------------------- an Emscripten package: sql.js

const require = createRequire(import.meta.url);
const SQL_JS = require.resolve('sql.js');

describe('wasm-to-wasm imports', () => {
  const LIB = wat(`(module
    (func (export "lane0") (param v128) (result i32) (i32x4.extract_lane 0 (local.get 0))))`);
  const APP = wat(`(module
    (import "lib" "lane0" (func $lane0 (param v128) (result i32)))
    (func (export "run") (result i32) (call $lane0 (v128.const i32x4 7 8 9 10))))`);

  it('an import with a v128 parameter from another instance works traced, unwrapped', async () => {
    // (wrapped in a JS closure it threw "type incompatibility when transforming from/to JS")
    const { ic, errors, entries } = setup();
    const lib = (await WebAssembly.instantiate(LIB)).instance;
    const app = (await WebAssembly.instantiate(APP, { lib: { lane0: lib.exports['lane0'] } })).instance;
    expect((app.exports['run'] as () => number)()).toBe(7);
    expect(ic.modules.map((m) => m.status)).toEqual(['traced', 'traced']);
    expect(entries(1)).toEqual([['run', 'HOST']]);
    expect(entries(0)).toEqual([['lane0', 'HOST']]);
    expect(errors).toEqual([]);
  });

  it('an untraced instance\'s export is passed through too', async () => {
    const { ic } = setup({}, { instrument: { only: ['run'] } });
    const lib = (await WebAssembly.instantiate(LIB)).instance;
    const app = (await WebAssembly.instantiate(APP, { lib: { lane0: lib.exports['lane0'] } })).instance;
    expect(ic.modules.map((m) => m.status)).toEqual(['skipped', 'traced']);
    expect((app.exports['run'] as () => number)()).toBe(7);
  });

  // B exports a table and f (which calls through it) and k; A imports f and k
  // from B, and B's table holds A's g: A.h -> B.f -> A.g -> B.k, each call from
  // one instance's wasm straight into the other's, imports and table alike.
  const B = wat(`(module
    (type $v (func))
    (table (export "t") 1 funcref)
    (func $k (export "k"))
    (func $f (export "f") (call_indirect (type $v) (i32.const 0))))`);
  const A = wat(`(module
    (import "b" "f" (func $f))
    (import "b" "k" (func $k))
    (func $g (export "g") (call $k))
    (func $h (export "h") (call $f)))`);

  it('function_graph keeps both instances\' stacks across wasm-to-wasm calls both ways', async () => {
    const { tr, errors } = setup({ tracer: 'function_graph' }, { exitHooks: true });
    const b = (await WebAssembly.instantiate(B)).instance;
    const a = (await WebAssembly.instantiate(A, { b: { f: b.exports['f'], k: b.exports['k'] } })).instance;
    (b.exports['t'] as WebAssembly.Table).set(0, a.exports['g'] as () => void);
    (a.exports['h'] as () => void)();
    (a.exports['h'] as () => void)();
    const data = tr.read();
    const calls = (instance: number): string[] =>
      data.events
        .filter((e) => e.instance === instance && (e.type === EVENT_ENTRY || e.type === EVENT_EXIT))
        .map((e) => `${e.type === EVENT_ENTRY ? '>' : '<'} ${data.instances[instance]!.names[e.ip]} ${e.depth}`);
    const once = { b: ['> f 0', '> k 1', '< k 1', '< f 0'], a: ['> h 0', '> g 1', '< g 1', '< h 0'] };
    expect(calls(0)).toEqual([...once.b, ...once.b]);
    expect(calls(1)).toEqual([...once.a, ...once.a]);
    expect(tr.stats).toMatchObject({ unwoundFrames: 0, strayExits: 0 });
    expect(errors).toEqual([]);
  });

  it('a trap still unwinds the stack of an instance that has wasm importers', async () => {
    const { tr } = setup({ tracer: 'function_graph' }, { exitHooks: true });
    const b = (await WebAssembly.instantiate(B)).instance;
    const a = (await WebAssembly.instantiate(A, { b: { f: b.exports['f'], k: b.exports['k'] } })).instance;
    // the table slot is empty: A.h -> B.f traps in call_indirect, the frames of h and f stay open
    expect(() => (a.exports['h'] as () => void)()).toThrow(WebAssembly.RuntimeError);
    (b.exports['t'] as WebAssembly.Table).set(0, a.exports['g'] as () => void);
    (a.exports['h'] as () => void)();
    const data = tr.read();
    const entries = data.events.filter((e) => e.type === EVENT_ENTRY && e.instance === 1).map((e) => `${data.instances[1]!.names[e.ip]} ${e.depth}`);
    // A is entered from JS after the trap: its dead h is unwound, not taken for a caller
    expect(entries).toEqual(['h 0', 'h 0', 'g 1']);
    expect(tr.stats.unwoundFrames).toBeGreaterThan(0);
  });
});

describe('sql.js (Emscripten) through the interceptor', () => {
  it('creates a database, runs queries and a JS function; its module is traced', async () => {
    const { tr, ic, errors } = setup();
    const initSqlJs = require('sql.js') as (config?: object) => Promise<{ Database: new () => SqlDatabase }>;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run('create table t (a integer, b text)');
    db.run("insert into t values (1, 'one'), (2, 'two'), (3, 'three')");
    // create_function makes Emscripten build a tiny module with new WebAssembly.Module + Instance
    db.create_function('twice', (x: number) => x * 2);
    expect(db.exec('select a, twice(a), b from t where a >= 2 order by a')).toEqual([
      {
        columns: ['a', 'twice(a)', 'b'],
        values: [
          [2, 4, 'two'],
          [3, 6, 'three'],
        ],
      },
    ]);
    db.close();
    expect(errors).toEqual([]);
    const wasm = readFileSync(path.join(path.dirname(SQL_JS), 'sql-wasm.wasm'));
    const main = ic.modules.find((m) => m.size === wasm.length)!;
    expect(main).toMatchObject({ status: 'traced', hash: createHash('sha256').update(wasm).digest('hex'), loads: 1 });
    expect(main.instances).toHaveLength(1);
    expect(ic.modules.length).toBeGreaterThanOrEqual(2); // the create_function thunk module
    const id = main.instances[0]!.id;
    const data = tr.read();
    const events = data.events.filter((e) => e.type === EVENT_ENTRY && e.instance === id);
    expect(events.length).toBeGreaterThan(1000);
    // no name section: export names (minified by Emscripten) and func[N]
    const names = data.instances[id]!.names;
    expect(names.some((n) => /^func\[\d+\]$/.test(n))).toBe(true);
    expect(new Set(events.map((e) => names[e.ip])).size).toBeGreaterThan(50);
  });
});

interface SqlDatabase {
  run(sql: string): void;
  exec(sql: string): { columns: string[]; values: unknown[][] }[];
  create_function(name: string, fn: (...a: number[]) => number): void;
  close(): void;
}

// ---------------------------------------------------------------- end to end: node --import

const PRELOAD = path.resolve('dist/runtime/node-preload.js');

describe('node --import dist/runtime/node-preload.js', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(PRELOAD)) throw new Error(`${PRELOAD} is missing: build first (npx tsc -p .)`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-intercept-'));
    writeFileSync(
      path.join(dir, 'script.mjs'),
      `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(pathToFileURL(path.resolve('package.json')).href)});
const initSqlJs = require('sql.js');
const SQL = await initSqlJs();
const db = new SQL.Database();
db.run('create table t (a integer, b text)');
db.run("insert into t values (1, 'one'), (2, 'two')");
console.log(JSON.stringify(db.exec('select b, a * 10 from t order by a desc')));
// traced, the program sees the configuration marked as its own (parent: its pid), for its Workers and children
console.log(JSON.stringify(process.argv.slice(2)), process.env.WASM_FTRACE_CONFIG === undefined || JSON.parse(process.env.WASM_FTRACE_CONFIG).parent === process.pid);
console.error('a line on stderr');
if (process.argv[2] === 'exit3') process.exit(3);
if (process.argv[2] === 'throw') throw new Error('thrown on purpose');
if (process.argv[2] === 'wait') setInterval(() => {}, 1000);
`,
    );
  });

  interface Run {
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }
  function node(args: string[], env: Record<string, string> = {}, kill?: NodeJS.Signals): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(process.execPath, args, { cwd: dir, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
        resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr });
      });
      if (kill) child.stdout!.on('data', () => setTimeout(() => child.kill(kill), 50));
    });
  }
  const ours = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('wasm-ftrace:'));
  const theirs = (stderr: string): string => stderr.split('\n').filter((l) => !l.startsWith('wasm-ftrace:')).join('\n');

  /** The recorded data file, read back. */
  async function readTrace(file: string, command: string[]): Promise<void> {
    expect(statSync(file).size).toBeGreaterThan(0);
    const sqlWasm = readFileSync(path.join(path.dirname(SQL_JS), 'sql-wasm.wasm'));
    const data = readDataFile(file);
    expect(data.complete).toBe(true);
    expect(data.header.command?.slice(1)).toEqual(command);
    // named by the npm package whose glue compiled it (the bytes carry no name)
    expect(data.instances.map((i) => [i.name, i.moduleHash])).toEqual([['sql.js', createHash('sha256').update(sqlWasm).digest('hex')]]);
    expect(data.eventCount).toBeGreaterThan(1000);
  }

  for (const arg of ['', 'exit3', 'throw']) {
    it(`passes the program's stdout, stderr and exit code through (${arg || 'normal exit'}), and writes the trace`, async () => {
      const output = path.join(dir, `trace-${arg || 'normal'}.out`);
      const args = ['script.mjs', ...(arg ? [arg] : [])];
      const plain = await node(args);
      const traced = await node(['--import', pathToFileURL(PRELOAD).href, ...args], { WASM_FTRACE_CONFIG: JSON.stringify({ output, tracer: 'function' }) });
      expect(plain.code).toBe(arg === 'exit3' ? 3 : arg === 'throw' ? 1 : 0);
      expect(plain.stdout).toContain('[{"columns":["b","a * 10"],"values":[["two",20],["one",10]]}]');
      expect(traced.code).toBe(plain.code);
      expect(traced.stdout).toBe(plain.stdout);
      expect(theirs(traced.stderr)).toBe(theirs(plain.stderr));
      expect(ours(traced.stderr)).toEqual([expect.stringMatching(/^wasm-ftrace: 1 module traced \(1 instance\), \d+ events, written to /)]);
      await readTrace(output, args.map((a) => (a === 'script.mjs' ? path.join(dir, a) : a)));
    });
  }

  it('writes the trace when the program is killed by SIGTERM, and dies of it', async () => {
    const output = path.join(dir, 'trace-signal.out');
    const r = await node(['--import', pathToFileURL(PRELOAD).href, 'script.mjs', 'wait'], { WASM_FTRACE_CONFIG: JSON.stringify({ output, quiet: true }) }, 'SIGTERM');
    expect(r.signal).toBe('SIGTERM');
    expect(ours(r.stderr)).toEqual([]);
    await readTrace(output, [path.join(dir, 'script.mjs'), 'wait']);
  });

  it('refuses a bad configuration before the program runs', async () => {
    const r = await node(['--import', pathToFileURL(PRELOAD).href, 'script.mjs'], { WASM_FTRACE_CONFIG: JSON.stringify({ tracer: 'function' }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("wasm-ftrace: cannot start tracing: WASM_FTRACE_CONFIG: 'output' (the trace file to write) is missing\n");
  });
});

function captureSync(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    return e;
  }
}
