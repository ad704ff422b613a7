/**
 * Undoing binaryen's extra locals. binaryen's binary reader gives some
 * functions far more locals than the input declared: in esbuild's Go module
 * a plain read + write (no pass at all) takes the module from 26,374 locals
 * to 99,963, one function from 4 to 2,331. V8 pays for every local in a big
 * function (TurboFan phis at every loop header and merge, Liftoff frame
 * slots): that round trip alone made esbuild's transform run ~2.5x longer
 * with 1.0-1.5 GB of compiler memory instead of 0.2 GB, the same with
 * --log-execution or our pass on top. binaryen's coalesce-locals pass,
 * run on the functions that grew, brings them back to what the input had
 * (esbuild: 26,004 locals, max 19) and the run back to the uninstrumented
 * one's memory.
 *
 * Only functions that grew by more than GROWTH_SLACK locals are touched,
 * so modules binaryen reads faithfully come out byte-identical as before.
 */
import { SectionId, ByteReader, findSection, type Section } from '../abi/index.js';
import binaryen, { type Module } from './binaryen.js';
import { functionGetNumVars, functionGetVar } from './c-api.js';

/** Locals a function may gain (our own scratch locals come later) before it is coalesced. */
export const GROWTH_SLACK = 16;

/** The number of locals each defined function of the input declares, in code-section order. */
export function declaredLocals(input: Uint8Array, sections: readonly Section[]): number[] {
  const code = findSection(sections, SectionId.code);
  if (!code) return [];
  const r = new ByteReader(input, code.payload, code.end, 'code section');
  const n = r.u32();
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    const end = r.pos + size;
    let locals = 0;
    for (let groups = r.u32(); groups > 0; groups--) {
      locals += r.u32();
      const type = r.u8();
      // (ref null ht) and (ref ht) carry a heap type, an s33
      if (type === 0x63 || type === 0x64) r.sleb();
    }
    out[i] = locals;
    r.pos = end;
  }
  return out;
}

const NUMERIC = new Set<number>([binaryen.i32, binaryen.i64, binaryen.f32, binaryen.f64, binaryen.v128]);

/**
 * Reference-typed locals are left alone: coalescing them can refine a
 * local's type and add ref.as_non_null, which Node 20 rejects.
 */
function numericVarsOnly(ref: number): boolean {
  for (let i = 0, n = functionGetNumVars(ref); i < n; i++) if (!NUMERIC.has(functionGetVar(ref, i))) return false;
  return true;
}

/** Runs coalesce-locals on every defined function binaryen gave more than GROWTH_SLACK extra locals; returns how many. */
export function coalesceGrownLocals(mod: Module, input: Uint8Array, sections: readonly Section[], importCount: number, fnRefs: readonly number[]): number {
  let declared: number[];
  try {
    declared = declaredLocals(input, sections);
  } catch {
    return 0; // a local type this reader does not know: leave the module as binaryen read it
  }
  let coalesced = 0;
  for (let d = 0; d < declared.length; d++) {
    const ref = fnRefs[importCount + d];
    if (ref === undefined) break;
    if (functionGetNumVars(ref) > declared[d]! + GROWTH_SLACK && numericVarsOnly(ref)) {
      mod.runPassesOnFunction(ref, ['coalesce-locals']);
      coalesced++;
    }
  }
  return coalesced;
}
