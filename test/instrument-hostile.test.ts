/**
 * Modules the pass once crashed or hung on: every construct binaryen reads
 * is instrumented, and every failure is one InstrumentError line, never a
 * C++ exception object printed as "[object Object]".
 */
import { describe, expect, it } from 'vitest';
import { instrument, InstrumentError } from '../src/index.js';
import wabtInit from 'wabt';
import { traced, wat } from './helpers/wat.js';

const wabt = await wabtInit();

describe('element segments in every encoding', () => {
  it("the issue's passive segment written with expressions", () => {
    const r = instrument(wat('(module (table 30 30 funcref) (elem funcref (ref.func 0)) (func (result i32) (i32.const 5)))'));
    expect(r.metadata.names).toEqual(['func[0]']);
    expect(WebAssembly.validate(r.binary)).toBe(true);
  });

  it('passive, declarative and active segments with expressions: traced, callers right', () => {
    const bytes = wat(`(module
      (type $v (func (result i32)))
      (table $t 4 funcref)
      (elem $p funcref (ref.func $f) (ref.null func))
      (elem declare funcref (ref.func $h))
      (elem (table $t) (i32.const 1) funcref (ref.func $h) (ref.null func) (ref.func $f))
      (func $f (result i32) (i32.const 5))
      (func $h (result i32) (i32.const 6))
      (func $run (export "run") (result i32)
        (table.init $t $p (i32.const 0) (i32.const 0) (i32.const 1))
        (i32.add (call_indirect (type $v) (i32.const 0))
          (i32.add (call_indirect (type $v) (i32.const 1)) (call_indirect (type $v) (i32.const 3))))))`);
    const r = instrument(bytes);
    const { instance, events } = traced(r.binary, r.metadata.names);
    expect((instance.exports['run'] as () => number)()).toBe(16);
    expect(events).toEqual([
      ['run', 'HOST'],
      ['f', 'run'],
      ['h', 'run'],
      ['f', 'run'],
    ]);
  });
});

