import { describe, expect, it } from 'vitest';
import { filterTrace } from '../src/output/filter.js';
import { EVENT_ENTRY, EVENT_EXIT, EVENT_MARKER, type TraceData, type TraceEvent } from '../src/ring/event.js';

const NAMES = ['HOSTFN', 'main', 'parse', 'leaf', 'fib', 'slow'];
let ts = 0;
const enter = (ip: number, depth: number): TraceEvent => ({ type: EVENT_ENTRY, instance: 0, ip, parent: 0, depth, ts: (ts += 1), duration: 0 });
const exit = (ip: number, depth: number, duration: number): TraceEvent => ({ type: EVENT_EXIT, instance: 0, ip, parent: 0, depth, ts: (ts += 1), duration });

// main { parse { leaf(2us) } (10us)  fib { fib(1us) fib(1us) } (5us)  marker  slow(500us) } (600us)
const EVENTS: TraceEvent[] = [
  enter(1, 0),
  enter(2, 1), enter(3, 2), exit(3, 2, 2), exit(2, 1, 10),
  enter(4, 1), enter(4, 2), exit(4, 2, 1), enter(4, 2), exit(4, 2, 1), exit(4, 1, 5),
  { type: EVENT_MARKER, instance: 0, ip: 0, parent: 0, depth: 0, ts: 99, duration: 0, text: 'hi' },
  enter(5, 1), exit(5, 1, 500),
  exit(1, 0, 600),
];
const TRACE: TraceData = { tracer: 'function_graph', clock: 'perf', instances: [{ id: 0, name: 'app', names: NAMES }], events: EVENTS, entries: EVENTS.length, written: 20, lost: 3 };

const show = (t: TraceData) =>
  t.events.map((e) => (e.type === EVENT_ENTRY ? `>${NAMES[e.ip]}@${e.depth}` : e.type === EVENT_EXIT ? `<${NAMES[e.ip]}@${e.depth}` : `marker`));

describe('read-time filters', () => {
  it('leaves the trace alone without options', () => {
    expect(filterTrace(TRACE, {})).toBe(TRACE);
  });

  it('filter keeps only those functions, renumbering depth; markers stay; counters are the recording\'s', () => {
    const t = filterTrace(TRACE, { filter: ['main', 'leaf'] });
    expect(show(t)).toEqual(['>main@0', '>leaf@1', '<leaf@1', 'marker', '<main@0']);
    expect([t.entries, t.written, t.lost]).toEqual([5, 20, 3]);
  });

  it('notrace drops those functions', () => {
    expect(show(filterTrace(TRACE, { notrace: ['fib', 'p*'] }))).toEqual(['>main@0', '>leaf@1', '<leaf@1', 'marker', '>slow@1', '<slow@1', '<main@0']);
  });

  it('graph function keeps the calls under it', () => {
    expect(show(filterTrace(TRACE, { graphFunction: ['fib'] }))).toEqual(['>fib@0', '>fib@1', '<fib@1', '>fib@1', '<fib@1', '<fib@0', 'marker']);
  });

  it('depth keeps the top levels', () => {
    expect(show(filterTrace(TRACE, { depth: 1 }))).toEqual(['>main@0', 'marker', '<main@0']);
    expect(show(filterTrace(TRACE, { depth: 2 }))).toEqual(['>main@0', '>parse@1', '<parse@1', '>fib@1', '<fib@1', 'marker', '>slow@1', '<slow@1', '<main@0']);
  });

  it('time filter drops short calls, keeping calls that never returned', () => {
    expect(show(filterTrace(TRACE, { timeFilter: 10 }))).toEqual(['>main@0', '>parse@1', '<parse@1', 'marker', '>slow@1', '<slow@1', '<main@0']);
    const open = { ...TRACE, events: [...EVENTS.slice(0, 4)] }; // main { parse { leaf(2us) ... and the trace ends
    expect(show(filterTrace(open, { timeFilter: 5 }))).toEqual(['>main@0', '>parse@1']);
  });

  it('keeps function-tracer traces (entries only) by name', () => {
    const entries = EVENTS.filter((e) => e.type === EVENT_ENTRY).map((e) => ({ ...e, depth: 0 }));
    const t = filterTrace({ ...TRACE, tracer: 'function', events: entries }, { filter: ['fib'] });
    expect(show(t)).toEqual(['>fib@0', '>fib@0', '>fib@0']);
  });
});

describe('read-time filters: the recording language, errors for what matches nothing', () => {
  it('an expression that matches no function is an error, whatever its kind', () => {
    for (const [f, message] of [
      [{ filter: ['mian'] }, "-F 'mian' matches no function in the trace"],
      [{ filter: ['main', '!nosuch'] }, "-F '!nosuch' matches no function in the trace"],
      [{ filter: ['*:mod:other'] }, "-F '*:mod:other' matches no function in the trace"],
      [{ filter: ['99'] }, "-F '99' matches no function in the trace"],
      [{ notrace: ['zz*'] }, "-N 'zz*' matches no function in the trace"],
      [{ graphFunction: ['mian'] }, "-G 'mian' matches no function in the trace"],
    ] as const) {
      expect(() => filterTrace(TRACE, f)).toThrow(message);
    }
    expect(() => filterTrace(TRACE, { filter: ['main:traceoff'] })).toThrow(/unknown filter command 'traceoff'/);
  });

  it('line numbers count the traced functions, as available_filter_functions does when recording', () => {
    // ip 0 is an import (untraced): line 1 is main, line 3 is leaf
    const t = { ...TRACE, instances: [{ ...TRACE.instances[0]!, importCount: 1, functionCount: 6 }] };
    expect(show(filterTrace(t, { filter: ['1', '3'] }))).toEqual(['>main@0', '>leaf@1', '<leaf@1', 'marker', '<main@0']);
  });

  it("names the tool prints match literally: -F 'func[3]' on a stripped module", () => {
    const stripped = { ...TRACE, instances: [{ id: 0, name: 'app', names: [] as string[], importCount: 1, functionCount: 6 }] };
    expect(show(filterTrace(stripped, { filter: ['func[3]'] }))).toEqual(['>leaf@0', '<leaf@0', 'marker']);
  });

  it("expressions apply in order, adding and removing; ':mod:' takes the instance's name", () => {
    expect(show(filterTrace(TRACE, { filter: ['leaf', 'parse:mod:app', '!parse'] }))).toEqual(['>leaf@0', '<leaf@0', 'marker']);
  });
});
