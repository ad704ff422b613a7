/**
 * --time-range (uftrace's -r START~STOP): a call is kept whole when it
 * overlaps the range, so the calls around it stay and the output nests;
 * markers and entries-only traces by their timestamp. Ends are elapsed
 * times (with a unit) or timestamps (bare, as replay -f time prints them).
 */
import { describe, expect, it } from 'vitest';
import { HOST_IP } from '../src/abi/index.js';
import { timeRange } from '../src/cli/options.js';
import { filterTrace, type TimeRange } from '../src/output/filter.js';
import { EVENT_ENTRY, EVENT_EXIT, EVENT_MARKER, type TraceClock, type TraceData, type TraceEvent } from '../src/ring/event.js';
import { cli } from './helpers/cli.js';

const NAMES = ['outer', 'early', 'mid', 'late'];
const IP = { outer: 0, early: 1, mid: 2, late: 3 };
function ev(type: TraceEvent['type'], ip: number, depth: number, ts: number, duration = 0): TraceEvent {
  return { type, instance: 0, ip, parent: type === EVENT_ENTRY ? HOST_IP : 0, depth, ts, duration };
}
/** outer 1s..1.000100s (us 1_000_000..1_000_100) holding early (10..20), mid (40..60) and late (80..90); a marker at 50 */
function trace(clock: TraceClock = 'perf'): TraceData {
  const t0 = clock === 'counter' ? 0 : 1_000_000;
  const events = [
    ev(EVENT_ENTRY, IP.outer, 0, t0),
    ev(EVENT_ENTRY, IP.early, 1, t0 + 10),
    ev(EVENT_EXIT, IP.early, 1, t0 + 20, 10),
    ev(EVENT_ENTRY, IP.mid, 1, t0 + 40),
    { type: EVENT_MARKER, instance: 0, ip: 0, parent: 0, depth: 0, ts: t0 + 50, duration: 0, text: 'hi' } as TraceEvent,
    ev(EVENT_EXIT, IP.mid, 1, t0 + 60, 20),
    ev(EVENT_ENTRY, IP.late, 1, t0 + 80),
    ev(EVENT_EXIT, IP.late, 1, t0 + 90, 10),
    ev(EVENT_EXIT, IP.outer, 0, t0 + 100, 100),
  ];
  return { tracer: 'function_graph', clock, instances: [{ id: 0, name: 'm', names: NAMES }], events, entries: events.length, written: events.length, lost: 0 };
}
const kept = (t: TraceData, range: TimeRange): string[] =>
  filterTrace(t, { timeRange: range }).events.map((e) => (e.type === EVENT_MARKER ? `marker@${e.ts % 1000}` : `${e.type === EVENT_ENTRY ? '>' : '<'}${NAMES[e.ip]}`));

describe('--time-range', () => {
  it('keeps the calls that overlap the range, whole, with the calls around them', () => {
    expect(kept(trace(), timeRange('45us~55us'))).toEqual(['>outer', '>mid', 'marker@50', '<mid', '<outer']);
    expect(kept(trace(), timeRange('15us~85us'))).toEqual(['>outer', '>early', '<early', '>mid', 'marker@50', '<mid', '>late', '<late', '<outer']);
    // open ends
    expect(kept(trace(), timeRange('70us~'))).toEqual(['>outer', '>late', '<late', '<outer']);
    expect(kept(trace(), timeRange('~30us'))).toEqual(['>outer', '>early', '<early', '<outer']);
    // between calls: only the one around
    expect(kept(trace(), timeRange('25us~35us'))).toEqual(['>outer', '<outer']);
  });

  it('takes timestamps in seconds (as replay -f time prints them), and the count itself for clock counter', () => {
    expect(kept(trace(), timeRange('1.00004~1.00006'))).toEqual(['>outer', '>mid', 'marker@50', '<mid', '<outer']);
    expect(kept(trace('counter'), timeRange('85~'))).toEqual(['>outer', '>late', '<late', '<outer']);
    expect(() => filterTrace(trace('counter'), { timeRange: timeRange('1us~') })).toThrow('--time-range: clock counter has no time; give counter values (no unit)');
  });

  it('filters an entries-only trace by timestamp', () => {
    const t = trace();
    const entries = { ...t, tracer: 'function', events: t.events.filter((e) => e.type !== EVENT_EXIT) };
    expect(kept(entries, timeRange('30us~80us'))).toEqual(['>mid', 'marker@50', '>late']);
  });

  it('refuses what is not a range, in one line', async () => {
    for (const bad of ['5ms', '~', '1~2~3', 'a~b']) {
      const r = await cli('replay', '-r', bad, 'nosuch.data');
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(timeRange('~2ms')).toEqual({ end: { value: 2000, elapsed: true } });
    expect(timeRange('1.5~')).toEqual({ start: { value: 1.5, elapsed: false } });
  });
});
