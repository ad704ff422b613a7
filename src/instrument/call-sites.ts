/**
 * Call-site rewriting: every call that may reach a traced function sets the
 * caller token right before control transfers,
 *
 *     (call $f (a) (b))  ->  (call $f (a) (block (global.set $token (i64.const f << 32 | caller)) (b)))
 *
 * with the last operand moved to a scratch local when evaluating it could
 * call (which would overwrite the token). A tail call also leaves the
 * function, so with exit hooks the exit hook runs just before it; `return`
 * becomes a branch to the exit epilogue (see prologue.ts). Legacy-EH `pop`s
 * are hoisted first so that wrapping a call never buries one in a block.
 */
import binaryen, { SIDE_EFFECT_BRANCHES, SIDE_EFFECT_CALLS, type Module } from './binaryen.js';
import {
  callGetNumOperands,
  callGetOperandAt,
  callGetTarget,
  callIndirectGetTable,
  callIndirectIsReturn,
  callIsReturn,
  callRefIsReturn,
  callSetOperandAt,
  cBlockOf,
  cGlobalSet,
  cI64,
  cLocalSet,
  constIndex,
  functionAddVar,
  functionGetBody,
  functionSetBody,
  getId,
  getType,
  refFuncGetFunc,
  returnGetValue,
  sideEffects,
  tryGetCatchBodyAt,
  tryGetNumCatchTags,
  trySetCatchBodyAt,
  typeFromHeapType,
  typeGetHeapType,
  typeIsNullable,
  type Ref,
} from './c-api.js';
import { CHILD_SLOTS, ID, IS_LEAF, OPAQUE_KIND_NAMES, SLOTS_BY_ID } from './children.js';
import { EXIT_LABEL, REF_TAG, SLOT_TAG, type PassContext } from './context.js';

/** SideEffects bits (const enums in the typings) that must stay before a call's token... */
const EFFECTS_AFTER_TOKEN = 2 /* Calls */ | 8192 /* DanglingPop */;
/**
 * ...and before the exit hook that precedes a tail call: what the hook's
 * callbacks could change or observe, and branches (a `return` in the operand,
 * now a branch to the exit epilogue, would run the exit hook a second time).
 */
const EFFECTS_AFTER_EXIT_HOOK = EFFECTS_AFTER_TOKEN | 1 /* Branches */ | 16 | 32 | 64 | 128 | 256 | 512 /* globals, memory, tables */ | 4096 /* Throws */;

const NUMERIC_TYPES = new Set<number>([binaryen.i32, binaryen.i64, binaryen.f32, binaryen.f64, binaryen.v128]);
const TRIVIAL_KINDS = new Set<number>([ID.LocalGet, ID.GlobalGet, ID.Const, ID.RefNull, ID.RefFunc]);

/** Rewrites the call sites of every defined function; counts them, notes opaque kinds and escaping references. */
export function rewriteCallSites(ctx: PassContext): void {
  for (let i = ctx.importCount; i < ctx.functionCount; i++) {
    const fnRef = ctx.fnRefs[i]!;
    const rewriter = new FunctionRewriter(ctx, fnRef, i);
    const body = functionGetBody(fnRef);
    const newBody = rewriter.visit(body);
    if (newBody !== body) functionSetBody(fnRef, newBody);
    ctx.counts.callSites += rewriter.callSites;
    if (rewriter.opaqueKinds.size > 0) ctx.opaqueCallers.add(i);
    for (const kind of rewriter.opaqueKinds) {
      if (!ctx.opaque.has(kind)) ctx.opaque.set(kind, new Set());
      ctx.opaque.get(kind)!.add(ctx.names[i]!);
    }
    for (const kind of rewriter.opaqueExits) {
      if (!ctx.opaqueExits.has(kind)) ctx.opaqueExits.set(kind, new Set());
      ctx.opaqueExits.get(kind)!.add(ctx.names[i]!);
    }
    for (const ptr of rewriter.refFuncs) {
      const ip = ctx.ipOfName.get(ptr);
      if (ip !== undefined) ctx.escapes.add(ip);
    }
  }
  // A reference taken in a global's initializer escapes too: the vtables of
  // GC languages are globals holding (struct.new ... (ref.func $method)).
  const mod = ctx.mod;
  for (let g = 0; g < mod.getNumGlobals(); g++) {
    const init = binaryen.getGlobalInfo(mod.getGlobalByIndex(g)).init;
    if (!init) continue;
    for (const ptr of refFuncsIn(init)) {
      const ip = ctx.ipOfName.get(ptr);
      if (ip !== undefined) ctx.escapes.add(ip);
    }
  }
}

