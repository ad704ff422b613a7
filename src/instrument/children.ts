/**
 * A per-kind table of binaryen.js's raw child accessors, so the pass can walk
 * and rewrite expression trees without getExpressionInfo (about 30x slower,
 * and it throws on Nop, Unreachable and Pop).
 *
 * Children are listed in evaluation order: the pass relies on that to find
 * the last thing a call evaluates before it transfers control.
 */
import binaryen from './binaryen.js';

type Ref = number;
/** A fixed child: `_Binaryen<Kind>Get<Field>` / `_Binaryen<Kind>Set<Field>`. */
interface FixedSlot {
  kind: 'fixed';
  get: (e: Ref) => Ref;
  set: (e: Ref, c: Ref) => void;
}
/** A list of children: `_Binaryen<Kind>GetNum<List>s`, `...Get<List>At`, `...Set<List>At`. */
interface ListSlot {
  kind: 'list';
  num: (e: Ref) => number;
  getAt: (e: Ref, i: number) => Ref;
  setAt: (e: Ref, i: number, c: Ref) => void;
}
export type Slot = FixedSlot | ListSlot;

const raw = binaryen as unknown as Record<string, (...a: number[]) => number>;

function fn(name: string): (...a: number[]) => number {
  const f = raw[name];
  if (typeof f !== 'function') throw new Error(`binaryen.js lacks ${name}`);
  return f;
}

function fixed(kind: string, field: string): FixedSlot {
  const get = fn(`_Binaryen${kind}Get${field}`);
  const set = fn(`_Binaryen${kind}Set${field}`);
  // The raw accessors themselves: an arrow around each would cost a JS call per child visited.
  return { kind: 'fixed', get, set };
}

function list(kind: string, item: string, numName = `_Binaryen${kind}GetNum${item}s`): ListSlot {
  const num = fn(numName);
  const getAt = fn(`_Binaryen${kind}Get${item}At`);
  const setAt = fn(`_Binaryen${kind}Set${item}At`);
  return { kind: 'list', num, getAt, setAt };
}

const b = binaryen as unknown as Record<string, number>;
const id = (name: string): number => {
  const v = b[`${name}Id`];
  if (typeof v !== 'number') throw new Error(`binaryen.js lacks ${name}Id`);
  return v;
};

/** Kinds that have no children at all. */
export const LEAF_KINDS: ReadonlySet<number> = new Set(
  [
    'LocalGet', 'GlobalGet', 'Const', 'MemorySize', 'Nop', 'Unreachable', 'AtomicFence', 'DataDrop',
    'RefNull', 'RefFunc', 'TableSize', 'Pop', 'Rethrow', 'StringConst',
  ].map(id),
);

