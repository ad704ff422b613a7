/**
 * ftrace_hash: a set of ips, and the filter language that edits one.
 *
 * Hashes are immutable once published: an edit builds a new hash and swaps
 * the ops' pointer, so a list walk that already loaded the old one keeps a
 * consistent view (the kernel frees the old one with call_rcu_sched; here the
 * garbage collector does, for the same reason: nobody can still be reading it
 * once it is unreachable).
 */
import { FilterError, FilterSpec, resolveFilter, type FilterUniverse } from '../abi/filter-spec.js';

export class FtraceHash {
  static readonly EMPTY = new FtraceHash([]);

  /** one bit per ip: has() sits on the list function's hot path, where a Set lookup costs several times more */
  private readonly bits: Uint32Array;

  /** `ips` sorted ascending, without duplicates (of() makes them so) */
  private constructor(private readonly ips: readonly number[]) {
    const max = ips[ips.length - 1];
    this.bits = new Uint32Array(max === undefined ? 0 : (max >>> 5) + 1);
    for (const ip of ips) this.bits[ip >>> 5]! |= 1 << (ip & 31);
  }

  static of(ips: Iterable<number>): FtraceHash {
    const sorted = [...new Set(ips)].sort((a, b) => a - b);
    return sorted.length === 0 ? FtraceHash.EMPTY : new FtraceHash(sorted);
  }

  get size(): number {
    return this.ips.length;
  }

  has(ip: number): boolean {
    const w = ip >>> 5;
    return w < this.bits.length && ((this.bits[w]! >>> (ip & 31)) & 1) === 1;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.ips[Symbol.iterator]();
  }
}

export { FilterError };
export type { FilterUniverse };

/**
 * Applies filter text (or a spec parsed once, FilterSpec) to `current`,
 * returning the new hash; the language is src/abi/filter-spec.ts's, without
 * commands. `reset` starts from an empty hash (`>`), otherwise the text edits
 * the current one (`>>`). With text, an expression that selects nothing in
 * this module is an error, and on error nothing changes; a spec's
 * expressions are checked across modules by whoever holds them all.
 */
export function applyFilterText(current: FtraceHash, text: string | FilterSpec, reset: boolean, universe: FilterUniverse): FtraceHash {
  const spec = typeof text === 'string' ? FilterSpec.parse(text) : text;
  if (typeof text === 'string') {
    const missing = spec.unmatched([universe])[0];
    if (missing) throw new FilterError(`'${missing.text}' matches no function`);
  }
  return FtraceHash.of(resolveFilter(spec, universe, reset ? [] : current).ips);
}
