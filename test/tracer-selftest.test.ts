/**
 * Every registered tracer passes its own selftest (struct tracer's
 * .selftest), and each selftest fails on a tracer that does not work.
 */
import { describe, expect, it } from 'vitest';
import { Ftrace } from '../src/ftrace/index.js';
import { instrument } from '../src/index.js';
import { TRACERS, TraceArray, type SelftestTarget } from '../src/tracers/index.js';
import { wat } from './helpers/wat.js';

const SELFTEST = instrument(
  wat(`(module
    (func $b (result i32) (i32.const 2))
    (func $a (result i32) (i32.add (call $b) (i32.const 1)))
    (func $main (export "main") (result i32) (i32.add (call $a) (call $b))))`),
  { exitHooks: true },
);
const SELFTEST_MODULE = new WebAssembly.Module(SELFTEST.binary as Uint8Array<ArrayBuffer>);

/** main -> a -> b, then main -> b, with `tracer` selected. */
function target(tracer: string): SelftestTarget {
  const tr = new TraceArray({ tracer, clock: 'counter' });
  const inst = tr.addInstance(Ftrace.forModule(SELFTEST_MODULE), 'selftest');
  const instance = new WebAssembly.Instance(SELFTEST_MODULE, tr.importsFor(inst));
  tr.attach(inst, instance);
  const ip = (name: string) => SELFTEST.metadata.names.indexOf(name);
  return { tr, run: () => void (instance.exports['main'] as () => number)(), entered: [ip('main'), ip('a'), ip('b'), ip('b')] };
}

describe('tracer selftests', () => {
  it('covers every registered tracer', () => {
    expect([...TRACERS.keys()].sort()).toEqual(['function', 'function_graph', 'nop', 'profiler']);
  });

  for (const tracer of TRACERS.values()) {
    it(`${tracer.name} passes its selftest`, () => {
      expect(() => tracer.selftest(target(tracer.name))).not.toThrow();
    });

    it(`${tracer.name}'s selftest fails when the tracer does not work`, () => {
      // a tracer that records nothing, or (for nop) one that records something
      const t = target(tracer.name === 'nop' ? 'function' : tracer.name);
      if (tracer.name !== 'nop') t.tr.tracingOn = false;
      expect(() => tracer.selftest(t)).toThrow(new RegExp(`^tracer '${tracer.name}' selftest: `));
    });
  }
});
