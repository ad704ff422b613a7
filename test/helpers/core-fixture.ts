/**
 * A traced module for core tests. Every function's body starts by calling
 * env.enter(its own ip), so tests know each entry independently of mcount:
 * the oracle for "the guards let through exactly what the ops want".
 *
 * ip 0 is the import env.enter; ip 1.. are the functions below, in order.
 */
import { Ftrace } from '../../src/ftrace/index.js';
import { instrument } from '../../src/index.js';
import { wat } from './wat.js';

export const CORE_WAT = `(module
  (import "env" "enter" (func $enter (param i32)))
  (import "env" "host" (func $host (param i32)))
  (memory (export "memory") 1)
  ;; static data: 1024..1100
  (data (i32.const 1024) "static ops live here, up to 1100 .................................")
  (table (export "__indirect_function_table") 4 funcref)
  (elem (i32.const 1) $leaf $callback)
  (func $main (export "main") (param $n i32)
    (call $enter (i32.const 2))
    (call $fib (local.get $n)) drop
    (call $leaf)
    (call $host (i32.const 0)))
  (func $fib (export "fib") (param $n i32) (result i32)
    (call $enter (i32.const 3))
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $leaf (export "leaf")
    (call $enter (i32.const 4)))
  (func $helper_a (export "helper_a")
    (call $enter (i32.const 5))
    (call $leaf))
  (func $helper_b (export "helper_b")
    (call $enter (i32.const 6))
    (call_indirect (i32.const 1)))
  ;; a guest callback: (ip, parent_ip) -> (), counts its calls at 2000
  (func $callback (param i32 i32)
    (call $enter (i32.const 7))
    (i32.store (i32.const 2000) (i32.add (i32.load (i32.const 2000)) (i32.const 1))))
)`;

export const IP = { enter: 0, host: 1, main: 2, fib: 3, leaf: 4, helper_a: 5, helper_b: 6, callback: 7 } as const;

export const coreModule = (() => {
  const r = instrument(wat(CORE_WAT));
  return { binary: r.binary, metadata: r.metadata, module: new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>) };
})();

export interface CoreInstance {
  ft: Ftrace;
  instance: WebAssembly.Instance;
  exports: Record<string, (...a: number[]) => number>;
  /** every function entry, from the body's own env.enter */
  entries: number[];
  /** raw mcount calls that got past the guards */
  hooks: number[];
  onHost: (fn: () => void) => void;
}

export function coreInstance(opts: { attach?: boolean } = {}): CoreInstance {
  const ft = new Ftrace(coreModule.metadata, { moduleName: 'core' });
  const entries: number[] = [];
  const hooks: number[] = [];
  let hostFn: () => void = () => {};
  const ftraceImports = ft.imports;
  const instance = new WebAssembly.Instance(coreModule.module, {
    env: { enter: (ip: number) => entries.push(ip), host: () => hostFn() },
    ftrace: {
      ...ftraceImports,
      mcount: (ip: number, parent: number) => {
        hooks.push(ip);
        ft.mcount(ip, parent);
      },
    },
  });
  if (opts.attach !== false) ft.attach(instance);
  return {
    ft,
    instance,
    exports: instance.exports as unknown as Record<string, (...a: number[]) => number>,
    entries,
    hooks,
    onHost: (fn) => (hostFn = fn),
  };
}
