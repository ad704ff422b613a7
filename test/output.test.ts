/**
 * Output formats against hand-built traces: golden files for what a person
 * reads (ftrace text, Chrome JSON, folded stacks, the profile table),
 * structural checks for what a program reads, and hand-computed numbers.
 *
 * Golden files live in test/golden/; `UPDATE_GOLDEN=1 npx vitest run
 * test/output.test.ts` rewrites them (then read each one before keeping it).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOST_IP } from '../src/abi/index.js';
import { functionGraphTracer } from '../src/tracers/function-graph.js';
import {
  computeFolded,
  computeProfile,
  sortProfile,
  durationMark,
  formatChromeTrace,
  formatFolded,
  formatFtraceText,
  formatGraphDuration,
  formatProfile,
  toChromeTrace,
  type ChromeTraceEvent,
  type ProfileRow,
} from '../src/output/index.js';
import { diffProfiles, formatProfileDiff } from '../src/output/profile-diff.js';
import {
  EVENT_ENTRY,
  EVENT_EXIT,
  EVENT_MARKER,
  EVENT_STACK,
  EVENT_STACK_FRAME,
  type TraceClock,
  type TraceData,
  type TraceEvent,
  type TraceInstanceInfo,
} from '../src/ring/event.js';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

// --- event builders ---------------------------------------------------------

const ent = (instance: number, ip: number, depth: number, ts: number, parent: number = HOST_IP): TraceEvent => ({
  type: EVENT_ENTRY,
  instance,
  ip,
  parent,
  depth,
  ts,
  duration: 0,
});
const exit = (instance: number, ip: number, depth: number, ts: number, duration: number): TraceEvent => ({
  type: EVENT_EXIT,
  instance,
  ip,
  parent: 0,
  depth,
  ts,
  duration,
});
const marker = (instance: number, ts: number, text: string): TraceEvent => ({
  type: EVENT_MARKER,
  instance,
  ip: 0,
  parent: 0,
  depth: 0,
  ts,
  duration: 0,
  text,
});
const stack = (instance: number, ip: number, ts: number, callers: number[]): TraceEvent[] => [
  { type: EVENT_STACK, instance, ip, parent: 0, depth: callers.length, ts, duration: 0 },
  ...callers.map((c): TraceEvent => ({ type: EVENT_STACK_FRAME, instance, ip: c, parent: 0, depth: 0, ts, duration: 0 })),
];

function traceOf(
  tracer: string,
  clock: TraceClock,
  instances: TraceInstanceInfo[],
  events: TraceEvent[],
  lost = 0,
): TraceData {
  return { tracer, clock, instances, events, entries: events.length, written: events.length + lost, lost };
}

// --- fixtures -----------------------------------------------------------------

const A = 0;
const S = 1;
/** ip 0 is an import (never traced) */
const IP = { log: 0, main: 1, parse: 2, leaf: 3, fib: 4, slow: 5, trap_me: 6, compute: 7 } as const;
const SIP = { init: 0, work: 1 } as const;
const APP: TraceInstanceInfo = {
  id: A,
  name: 'app',
  names: ['env.log', 'main', 'parse', 'leaf', 'fib', 'slow', 'trap_me', 'compute'],
};
const SIDE: TraceInstanceInfo = { id: S, name: 'side-module.wasm', names: ['init', 'work'] };

/**
 * function_graph, two instances. The ring overwrote the start (compute's
 * ENTRY and parse's caller are gone), a trap leaves main/trap_me/leaf without
 * EXIT, and the trace ends inside main and fib. Durations cross every mark:
 * 10 (none), 10.001 and 100 (+), 124 (!), 1500.5 (#), 12998 (*), 130000 (@),
 * 1180000 ($).
 */
