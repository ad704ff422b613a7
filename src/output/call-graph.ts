/**
 * uftrace's `graph FUNC`: the backtraces that lead to FUNC (each distinct
 * chain of callers, with its hit count and time), then the call graph below
 * FUNC merged over all its calls, each node with hits, total and self time:
 *
 *   ========== BACKTRACE ==========
 *    backtrace #0: hit 2, time  30.000 us
 *      [0] main
 *      [1] parse
 *
 *   ========== FUNCTION CALL GRAPH ==========
 *   # TOTAL TIME   SELF TIME   FUNCTION
 *     30.000 us    2.000 us : (2) parse
 *     20.000 us   20.000 us :  +-(4) lex
 *                           :  |
 *      8.000 us    8.000 us :  +-(2) emit
 *
 * The tree is drawn as uftrace's pr_indent() draws it: a node with one
 * callee continues straight down, a node with several opens a branch (`+-`)
 * per callee with a `|` rule and a blank line between them.
 *
 * Streamed: one pass through walkCalls(), keeping one node per distinct call
 * path under FUNC and one entry per distinct backtrace, never events.
 * Recursion into FUNC under FUNC stays in the tree, as uftrace keeps it.
 *
 * No Node APIs: this runs in browsers too.
 */
import { functionName } from '../abi/index.js';
import { clockHasTime, type TraceStream } from '../ring/event.js';
import { walkCalls, type CallFrame } from './calls.js';
import { instanceTable } from './ftrace-text.js';
import { printable } from './printable.js';
import { sourceLineOf } from './source-line.js';

export interface CallGraphNode {
  name: string;
  /** ENTRY events: uftrace's `(N)` */
  hits: number;
  /** inclusive time of completed calls, in the clock's unit */
  total: number;
  /** total minus the time of direct children */
  self: number;
  /** callees in order of first call, keyed by instance:ip */
  children: Map<string, CallGraphNode>;
  /** `file:line` where the module's DWARF or source map gave one */
  source?: string;
}

export interface Backtrace {
  /** outermost caller first, FUNC last; '?' stands for callers the trace does not hold */
  chain: string[];
  /** the source line of each name in chain, where known */
  sources: (string | undefined)[];
  hits: number;
  time: number;
}

export interface CallGraph {
  func: string;
  /** FUNC merged over all its calls (every instance that has a function of that name) */
  root: CallGraphNode;
  backtraces: Backtrace[];
  /** the clock counts time (perf, worker) rather than events (counter) */
  times: boolean;
}

/** Whether some instance of the trace has a function displayed as `func` (its name, or func[N] for an unnamed one). */
export function hasFunction(trace: TraceStream, func: string): boolean {
  return trace.instances.some((info) => {
    const count = Math.max(info.names.length, info.functionCount ?? 0);
    for (let ip = 0; ip < count; ip++) if (functionName(info, ip) === func) return true;
    return false;
  });
}

/** Aggregates the calls of `func` (by name) in one pass. */
export function computeCallGraph(trace: TraceStream, func: string): CallGraph {
  const table = instanceTable(trace);
  const nameOf = (f: CallFrame): string => functionName(table.get(f.instance), f.ip);
  const sourceOf = (f: CallFrame): string | undefined => sourceLineOf(table.get(f.instance), f.ip);
  const newNode = (name: string, source?: string): CallGraphNode => ({ name, hits: 0, total: 0, self: 0, children: new Map(), ...(source !== undefined ? { source } : {}) });
  const root = newNode(func);
  const backtraces = new Map<string, Backtrace>();
  // The open calls under FUNC and their nodes (a frame is dropped when it closes, so this stays as deep as the stack).
  const nodes = new Map<CallFrame, CallGraphNode>();
  const rootCalls = new Map<CallFrame, Backtrace>();

  walkCalls(trace, {
    enter(frame) {
      const parentNode = frame.parent ? nodes.get(frame.parent) : undefined;
      if (parentNode) {
        const key = `${frame.instance}:${frame.ip}`;
        let node = parentNode.children.get(key);
        if (!node) {
          node = newNode(nameOf(frame), sourceOf(frame));
          parentNode.children.set(key, node);
        }
        node.hits++;
        nodes.set(frame, node);
        return;
      }
      if (nameOf(frame) !== func) return;
      const chain: string[] = [];
      const sources: (string | undefined)[] = [];
      for (let f: CallFrame | null = frame; f; f = f.parent) {
        chain.push(nameOf(f));
        sources.push(sourceOf(f));
      }
      if (!frame.known) (chain.push('?'), sources.push(undefined));
      chain.reverse();
      sources.reverse();
      const key = chain.join('\n');
      let bt = backtraces.get(key);
      if (!bt) {
        bt = { chain, sources, hits: 0, time: 0 };
        backtraces.set(key, bt);
      }
      // FUNC merges every instance's function of that name: the first call's line stands for them
      if (root.source === undefined) {
        const source = sourceOf(frame);
        if (source !== undefined) root.source = source;
      }
      bt.hits++;
      root.hits++;
      nodes.set(frame, root);
      rootCalls.set(frame, bt);
    },
    exit(frame, ev, self) {
      const node = nodes.get(frame);
      if (!node) return;
      node.total += ev.duration;
      node.self += self;
      const bt = rootCalls.get(frame);
      if (bt) bt.time += ev.duration;
      nodes.delete(frame);
      rootCalls.delete(frame);
    },
    lost(frame) {
      nodes.delete(frame);
      rootCalls.delete(frame);
    },
  });
  return { func, root, backtraces: [...backtraces.values()], times: clockHasTime(trace.clock) };
}

