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

export function addHooks(mod: Module, scan: ModuleScan, exitHooks: boolean): Hooks {
  const taken = (n: string): boolean => {
    for (let i = 0; i < mod.getNumExports(); i++) if (binaryen.getExportInfo(mod.getExportByIndex(i)).name === n) return true;
    return false;
  };
  for (const n of [ABI.parentGlobal, `${ABI.guardPrefix}0`]) {
    if (taken(n)) throw new InstrumentError(`the module already exports '${n}', a name wasm-ftrace reserves`, { kind: 'reserved-name' });
  }
  const tokenName = 'wasm-ftrace$parent';
  mod.addGlobal(tokenName, binaryen.i64, true, i64(mod, -1n));
  mod.addGlobalExport(tokenName, ABI.parentGlobal);
  // Its interned name: interned strings live as long as the process.
  const tokenPtr = cGlobalGetName(mod.getGlobal(tokenName));

  // Guard words, exported: bit ip%32 of word ip>>5, set for every traced function.
  const guardWords = Math.ceil(scan.functionCount / 32);
  const addGuards = (internal: string, exported: string): string[] =>
    Array.from({ length: guardWords }, (_, w) => {
      let bits = 0;
      for (let b = 0; b < 32; b++) if (scan.traced[w * 32 + b]) bits |= 1 << b;
      const name = `wasm-ftrace$${internal}${w}`;
      mod.addGlobal(name, binaryen.i32, true, mod.i32.const(bits));
      mod.addGlobalExport(name, `${exported}${w}`);
      return name;
    });
  const guardNames = addGuards('guard', ABI.guardPrefix);
  const exitGuardNames = exitHooks ? addGuards('exit_guard', ABI.exitGuardPrefix) : [];

  const mcountName = 'wasm-ftrace$mcount';
  mod.addFunctionImport(mcountName, ABI.importModule, ABI.mcount, binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.none);
  const mcountExitName = 'wasm-ftrace$mcount_exit';
  if (exitHooks) mod.addFunctionImport(mcountExitName, ABI.importModule, ABI.mcountExit, binaryen.i32, binaryen.none);

  return {
    tokenName,
    tokenPtr,
    guardNames,
    exitGuardNames,
    guardWords,
    mcountName,
    mcountExitName,
    // (if (exit guard bit) (call $mcount_exit (i32 ip))) -> ()
    exitHook: (ip: number): Ref =>
      mod.if(
        mod.i32.and(mod.global.get(exitGuardNames[ip >> 5]!, binaryen.i32), mod.i32.const(1 << (ip & 31))),
        mod.call(mcountExitName, [mod.i32.const(ip)], binaryen.none),
      ),
  };
}