const GRAPH_EVENTS: TraceEvent[] = [
  ent(A, IP.parse, 1, 1000000.05, IP.compute), // caller's ENTRY overwritten: stack unknown
  ent(A, IP.leaf, 2, 1000000.1, IP.parse), // unknown too (under parse)
  exit(A, IP.leaf, 2, 1000000.2, 0.1),
  exit(A, IP.parse, 1, 1000000.3, 0.25),
  exit(A, IP.compute, 0, 1000000.5, 3.25), // EXIT without ENTRY
  marker(A, 1000001, 'start'),
  ent(A, IP.main, 0, 1000002),
  ent(A, IP.parse, 1, 1000003, IP.main),
  ent(A, IP.leaf, 2, 1000003.5, IP.parse),
  exit(A, IP.leaf, 2, 1000004.123, 0.623),
  exit(A, IP.parse, 1, 1000015, 12),
  ent(A, IP.fib, 1, 1000016, IP.main),
  ent(A, IP.fib, 2, 1000017, IP.fib),
  ent(A, IP.fib, 3, 1000018, IP.fib),
  exit(A, IP.fib, 3, 1000019, 1),
  ent(A, IP.fib, 3, 1000020, IP.fib),
  exit(A, IP.fib, 3, 1000021, 1),
  exit(A, IP.fib, 2, 1000022, 5),
  marker(A, 1000030, 'fib done'),
  exit(A, IP.fib, 1, 1000140, 124),
  ent(A, IP.slow, 1, 1000200, IP.main),
  exit(A, IP.slow, 1, 1001700.5, 1500.5),
  ent(A, IP.leaf, 1, 1001800, IP.main),
  exit(A, IP.leaf, 1, 1001900, 100),
  exit(A, IP.main, 0, 1015000, 12998),
  ent(S, SIP.init, 0, 1020000),
  ent(S, SIP.work, 1, 1020001, SIP.init),
  exit(S, SIP.work, 1, 1150001, 130000),
  exit(S, SIP.init, 0, 2200000, 1180000),
  ent(A, IP.main, 0, 2300000),
  ent(A, IP.trap_me, 1, 2300001, IP.main),
  ent(A, IP.leaf, 2, 2300002, IP.trap_me), // traps: no EXIT for leaf, trap_me, main
  marker(S, 2350000, 'side marker'),
  ent(A, IP.main, 0, 2400000),
  ent(A, IP.parse, 1, 2400001, IP.main),
  exit(A, IP.parse, 1, 2400011, 10),
  ent(A, IP.leaf, 1, 2400012, IP.main),
  exit(A, IP.leaf, 1, 2400022.001, 10.001),
  ent(A, IP.compute, 1, 2400030, IP.main),
  ...stack(A, IP.compute, 2400030, [IP.main, HOST_IP]),
  exit(A, IP.compute, 1, 2400031, 1),
  ent(A, IP.fib, 1, 2400040, IP.main), // the trace ends inside fib and main
];
const GRAPH = traceOf('function_graph', 'perf', [APP, SIDE], GRAPH_EVENTS, 5);
/** the same, instance app only */
const GRAPH_SINGLE = traceOf(
  'function_graph',
  'perf',
  [APP],
  GRAPH_EVENTS.filter((e) => e.instance === A),
);
/** ENTRY events of GRAPH whose callers are all in the trace (all but the first two) */
const GRAPH_KNOWN_ENTRIES = GRAPH_EVENTS.filter((e) => e.type === EVENT_ENTRY).length - 2;

/** function tracer: entries only, HOST parents, a marker, a stack trace, a name-less ip */
const FUNCTION = traceOf(
  'function',
  'perf',
  [APP, SIDE],
  [
    ent(A, IP.main, 0, 5000000.4),
    ent(A, IP.parse, 0, 5000001.6, IP.main),
    ent(A, IP.leaf, 0, 5000002, IP.parse),
    marker(A, 5000003, 'hello\n'),
    ent(A, IP.fib, 0, 5000004, IP.main),
    ent(A, IP.fib, 0, 5000005, IP.fib),
    ent(A, IP.fib, 0, 5000006, IP.fib),
    ent(S, SIP.init, 0, 5000010),
    ent(S, SIP.work, 0, 5000011, SIP.init),
    ent(A, IP.compute, 0, 5000020, IP.main),
    ...stack(A, IP.compute, 5000020, [IP.main, HOST_IP]),
    ent(A, IP.leaf, 0, 6123456.7, 99),
    ent(A, IP.leaf, 0, 6123457, IP.compute),
  ],
  0,
);