const f = fixed;
const SPEC: [string, () => Slot[]][] = [
  ['Block', () => [list('Block', 'Child', '_BinaryenBlockGetNumChildren')]],
  ['If', () => [f('If', 'Condition'), f('If', 'IfTrue'), f('If', 'IfFalse')]],
  ['Loop', () => [f('Loop', 'Body')]],
  ['Break', () => [f('Break', 'Value'), f('Break', 'Condition')]],
  ['Switch', () => [f('Switch', 'Value'), f('Switch', 'Condition')]],
  ['Call', () => [list('Call', 'Operand')]],
  ['CallIndirect', () => [list('CallIndirect', 'Operand'), f('CallIndirect', 'Target')]],
  ['CallRef', () => [list('CallRef', 'Operand'), f('CallRef', 'Target')]],
  ['LocalSet', () => [f('LocalSet', 'Value')]],
  ['GlobalSet', () => [f('GlobalSet', 'Value')]],
  ['Load', () => [f('Load', 'Ptr')]],
  ['Store', () => [f('Store', 'Ptr'), f('Store', 'Value')]],
  ['Unary', () => [f('Unary', 'Value')]],
  ['Binary', () => [f('Binary', 'Left'), f('Binary', 'Right')]],
  ['Select', () => [f('Select', 'IfTrue'), f('Select', 'IfFalse'), f('Select', 'Condition')]],
  ['Drop', () => [f('Drop', 'Value')]],
  ['Return', () => [f('Return', 'Value')]],
  ['MemoryGrow', () => [f('MemoryGrow', 'Delta')]],
  ['AtomicRMW', () => [f('AtomicRMW', 'Ptr'), f('AtomicRMW', 'Value')]],
  ['AtomicCmpxchg', () => [f('AtomicCmpxchg', 'Ptr'), f('AtomicCmpxchg', 'Expected'), f('AtomicCmpxchg', 'Replacement')]],
  ['AtomicWait', () => [f('AtomicWait', 'Ptr'), f('AtomicWait', 'Expected'), f('AtomicWait', 'Timeout')]],
  ['AtomicNotify', () => [f('AtomicNotify', 'Ptr'), f('AtomicNotify', 'NotifyCount')]],
  ['SIMDExtract', () => [f('SIMDExtract', 'Vec')]],
  ['SIMDReplace', () => [f('SIMDReplace', 'Vec'), f('SIMDReplace', 'Value')]],
  ['SIMDShuffle', () => [f('SIMDShuffle', 'Left'), f('SIMDShuffle', 'Right')]],
  ['SIMDTernary', () => [f('SIMDTernary', 'A'), f('SIMDTernary', 'B'), f('SIMDTernary', 'C')]],
  ['SIMDShift', () => [f('SIMDShift', 'Vec'), f('SIMDShift', 'Shift')]],
  ['SIMDLoad', () => [f('SIMDLoad', 'Ptr')]],
  ['SIMDLoadStoreLane', () => [f('SIMDLoadStoreLane', 'Ptr'), f('SIMDLoadStoreLane', 'Vec')]],
  ['MemoryInit', () => [f('MemoryInit', 'Dest'), f('MemoryInit', 'Offset'), f('MemoryInit', 'Size')]],
  ['MemoryCopy', () => [f('MemoryCopy', 'Dest'), f('MemoryCopy', 'Source'), f('MemoryCopy', 'Size')]],
  ['MemoryFill', () => [f('MemoryFill', 'Dest'), f('MemoryFill', 'Value'), f('MemoryFill', 'Size')]],
  ['RefIsNull', () => [f('RefIsNull', 'Value')]],
  ['RefAs', () => [f('RefAs', 'Value')]],
  ['RefEq', () => [f('RefEq', 'Left'), f('RefEq', 'Right')]],
  ['TableGet', () => [f('TableGet', 'Index')]],
  ['TableSet', () => [f('TableSet', 'Index'), f('TableSet', 'Value')]],
  ['TableGrow', () => [f('TableGrow', 'Value'), f('TableGrow', 'Delta')]],
  ['Try', () => [f('Try', 'Body'), list('Try', 'CatchBody', '_BinaryenTryGetNumCatchBodies')]],
  ['Throw', () => [list('Throw', 'Operand')]],
  ['TupleMake', () => [list('TupleMake', 'Operand')]],
  ['TupleExtract', () => [f('TupleExtract', 'Tuple')]],
  ['RefI31', () => [f('RefI31', 'Value')]],
  ['I31Get', () => [f('I31Get', 'I31')]],
  ['RefTest', () => [f('RefTest', 'Ref')]],
  ['RefCast', () => [f('RefCast', 'Ref')]],
  ['BrOn', () => [f('BrOn', 'Ref')]],
  ['StructNew', () => [list('StructNew', 'Operand')]],
  ['StructGet', () => [f('StructGet', 'Ref')]],
  ['StructSet', () => [f('StructSet', 'Ref'), f('StructSet', 'Value')]],
  ['ArrayNew', () => [f('ArrayNew', 'Init'), f('ArrayNew', 'Size')]],
  ['ArrayNewFixed', () => [list('ArrayNewFixed', 'Value')]],
  ['ArrayNewData', () => [f('ArrayNewData', 'Offset'), f('ArrayNewData', 'Size')]],
  ['ArrayNewElem', () => [f('ArrayNewElem', 'Offset'), f('ArrayNewElem', 'Size')]],
  ['ArrayGet', () => [f('ArrayGet', 'Ref'), f('ArrayGet', 'Index')]],
  ['ArraySet', () => [f('ArraySet', 'Ref'), f('ArraySet', 'Index'), f('ArraySet', 'Value')]],
  ['ArrayLen', () => [f('ArrayLen', 'Ref')]],
  ['ArrayFill', () => [f('ArrayFill', 'Ref'), f('ArrayFill', 'Index'), f('ArrayFill', 'Value'), f('ArrayFill', 'Size')]],
  ['ArrayCopy', () => ['DestRef', 'DestIndex', 'SrcRef', 'SrcIndex', 'Length'].map((x) => f('ArrayCopy', x))],
  ['ArrayInitData', () => ['Ref', 'Index', 'Offset', 'Size'].map((x) => f('ArrayInitData', x))],
  ['ArrayInitElem', () => ['Ref', 'Index', 'Offset', 'Size'].map((x) => f('ArrayInitElem', x))],
  ['StringNew', () => [f('StringNew', 'Ref'), f('StringNew', 'Start'), f('StringNew', 'End')]],
  ['StringMeasure', () => [f('StringMeasure', 'Ref')]],
  ['StringEncode', () => [f('StringEncode', 'Str'), f('StringEncode', 'Array'), f('StringEncode', 'Start')]],
  ['StringConcat', () => [f('StringConcat', 'Left'), f('StringConcat', 'Right')]],
  ['StringEq', () => [f('StringEq', 'Left'), f('StringEq', 'Right')]],
  ['StringWTF16Get', () => [f('StringWTF16Get', 'Ref'), f('StringWTF16Get', 'Pos')]],
  ['StringSliceWTF', () => [f('StringSliceWTF', 'Ref'), f('StringSliceWTF', 'Start'), f('StringSliceWTF', 'End')]],
];

/** Expression id -> child slots in evaluation order. Kinds absent from both tables are opaque to the pass. */
export const CHILD_SLOTS: ReadonlyMap<number, Slot[]> = new Map(SPEC.map(([kind, slots]) => [id(kind), slots()]));

/** LEAF_KINDS and CHILD_SLOTS as arrays indexed by expression id, for the walk's hot path. */
export const IS_LEAF: Uint8Array = new Uint8Array(256);
for (const k of LEAF_KINDS) IS_LEAF[k] = 1;
export const SLOTS_BY_ID: readonly (Slot[] | undefined)[] = Array.from({ length: 256 }, (_, k) => CHILD_SLOTS.get(k));

export const ID = {
  Block: id('Block'),
  Call: id('Call'),
  CallIndirect: id('CallIndirect'),
  CallRef: id('CallRef'),
  Try: id('Try'),
  Return: id('Return'),
  Pop: id('Pop'),
  LocalGet: id('LocalGet'),
  GlobalGet: id('GlobalGet'),
  Const: id('Const'),
  RefNull: id('RefNull'),
  RefFunc: id('RefFunc'),
} as const;

/** binaryen has ids for kinds it cannot describe in JS (TryTable, ThrowRef, TableFill, ...): name them for messages. */
export const OPAQUE_KIND_NAMES: Readonly<Record<number, string>> = {
  29: 'pause',
  50: 'table.fill',
  51: 'table.copy',
  52: 'table.init',
  53: 'elem.drop',
  55: 'try_table',
  58: 'throw_ref',
};