/** The warnings about expression kinds binaryen.js cannot walk. */
/** The function name pointers of every ref.func inside a constant expression. */
function refFuncsIn(e: Ref, out: number[] = []): number[] {
  const id = getId(e);
  if (id === ID.RefFunc) out.push(refFuncGetFunc(e));
  for (const slot of SLOTS_BY_ID[id] ?? []) {
    if (slot.kind === 'fixed') {
      const c = slot.get(e);
      if (c) refFuncsIn(c, out);
    } else {
      for (let i = 0, n = slot.num(e); i < n; i++) refFuncsIn(slot.getAt(e, i), out);
    }
  }
  return out;
}

export function opaqueWarnings(ctx: PassContext): string[] {
  const out: string[] = [];
  const list = (fns: Set<string>): string => {
    const l = [...fns];
    return `${l.length} function(s) (${l.slice(0, 3).join(', ')}${l.length > 3 ? ', ...' : ''})`;
  };
  for (const [kind, fns] of ctx.opaque) {
    out.push(`${kind} in ${list(fns)}: binaryen.js cannot walk it, so calls inside it report HOST as their parent`);
  }
  for (const [kind, fns] of ctx.opaqueExits) {
    out.push(`${kind} in ${list(fns)}: a return from inside it skips the exit hook (function_graph repairs its stack at the next event)`);
  }
  return out;
}

/**
 * Rewrites the call sites of one function so they set the caller token, and
 * hoists legacy-EH `pop`s so that wrapping a call never buries one in a block.
 */
class FunctionRewriter {
  callSites = 0;
  opaqueKinds = new Set<string>();
  /** name pointers of functions this body takes a reference to */
  refFuncs = new Set<number>();
  /** opaque kinds that may return past the exit hook */
  opaqueExits = new Set<string>();
  private temps = new Map<number, number>();

  private readonly mod: Module;
  /** interned name of the token global */
  private readonly token: number;
  /** exit hooks: returns become branches to `label`; tail calls run `hook()` first */
  private readonly exit: { label: string; hook: () => Ref } | null;

  constructor(
    private readonly ctx: PassContext,
    private readonly fnRef: Ref,
    private readonly ip: number,
  ) {
    this.mod = ctx.mod;
    this.token = ctx.hooks.tokenPtr;
    this.exit = ctx.exitHooks && ctx.traced[ip] ? { label: EXIT_LABEL, hook: () => ctx.hooks.exitHook(ip) } : null;
  }

  visit(e: Ref): Ref {
    const id = getId(e);
    if (IS_LEAF[id] === 1) {
      if (id === ID.RefFunc) this.refFuncs.add(refFuncGetFunc(e));
      return e;
    }
    const slots = SLOTS_BY_ID[id];
    if (!slots) {
      const effects = sideEffects(e, this.mod.ptr);
      if (effects & SIDE_EFFECT_CALLS) this.opaqueKinds.add(OPAQUE_KIND_NAMES[id] ?? `expression kind #${id}`);
      if (this.exit && effects & SIDE_EFFECT_BRANCHES) this.opaqueExits.add(OPAQUE_KIND_NAMES[id] ?? `expression kind #${id}`);
      return e;
    }
    if (id === ID.Try) this.hoistPops(e);
    for (let s = 0; s < slots.length; s++) {
      const slot = slots[s]!;
      if (slot.kind === 'fixed') {
        const c = slot.get(e);
        if (c) {
          const n = this.visit(c);
          if (n !== c) slot.set(e, n);
        }
      } else {
        const count = slot.num(e);
        for (let i = 0; i < count; i++) {
          const c = slot.getAt(e, i);
          const n = this.visit(c);
          if (n !== c) slot.setAt(e, i, n);
        }
      }
    }
    if (id === ID.Call || id === ID.CallIndirect || id === ID.CallRef) return this.rewriteCall(e, id);
    if (id === ID.Return && this.exit) return this.mod.br(this.exit.label, 0, returnGetValue(e) || undefined);
    return e;
  }

