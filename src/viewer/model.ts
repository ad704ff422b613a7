/**
 * What the viewer draws, computed once per trace: every call as
 * {start, end, depth, name} in typed arrays, grouped per lane (instance)
 * and depth in start order for binary search, and the aggregated call tree
 * of the flame graph. One walkCalls() pass, so calls match exactly as the
 * profile, folded and Chrome outputs match them.
 *
 * No Node APIs, no DOM: tested in Node, run in browsers.
 */
import type { TraceData } from '../ring/event.js';
import { functionName } from '../abi/index.js';
import { instanceTable } from '../output/ftrace-text.js';
import { walkCalls, type CallFrame } from '../output/calls.js';
import { sourceLineOf } from '../output/source-line.js';

/** the call's EXIT is not in the trace (a trap unwound it, or the trace ends first) */
export const CALL_NO_EXIT = 1;
/** the call's ENTRY is not in the trace (overwritten in the ring) */
export const CALL_NO_ENTRY = 2;

export interface Lane {
  instance: number;
  label: string;
  /** deepest depth + 1 (0 for a lane without calls) */
  rows: number;
  /** per depth: indices of calls, ordered by start */
  byDepth: Int32Array[];
  /** per depth: running maximum of `end` over byDepth (for the first call visible at a time) */
  maxEnd: Float64Array[];
}

export interface CallTable {
  count: number;
  start: Float64Array;
  end: Float64Array;
  depth: Uint32Array;
  /** index into names */
  name: Uint32Array;
  /** index into lanes */
  lane: Uint16Array;
  /** CALL_NO_EXIT | CALL_NO_ENTRY */
  flags: Uint8Array;
  /** display names: one per (instance, ip) seen, then the flame graph's own labels */
  names: string[];
  /** per name: the function's file:line, where the module's DWARF or source map gave one */
  sources: (string | undefined)[];
  lanes: Lane[];
  /** time range of all calls (ts units); 0..1 without calls */
  t0: number;
  t1: number;
  /** clock 'counter': x is a sequence number, durations count events */
  counter: boolean;
  /** computed when first read */
  readonly flame: FlameTree;
}

/**
 * The call tree aggregated by stack: node 0 is the root ('all'); with
 * several instances each has a node under it. Children are ordered by
 * weight, heaviest first.
 */
export interface FlameTree {
  count: number;
  parent: Int32Array;
  name: Uint32Array;
  depth: Uint32Array;
  /** inclusive time of the calls of this stack (ts units) */
  total: Float64Array;
  calls: Float64Array;
  /** children of node i: childList[childStart[i] .. childStart[i + 1]) */
  childStart: Int32Array;
  childList: Int32Array;
  /** 'total' unless every call has zero duration: then 'calls' */
  weight: 'total' | 'calls';
  maxDepth: number;
}

