/**
 * The binaries the hook-overhead benchmark builds on the main thread (with
 * binaryen, which the workers never load): the fib workload from WAT, and
 * binaryen's log-execution output.
 */
import binaryen, { READ_FEATURES, readBinary } from '../instrument/binaryen.js';
import { BenchError, type WasmWorkloadSpec } from './workloads.js';

/** Tiny recursive functions: the worst case for a per-entry hook. `never` is never called. */
export const FIB_WAT = `(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $never (export "never") (result i32) (i32.const 0)))`;

/** WAT text to a binary with its names, through binaryen (a dependency; wabt is only a dev one). */
export function watToBinary(text: string): Uint8Array {
  const mod = binaryen.parseText(text);
  try {
    binaryen.setDebugInfo(true);
    return mod.emitBinary();
  } finally {
    binaryen.setDebugInfo(false);
    mod.dispose();
  }
}

export function fibWorkload(n: number): WasmWorkloadSpec {
  return { kind: 'wasm', id: 'fib', label: `fib(${n}), tiny recursive functions (WAT)`, bytes: watToBinary(FIB_WAT), invoke: 'fib', args: [n], never: 'never' };
}

/** binaryen's own peer of the pass: `log-execution` adds `env.log_execution(i32)` calls at every function entry, loop header and return. */
export function logExecutionBinary(bytes: Uint8Array): Uint8Array {
  const mod = readBinary(bytes, READ_FEATURES);
  try {
    mod.runPasses(['log-execution']);
    binaryen.setDebugInfo(true);
    return mod.emitBinary();
  } finally {
    binaryen.setDebugInfo(false);
    mod.dispose();
  }
}

/** The import log-execution adds (checked against the output, not assumed). */
export function logExecutionImport(binary: Uint8Array): { module: string; name: string } {
  const module = new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
  const added = WebAssembly.Module.imports(module).find((i) => i.kind === 'function' && i.name === 'log_execution');
  if (!added) throw new BenchError('binaryen log-execution added no log_execution import');
  return { module: added.module, name: added.name };
}