/** uftrace's print_time_unit: three decimals in us, ms or s, 10 columns; a counter clock's plain count. */
function formatTime(value: number, times: boolean): string {
  if (!times) return String(Math.round(value)).padStart(10);
  const [v, unit] = value < 1000 ? [value, 'us'] : value < 1e6 ? [value / 1000, 'ms'] : [value / 1e6, ' s'];
  return `${v.toFixed(3).padStart(7)} ${unit}`;
}

/** pr_indent(): `|` where a branch continues, `+-` on the first line of a branch. */
function indentOf(mask: readonly boolean[], indent: number, line: boolean): string {
  let last = -1;
  if (line) for (let i = 0; i < indent; i++) if (mask[i]) last = i;
  let out = '';
  for (let i = 0; i < indent; i++) {
    if (!line || i < last) out += mask[i] ? ' | ' : '   ';
    else out += i === last ? ' +-' : '---';
  }
  return out;
}

export interface CallGraphFormat {
  /** ` /* file:line *\/` after each name the module's DWARF or source map placed (uftrace's --srcline) */
  srcline?: boolean;
}

export function formatCallGraph(graph: CallGraph, options: CallGraphFormat = {}): string[] {
  const { times } = graph;
  const src = (source: string | undefined): string => (options.srcline && source !== undefined ? ` /* ${source} */` : '');
  const lines: string[] = [`# Function Call Graph for '${printable(graph.func)}'`, '========== BACKTRACE =========='];
  graph.backtraces.forEach((bt, i) => {
    lines.push(` backtrace #${i}: hit ${bt.hits}, ${times ? `time ${formatTime(bt.time, times)}` : `total ${bt.time}`}`);
    bt.chain.forEach((name, k) => lines.push(`   [${k}] ${printable(name)}${src(bt.sources[k])}`));
    lines.push('');
  });
  if (graph.backtraces.length === 0) lines.push('');
  lines.push('========== FUNCTION CALL GRAPH ==========');
  if (!times) lines.push('# clock counter: TOTAL and SELF count the events in between, not time');
  // FUNCTION over the names: two 10-column fields, ' : ' after each
  lines.push(`#${(times ? 'TOTAL TIME' : 'TOTAL').padStart(10)}  ${(times ? 'SELF TIME' : 'SELF').padStart(10)}   FUNCTION`);
  const blank = ' '.repeat(1 + 10 + 2 + 10);
  const mask: boolean[] = [];
  const print = (node: CallGraphNode, parent: CallGraphNode | null, isLast: boolean, indent: number, needsLine: boolean): void => {
    lines.push(` ${formatTime(node.total, times)}  ${formatTime(node.self, times)} : ${indentOf(mask, indent, needsLine)}(${node.hits}) ${printable(node.name)}${src(node.source)}`);
    const origIndent = indent;
    const branches = node.children.size > 1;
    if (branches) mask[indent++] = true;
    // the last callee of a branching parent closes its rule
    if (parent && parent.children.size > 1 && origIndent > 0 && isLast) mask[origIndent - 1] = false;
    const children = [...node.children.values()];
    children.forEach((child, i) => {
      const last = i === children.length - 1;
      print(child, node, last, indent, branches);
      if (!last) lines.push(`${blank} : ${indentOf(mask, indent, false)}`.trimEnd());
    });
    if (branches) mask[indent - 1] = false;
  };
  print(graph.root, null, true, 0, false);
  return lines.map((l) => l.trimEnd());
}