  /**
   * Sets the token right before control transfers: after the last child the
   * call evaluates. A tail call also leaves this function, so with exit hooks
   * the exit hook runs there too, before the token is set (the hook calls
   * out, and whatever it runs would overwrite the token).
   */
  private rewriteCall(e: Ref, id: number): Ref {
    const mod = this.mod;
    const m = mod.ptr;
    const isTail = (id === ID.Call ? callIsReturn : id === ID.CallIndirect ? callIndirectIsReturn : callRefIsReturn)(e) !== 0;
    const exitHook = isTail && this.exit ? this.exit.hook : null;
    let callee: number | null = REF_TAG;
    if (id === ID.Call) {
      const target = callGetTarget(e);
      callee = this.ctx.noTokenPtrs.has(target) ? null : (this.ctx.ipOfName.get(target) ?? REF_TAG);
    }
    if (callee === null && !exitHook) return e;
    const slots = CHILD_SLOTS.get(id)!;
    // The last evaluated child: the target of an indirect call, else the last operand.
    let last: Ref = 0;
    let setLast: (v: Ref) => void = () => {};
    if (id === ID.Call) {
      const n = callGetNumOperands(e);
      if (n > 0) {
        last = callGetOperandAt(e, n - 1);
        setLast = (v) => void callSetOperandAt(e, n - 1, v);
      }
    } else {
      const target = slots[1]!;
      if (target.kind === 'fixed') {
        last = target.get(e);
        setLast = (v) => target.set(e, v);
      }
    }
    if (last && getType(last) === binaryen.unreachable) return e; // the call is never reached

    // token = callee << 32 | caller
    const constToken = (tag: number) => cGlobalSet(m, this.token, cI64(m, (BigInt(tag >>> 0) << 32n) | BigInt(this.ip)));
    // (global.set $token (i64.or (i64.shl (i64.extend_i32_u slot|base) 32) caller))
    const slotToken = (slot: Ref, base: number) =>
      cGlobalSet(
        m,
        this.token,
        mod.i64.or(mod.i64.shl(mod.i64.extend_u(mod.i32.or(slot, mod.i32.const(base | 0))), cI64(m, 32n)), cI64(m, BigInt(this.ip))),
      );
    /** what runs right before the transfer, given the last child's value */
    let before: (value: () => Ref) => Ref[];
    if (callee === null) {
      before = () => [];
    } else if (id === ID.CallIndirect) {
      // The slot is the call's last operand: name it in the token, so that a
      // token left behind by a call that never reached a traced prologue (an
      // import in the table, a trap) is taken only by that slot's function.
      const base = SLOT_TAG | (this.tableIndex(e) << 24);
      // a table64's slot is an i64: the token keeps its low 24 bits either way
      const slot32 = (slot: () => Ref) => (getType(last) === binaryen.i64 ? mod.i32.wrap(slot()) : slot());
      before = (slot) => [getId(last) === ID.Const ? constToken(base | (constIndex(last) & 0xffffff)) : slotToken(slot32(slot), base)];
    } else {
      const tag = callee;
      before = () => [constToken(tag)];
    }
    const pre = (value: () => Ref): Ref[] => [...(exitHook ? [exitHook()] : []), ...before(value)];
    if (callee !== null) this.callSites++;

    if (!last) {
      const type = isTail ? binaryen.unreachable : getType(e);
      return cBlockOf(m, type, [...pre(() => 0), e]);
    }
    const type = getType(last);
    const lastId = getId(last);
    if (TRIVIAL_KINDS.has(lastId) && (exitHook === null || lastId !== ID.GlobalGet)) {
      // Evaluating `last` cannot call, trap or branch (and, when an exit hook
      // runs first, cannot see a global the hook might change): do it all
      // just before it.
      setLast(cBlockOf(m, type, [...pre(() => mod.copyExpression(last)), last]));
      return e;
    }
    if (id !== ID.CallIndirect) {
      // The token only has to come after every call `last` makes; an exit
      // hook, after anything `last` reads that the hook's callbacks could
      // change. When `last` does neither, no scratch local is needed.
      const mask = exitHook ? EFFECTS_AFTER_EXIT_HOOK : EFFECTS_AFTER_TOKEN;
      if ((sideEffects(last, mod.ptr) & mask) === 0) {
        setLast(cBlockOf(m, type, [...pre(() => 0), last]));
        return e;
      }
    }
    const temp = this.temp(type);
    setLast(cBlockOf(m, temp.type, [cLocalSet(m, temp.index, last), ...pre(temp.get), temp.get()]));
    return e;
  }