/** function_graph with clock 'counter': ts is a sequence number, durations count events */
const GRAPH_COUNTER = traceOf(
  'function_graph',
  'counter',
  [APP],
  [
    ent(A, IP.main, 0, 1),
    ent(A, IP.parse, 1, 2, IP.main),
    ent(A, IP.leaf, 2, 3, IP.parse),
    exit(A, IP.leaf, 2, 4, 1),
    exit(A, IP.parse, 1, 5, 3),
    marker(A, 6, 'half way'),
    ent(A, IP.leaf, 1, 7, IP.main),
    exit(A, IP.leaf, 1, 8, 1),
    exit(A, IP.main, 0, 9, 8),
    ent(A, IP.fib, 0, 10),
  ],
);
const FUNCTION_COUNTER = traceOf(
  'function',
  'counter',
  [APP],
  [ent(A, IP.main, 0, 1), ent(A, IP.parse, 0, 2, IP.main), marker(A, 3, 'mark'), ent(A, IP.leaf, 0, 4, IP.parse)],
);

/**
 * For hand-computed numbers: main [0,100] calls a [10,30], a [40,70], b [75,95];
 * b calls a [80,90].
 */
const HAND = traceOf(
  'function_graph',
  'perf',
  [{ id: 0, name: 'hand', names: ['main', 'a', 'b'] }],
  [
    ent(0, 0, 0, 0),
    ent(0, 1, 1, 10, 0),
    exit(0, 1, 1, 30, 20),
    ent(0, 1, 1, 40, 0),
    exit(0, 1, 1, 70, 30),
    ent(0, 2, 1, 75, 0),
    ent(0, 1, 2, 80, 2),
    exit(0, 1, 2, 90, 10),
    exit(0, 2, 1, 95, 20),
    exit(0, 0, 0, 100, 100),
  ],
);

// --- checks -------------------------------------------------------------------

/**
 * Calls nest per (pid, tid): every B has its E (in order, same name), and the
 * slices (X events and B/E pairs) of a track are nested or disjoint, as a
 * viewer draws them. Returns the number of slices (one per call entered).
 */
function checkChrome(json: string): number {
  const parsed = JSON.parse(json) as { traceEvents: ChromeTraceEvent[]; displayTimeUnit: string };
  expect(['ns', 'ms']).toContain(parsed.displayTimeUnit);
  const open = new Map<string, ChromeTraceEvent[]>();
  const slices = new Map<string, Array<{ start: number; end: number }>>();
  const sliceList = (key: string) => {
    let l = slices.get(key);
    if (!l) slices.set(key, (l = []));
    return l;
  };
  let count = 0;
  for (const e of parsed.traceEvents) {
    if (e.ph === 'M') continue;
    expect(typeof e.ts).toBe('number');
    const key = `${e.pid}/${e.tid}`;
    const stack = open.get(key) ?? [];
    open.set(key, stack);
    if (e.ph === 'X') {
      expect(e.dur!).toBeGreaterThanOrEqual(0);
      sliceList(key).push({ start: e.ts!, end: e.ts! + e.dur! });
      count++;
    } else if (e.ph === 'B') {
      stack.push(e);
      count++;
    } else if (e.ph === 'E') {
      expect(stack.length).toBeGreaterThan(0);
      const b = stack.pop()!;
      expect(b.name).toBe(e.name);
      expect(e.ts!).toBeGreaterThanOrEqual(b.ts!);
      sliceList(key).push({ start: b.ts!, end: e.ts! });
    }
  }
  for (const stack of open.values()) expect(stack).toEqual([]);
  for (const list of slices.values()) {
    list.sort((a, b) => a.start - b.start || b.end - a.end);
    const enclosing: Array<{ start: number; end: number }> = [];
    for (const s of list) {
      while (enclosing.length > 0 && enclosing.at(-1)!.end <= s.start && !(enclosing.at(-1)!.start === s.start)) enclosing.pop();
      if (enclosing.length > 0) expect(s.end).toBeLessThanOrEqual(enclosing.at(-1)!.end + 1e-9);
      enclosing.push(s);
    }
  }
  return count;
}

