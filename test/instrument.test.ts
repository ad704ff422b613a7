import { describe, expect, it } from 'vitest';
import { instrument, InstrumentError, readModuleMetadata, isStaticData, METADATA_SECTION } from '../src/index.js';
import { findCustomSection, readSections } from '../src/abi/index.js';
import { parseNameSection } from '../src/instrument/wasm-binary.js';
import { declaredLocals, GROWTH_SLACK } from '../src/instrument/locals.js';
import { traced, wat } from './helpers/wat.js';

const CALLS = `(module
  (import "env" "cb" (func $cb (param i32) (result i32)))
  (import "env" "tick" (func (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "0123456789")
  (data (i32.const 4096) "abc")
  (global $__data_end i32 (i32.const 5000))
  (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "api_call") (param i32) (result i32) (call $leaf (call $cb (local.get 0))))
  (func (param i32) (result i32) (call $leaf (local.get 0)))
  (func $again (export "again") (param i32) (result i32) (call $leaf (local.get 0)))
)`;

/** The InstrumentError `fn` throws, as its structured fields. */
function errorOf(fn: () => unknown): { kind: string; option?: string; pattern?: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InstrumentError);
    const { kind, option, pattern } = e as InstrumentError;
    return { kind, ...(option ? { option } : {}), ...(pattern !== undefined ? { pattern } : {}) };
  }
  throw new Error('did not throw');
}

function outputFunctionNames(binary: Uint8Array): Map<number, string> {
  const sections = readSections(binary);
  return parseNameSection(binary, findCustomSection(sections, 'name')!).functionNames;
}

describe('instrument: indices, names and metadata', () => {
  const input = wat(CALLS, { names: false });
  const r = instrument(input);

  it('numbers functions as the input does, imports first', () => {
    expect(r.metadata.functionCount).toBe(6);
    expect(r.metadata.importCount).toBe(2);
    expect(r.stats).toMatchObject({ functions: 6, imports: 2, instrumented: 4, skipped: 0 });
    expect(r.metadata.traced).toEqual([2, 3, 4, 5]);
  });

  it('gives unnamed functions their export name, module.field, or func[N]', () => {
    expect(r.metadata.names).toEqual(['env.cb', 'env.tick', 'func[2]', 'api_call', 'func[4]', 'again']);
  });

  it('writes every name into the output name section at the output indices', () => {
    const names = outputFunctionNames(r.binary);
    // the pass's import follows the input's imports; defined functions shift by one
    expect([...names.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 'env.cb'], [1, 'env.tick'], [2, 'ftrace.mcount'], [3, 'func[2]'], [4, 'api_call'], [5, 'func[4]'], [6, 'again'],
    ]);
  });

  it('keeps explicit names from the input name section', () => {
    const named = instrument(wat(CALLS, { names: true }));
    expect(named.metadata.names).toEqual(['cb', 'env.tick', 'leaf', 'api_call', 'func[4]', 'again']);
    expect(outputFunctionNames(named.binary).get(3)).toBe('leaf');
  });

  it('records static data bounds, extended to __data_end', () => {
    // wabt does not write global names without debug names, so only the segments count here
    expect(r.metadata.data).toEqual({ start: 1024, end: 4099 });
    const named = instrument(wat(CALLS, { names: true }));
    expect(named.metadata.data).toEqual({ start: 1024, end: 5000 });
    expect(isStaticData(named.metadata, 1024)).toBe(true);
    expect(isStaticData(named.metadata, 4999)).toBe(true);
    expect(isStaticData(named.metadata, 5000)).toBe(false);
    expect(isStaticData(named.metadata, 1023)).toBe(false);
  });

  it('has no static data bounds when there are no active segments', () => {
    const none = instrument(wat('(module (memory 1) (data "passive") (func (export "f")))'));
    expect(none.metadata.data).toBeNull();
  });

  it('stores the metadata in a custom section the host can read from a compiled module', () => {
    const module = new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.customSections(module, METADATA_SECTION)).toHaveLength(1);
    expect(readModuleMetadata(module)).toEqual(r.metadata);
  });

  it('imports only ftrace.mcount and exports one function, no global a loader could trip on', () => {
    const module = new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.imports(module)).toEqual([
      { module: 'env', name: 'cb', kind: 'function' },
      { module: 'env', name: 'tick', kind: 'function' },
      { module: 'ftrace', name: 'mcount', kind: 'function' },
    ]);
    const exports = WebAssembly.Module.exports(module).map((e) => e.name);
    expect(exports).toEqual(['memory', 'api_call', 'again', '__ftrace_control']);
    expect(WebAssembly.Module.exports(module).filter((e) => e.kind === 'global')).toEqual([]);
  });
});

describe('instrument: parent_ip', () => {
  const input = wat(CALLS);
  const r = instrument(input);

  it('reports HOST for calls from JS, even when JS was called by the module', () => {
    let inst: WebAssembly.Instance;
    const { instance, events } = traced(r.binary, r.metadata.names, {
      env: { cb: (x: number) => (inst.exports['again'] as (x: number) => number)(x) * 10, tick: () => {} },
    });
    inst = instance;
    expect((instance.exports['api_call'] as (x: number) => number)(4)).toBe(51);
    expect(events).toEqual([
      ['api_call', 'HOST'],
      ['again', 'HOST'], // re-entered from JS inside env.cb
      ['leaf', 'again'],
      ['leaf', 'api_call'],
    ]);
  });

  it('guards start set: clearing a guard bit silences that function only', () => {
    const { instance, events } = traced(r.binary, r.metadata.names, { env: { cb: (x: number) => x, tick: () => {} } });
    const control = instance.exports['__ftrace_control'] as (index: number, value: number) => void;
    control(0, 0b111100 & ~(1 << 2)); // guard word 0 (every traced function's bit set) without leaf, ip 2
    (instance.exports['api_call'] as (x: number) => number)(1);
    expect(events).toEqual([['api_call', 'HOST']]);
  });

  it('reports the calling function for a traced callee of an untraced caller', () => {
    const only = instrument(input, { only: ['leaf'] });
    expect(only.metadata.traced).toEqual([2]);
    const { instance, events } = traced(only.binary, only.metadata.names, { env: { cb: (x: number) => x, tick: () => {} } });
    (instance.exports['again'] as (x: number) => number)(1);
    expect(events).toEqual([['leaf', 'again']]);
  });
});