  private tableIndex(callIndirect: Ref): number {
    return this.ctx.tables.get(callIndirectGetTable(callIndirect)) ?? 0;
  }

  /**
   * One scratch local per type and function is enough: each use is
   * `local.set t <x>; global.set token; local.get t` with nothing between the
   * set and the get that could reuse t.
   */
  private temp(type: number): { index: number; get: () => Ref; type: number } {
    const nullable = NUMERIC_TYPES.has(type) || typeIsNullable(type) ? type : typeFromHeapType(typeGetHeapType(type), 1);
    let index = this.temps.get(nullable);
    if (index === undefined) {
      index = functionAddVar(this.fnRef, nullable);
      this.temps.set(nullable, index);
    }
    const i = index;
    if (nullable === type || !this.ctx.gcOutput) {
      // Without GC in the output every reference type is written nullable:
      // a non-nullable type here is only binaryen's own refinement (a
      // ref.func it reads as (ref $t)), and ref.as_non_null would be an
      // opcode the engines the module targets may not have.
      return { index: i, get: () => this.mod.local.get(i, nullable), type: nullable };
    }
    return { index: i, get: () => this.mod.ref.as_non_null(this.mod.local.get(i, nullable)), type };
  }

  /**
   * A legacy `catch` body starts with a `pop`, which must stay the first thing
   * the catch evaluates and may not be buried in a block. Before rewriting the
   * body, move the pop into `local.set $t (pop)` at the head of the catch body.
   */
  private hoistPops(tryExpr: Ref): void {
    const tags = tryGetNumCatchTags(tryExpr);
    for (let i = 0; i < tags; i++) {
      const body = tryGetCatchBodyAt(tryExpr, i);
      const found = findFirstPop(body);
      if (!found) continue;
      const type = getType(found.pop);
      const local = functionAddVar(this.fnRef, type);
      const get = this.mod.local.get(local, type);
      let rest: Ref;
      if (found.replace) {
        found.replace(get);
        rest = body;
      } else {
        rest = get; // the body was the pop itself
      }
      trySetCatchBodyAt(tryExpr, i, this.mod.block(null, [this.mod.local.set(local, found.pop), rest], getType(body)));
    }
  }
}

/** The pop a catch body starts with, reached through first-evaluated children. */
function findFirstPop(body: Ref): { pop: Ref; replace?: (v: Ref) => void } | undefined {
  if (getId(body) === ID.Pop) return { pop: body };
  let node = body;
  for (let depth = 0; depth < 1000; depth++) {
    const slots = CHILD_SLOTS.get(getId(node));
    if (!slots || slots.length === 0) return undefined;
    const first = slots[0]!;
    let child: Ref;
    let replace: (v: Ref) => void;
    const parent = node;
    if (first.kind === 'fixed') {
      child = first.get(parent);
      replace = (v) => first.set(parent, v);
    } else {
      if (first.num(parent) === 0) return undefined;
      child = first.getAt(parent, 0);
      replace = (v) => first.setAt(parent, 0, v);
    }
    if (!child) return undefined;
    if (getId(child) === ID.Pop) return { pop: child, replace };
    node = child;
  }
  return undefined;
}