// --- tests --------------------------------------------------------------------

describe('duration formatting (trace_print_graph_duration, trace_find_mark)', () => {
  it('prints like the kernel, fraction shrinking as the integer grows', () => {
    expect(formatGraphDuration(1.382)).toBe('1.382 us    ');
    expect(formatGraphDuration(61.77)).toBe('61.770 us   ');
    expect(formatGraphDuration(140.417)).toBe('140.417 us  ');
    expect(formatGraphDuration(1837.709)).toBe('1837.709 us ');
    expect(formatGraphDuration(33998.59)).toBe('33998.59 us ');
    expect(formatGraphDuration(119760.2)).toBe('119760.2 us ');
    expect(formatGraphDuration(3594274)).toBe('3594274 us  ');
  });

  it('marks strictly above each threshold', () => {
    const cases: [number, string][] = [
      [10, ' '],
      [10.001, '+'],
      [100, '+'],
      [100.001, '!'],
      [1000, '!'],
      [1000.5, '#'],
      [10000, '#'],
      [10000.001, '*'],
      [100000, '*'],
      [100001, '@'],
      [1000000, '@'],
      [1000000.001, '$'],
    ];
    for (const [us, mark] of cases) expect([us, durationMark(us)]).toEqual([us, mark]);
  });
});

describe('ftrace text', () => {
  it('function_graph, two instances', () => golden('graph.txt', formatFtraceText(GRAPH)));
  it('function_graph, one instance', () => golden('graph-single.txt', formatFtraceText(GRAPH_SINGLE)));
  it('function_graph with funcgraph-abstime and funcgraph-tail', () =>
    golden('graph-single-abstime-tail.txt', formatFtraceText(GRAPH_SINGLE, { abstime: true, tail: true })));
  it('function_graph, clock counter', () => golden('graph-counter.txt', formatFtraceText(GRAPH_COUNTER)));
  it('function', () => golden('function.txt', formatFtraceText(FUNCTION)));
  it('function, clock counter', () => golden('function-counter.txt', formatFtraceText(FUNCTION_COUNTER)));

  it('nop: the header alone', () => {
    const text = formatFtraceText(traceOf('nop', 'perf', [APP], []));
    expect(text.split('\n').slice(0, 3)).toEqual([
      '# tracer: nop',
      '#',
      '# entries-in-buffer/entries-written: 0/0   #P:1',
    ]);
    expect(text.endsWith('#              | |         |   |||||     |         |\n')).toBe(true);
  });

  it('a leaf is one line, a call with children opens and closes', () => {
    const lines = formatFtraceText(HAND).split('\n');
    expect(lines).toContain(' 0)               |  main() {');
    expect(lines).toContain(' 0) + 20.000 us   |    a();');
    expect(lines).toContain(' 0)   10.000 us   |      a();'); // exactly 10 us: no mark
    expect(lines).toContain(' 0) + 100.000 us  |  }'); // exactly 100 us: '+', not '!'
  });
});

