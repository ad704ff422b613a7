/**
 * The limit of the pass's one-shot caller token (README, "What the pass
 * does"): a `call_indirect` sets a token that names a table slot, and a
 * function that can sit in that slot takes it in its prologue. When the
 * call's callee runs no prologue (an import, a notrace function) or the call
 * traps before its callee runs, the token stays, and the next entry from JS
 * into such a function names the caller of that call as its parent. These
 * tests pin the three ways down (they fail once the pass tells them apart:
 * then update README) and show that the fuzz harness's trace oracle allows
 * exactly the trap case, nothing else.
 */
import { describe, expect, it } from 'vitest';
import { instrument, type InstrumentOptions } from '../src/index.js';
import { indirectCallTrapSite } from './fuzz/harness.js';
import { check } from './fuzz/run.js';
import { wat } from './helpers/wat.js';

const HOST = -1;

/** Instruments `source`, instantiates it with a hook that logs `ip<-parent` by name, and runs `drive`. */
function entries(source: string, drive: (exports: Record<string, () => unknown>) => void, options: InstrumentOptions = {}, env: Record<string, (exports: Record<string, () => unknown>) => void> = {}): string[] {
  const { binary, metadata } = instrument(wat(source), options);
  const seen: string[] = [];
  const name = (ip: number) => (ip === HOST ? 'HOST' : metadata.names[ip]);
  let exports: Record<string, () => unknown> = {};
  const instance = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), {
    ftrace: { mcount: (ip: number, parent: number) => void seen.push(`${name(ip)}<-${name(parent)}`) },
    env: Object.fromEntries(Object.entries(env).map(([k, f]) => [k, () => f(exports)])),
  });
  exports = instance.exports as Record<string, () => unknown>;
  drive(exports);
  return seen;
}

describe('caller token: an indirect call whose callee ran no prologue leaves its token', () => {
  it('the call trapped (wrong signature): the next entry from JS names the trapping caller', () => {
    const source = `(module (type $v (func)) (type $i (func (result i32))) (table 1 funcref) (elem (i32.const 0) $e)
      (func $a (export "a") (drop (call_indirect (type $i) (i32.const 0))))
      (func $e (export "e")))`;
    const seen = entries(source, (x) => {
      expect(() => x['a']!()).toThrow(WebAssembly.RuntimeError);
      x['e']!();
      x['e']!();
    });
    // JS called e both times; the first entry took the token the trap left
    expect(seen).toEqual(['a<-HOST', 'e<-a', 'e<-HOST']);
    // the fuzz oracle allows exactly this: the first entry after the trap, naming the trapping function
    // (once in each instrumented variant: without and with exit hooks)
    const v = check(wat(source));
    expect(v).toMatchObject({ status: 'agree', staleAfterTrap: 2 });
  });

  it('the callee is an import that calls back into the module: the re-entry names the caller', () => {
    const seen = entries(
      `(module (import "env" "cb" (func $cb)) (type $v (func)) (table 2 funcref) (elem (i32.const 0) $cb $e)
        (elem declare func $e) (func $take (export "take") (result funcref) (ref.func $e))
        (func $a (export "a") (call_indirect (type $v) (i32.const 0)))
        (func $e (export "e")))`,
      (x) => x['a']!(),
      {},
      { cb: (x) => x['e']!() },
    );
    expect(seen).toEqual(['a<-HOST', 'e<-a']); // JS (cb) called e
  });

  it('the callee is notrace: the next entry from JS names the caller', () => {
    const seen = entries(
      `(module (type $v (func)) (table 2 funcref) (elem (i32.const 0) $f $e)
        (elem declare func $e) (func $take (export "take") (result funcref) (ref.func $e))
        (func $a (export "a") (call_indirect (type $v) (i32.const 0)))
        (func $f)
        (func $e (export "e")))`,
      (x) => {
        x['a']!();
        x['e']!();
      },
      { notrace: ['f'] },
    );
    expect(seen).toEqual(['a<-HOST', 'e<-a']); // a had returned; JS called e
  });

  it('a direct call leaves nothing another function takes', () => {
    const seen = entries(
      `(module (import "env" "cb" (func $cb))
        (func $a (export "a") (call $cb))
        (func $e (export "e")))`,
      (x) => x['a']!(),
      {},
      { cb: (x) => x['e']!() },
    );
    expect(seen).toEqual(['a<-HOST', 'e<-HOST']);
  });
});

describe('the fuzz oracle tells a trap in an indirect call from any other trap, on every engine', () => {
  // By the trapping instruction, not the message: V8's text for a null slot and
  // a wrong signature changed in Node 26 ("function signature mismatch", was
  // "null function or function signature mismatch"), and an oracle matching
  // the old text failed the trap case above on Node 26 alone.
  const bytes = wat(`(module (type $v (func)) (type $i (func (result i32))) (table 2 funcref) (elem (i32.const 0) $e) (memory 1)
    (func $sig (export "sig") (drop (call_indirect (type $i) (i32.const 0))))
    (func $null (export "null") (call_indirect (type $v) (i32.const 1)))
    (func $oob (export "oob") (call_indirect (type $v) (i32.const 7)))
    (func $tail (export "tail") (result i32) (return_call_indirect (type $i) (i32.const 0)))
    (func $callee (export "callee") (call_indirect (type $v) (i32.const 0)))
    (func $load (export "load") (drop (i32.load (i32.const 65536))))
    (func $e (unreachable)))`);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
  const site = (name: string): number | undefined => {
    try {
      (instance.exports[name] as () => void)();
    } catch (e) {
      expect(e).toBeInstanceOf(WebAssembly.RuntimeError);
      return indirectCallTrapSite(e, bytes);
    }
    throw new Error(`${name} did not trap`);
  };

  it('a wrong signature, a null slot, an index out of bounds, a tail call: the calling function', () => {
    expect(['sig', 'null', 'oob', 'tail'].map(site)).toEqual([0, 1, 2, 3]);
  });

  it('a trap in the callee the indirect call reached, or in no call: none', () => {
    expect(['callee', 'load'].map(site)).toEqual([undefined, undefined]);
  });
});
