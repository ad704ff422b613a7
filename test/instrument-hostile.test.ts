/**
 * Modules the pass once crashed or hung on: every construct binaryen reads
 * is instrumented, and every failure is one InstrumentError line, never a
 * C++ exception object printed as "[object Object]".
 */
import { describe, expect, it } from 'vitest';
import { instrument, InstrumentError } from '../src/index.js';
import { traced, wat } from './helpers/wat.js';

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
