/**
 * ftrace's filter glob language, as written to set_ftrace_filter:
 *
 *   name     exact match          (MATCH_FULL)
 *   pre*     prefix               (MATCH_FRONT_ONLY)
 *   *suf     suffix               (MATCH_END_ONLY)
 *   *mid*    substring            (MATCH_MIDDLE_ONLY)
 *   a*b, a?c, [abc]*  a full glob (MATCH_GLOB)
 *
 * The kernel picks the cheapest matcher for each pattern; so do we, because
 * the pass runs a pattern against every function of modules with 10^5 of them.
 * A leading '!' (negation) is the caller's business, not the matcher's.
 */

export type GlobKind = 'full' | 'front' | 'end' | 'middle' | 'glob';

export interface Glob {
  readonly source: string;
  readonly kind: GlobKind;
  test(name: string): boolean;
}

const GLOB_META = /[*?[\]\\]/;

export function compileGlob(pattern: string): Glob {
  if (pattern.length === 0) throw new Error('empty filter pattern');
  const inner = pattern.slice(1, -1);
  if (!GLOB_META.test(pattern)) {
    return { source: pattern, kind: 'full', test: (n) => n === pattern };
  }
  if (pattern.length > 1 && pattern.startsWith('*') && pattern.endsWith('*') && !GLOB_META.test(inner)) {
    return { source: pattern, kind: 'middle', test: (n) => n.includes(inner) };
  }
  const head = pattern.slice(0, -1);
  if (pattern.endsWith('*') && !GLOB_META.test(head)) {
    return { source: pattern, kind: 'front', test: (n) => n.startsWith(head) };
  }
  const tail = pattern.slice(1);
  if (pattern.startsWith('*') && !GLOB_META.test(tail)) {
    return { source: pattern, kind: 'end', test: (n) => n.endsWith(tail) };
  }
  const re = globToRegExp(pattern);
  return { source: pattern, kind: 'glob', test: (n) => re.test(n) };
}

/** `*` any run, `?` one character, `[...]` a class (`[!...]` or `[^...]` negated), `\x` literal x. */
function globToRegExp(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '\\' && i + 1 < pattern.length) out += escapeRegExp(pattern[++i]!);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      out += '[' + (negate ? '^' : '') + body.replace(/[\\\]]/g, '\\$&') + ']';
      i = close;
    } else out += escapeRegExp(c);
  }
  return new RegExp(out + '$', 's');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** True when any of the globs matches `name`. An empty list matches nothing. */
export function matchesAny(globs: readonly Glob[], name: string): boolean {
  for (const g of globs) if (g.test(name)) return true;
  return false;
}
