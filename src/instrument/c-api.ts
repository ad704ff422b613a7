/**
 * The binaryen C API functions the pass calls directly, by their exported
 * names: binaryen.js has no wrapper for some of them, and its wrappers for
 * the others (`mod.global.set(name, ...)`, `mod.i64.const`,
 * `mod.block(null, [...])`) copy a string or an array onto the wasm stack
 * for every node they build.
 */
import binaryen, { type Module } from './binaryen.js';

export type Ref = number;

const raw = binaryen as unknown as Record<string, (...a: number[]) => number>;

export const getId = raw['_BinaryenExpressionGetId']!;
export const getType = raw['_BinaryenExpressionGetType']!;
export const callGetTarget = raw['_BinaryenCallGetTarget']!;
export const returnGetValue = raw['_BinaryenReturnGetValue']!;
export const callIndirectIsReturn = raw['_BinaryenCallIndirectIsReturn']!;
export const callRefIsReturn = raw['_BinaryenCallRefIsReturn']!;
export const callIndirectGetTable = raw['_BinaryenCallIndirectGetTable']!;
export const tableGetName = raw['_BinaryenTableGetName']!;
export const elemIsPassive = raw['_BinaryenElementSegmentIsPassive']!;
export const elemGetTable = raw['_BinaryenElementSegmentGetTable']!;
/** throws (a C++ exception) for a passive segment */
export const elemGetOffset = raw['_BinaryenElementSegmentGetOffset']!;
export const elemGetLength = raw['_BinaryenElementSegmentGetLength']!;
/** the function name of item j (a C string), 0 for ref.null; throws for any other expression */
export const elemGetData = raw['_BinaryenElementSegmentGetData']!;
export const refFuncGetFunc = raw['_BinaryenRefFuncGetFunc']!;
export const constGetI32 = raw['_BinaryenConstGetValueI32']!;
export const callIsReturn = raw['_BinaryenCallIsReturn']!;
export const callGetNumOperands = raw['_BinaryenCallGetNumOperands']!;
export const callGetOperandAt = raw['_BinaryenCallGetOperandAt']!;
export const callSetOperandAt = raw['_BinaryenCallSetOperandAt']!;
export const tryGetNumCatchTags = raw['_BinaryenTryGetNumCatchTags']!;
export const tryGetCatchBodyAt = raw['_BinaryenTryGetCatchBodyAt']!;
export const trySetCatchBodyAt = raw['_BinaryenTrySetCatchBodyAt']!;
export const functionGetName = raw['_BinaryenFunctionGetName']!;
export const functionAddVar = raw['_BinaryenFunctionAddVar']!;
export const functionGetNumVars = raw['_BinaryenFunctionGetNumVars']!;
export const functionGetVar = raw['_BinaryenFunctionGetVar']!;
export const functionGetBody = raw['_BinaryenFunctionGetBody']!;
export const functionSetBody = raw['_BinaryenFunctionSetBody']!;
export const functionGetResults = raw['_BinaryenFunctionGetResults']!;
export const sideEffects = raw['_BinaryenExpressionGetSideEffects']!;
export const typeIsNullable = raw['_BinaryenTypeIsNullable']!;
export const typeGetHeapType = raw['_BinaryenTypeGetHeapType']!;
export const typeFromHeapType = raw['_BinaryenTypeFromHeapType']!;

export const cBlock = raw['_BinaryenBlock']!;
export const cBlockAppendChild = raw['_BinaryenBlockAppendChild']!;
export const cGlobalSet = raw['_BinaryenGlobalSet']!;
export const cGlobalGetName = raw['_BinaryenGlobalGetName']!;
export const cLocalSet = raw['_BinaryenLocalSet']!;
const cConst = raw['_BinaryenConst']!;
const cLiteralInt64 = (binaryen as unknown as Record<string, (literal: number, value: bigint) => void>)['_BinaryenLiteralInt64']!;
/** One scratch BinaryenLiteral for the process: BinaryenConst copies it at once. */
const LITERAL = raw['_malloc']!(raw['_BinaryenSizeofLiteral']!());

const constGetI64 = (binaryen as unknown as Record<string, (e: Ref) => bigint>)['_BinaryenConstGetValueI64']!;

/** An index constant's value, unsigned: an i32.const's, or an i64.const's low 32 bits (memory64/table64 indices). */
export function constIndex(e: Ref): number {
  return getType(e) === binaryen.i64 ? Number(BigInt.asUintN(32, constGetI64(e))) : constGetI32(e) >>> 0;
}

/** (i64.const value), built without binaryen.js's marshalling. */
export function cI64(m: number, value: bigint): Ref {
  cLiteralInt64(LITERAL, BigInt.asIntN(64, value));
  return cConst(m, LITERAL);
}

/** An unnamed block of the given type, its children appended rather than marshalled. */
export function cBlockOf(m: number, type: number, children: Ref[]): Ref {
  const block = cBlock(m, 0, 0, 0, type);
  for (const c of children) cBlockAppendChild(block, c);
  return block;
}

/** binaryen 132's i64.const takes one bigint (the typings still say two halves). */
export function i64(mod: Module, value: bigint): Ref {
  return (mod.i64.const as unknown as (v: bigint) => Ref)(BigInt.asIntN(64, value));
}