describe('Chrome trace JSON', () => {
  it('function_graph golden', () => golden('graph.json', formatChromeTrace(GRAPH)));
  it('function golden', () => golden('function.json', formatChromeTrace(FUNCTION)));
  it('counter clock golden', () => golden('graph-counter.json', formatChromeTrace(GRAPH_COUNTER)));

  it('nests: every B has its E in order per track, slices nest or are disjoint', () => {
    for (const t of [GRAPH, GRAPH_SINGLE, GRAPH_COUNTER, HAND, FUNCTION, FUNCTION_COUNTER]) checkChrome(formatChromeTrace(t));
  });

  it('one X per returned call, a B/E pair per call that did not return; drops the EXIT without ENTRY', () => {
    const t = toChromeTrace(GRAPH);
    const entries = GRAPH_EVENTS.filter((e) => e.type === EVENT_ENTRY).length;
    const unclosed = t.traceEvents.filter((e) => e.ph === 'B');
    expect(unclosed).toHaveLength(5);
    expect(t.traceEvents.filter((e) => e.ph === 'X')).toHaveLength(entries - unclosed.length);
    expect(t.otherData.droppedExits).toBe(1); // compute at the start
    // the trap (main, trap_me, leaf) and the end (main, fib)
    const unfinished = t.traceEvents.filter((e) => e.ph === 'E' && e.args?.['noExit'] !== undefined);
    expect(unfinished.map((e) => [e.name, e.args?.['noExit'], e.ts])).toEqual([
      ['leaf', 'unwound', 2400000],
      ['trap_me', 'unwound', 2400000],
      ['main', 'unwound', 2400000],
      ['fib', 'end', 2400040],
      ['main', 'end', 2400040],
    ]);
    expect(t.otherData.unfinishedCalls).toBe(5);
    // one process per instance, named
    const names = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => [e.pid, e.args?.['name']]);
    expect(names).toEqual([
      [1, 'app'],
      [2, 'side-module.wasm'],
    ]);
  });

  it('function tracer: instant events; counter clock: ts is the sequence number', () => {
    const f = toChromeTrace(FUNCTION);
    expect(f.traceEvents.some((e) => e.ph === 'B' || e.ph === 'E')).toBe(false);
    expect(f.traceEvents.find((e) => e.ph === 'i' && e.name === 'main')?.args).toEqual({ parent: 'HOST' });
    const c = toChromeTrace(GRAPH_COUNTER);
    expect(c.otherData.timeUnit).toBe('sequence');
    // X events are written at their EXIT, each with its ENTRY's ts: leaf, parse, the marker, leaf, main; fib never returned
    expect(c.traceEvents.filter((e) => e.ph !== 'M').map((e) => [e.ph, e.ts, e.dur])).toEqual([
      ['X', 3, 1],
      ['X', 2, 3],
      ['i', 6, undefined],
      ['X', 7, 1],
      ['X', 1, 8],
      ['B', 10, undefined],
      ['E', 10, undefined],
    ]);
  });
});

describe('folded stacks', () => {
  it('goldens', () => {
    golden('graph-calls.folded', formatFolded(GRAPH));
    golden('graph-time.folded', formatFolded(GRAPH, { weight: 'time' }));
    golden('graph-single-calls.folded', formatFolded(GRAPH_SINGLE));
    golden('function-calls.folded', formatFolded(FUNCTION));
  });

  it("'calls' weights add up to the ENTRY events whose stack is known", () => {
    const sum = computeFolded(GRAPH).reduce((s, [, w]) => s + w, 0);
    expect(sum).toBe(GRAPH_KNOWN_ENTRIES);
  });

  it("'time' weights add up to the total self time", () => {
    // hand: self times 30 + 50 + 10 + 10 = main's 100
    expect(computeFolded(HAND, { weight: 'time' })).toEqual([
      ['main', 30],
      ['main;a', 50],
      ['main;b', 10],
      ['main;b;a', 10],
    ]);
    // GRAPH: self times of the calls with known stacks that returned, by hand:
    // compute 3, main 11261.5, parse 11.377 + 10, leaf 0.623, fib 119 + 3 + 1 + 1,
    // slow 1500.5, leaf 100 + 10.001, compute 1, init 1050000, work 130000
    const total = 1193022.001;
    const lines = computeFolded(GRAPH, { weight: 'time' });
    const sum = lines.reduce((s, [, w]) => s + w, 0);
    expect(Math.abs(sum - total)).toBeLessThanOrEqual(0.5 * lines.length);
  });

  it('function tracer: two-level stacks; time needs function_graph and clock perf', () => {
    expect(formatFolded(FUNCTION_COUNTER)).toBe('main 1\nmain;parse 1\nparse;leaf 1\n');
    expect(() => formatFolded(FUNCTION, { weight: 'time' })).toThrow(/function_graph/);
    expect(() => formatFolded(GRAPH_COUNTER, { weight: 'time' })).toThrow(/perf/);
  });
});