describe('instrument: options and errors', () => {
  const input = wat(CALLS);

  it('--notrace and --only take ftrace globs', () => {
    expect(instrument(input, { notrace: ['*a*'] }).metadata.traced).toEqual([4]); // leaf, api_call, again contain 'a';
    expect(instrument(input, { only: ['a*'] }).metadata.traced).toEqual([3, 5]);
    expect(instrument(input, { only: ['a*'], notrace: ['again'] }).metadata.traced).toEqual([3]);
  });

  it('rejects a glob that matches nothing, naming it', () => {
    expect(() => instrument(input, { only: ['nothing*'] })).toThrow("--only 'nothing*' matches no function in the module");
    expect(errorOf(() => instrument(input, { only: ['nothing*'] }))).toMatchObject({ kind: 'no-match', option: '--only', pattern: 'nothing*' });
    expect(errorOf(() => instrument(input, { notrace: ['[z'] }))).toMatchObject({ kind: 'no-match', option: '--notrace', pattern: '[z' });
    expect(() => instrument(input, { notrace: ['cb'] })).toThrow(/--notrace 'cb' matches no function/);
  });

  it('rejects bytes that are not wasm, truncated modules and invalid ones in one line', () => {
    expect(() => instrument(new TextEncoder().encode('hello world'))).toThrow(/^not a WebAssembly module/);
    expect(() => instrument(input.slice(0, input.length - 7))).toThrow(/^truncated module/);
    expect(() => instrument(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]))).toThrow(/version 2/);
    expect(errorOf(() => instrument(new TextEncoder().encode('hello world')))).toEqual({ kind: 'not-wasm' });
    expect(errorOf(() => instrument(input.slice(0, input.length - 7)))).toEqual({ kind: 'truncated' });
    expect(errorOf(() => instrument(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])))).toEqual({ kind: 'unsupported' });
    const bad = wat('(module (func (export "f") (result i32) (i32.const 1)))');
    const i = bad.indexOf(0x41); // i32.const -> f32.const with 4 bytes it does not have
    const corrupt = bad.slice();
    corrupt[i] = 0x43;
    const err = (() => { try { instrument(corrupt); } catch (e) { return e as Error; } })();
    expect(err).toBeInstanceOf(InstrumentError);
    expect(err!.message).toMatch(/^invalid module: /);
    expect(err!.message).not.toContain('\n');
    expect(errorOf(() => instrument(corrupt))).toEqual({ kind: 'invalid' });
  });

  it('refuses a module the engine rejects even where binaryen reads past the error', () => {
    // (func (unreachable) (drop (i64.eqz (i32.const 0)))): invalid, but binaryen drops the unreachable code
    const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    const types = [1, 4, 1, 0x60, 0, 0];
    const funcs = [3, 2, 1, 0];
    const code = [10, 9, 1, 7, 0, 0x00, 0x41, 0, 0x50, 0x1a, 0x0b];
    const bytes = new Uint8Array([...header, ...types, ...funcs, ...code]);
    expect(WebAssembly.validate(bytes)).toBe(false);
    expect(() => instrument(bytes)).toThrow(/^invalid module: /);
    expect(errorOf(() => instrument(bytes))).toEqual({ kind: 'invalid' });
  });

  it('refuses to instrument twice', () => {
    const once = instrument(input).binary;
    expect(() => instrument(once)).toThrow(/already instrumented/);
    expect(errorOf(() => instrument(once))).toEqual({ kind: 'already-instrumented' });
  });
});

describe('instrument: locals', () => {
  // Go's pattern: a call's result stays on the stack while the stack pointer is
  // reloaded, then returns. binaryen reads each such site into a scratch local
  // of its own; V8 pays for every local (esbuild: 4 -> 2,331 in one function,
  // 1 GB of compiler memory). The pass coalesces them back.
  const site = (k: number): string => `local.get 0 i32.const ${k} i32.eq if i32.const ${k} call $g global.get $sp local.set 1 return end`;
  const source = `(module
    (global $sp (mut i32) (i32.const 0))
    (func $g (param i32) (result i32) local.get 0)
    (func $go (export "go") (param i32) (result i32) (local i32)
      ${Array.from({ length: 40 }, (_, k) => site(k)).join('\n      ')}
      i32.const -1))`;

  it('a function keeps about the locals it declared, and behaves the same', () => {
    const input = wat(source);
    const { binary } = instrument(input);
    const sections = readSections(binary);
    expect(declaredLocals(input, readSections(input))).toEqual([0, 1]);
    // $go declared 1; the pass adds a few of its own (caller token, scratch), never one per call site
    const [, go] = declaredLocals(binary, sections);
    expect(go).toBeLessThanOrEqual(1 + GROWTH_SLACK);
    const run = (bytes: Uint8Array, x: number): number => {
      const m = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
      const imports = WebAssembly.Module.imports(m).length ? { ftrace: { mcount: () => {} } } : {};
      return (new WebAssembly.Instance(m, imports).exports['go'] as (x: number) => number)(x);
    };
    for (const x of [0, 7, 39, 40]) expect(run(binary, x)).toBe(run(input, x));
  });
});
