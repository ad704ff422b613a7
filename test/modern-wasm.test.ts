/**
 * Wasm 3.0 features that Node 20's engine cannot run and Node 22+ can:
 * multiple memories, memory64, table64, typed function references, GC and
 * exnref (try_table/throw_ref).
 * Each module is written in WAT, assembled by binaryen's own text parser
 * (wabt lacks several of these), and run as it is and instrumented on the
 * same engine: same results, an entry for every call, exact parents where the
 * pass can see the call site. On an engine that rejects the module the test
 * is skipped, so Node 20 skips them and `npm run test:matrix` runs them.
 */
import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { HOST_IP, instrument } from '../src/index.js';
import { FRAME_RECORDED, ShadowStack } from '../src/tracers/shadow-stack.js';

function assemble(text: string): Uint8Array<ArrayBuffer> {
  const mod = binaryen.parseText(text);
  try {
    mod.setFeatures(binaryen.Features.All & ~(binaryen.Features as unknown as Record<string, number>)['CompactImports']! & ~(1 << 21));
    if (!mod.validate()) throw new Error(`invalid test module: ${text.slice(0, 80).replace(/\s+/g, " ")}`);
    binaryen.setDebugInfo(true);
    return mod.emitBinary() as Uint8Array<ArrayBuffer>;
  } finally {
    binaryen.setDebugInfo(false);
    mod.dispose();
  }
}

interface Case {
  name: string;
  wat: string;
  run: (exports: WebAssembly.Exports) => unknown;
  expected: unknown;
  /** [callee, caller] pairs the trace must contain */
  calls: [string, string][];
}

const CASES: Case[] = [
  {
    name: 'multiple memories',
    wat: `(module
      (memory $a 1) (memory $b 1)
      (func $put (param i32 i32) (i32.store $b (local.get 0) (local.get 1)))
      (func $get (param i32) (result i32) (i32.load $b (local.get 0)))
      (func (export "main") (result i32)
        (i32.store $a (i32.const 8) (i32.const 5))
        (call $put (i32.const 8) (i32.const 37))
        (i32.add (call $get (i32.const 8)) (i32.load $a (i32.const 8)))))`,
    run: (e) => (e['main'] as () => number)(),
    expected: 42,
    calls: [['main', 'HOST'], ['put', 'main'], ['get', 'main']],
  },
  {
    name: 'memory64',
    wat: `(module
      (memory i64 1)
      (func $put (param i64 i64) (i64.store (local.get 0) (local.get 1)))
      (func (export "main") (result i64)
        (call $put (i64.const 65528) (i64.const 0x1_0000_0001))
        (i64.load (i64.const 65528))))`,
    run: (e) => (e['main'] as () => bigint)(),
    expected: 0x1_0000_0001n,
    calls: [['main', 'HOST'], ['put', 'main']],
  },
  {
    name: 'table64',
    wat: `(module
      (type $t (func (result i32)))
      (table $tab i64 2 funcref)
      (elem (table $tab) (i64.const 0) func $one $two)
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func (export "main") (result i32)
        (i32.add (call_indirect $tab (type $t) (i64.const 0)) (call_indirect $tab (type $t) (i64.const 1)))))`,
    run: (e) => (e['main'] as () => number)(),
    expected: 3,
    calls: [['main', 'HOST'], ['one', 'main'], ['two', 'main']],
  },
  {
    // $norm is reached only through a global, as a GC language's vtable holds its methods
    name: 'GC structs, arrays and call_ref through a global',
    wat: `(module
      (type $point (struct (field $x i32) (field $y i32)))
      (type $vec (array (mut i32)))
      (type $norm (func (param (ref $point)) (result i32)))
      (func $make (param i32 i32) (result (ref $point)) (struct.new $point (local.get 0) (local.get 1)))
      (func $norm (type $norm) (param $p (ref $point)) (result i32)
        (i32.add (i32.mul (struct.get $point $x (local.get $p)) (struct.get $point $x (local.get $p)))
                 (i32.mul (struct.get $point $y (local.get $p)) (struct.get $point $y (local.get $p)))))
      (global $vtable (ref $norm) (ref.func $norm))
      (func (export "main") (result i32)
        (local $v (ref $vec))
        (local.set $v (array.new $vec (i32.const 0) (i32.const 2)))
        (array.set $vec (local.get $v) (i32.const 1) (call_ref $norm (call $make (i32.const 3) (i32.const 4)) (global.get $vtable)))
        (array.get $vec (local.get $v) (i32.const 1))))`,
    run: (e) => (e['main'] as () => number)(),
    expected: 25,
    calls: [['main', 'HOST'], ['make', 'main'], ['norm', 'main']],
  },
  {
    // no struct or array anywhere: the typed references are only in a global, a table and a local
    // (binaryen writes them as plain funcref unless the output keeps GC, and call_ref no longer validates)
    name: 'typed function references outside any signature: call_ref through a global, a table and a local',
    wat: `(module
      (type $v (func (result i32)))
      (global $g (mut (ref null $v)) (ref.null $v))
      (table $t 1 (ref null $v))
      (elem declare func $seven)
      (func $seven (type $v) (i32.const 7))
      (func (export "main") (result i32)
        (local $l (ref null $v))
        (global.set $g (ref.func $seven))
        (table.set $t (i32.const 0) (ref.func $seven))
        (local.set $l (table.get $t (i32.const 0)))
        (i32.add (call_ref $v (global.get $g)) (call_ref $v (local.get $l)))))`,
    run: (e) => (e['main'] as () => number)(),
    expected: 14,
    calls: [['main', 'HOST'], ['seven', 'main']],
  },
  {
    name: 'exnref: try_table, catch_all_ref and throw_ref',
    wat: `(module
      (tag $e (param i32))
      (func $fail (param i32) (throw $e (local.get 0)))
      (func $rethrow (param exnref) (throw_ref (local.get 0)))
      (func $caught (result exnref)
        (block $h (result exnref)
          (try_table (catch_all_ref $h) (call $fail (i32.const 2)))
          (unreachable)))
      (func (export "main") (result i32)
        (i32.add
          (block $h (result i32)
            (try_table (catch $e $h) (call $fail (i32.const 40)))
            (i32.const 0))
          (block $h2 (result i32)
            (try_table (catch $e $h2) (call $rethrow (call $caught)))
            (i32.const 0)))))`,
    run: (e) => (e['main'] as () => number)(),
    expected: 42,
    // calls inside a try_table report HOST as their parent: binaryen.js 132 (its C API too) has no TryTable child accessors
    calls: [['main', 'HOST'], ['fail', 'HOST'], ['caught', 'HOST'], ['rethrow', 'HOST']],
  },
];

