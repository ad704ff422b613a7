/**
 * Loads binaryen.js so that what it prints can be captured.
 *
 * binaryen.js binds console.log/console.error once, when it loads, and then
 * prints parse errors and validation failures straight to them. A CLI that
 * promises one-line errors cannot let that through, so we load it behind
 * forwarding functions that either pass output on or collect it.
 */

let sink: string[] | null = null;
const realLog = console.log;
const realError = console.error;
console.log = (...args: unknown[]) => (sink ? sink.push(args.join(' ')) : realLog.apply(console, args));
console.error = (...args: unknown[]) => (sink ? sink.push(args.join(' ')) : realError.apply(console, args));
const { default: binaryen } = await import('binaryen');
console.log = realLog;
console.error = realError;

export default binaryen;
import type Binaryen from 'binaryen';
export type Module = Binaryen.Module;
export type FunctionInfo = Binaryen.FunctionInfo;

/** readBinary(bytes, features): the typed readBinaryWithFeatures does not exist at run time. */
export const readBinary = binaryen.readBinary as unknown as (bytes: Uint8Array, features: number) => Module;

/** SideEffects.Calls: a const enum in the typings, so spelled out here. */
export const SIDE_EFFECT_CALLS = 2;
/** SideEffects.Branches (br, return, ...). */
export const SIDE_EFFECT_BRANCHES = 1;

/** Runs `fn`, returning its result and whatever binaryen printed meanwhile. */
export function captureBinaryenOutput<T>(fn: () => T): { result?: T; error?: unknown; output: string[] } {
  const saved = sink;
  const output: string[] = [];
  sink = output;
  try {
    return { result: fn(), output };
  } catch (error) {
    return { error, output };
  } finally {
    sink = saved;
  }
}

/**
 * Every feature binaryen reads, minus the two whose encodings V8 rejects
 * (CompactImports: "unknown import kind 0x7f"; CustomDescriptors: "invalid
 * heap type 'exact'"). Reading with fewer features would make binaryen quietly
 * weaken reference types, so we never read with less than this.
 */
export const READ_FEATURES: number =
  binaryen.Features.All & ~(binaryen.Features as unknown as Record<string, number>)['CompactImports']! & ~(1 << 21);
