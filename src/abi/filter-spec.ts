/**
 * Filter text, parsed once: what set_ftrace_filter / set_ftrace_notrace and
 * the readers' -F/-N take. One or more expressions, separated by spaces or
 * commas:
 *
 *   name            the function with this exact name; failing that, a glob
 *   pre*, *suf, a*b a glob (glob.ts); `func[47]` names the function printed
 *                   as func[47] when one has that name, else it is a glob
 *   N               the function on line N (from 1) of available_filter_functions
 *   !expr           remove what expr selects
 *   expr:mod:NAME   only in modules whose name matches NAME (':mod:NAME' is all of it)
 *   glob:CMD[:ARG]  a command (traceon, traceoff, stacktrace, ... as the
 *                   consumer registers them); '!glob:CMD' removes it
 *
 * A spec is resolved against each module's own functions (resolveFilter):
 * expressions apply in order, adding or removing. Which expressions matched
 * nothing anywhere is the caller's question, asked over every module
 * (FilterSpec.unmatched), because an expression may match in one module and
 * not in another.
 */
import { compileGlob, type Glob } from './glob.js';

export class FilterError extends Error {
  override name = 'FilterError';
}

export interface FilterCommand {
  name: string;
  /** what follows the command, e.g. the count in 'f:traceoff:2' */
  param: string | undefined;
}

export interface FilterExpr {
  /** as written, '!' included */
  readonly text: string;
  readonly negate: boolean;
  /** the function part: a glob (or exact name), or a line number */
  readonly pattern: string;
  readonly line: number | null;
  readonly glob: Glob | null;
  /** `:mod:NAME`: the modules it applies to */
  readonly module: Glob | null;
  readonly command: FilterCommand | null;
}

/** What an expression selects from: one module's traced functions, in available_filter_functions order. */
export interface FilterUniverse {
  /** traced ips, ascending: line N of available_filter_functions is available[N-1] */
  available: readonly number[];
  nameOf(ip: number): string;
  /** the module's name, for `:mod:` */
  moduleName: string;
}

export class FilterSpec {
  static readonly EMPTY = new FilterSpec([]);

  private constructor(readonly exprs: readonly FilterExpr[]) {}

  /**
   * Parses filter text (one string, or several as -F given more than once).
   * `commands`: the command names the caller accepts; any other `glob:CMD`
   * is a FilterError naming them.
   */
  static parse(text: string | readonly string[], commands: readonly string[] = []): FilterSpec {
    const parts = typeof text === 'string' ? [text] : text;
    const exprs: FilterExpr[] = [];
    for (const part of parts) {
      for (const word of part.split(/[\s,]+/)) if (word.length > 0) exprs.push(parseExpr(word, commands));
    }
    return exprs.length === 0 ? FilterSpec.EMPTY : new FilterSpec(exprs);
  }

  /** A spec of expressions already parsed. */
  static of(exprs: readonly FilterExpr[]): FilterSpec {
    return exprs.length === 0 ? FilterSpec.EMPTY : new FilterSpec(exprs);
  }

  /** The expressions that select functions (no command). */
  get functions(): FilterExpr[] {
    return this.exprs.filter((e) => e.command === null);
  }

  /** The command expressions (triggers). */
  get commands(): FilterExpr[] {
    return this.exprs.filter((e) => e.command !== null);
  }

  get isEmpty(): boolean {
    return this.exprs.length === 0;
  }

  /** The spec with `more` appended (`>>`). */
  concat(more: FilterSpec): FilterSpec {
    return more.isEmpty ? this : this.isEmpty ? more : new FilterSpec([...this.exprs, ...more.exprs]);
  }

  get text(): string {
    return this.exprs.map((e) => e.text).join(' ');
  }

  /**
   * The function expressions that select nothing in any of `universes` (the
   * modules of a recording): each is an error once no module can arrive.
   */
  unmatched(universes: Iterable<FilterUniverse>): FilterExpr[] {
    const left = new Set(this.exprs);
    for (const u of universes) {
      for (const e of left) if (selectFunctions(e, u).length > 0) left.delete(e);
      if (left.size === 0) break;
    }
    return this.exprs.filter((e) => left.has(e));
  }
}

const SINGLE_COLON = /(?<!:):(?!:)/;

function parseExpr(word: string, commands: readonly string[]): FilterExpr {
  const negate = word.startsWith('!');
  const body = negate ? word.slice(1) : word;
  // A command follows a single ':'; '::' belongs to the name (C++ and Rust paths: 'geom::*').
  const colon = body.search(SINGLE_COLON);
  let pattern = colon < 0 ? body : body.slice(0, colon);
  let module: Glob | null = null;
  let command: FilterCommand | null = null;
  if (colon >= 0) {
    const rest = body.slice(colon + 1).split(SINGLE_COLON);
    const name = rest[0]!;
    if (name === 'mod') {
      if (rest.length !== 2 || rest[1] === '') throw new FilterError(`'${word}': ':mod:' takes one module name, as in 'parse*:mod:app'`);
      module = compileGlob(rest[1]!);
    } else if (commands.includes(name)) {
      command = { name, param: rest.length > 1 ? rest.slice(1).join(':') : undefined };
    } else {
      const also = commands.length > 0 ? ` and the commands ${commands.join(', ')}` : '';
      throw new FilterError(`'${word}': unknown filter command '${name}' (this filter accepts glob, !glob, N, glob:mod:NAME${also})`);
    }
    if (pattern === '') pattern = '*';
  }
  if (pattern === '') throw new FilterError(`'${word}': no function pattern`);
  const line = /^\d+$/.test(pattern) ? Number(pattern) : null;
  return { text: word, negate, pattern, line, glob: line === null ? compileGlob(pattern) : null, module, command };
}

/**
 * The ips one expression selects in a module (its negation is the caller's):
 * nothing when `:mod:` names another module; a function whose name is
 * exactly the pattern, else every name the glob matches.
 */
export function selectFunctions(e: FilterExpr, u: FilterUniverse): number[] {
  if (e.module !== null && !e.module.test(u.moduleName)) return [];
  if (e.line !== null) {
    const ip = e.line >= 1 ? u.available[e.line - 1] : undefined;
    return ip === undefined ? [] : [ip];
  }
  const exact = u.available.filter((ip) => u.nameOf(ip) === e.pattern);
  if (exact.length > 0 || e.glob!.kind === 'full') return exact;
  const glob = e.glob!;
  return u.available.filter((ip) => glob.test(u.nameOf(ip)));
}

/**
 * Resolves the function expressions of a spec in one module, in order, from
 * `start` (the current hash for `>>`, else empty). `selectsNothing` is true
 * when the spec adds functions, yet none of them here: the module must then
 * trace nothing, where an empty hash alone would mean everything (ftrace's
 * set semantics over several modules: `fa !fb` traces fa only, wherever
 * fa and fb live).
 */
export function resolveFilter(spec: FilterSpec, u: FilterUniverse, start: Iterable<number> = []): { ips: Set<number>; selectsNothing: boolean } {
  const ips = new Set<number>(start);
  let adds = ips.size > 0;
  for (const e of spec.exprs) {
    if (e.command !== null) continue;
    if (!e.negate) adds = true;
    for (const ip of selectFunctions(e, u)) {
      if (e.negate) ips.delete(ip);
      else ips.add(ip);
    }
  }
  return { ips, selectsNothing: adds && ips.size === 0 };
}