describe('modern wasm, as it is and instrumented', () => {
  for (const c of CASES) {
    const input = assemble(c.wat);
    const runs = WebAssembly.validate(input);
    it.skipIf(!runs)(`${c.name}: same results, every entry recorded`, () => {
      const plain = new WebAssembly.Instance(new WebAssembly.Module(input));
      expect(c.run(plain.exports)).toEqual(c.expected);
      for (const exitHooks of [false, true]) {
        const { binary, metadata } = instrument(input, { exitHooks });
        const events: [string, string][] = [];
        const names = metadata.names;
        const ftrace = { mcount: (ip: number, parent: number) => events.push([names[ip]!, parent === -1 ? 'HOST' : names[parent]!]), mcount_exit: () => {} };
        const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), { ftrace });
        expect(c.run(instance.exports)).toEqual(c.expected);
        for (const call of c.calls) expect(events, `${call[0]} <- ${call[1]}`).toContainEqual(call);
      }
    });
  }
});

describe('function_graph under calls the pass cannot see (try_table bodies report HOST)', () => {
  function stack(opaque: number[]): ShadowStack {
    const s = new ShadowStack();
    s.tracksHost = true;
    if (opaque.length) s.opaqueCallers = new Set(opaque);
    s.push(1, 0, FRAME_RECORDED); // main
    s.push(2, 0, FRAME_RECORDED); // f, called by main; an exception will unwind it
    return s;
  }

  it("nests a HOST entry under the innermost function with such calls, popping what was unwound above it", () => {
    const s = stack([1]);
    s.beforeEntry(HOST_IP);
    expect(s.depth).toBe(1);
    expect(s.unwound).toBe(1);
  });

  it('without such functions, a HOST entry still means the stack unwound to the host', () => {
    const s = stack([]);
    s.beforeEntry(HOST_IP);
    expect(s.depth).toBe(0);
    expect(s.unwound).toBe(2);
  });
});