describe('element segments: each of the 8 binary encodings (flags 0-7), byte for byte', () => {
  /** A section: id, size, contents (every size here fits one LEB byte). */
  const section = (id: number, ...bytes: number[]) => [id, bytes.length, ...bytes];
  const str = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const body = (...code: number[]) => [code.length + 2, 0x00 /* no locals */, ...code, 0x0b];
  const I32 = (n: number) => [0x41, n];
  const REF_FUNC = (f: number) => [0xd2, f, 0x0b];
  // f, g: () -> i32 returning 1 and 2; init() fills the tables from the passive segments;
  // call0(i), call1(i): call_indirect through table 0 / table 1; take(): ref.func f (declared)
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, 4, 0x60, 0, 1, 0x7f, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0, 0x60, 0, 1, 0x70),
    ...section(3, 6, 0, 0, 2, 1, 1, 3),
    ...section(4, 2, 0x70, 0x00, 8, 0x70, 0x00, 8),
    ...section(7, 4, ...str('init'), 0, 2, ...str('call0'), 0, 3, ...str('call1'), 0, 4, ...str('take'), 0, 5),
    ...section(9, 8,
      0x00, ...I32(0), 0x0b, 1, 0, //                           0: active, table 0, function indices: [f] at 0
      0x01, 0x00, 1, 1, //                                         1: passive, function indices: [g]
      0x02, 1, ...I32(0), 0x0b, 0x00, 1, 1, //                     2: active, table 1, function indices: [g] at 0
      0x03, 0x00, 1, 0, //                                         3: declarative, function indices: [f]
      0x04, ...I32(2), 0x0b, 1, ...REF_FUNC(1), //                 4: active, table 0, expressions: [g] at 2
      0x05, 0x70, 2, ...REF_FUNC(0), 0xd0, 0x70, 0x0b, //          5: passive, expressions: [f, null]
      0x06, 1, ...I32(3), 0x0b, 0x70, 1, ...REF_FUNC(0), //        6: active, table 1, expressions: [f] at 3
      0x07, 0x70, 1, ...REF_FUNC(1), //                            7: declarative, expressions: [g]
    ),
    ...section(10, 6,
      ...body(...I32(1)),
      ...body(...I32(2)),
      // table.init 1 -> table 0 at 1 (one element); table.init 5 -> table 1 at 1 (two)
      ...body(...I32(1), ...I32(0), ...I32(1), 0xfc, 12, 1, 0, ...I32(1), ...I32(0), ...I32(2), 0xfc, 12, 5, 1),
      ...body(0x20, 0, 0x11, 0, 0),
      ...body(0x20, 0, 0x11, 0, 1),
      ...body(0xd2, 0),
    ),
  ]);

  it('instruments them, and each segment fills its table as in the original: exact callers through both tables', () => {
    expect(WebAssembly.validate(bytes)).toBe(true);
    const r = instrument(bytes);
    const { instance, events } = traced(r.binary, r.metadata.names);
    const x = instance.exports as Record<string, (i?: number) => unknown>;
    x['init']!();
    // table 0: f (segment 0), g (1, by init), g (4); table 1: g (2), f and null (5, by init), f (6)
    expect([0, 1, 2].map((i) => x['call0']!(i))).toEqual([1, 2, 2]);
    expect([0, 1, 3].map((i) => x['call1']!(i))).toEqual([2, 1, 1]);
    expect(() => x['call1']!(2)).toThrow(WebAssembly.RuntimeError);
    expect(typeof x['take']!()).toBe('function');
    // the declarative segments stay declarative (binaryen gets them as passive ones: it misnumbers what follows one)
    const text = wabt.readWasm(r.binary, { readDebugNames: false }).toText({});
    expect(text.match(/^ *\(elem \(;\d+;\) declare /gm)).toHaveLength(2);
    expect(text.match(/^ *\(elem /gm)).toHaveLength(8);
    const [f, g] = [r.metadata.names[0]!, r.metadata.names[1]!];
    expect(events.filter(([, parent]) => parent !== 'HOST')).toEqual([
      [f, 'call0'],
      [g, 'call0'],
      [g, 'call0'],
      [g, 'call1'],
      [f, 'call1'],
      [f, 'call1'],
    ]);
  });
});

describe('calls inside other constructs', () => {
  it('atomics, memory.init/data.drop, segments at an imported global, select, br_table, local.tee, global.set, return_call_indirect: same results, exact callers', () => {
    const bytes = wat(`(module
      (import "env" "base" (global $base i32))
      (import "env" "mem" (memory 1 1))
      (type $v (func (result i32)))
      (table 8 funcref)
      (elem (global.get $base) $one $two)
      (data (global.get $base) "abc")
      (data $p "xyz")
      (global $g (mut i32) (i32.const 0))
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func $atom (export "atom") (result i32)
        (drop (i32.atomic.rmw.add (i32.const 0) (call $one)))
        (drop (memory.atomic.notify (i32.mul (call $two) (i32.const 4)) (i32.const 0)))
        (i32.atomic.load (i32.const 0)))
      (func $bulk (export "bulk") (result i32)
        (memory.init $p (call $one) (i32.const 0) (i32.const 3))
        (data.drop $p)
        (i32.load8_u (i32.const 1)))
      (func $ind (export "ind") (result i32)
        (i32.add (call_indirect (type $v) (global.get $base))
                 (call_indirect (type $v) (i32.add (global.get $base) (i32.const 1)))))
      (func $misc (export "misc") (result i32) (local $l i32)
        (global.set $g (call $two))
        (local.set $l (select (call $one) (call $two) (global.get $g)))
        (block $b (br_table $b $b (call $one)))
        (i32.add (local.tee $l (call $two)) (local.get $l)))
      (func $tail (export "tail") (result i32)
        (return_call_indirect (type $v) (global.get $base))))`);
    const run = (binary: Uint8Array, imports: WebAssembly.Imports = {}) => {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), { ...imports, env: { base: 3, mem: new WebAssembly.Memory({ initial: 1, maximum: 1 }) } });
      return ['atom', 'bulk', 'ind', 'misc', 'tail'].map((n) => (instance.exports[n] as () => number)());
    };
    const r = instrument(bytes);
    expect(r.warnings).toEqual([]);
    const events: string[] = [];
    const name = (ip: number) => (ip === -1 ? 'HOST' : r.metadata.names[ip]);
    expect(run(r.binary, { ftrace: { mcount: (ip: number, parent: number) => void events.push(`${name(ip)}<-${name(parent)}`) } })).toEqual(run(bytes));
    expect(events.join(' ')).toBe(
      'atom<-HOST one<-atom two<-atom bulk<-HOST one<-bulk ind<-HOST one<-ind two<-ind misc<-HOST two<-misc one<-misc two<-misc one<-misc two<-misc tail<-HOST one<-tail',
    );
  });
});

