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
