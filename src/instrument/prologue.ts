/**
 * Prologue and exit epilogue of every traced function:
 *
 *     (func $f (local $t i64)
 *       (if (i32.and (global.get $guard_w) (i32.const bit))       ;; the entry guard
 *         (block
 *           (local.set $t (global.get $token))                     ;; take the token...
 *           (global.set $token (i64.const -1))                     ;; ...and reset it before calling out
 *           (call $mcount (i32.const ip)                           ;; (ip: i32, parent_ip: i32) -> ()
 *             (select (i32.wrap_i64 (local.get $t)) (i32.const HOST) <the token names us>))))
 *       <body>)
 *
 * With exit hooks the body becomes `(block $exit <body>)` followed by the
 * exit hook (the result kept in a local meanwhile); returns were rewritten
 * to `br $exit` by call-sites.ts.
 */
import { HOST_IP } from '../abi/index.js';
import binaryen from './binaryen.js';
import { functionAddVar, functionGetBody, functionGetResults, functionSetBody, i64 } from './c-api.js';
import { EXIT_LABEL, type PassContext } from './context.js';

export function addPrologues(ctx: PassContext): void {
  const { mod, hooks } = ctx;
  for (let i = ctx.importCount; i < ctx.functionCount; i++) {
    if (!ctx.traced[i]) continue; // notrace: no prologue
    const fnRef = ctx.fnRefs[i]!;
    // parent = (t >> 32 names us) ? (i32)t : HOST
    const t = functionAddVar(fnRef, binaryen.i64);
    const hi = () => mod.i32.wrap(mod.i64.shr_u(mod.local.get(t, binaryen.i64), i64(mod, 32n)));
    let namesUs = mod.i32.eq(hi(), mod.i32.const(i));
    const tags = ctx.slotTags[i]!;
    if (ctx.escapes.has(i) || tags.length > 8) {
      // any slot or call_ref token (top bit set), but not the reset value -1
      namesUs = mod.i32.or(namesUs, mod.i32.and(mod.i32.lt_s(hi(), mod.i32.const(0)), mod.i32.ne(hi(), mod.i32.const(-1))));
    } else {
      for (const tag of tags) namesUs = mod.i32.or(namesUs, mod.i32.eq(hi(), mod.i32.const(tag | 0)));
    }
    const parent = mod.select(namesUs, mod.i32.wrap(mod.local.get(t, binaryen.i64)), mod.i32.const(HOST_IP | 0));
    const prologue = mod.if(
      mod.i32.and(mod.global.get(hooks.guardNames[i >> 5]!, binaryen.i32), mod.i32.const(1 << (i & 31))),
      mod.block(null, [
        mod.local.set(t, mod.global.get(hooks.tokenName, binaryen.i64)),
        mod.global.set(hooks.tokenName, i64(mod, -1n)),
        // (call $mcount (i32 ip) (i32 parent_ip)) -> ()
        mod.call(hooks.mcountName, [mod.i32.const(i), parent], binaryen.none),
      ]),
    );
    ctx.counts.instrumented++;
    const results = functionGetResults(fnRef);
    let body = functionGetBody(fnRef);
    if (ctx.exitHooks) {
      // Returns became `br $exit`; the body's own fall-through and branches to
      // its outer block land here too.
      const inner = mod.block(EXIT_LABEL, [body], results);
      if (results === binaryen.none) {
        body = mod.block(null, [inner, hooks.exitHook(i)], binaryen.none);
      } else {
        const r = functionAddVar(fnRef, results);
        body = mod.block(null, [mod.local.set(r, inner), hooks.exitHook(i), mod.local.get(r, results)], results);
      }
    }
    functionSetBody(fnRef, mod.block(null, [prologue, body], results));
  }
}