describe('binaryen failures', () => {
  it('a C++ exception from binaryen is one InstrumentError line naming what binaryen said', () => {
    const e = InstrumentError.fromBinaryen({ gC: 1234 }, ['', 'Fatal: elem segment is passive.']);
    expect(e).toBeInstanceOf(InstrumentError);
    expect(e.message).toBe('cannot instrument this module: binaryen failed: elem segment is passive.');
    expect(InstrumentError.fromBinaryen({ gC: 1 }, []).message).toBe('cannot instrument this module: binaryen failed: it threw an exception without a message');
  });
});

/** A module: header, then sections given as [id, payload bytes]. */
function moduleOf(...sections: [number, number[]][]): Uint8Array {
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n = Math.floor(n / 128);
      if (n !== 0) b |= 0x80;
      out.push(b);
    } while (n !== 0);
    return out;
  };
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (const [id, payload] of sections) out.push(id, ...leb(payload.length), ...payload);
  return new Uint8Array(out);
}

describe('forged counts are refused before binaryen sees them', () => {
  const refuse = (bytes: Uint8Array) => {
    try {
      instrument(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(InstrumentError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };
  it('a type section claiming 2^28 entries, a data section claiming 2^32 - 1', () => {
    expect(refuse(moduleOf([1, [0x80, 0x80, 0x80, 0x80, 0x01, 0x60, 0x00, 0x00]]))).toBe(
      'invalid module: the type section at byte 8 declares 268435456 entries, but only 3 bytes follow (byte 10)',
    );
    expect(refuse(moduleOf([11, [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]]))).toBe('invalid module: the data section at byte 8 declares 4294967295 entries, but only 1 bytes follow (byte 10)');
  });
  it('a code entry longer than its section, a function with 2^32 - 1 locals', () => {
    const type = [1, [1, 0x60, 0, 0]] as [number, number[]];
    const func = [3, [1, 0]] as [number, number[]];
    expect(refuse(moduleOf(type, func, [10, [1, 0x7f, 0x00, 0x0b]]))).toMatch(/^invalid module: code entry 0 at byte \d+ is 127 bytes long, but only 2 bytes follow$/);
    expect(refuse(moduleOf(type, func, [10, [1, 8, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b]]))).toMatch(/^invalid module: code entry 0 at byte \d+ declares more than 50000 locals$/);
  });
});

describe('a damaged name section', () => {
  const named = wat('(module (func $alpha (export "a") (call $beta)) (func $beta))');
  const at = Buffer.from(named).indexOf('alpha');
  it('a module the engine accepts is instrumented without its names, with a warning', () => {
    for (const damage of [(b: Uint8Array) => (b[at - 1] = 0x7f), (b: Uint8Array) => ((b[at] = 0xff), (b[at + 1] = 0xfe))]) {
      const bytes = named.slice();
      damage(bytes);
      expect(WebAssembly.validate(bytes)).toBe(true);
      const r = instrument(bytes);
      expect(r.warnings[0]).toMatch(/^the module's name section is damaged \(.*\): instrumented without its names$/);
      expect(r.metadata.names).toEqual(['a', 'func[1]']); // the export names the first
      const { instance, events } = traced(r.binary, r.metadata.names);
      (instance.exports['a'] as () => void)();
      expect(events).toEqual([['a', 'HOST'], ['func[1]', 'a']]);
    }
  });
});