describe('function profile', () => {
  it('hand-computed hits, total, avg, self, s^2', () => {
    const rows = computeProfile(HAND);
    const pick = (name: string): ProfileRow => rows.find((r) => r.name === name)!;
    expect(pick('main')).toMatchObject({ hits: 1, calls: 1, total: 100, avg: 100, self: 30, s2: 0 });
    // a: 20, 30, 10 -> s^2 = (3 * (400 + 900 + 100) - 60^2) / (3 * 2) = 100
    expect(pick('a')).toMatchObject({ hits: 3, calls: 3, total: 60, avg: 20, self: 60, selfAvg: 20, s2: 100 });
    expect(pick('b')).toMatchObject({ hits: 1, calls: 1, total: 20, avg: 20, self: 10, s2: 0 });
  });

  it('prints the kernel table, sorted and limited', () => {
    expect(formatProfile(HAND, { sort: 'hits', limit: 2 })).toBe(
      '  Function                               Hit    Time            Avg             Stddev          Self\n' +
        '  --------                               ---    ----            ---             ------          ----\n' +
        // s^2 = 100 us^2: a standard deviation of 10 us
        '  a                                        3    60.000 us       20.000 us       10.000 us       60.000 us\n' +
        '  b                                        1    20.000 us       20.000 us       0.000 us        10.000 us\n',
    );
    const order = (sort: 'total' | 'self' | 'avg') =>
      formatProfile(HAND, { sort })
        .split('\n')
        .slice(2, -1)
        .map((l) => l.trim().split(/ +/)[0]);
    expect(order('total')).toEqual(['main', 'a', 'b']);
    expect(order('self')).toEqual(['a', 'main', 'b']);
    expect(order('avg')).toEqual(['main', 'a', 'b']);
  });

  it('sorts by several keys, each breaking the ties of the one before', () => {
    // HAND: main 1 call 100 us, a 3 calls 60 us, b 1 call 20 us
    const names = (sort: Parameters<typeof sortProfile>[1]) => sortProfile(computeProfile(HAND), sort).map((r) => r.name);
    expect(names(['calls', 'total'])).toEqual(['a', 'main', 'b']);
    expect(names(['calls', 'name'])).toEqual(['a', 'b', 'main']);
    expect(names('total')).toEqual(['main', 'a', 'b']);
  });

  it('diff: joined by name, the change absolute and relative, largest change in total first; golden', () => {
    // HAND again with a slower b and a new function c, main gone
    const other = traceOf('function_graph', 'perf', [{ id: 0, name: 'hand', names: ['c', 'a', 'b'] }], [
      ent(0, 1, 0, 0),
      exit(0, 1, 0, 30, 30),
      ent(0, 2, 0, 40),
      exit(0, 2, 0, 80, 40),
      ent(0, 0, 0, 90),
      exit(0, 0, 0, 95, 5),
    ]);
    const rows = diffProfiles(computeProfile(HAND), computeProfile(other));
    expect(rows.map((r) => [r.name, r.base?.total ?? null, r.other?.total ?? null])).toEqual([
      ['main', 100, null],
      ['a', 60, 30],
      ['b', 20, 40],
      ['c', null, 5],
    ]);
    golden('profile-diff.txt', formatProfileDiff(rows));
  });

  it('goldens', () => {
    golden('profile.txt', formatProfile(GRAPH));
    golden('profile-function.txt', formatProfile(FUNCTION));
    golden('profile-counter.txt', formatProfile(GRAPH_COUNTER));
  });
});