/** A typed array that grows: push() returns the index. */
class Growable<T extends Float64Array | Int32Array> {
  a: T;
  n = 0;
  constructor(private readonly make: new (n: number) => T) {
    this.a = new make(1024);
  }
  push(v: number): number {
    if (this.n === this.a.length) {
      const b = new this.make(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n] = v;
    return this.n++;
  }
}

/** Every call of a trace, ready to draw. */
export function buildCallTable(trace: TraceData): CallTable {
  const table = instanceTable(trace);
  const infos = [...table.values()].sort((a, b) => a.id - b.id);
  // instance id -> lane (ids are small integers: a Uint16 in the data file)
  const laneById: number[] = [];
  infos.forEach((info, i) => (laneById[info.id] = i));
  // per lane: ip -> name index (ips index a module's functions: dense)
  const nameIds: number[][] = infos.map(() => []);
  const names: string[] = [];
  const sources: (string | undefined)[] = [];
  const nameOf = (lane: number, ip: number): number => {
    const m = nameIds[lane]!;
    let id = m[ip];
    if (id === undefined) {
      id = names.length;
      names.push(functionName(infos[lane], ip));
      sources[id] = sourceLineOf(infos[lane], ip);
      m[ip] = id;
    }
    return id;
  };

  // Calls are at most one per ENTRY or EXIT.
  let cap = 0;
  for (const ev of trace.events) if (ev.type === 1 || ev.type === 2) cap++;
  const start = new Float64Array(cap);
  const end = new Float64Array(cap);
  const depth = new Uint32Array(cap);
  const name = new Uint32Array(cap);
  const laneArr = new Uint16Array(cap);
  const flags = new Uint8Array(cap);
  let count = 0;

  // Flame tree nodes, grown as stacks appear; (parent, name) -> node through an open-addressing table.
  const fParent = new Growable(Int32Array);
  const fName = new Growable(Int32Array);
  const fDepth = new Growable(Int32Array);
  const fTotal = new Growable(Float64Array);
  const fCalls = new Growable(Float64Array);
  let slots = new Int32Array(1 << 12); // node + 1; 0 = empty
  const slotOf = (parent: number, nm: number, table: Int32Array): number => {
    const mask = table.length - 1;
    let h = Math.imul(parent, 0x9e3779b1) ^ Math.imul(nm + 1, 0x85ebca77);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = (h ^ (h >>> 13)) & mask;
    for (;;) {
      const v = table[h]!;
      if (v === 0 || (fParent.a[v - 1] === parent && fName.a[v - 1] === nm)) return h;
      h = (h + 1) & mask;
    }
  };
  const newNode = (parent: number, nm: number): number => {
    const id = fParent.push(parent);
    fName.push(nm);
    fDepth.push(parent < 0 ? 0 : fDepth.a[parent]! + 1);
    fTotal.push(0);
    fCalls.push(0);
    return id;
  };
  newNode(-1, 0); // the root; its name is set below
  const special = (label: string): number => {
    names.push(label);
    return names.length - 1;
  };
  const child = (parent: number, nm: number): number => {
    const h = slotOf(parent, nm, slots);
    const v = slots[h]!;
    if (v !== 0) return v - 1;
    const id = newNode(parent, nm);
    if (2 * fParent.n > slots.length) {
      const bigger = new Int32Array(slots.length * 2);
      for (let i = 1; i < fParent.n; i++) bigger[slotOf(fParent.a[i]!, fName.a[i]!, bigger)] = i + 1;
      slots = bigger;
    } else slots[h] = id + 1;
    return id;
  };
  fName.a[0] = special('all');
  const laneRoot = infos.map((info) => (infos.length > 1 ? child(0, special(info.name)) : 0));
  const unknownRoot = new Map<number, number>();
  // Per lane, the open (entered) calls and their flame nodes: walkCalls closes them innermost first.
  const openFrames: CallFrame[][] = infos.map(() => []);
  const openNodes: number[][] = infos.map(() => []);
  const nodeFor = (frame: CallFrame, lane: number, nm: number): number => {
    let parent: number;
    if (frame.parent) {
      const of = openFrames[lane]!;
      parent = of.at(-1) === frame.parent ? openNodes[lane]!.at(-1)! : laneRoot[lane]!;
      if (of.at(-1) !== frame.parent) {
        const at = of.lastIndexOf(frame.parent);
        if (at >= 0) parent = openNodes[lane]![at]!;
      }
    } else if (frame.depth === 0) parent = laneRoot[lane]!;
    else {
      let u = unknownRoot.get(lane);
      if (u === undefined) {
        u = child(laneRoot[lane]!, special('(callers not in trace)'));
        unknownRoot.set(lane, u);
      }
      parent = u;
    }
    return child(parent, nm);
  };

  const rows = new Uint32Array(infos.length);
  const add = (frame: CallFrame, s: number, e: number, f: number): void => {
    const lane = laneById[frame.instance]!;
    const nm = nameOf(lane, frame.ip);
    let node: number;
    const of = openFrames[lane]!;
    if (frame.entered && of.at(-1) === frame) {
      of.pop();
      node = openNodes[lane]!.pop()!;
    } else node = nodeFor(frame, lane, nm);
    fTotal.a[node]! += e - s;
    fCalls.a[node]! += 1;
    const i = count++;
    start[i] = s;
    end[i] = e;
    depth[i] = frame.depth;
    name[i] = nm;
    laneArr[i] = lane;
    flags[i] = f;
    if (frame.depth + 1 > rows[lane]!) rows[lane] = frame.depth + 1;
  };
  walkCalls(trace, {
    enter(frame) {
      const lane = laneById[frame.instance]!;
      const node = nodeFor(frame, lane, nameOf(lane, frame.ip));
      openFrames[lane]!.push(frame);
      openNodes[lane]!.push(node);
    },
    exit(frame, ev) {
      add(frame, frame.start, ev.ts, frame.entered ? 0 : CALL_NO_ENTRY);
    },
    lost(frame, ts) {
      add(frame, frame.start, Math.max(ts, frame.start), CALL_NO_EXIT);
    },
  });

  // Group by lane and depth, in start order.
  const lanes: Lane[] = infos.map((info, l) => ({
    instance: info.id,
    label: info.name,
    rows: rows[l]!,
    byDepth: [],
    maxEnd: [],
  }));
  const sizes = lanes.map((ln) => new Int32Array(ln.rows));
  for (let i = 0; i < count; i++) sizes[laneArr[i]!]![depth[i]!]!++;
  lanes.forEach((ln, l) => {
    for (let d = 0; d < ln.rows; d++) ln.byDepth.push(new Int32Array(sizes[l]![d]!));
  });
  const fill = lanes.map((ln) => new Int32Array(ln.rows));
  let t0 = Infinity;
  let t1 = -Infinity;
  for (let i = 0; i < count; i++) {
    const l = laneArr[i]!;
    const d = depth[i]!;
    lanes[l]!.byDepth[d]![fill[l]![d]!++] = i;
    if (start[i]! < t0) t0 = start[i]!;
    if (end[i]! > t1) t1 = end[i]!;
  }
  for (const ln of lanes) {
    for (let d = 0; d < ln.rows; d++) {
      let idx = ln.byDepth[d]!;
      // Calls close in start order at one depth, except around ring overwrites and traps.
      let sorted = true;
      for (let k = 1; k < idx.length; k++) {
        if (start[idx[k]!]! < start[idx[k - 1]!]!) {
          sorted = false;
          break;
        }
      }
      if (!sorted) {
        idx = Int32Array.from([...idx].sort((a, b) => start[a]! - start[b]! || a - b));
        ln.byDepth[d] = idx;
      }
      const me = new Float64Array(idx.length);
      let m = -Infinity;
      for (let k = 0; k < idx.length; k++) {
        const e = end[idx[k]!]!;
        if (e > m) m = e;
        me[k] = m;
      }
      ln.maxEnd.push(me);
    }
  }
  if (count === 0) {
    t0 = 0;
    t1 = 1;
  } else if (t1 <= t0) t1 = t0 + 1;

  // The flame tree: totals of lane roots and the root, then children by weight (when first asked for).
  const finishFlame = (): FlameTree => {
    const n = fParent.n;
    const pa = fParent.a;
    const total = fTotal.a.slice(0, n);
    const calls = fCalls.a.slice(0, n);
    // Children always come after their parent, so one backwards pass sums the synthetic nodes.
    const synthetic = new Uint8Array(n);
    synthetic[0] = 1;
    for (const r of laneRoot) synthetic[r] = 1;
    for (const u of unknownRoot.values()) synthetic[u] = 1;
    for (let i = n - 1; i > 0; i--) {
      const p = pa[i]!;
      if (synthetic[p]) {
        total[p]! += total[i]!;
        calls[p]! += calls[i]!;
      }
    }
    const weight: FlameTree['weight'] = total[0]! > 0 ? 'total' : 'calls';
    const w = weight === 'total' ? total : calls;
    const childStart = new Int32Array(n + 1);
    for (let i = 1; i < n; i++) childStart[pa[i]! + 1]!++;
    for (let i = 0; i < n; i++) childStart[i + 1]! += childStart[i]!;
    const childList = new Int32Array(Math.max(0, n - 1));
    const at = childStart.slice(0, n);
    for (let i = 1; i < n; i++) childList[at[pa[i]!]!++] = i;
    let maxDepth = 0;
    for (let i = 0; i < n; i++) {
      const a = childStart[i]!;
      const b = childStart[i + 1]!;
      if (b - a > 1) childList.subarray(a, b).sort((x, y) => w[y]! - w[x]! || x - y);
      if (fDepth.a[i]! > maxDepth) maxDepth = fDepth.a[i]!;
    }
    const tree: FlameTree = {
      count: n,
      parent: pa.slice(0, n),
      name: new Uint32Array(fName.a.subarray(0, n)),
      depth: new Uint32Array(fDepth.a.subarray(0, n)),
      total,
      calls,
      childStart,
      childList,
      weight,
      maxDepth,
    };
    return tree;
  };
  let flame: FlameTree | null = null;

  return {
    count,
    start: start.subarray(0, count),
    end: end.subarray(0, count),
    depth: depth.subarray(0, count),
    name: name.subarray(0, count),
    lane: laneArr.subarray(0, count),
    flags: flags.subarray(0, count),
    names,
    sources,
    lanes,
    t0,
    t1,
    counter: trace.clock === 'counter',
    get flame(): FlameTree {
      return (flame ??= finishFlame());
    },
  };
}

/** The first k in [0, n) with a[k] > t, or n. */
export function firstAbove(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The first k with start[idx[k]] >= t, or idx.length. */
export function firstStartAtOrAfter(idx: Int32Array, start: Float64Array, t: number): number {
  let lo = 0;
  let hi = idx.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (start[idx[mid]!]! >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A duration in the clock's unit, for people: `12.3 us`, `4.56 ms`, `7 events`. */
export function formatDuration(v: number, counter: boolean): string {
  if (counter) return `${Math.round(v)} event${Math.round(v) === 1 ? '' : 's'}`;
  const a = Math.abs(v);
  if (a === 0) return '0';
  let k = a < 1 ? 0 : a < 1e3 ? 1 : a < 1e6 ? 2 : 3;
  // 999.96 us rounds to 3 digits as 1000: say 1.00 ms, not 1.00e+3 us
  if (k < 3 && Math.abs(Number((v / DURATION_UNITS[k]![1]).toPrecision(3))) >= 1000) k++;
  const [unit, scale] = DURATION_UNITS[k]!;
  const x = v / scale;
  return `${Math.abs(x) >= 1000 ? Math.round(x) : x.toPrecision(3)} ${unit}`;
}

const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['ns', 1e-3],
  ['us', 1],
  ['ms', 1e3],
  ['s', 1e6],
];

/** 32-bit FNV-1a of a string: stable colors per name. */
export function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
