/**
 * The function_graph tracer's view of the wasm call stack, kept from entry
 * and exit events, and repaired when frames vanish without an exit (a trap
 * or an exception unwound them).
 *
 * Repair rules:
 *   - an exit for a function below the top pops the frames above it (they
 *     were unwound); an exit for a function not on the stack is stray and
 *     ignored (its entry was before tracing started, or was filtered);
 *   - an entry whose parent is on the stack below the top pops the frames
 *     above the parent (an exception was caught in the parent);
 *   - an entry from the host (parent HOST): when the runtime reports host
 *     calls (JS imports the module called, see TraceArray.importsFor), the
 *     frames above the innermost host call's mark were unwound by a trap
 *     that reached JS; without those reports a host entry just nests.
 *     An import that is another instance's wasm export is not wrapped (a
 *     JS wrapper would refuse v128 and turn wasm-to-wasm calls into
 *     wasm-JS-wasm), so such a call leaves no mark: a host entry with frames
 *     above the mark is taken as a nested call when the JS stack shows a
 *     wasm frame right below the entered function (wasm called it
 *     directly), and as a trap's leftovers otherwise.
 *     Checked first: a function whose calls the pass could not see into
 *     (try_table...: `opaqueCallers`) makes entries that report HOST too, so
 *     a host entry nests under the innermost such frame on the stack, and
 *     the frames above it were unwound (an exception its try_table caught).
 * Unwound frames are counted, never silently dropped.
 */
import { HOST_IP } from '../abi/index.js';

export const FRAME_RECORDED = 1;
export const FRAME_GRAPH_FUNCTION = 2;
export const FRAME_GRAPH_NOTRACE = 4;

export class ShadowStack {
  depth = 0;
  ips = new Uint32Array(256);
  /** entry timestamp */
  ts = new Float64Array(256);
  /** time spent in callees (for self time) */
  childTime = new Float64Array(256);
  flags = new Uint8Array(256);
  /** frames on the stack with FRAME_RECORDED / GRAPH_FUNCTION / GRAPH_NOTRACE */
  recordedDepth = 0;
  inGraphFunction = 0;
  inGraphNotrace = 0;
  /** frames popped without their exit */
  unwound = 0;
  /** exits that matched no frame */
  strayExits = 0;
  /** depth at each host call (import) in progress, when the runtime reports them */
  hostMarks: number[] = [];
  tracksHost = false;
  /** FtraceMetadata.opaqueCallers of the instance */
  opaqueCallers: ReadonlySet<number> | null;
  /** wasm frames between a traced function and the JS hook: 1 in a module with a trace memory (the recorder's dispatch) */
  hookFrames = 0;

  constructor(opaqueCallers?: readonly number[]) {
    this.opaqueCallers = opaqueCallers?.length ? new Set(opaqueCallers) : null;
  }

  private get base(): number {
    return this.hostMarks.length > 0 ? this.hostMarks[this.hostMarks.length - 1]! : 0;
  }

  push(ip: number, ts: number, flags: number): void {
    const d = this.depth;
    if (d === this.ips.length) this.grow();
    this.ips[d] = ip;
    this.ts[d] = ts;
    this.childTime[d] = 0;
    this.flags[d] = flags;
    this.depth = d + 1;
    if (flags & FRAME_RECORDED) this.recordedDepth++;
    if (flags & FRAME_GRAPH_FUNCTION) this.inGraphFunction++;
    if (flags & FRAME_GRAPH_NOTRACE) this.inGraphNotrace++;
  }

  /** Pops frames until `depth` frames remain, keeping the counters right. */
  truncate(depth: number): void {
    for (let d = this.depth - 1; d >= depth; d--) {
      const f = this.flags[d]!;
      if (f & FRAME_RECORDED) this.recordedDepth--;
      if (f & FRAME_GRAPH_FUNCTION) this.inGraphFunction--;
      if (f & FRAME_GRAPH_NOTRACE) this.inGraphNotrace--;
    }
    this.depth = depth;
  }

  /** Repairs the stack before an entry called by `parent`. */
  beforeEntry(parent: number): void {
    const base = this.base;
    if (parent === HOST_IP) {
      if (this.tracksHost && this.depth > base) {
        // keep: one past the innermost opaqueCallers frame, else base
        let keep = this.depth;
        while (keep > base && !this.opaqueCallers?.has(this.ips[keep - 1]!)) keep--;
        if (keep > base || !calledFromWasm(this.hookFrames)) {
          this.unwound += this.depth - keep;
          this.truncate(keep);
        }
      }
      return;
    }
    if (this.depth > base && this.ips[this.depth - 1] === parent) return;
    for (let d = this.depth - 2; d >= base; d--) {
      if (this.ips[d] === parent) {
        this.unwound += this.depth - 1 - d;
        this.truncate(d + 1);
        return;
      }
    }
  }

  /**
   * Finds the frame an exit of `ip` closes, popping what was unwound above
   * it; returns its index, or -1 for a stray exit. The frame itself is still
   * on the stack: the caller reads it, then truncate(index).
   */
  frameForExit(ip: number): number {
    const base = this.base;
    for (let d = this.depth - 1; d >= base; d--) {
      if (this.ips[d] === ip) {
        if (d < this.depth - 1) {
          this.unwound += this.depth - 1 - d;
          this.truncate(d + 1);
        }
        return d;
      }
    }
    this.strayExits++;
    return -1;
  }

  hostEnter(): void {
    this.hostMarks.push(this.depth);
  }

  hostLeave(): void {
    const mark = this.hostMarks.pop() ?? 0;
    // Whatever the host call left above its mark was unwound in it.
    if (this.depth > mark) {
      this.unwound += this.depth - mark;
      this.truncate(mark);
    }
  }

  private grow(): void {
    const n = this.ips.length * 2;
    this.ips = grown(this.ips, n);
    this.ts = grown(this.ts, n);
    this.childTime = grown(this.childTime, n);
    this.flags = grown(this.flags, n);
  }
}

/**
 * Was the wasm function now calling mcount (below `hookFrames` frames of the
 * pass's own, the in-wasm recorder's dispatch) called by wasm (another
 * instance's code, through an import that is a wasm export or a table), not
 * by JS? Read off the JS stack: the frame below the innermost wasm frame.
 * Engines name wasm frames `wasm-function[N]` (V8, SpiderMonkey); a stack
 * without any says nothing, and the answer is no (the old rule: unwound).
 * Only asked for a host entry into an instance that has frames open above
 * its host mark, which is rare: a trap's leftovers, or a wasm-to-wasm call.
 */
function calledFromWasm(hookFrames: number): boolean {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  E.stackTraceLimit = limit;
  const lines = stack.split('\n');
  const first = lines.findIndex((l) => l.includes('wasm-function['));
  return first >= 0 && (lines[first + hookFrames + 1]?.includes('wasm-function[') ?? false);
}

/** A copy of `a` in a new array of its type with `n` elements. */
function grown<T extends Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a as ArrayLike<number>);
  return b;
}
