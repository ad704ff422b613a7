/**
 * ftrace_hash: a set of ips, and the filter language that edits one.
 *
 * Hashes are immutable once published: an edit builds a new hash and swaps
 * the ops' pointer, so a list walk that already loaded the old one keeps a
 * consistent view (the kernel frees the old one with call_rcu_sched; here the
 * garbage collector does, for the same reason: nobody can still be reading it
 * once it is unreachable).
 */
import { compileGlob } from '../abi/glob.js';

export class FtraceHash {
  static readonly EMPTY = new FtraceHash([]);

  /** one bit per ip: has() sits on the list function's hot path, where a Set lookup costs several times more */
  private readonly bits: Uint32Array;

  private constructor(private readonly ips: readonly number[]) {
    let max = -1;
    for (const ip of ips) if (ip > max) max = ip;
    this.bits = new Uint32Array(max < 0 ? 0 : (max >>> 5) + 1);
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

/** What a filter expression can select from: the traced functions, in available_filter_functions order. */
export interface FilterUniverse {
  /** traced ips, ascending: line N of available_filter_functions is available[N-1] */
  available: readonly number[];
  nameOf(ip: number): string;
  /** the module's name, for `:mod:` */
  moduleName: string;
}

export class FilterError extends Error {
  override name = 'FilterError';
}

/**
 * Applies filter text to `current`, returning the new hash. The text is one
 * or more expressions separated by spaces or commas, as written to
 * set_ftrace_filter:
 *
 *   glob            add matching functions (name, pre*, *suf, *mid*, a*b)
 *   !glob           remove matching functions
 *   N               add the function on line N (from 1) of available_filter_functions
 *   glob:mod:NAME   only if this module is NAME ('*:mod:NAME' or ':mod:NAME' for all of it)
 *
 * `reset` starts from an empty hash (`>`), otherwise the text edits the
 * current one (`>>`). An expression that selects nothing is an error, and on
 * error nothing changes.
 */
export function applyFilterText(current: FtraceHash, text: string, reset: boolean, universe: FilterUniverse): FtraceHash {
  const next = new Set<number>(reset ? [] : current);
  for (const expr of text.split(/[\s,]+/).filter((t) => t.length > 0)) {
    const negate = expr.startsWith('!');
    const body = negate ? expr.slice(1) : expr;
    const matched = selectFunctions(body, universe);
    if (matched.length === 0) throw new FilterError(`'${expr}' matches no function`);
    for (const ip of matched) {
      if (negate) next.delete(ip);
      else next.add(ip);
    }
  }
  return FtraceHash.of(next);
}

function selectFunctions(expr: string, u: FilterUniverse): number[] {
  const parts = expr.split(':');
  let pattern = parts[0]!;
  if (parts.length > 1) {
    const command = parts[1];
    if (command !== 'mod' || parts.length !== 3) {
      throw new FilterError(`'${expr}': unknown filter command '${command ?? ''}' (this filter accepts glob, !glob, N and glob:mod:NAME)`);
    }
    if (!compileGlob(parts[2]!).test(u.moduleName)) return [];
    if (pattern === '') pattern = '*';
  }
  if (pattern === '') return [];
  if (/^\d+$/.test(pattern)) {
    const line = Number(pattern);
    const ip = line >= 1 ? u.available[line - 1] : undefined;
    return ip === undefined ? [] : [ip];
  }
  const glob = compileGlob(pattern);
  return u.available.filter((ip) => glob.test(u.nameOf(ip)));
}
