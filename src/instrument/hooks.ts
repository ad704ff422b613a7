/**
 * The pass's own globals, imports and exports (src/abi names them): the
 * caller token, the guard words, `ftrace.mcount` and `ftrace.mcount_exit`.
 * Internal names cannot clash: binaryen never produces names with this prefix.
 */
import { ABI } from '../abi/index.js';
import binaryen, { type Module } from './binaryen.js';
import { cGlobalGetName, i64, type Ref } from './c-api.js';
import type { Hooks, ModuleScan } from './context.js';
import { InstrumentError } from './errors.js';
import { addRecorder } from './recorder.js';
import { CONTROL_SET_DIRECT, CONTROL_SET_INSTANCE } from '../abi/trace-memory.js';

export function addHooks(mod: Module, scan: ModuleScan, exitHooks: boolean, traceMemory = false): Hooks {
  const taken = (n: string): boolean => {
    for (let i = 0; i < mod.getNumExports(); i++) if (binaryen.getExportInfo(mod.getExportByIndex(i)).name === n) return true;
    return false;
  };
  for (const n of [ABI.control, ABI.parentGlobal, `${ABI.guardPrefix}0`]) {
    if (taken(n)) throw new InstrumentError(`the module already exports '${n}', a name wasm-ftrace reserves`, { kind: 'reserved-name' });
  }
  const tokenName = 'wasm-ftrace$parent';
  mod.addGlobal(tokenName, binaryen.i64, true, i64(mod, -1n));
  // Its interned name: interned strings live as long as the process.
  const tokenPtr = cGlobalGetName(mod.getGlobal(tokenName));

  // Guard words: bit ip%32 of word ip>>5, set for every traced function.
  const guardWords = Math.ceil(scan.functionCount / 32);
  const addGuards = (internal: string): string[] =>
    Array.from({ length: guardWords }, (_, w) => {
      let bits = 0;
      for (let b = 0; b < 32; b++) if (scan.traced[w * 32 + b]) bits |= 1 << b;
      const name = `wasm-ftrace$${internal}${w}`;
      mod.addGlobal(name, binaryen.i32, true, mod.i32.const(bits));
      return name;
    });
  const guardNames = addGuards('guard');
  const exitGuardNames = exitHooks ? addGuards('exit_guard') : [];

  const mcountName = 'wasm-ftrace$mcount';
  mod.addFunctionImport(mcountName, ABI.importModule, ABI.mcount, binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.none);
  const mcountExitName = 'wasm-ftrace$mcount_exit';
  if (exitHooks) mod.addFunctionImport(mcountExitName, ABI.importModule, ABI.mcountExit, binaryen.i32, binaryen.none);
  // With a trace memory the hooks go through the in-wasm recorder's dispatch, which calls the imports when not direct.
  const recorder = traceMemory ? addRecorder(mod, mcountName, exitHooks ? mcountExitName : null) : null;
  const switches: [number, string][] = recorder ? [[CONTROL_SET_INSTANCE, recorder.instanceGlobal], [CONTROL_SET_DIRECT, recorder.directGlobal]] : [];
  addControl(mod, tokenName, [...guardNames, ...exitGuardNames], switches);
  const entryTarget = recorder ? recorder.entryName : mcountName;
  const exitTarget = recorder ? recorder.exitName : mcountExitName;

  return {
    tokenName,
    tokenPtr,
    guardNames,
    exitGuardNames,
    guardWords,
    mcountName: entryTarget,
    mcountExitName: exitTarget,
    traceMemory,
    // (if (exit guard bit) (call $mcount_exit (i32 ip))) -> ()
    exitHook: (ip: number): Ref =>
      mod.if(
        mod.i32.and(mod.global.get(exitGuardNames[ip >> 5]!, binaryen.i32), mod.i32.const(1 << (ip & 31))),
        mod.call(exitTarget, [mod.i32.const(ip)], binaryen.none),
      ),
  };
}

/**
 * The host's way in (ABI.control), exported as the module's only addition:
 *
 *   (func (export "__ftrace_control") (param $index i32) (param $value i32)
 *     (if (i32.eq (local.get $index) (i32.const -1)) (then (global.set $token (i64.const -1)) (return)))
 *     (if (i32.eq (local.get $index) (i32.const 0)) (then (global.set $guard0 (local.get $value)) (return)))
 *     ...)
 *
 * With a trace memory, -2 sets the instance id the recorder writes and -3
 * the direct switch (src/abi/trace-memory.ts).
 *
 * The host calls it only when filters or ops change, never per event.
 */
function addControl(mod: Module, tokenName: string, guards: readonly string[], switches: readonly [number, string][]): void {
  const name = 'wasm-ftrace$control';
  const setIf = (index: number, set: Ref): Ref => mod.if(mod.i32.eq(mod.local.get(0, binaryen.i32), mod.i32.const(index)), mod.block(null, [set, mod.return()]));
  const set = (g: string): Ref => mod.global.set(g, mod.local.get(1, binaryen.i32));
  const body = [
    setIf(-1, mod.global.set(tokenName, i64(mod, -1n))),
    ...switches.map(([index, g]) => setIf(index, set(g))),
    ...guards.map((g, k) => setIf(k, set(g))),
  ];
  mod.addFunction(name, binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.none, [], mod.block(null, body, binaryen.none));
  mod.addFunctionExport(name, ABI.control);
}