describe('random traces with traps and overwritten starts', () => {
  /**
   * Two instances each keep a call stack; a step calls, returns, traps (drops
   * 1..n frames without EXIT, as the tracer's shadow stack repair does) or
   * writes a marker. Then the ring keeps only a suffix of the events.
   */
  const step = fc.record({
    instance: fc.integer({ min: 0, max: 1 }),
    op: fc.constantFrom('call', 'call', 'call', 'ret', 'ret', 'ret', 'trap', 'mark'),
    ip: fc.integer({ min: 0, max: 4 }),
    dt: fc.integer({ min: 0, max: 3 }),
    drop: fc.integer({ min: 1, max: 4 }),
  });
  const arb = fc.record({ steps: fc.array(step, { maxLength: 120 }), cut: fc.nat(), clock: fc.constantFrom<TraceClock>('perf', 'counter') });

  it('every output copes; folded calls count the entries whose callers are all in view', () => {
    fc.assert(
      fc.property(arb, ({ steps, cut, clock }) => {
        const events: TraceEvent[] = [];
        /** index in `events` of each open call's ENTRY */
        const stacks: { ip: number; ts: number; at: number; ancestors: number[] }[][] = [[], []];
        const ancestorsOf: number[][] = [];
        let ts = 0;
        for (const s of steps) {
          ts += s.dt;
          const st = stacks[s.instance]!;
          if (s.op === 'call') {
            const top = st.at(-1);
            const ancestors = top ? [...top.ancestors, top.at] : [];
            st.push({ ip: s.ip, ts, at: events.length, ancestors });
            ancestorsOf[events.length] = ancestors;
            events.push(ent(s.instance, s.ip, st.length - 1, ts, top ? top.ip : HOST_IP));
          } else if (s.op === 'ret') {
            const f = st.pop();
            if (f) events.push(exit(s.instance, f.ip, st.length, ts, ts - f.ts));
          } else if (s.op === 'trap') {
            st.splice(Math.max(0, st.length - s.drop));
          } else {
            events.push(marker(s.instance, ts, `m${ts}`));
          }
        }
        const from = events.length ? cut % events.length : 0;
        const kept = events.slice(from);
        const trace = traceOf('function_graph', clock, [APP, SIDE], kept, from);
        let known = 0;
        events.forEach((e, i) => {
          if (i >= from && e.type === EVENT_ENTRY && ancestorsOf[i]!.every((a) => a >= from)) known++;
        });

        // as the readers call them for a function_graph trace (its Tracer.nestsCalls, printText)
        const calls = { calls: functionGraphTracer.nestsCalls };
        const begins = checkChrome(formatChromeTrace(trace, calls));
        expect(begins).toBe(kept.filter((e) => e.type === EVENT_ENTRY).length);
        expect(computeFolded(trace, calls).reduce((s, [, w]) => s + w, 0)).toBe(known);
        expect(formatFtraceText(trace, {}, functionGraphTracer.printText).startsWith('# tracer: function_graph\n')).toBe(true);
        const rows = computeProfile(trace);
        expect(rows.reduce((s, r) => s + r.hits, 0)).toBe(kept.filter((e) => e.type === EVENT_ENTRY).length);
        expect(rows.reduce((s, r) => s + r.calls, 0)).toBe(kept.filter((e) => e.type === EVENT_EXIT).length);
        formatProfile(trace);
        if (clock === 'perf') {
          // Self times add up: every call's time is its own or its callers'.
          const self = rows.reduce((s, r) => s + r.self, 0);
          expect(self).toBeGreaterThanOrEqual(-1e-9);
          formatFolded(trace, { weight: 'time', ...calls });
        }
      }),
      { numRuns: 400 },
    );
  });
});
