/** `graph FUNC` (output/call-graph.ts): backtraces, the merged tree below FUNC and uftrace's drawing of it. */
import { describe, expect, it } from 'vitest';
import { computeCallGraph, formatCallGraph, hasFunction } from '../src/output/call-graph.js';
import { EVENT_ENTRY, EVENT_EXIT, type TraceEvent, type TraceStream } from '../src/ring/event.js';

const NAMES = ['main', 'parse', 'lex', 'emit', 'next'];
const ip = (name: string): number => NAMES.indexOf(name);

/** `+name@ts` enters, `-name@ts` returns, depth from the nesting (starting at `base`). */
function trace(script: string, base = 0): TraceStream {
  const events: TraceEvent[] = [];
  const open: { ip: number; ts: number }[] = [];
  for (const tok of script.trim().split(/\s+/)) {
    const [, sign, name, at] = /^([+-])(\w+)@(\d+)$/.exec(tok)!;
    const ts = Number(at);
    if (sign === '+') {
      events.push({ type: EVENT_ENTRY, instance: 0, ip: ip(name!), parent: open.at(-1)?.ip ?? -1, depth: base + open.length, ts, duration: 0 });
      open.push({ ip: ip(name!), ts });
    } else {
      const call = open.pop()!;
      events.push({ type: EVENT_EXIT, instance: 0, ip: call.ip, parent: 0, depth: base + open.length, ts, duration: ts - call.ts });
    }
  }
  return { tracer: 'function_graph', clock: 'perf', instances: [{ id: 0, name: 'm', names: NAMES }], events };
}

describe('graph FUNC', () => {
  it('merges every call of FUNC: hits, total and self per path, branches drawn as uftrace draws them', () => {
    const t = trace(`
      +main@0
        +parse@10 +lex@11 +next@12 -next@14 -lex@20 +emit@25 -emit@30 -parse@40
        +parse@50 +lex@51 -lex@61 -parse@70
        +emit@80 -emit@85
      -main@100`);
    expect(formatCallGraph(computeCallGraph(t, 'parse')).join('\n')).toBe(
      [
        "# Function Call Graph for 'parse'",
        '========== BACKTRACE ==========',
        ' backtrace #0: hit 2, time  50.000 us',
        '   [0] main',
        '   [1] parse',
        '',
        '========== FUNCTION CALL GRAPH ==========',
        '#TOTAL TIME   SELF TIME   FUNCTION',
        '  50.000 us   26.000 us : (2) parse',
        '  19.000 us   17.000 us :  +-(2) lex',
        '   2.000 us    2.000 us :  | (1) next',
        '                        :  |',
        '   5.000 us    5.000 us :  +-(1) emit',
      ].join('\n'),
    );
    // the function itself, reached from two places: one backtrace each
    const emit = computeCallGraph(t, 'emit');
    expect(emit.backtraces.map((b) => [b.chain.join('>'), b.hits, b.time])).toEqual([
      ['main>parse>emit', 1, 5],
      ['main>emit', 1, 5],
    ]);
    expect(emit.root).toMatchObject({ hits: 2, total: 10, self: 10 });
  });

  it("marks callers the trace does not hold with '?', and knows which names are functions", () => {
    const t = trace('+parse@0 +lex@1 -lex@3 -parse@4', 2);
    expect(computeCallGraph(t, 'parse').backtraces).toEqual([{ chain: ['?', 'parse'], sources: [undefined, undefined], hits: 1, time: 4 }]);
    expect(hasFunction(t, 'emit')).toBe(true); // never called: an empty graph, not an error
    expect(computeCallGraph(t, 'emit').root.hits).toBe(0);
    expect(hasFunction(t, 'func[4]')).toBe(false); // named 'next'
    expect(hasFunction(t, 'nope')).toBe(false);
  });
});
