/**
 * The trace viewer's model, in Node: the Chrome JSON importer, the call
 * table (typed arrays per lane and depth) and flame tree on hand-built
 * traces, the self-contained page, and `report --html` through the CLI.
 * The viewer in a real browser: viewer-browser.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { decodeDataFile, toTraceData } from '../src/datafile/trace-data.js';
import { HOST_IP } from '../src/abi/index.js';
import { toChromeTrace } from '../src/output/chrome-trace.js';
import { computeProfile } from '../src/output/profile.js';
import { EVENT_ENTRY, EVENT_EXIT, type TraceData, type TraceEvent } from '../src/ring/event.js';
import { importChromeTrace } from '../src/viewer/chrome-import.js';
import { traceFromBytes } from '../src/viewer/load.js';
import { buildCallTable, CALL_NO_ENTRY, CALL_NO_EXIT, formatDuration, type CallTable } from '../src/viewer/model.js';
import { viewerHtml } from '../src/viewer/page.js';

const FIXTURES = path.resolve('wasm-fixtures/build');
const VIEWER_JS = path.resolve('dist/viewer/viewer.js');

/** `[instance, 'in'|'out', name, ts, depth]` rows into a trace with one name table per instance. */
function trace(rows: Array<[number, 'in' | 'out', string, number, number]>, opts: Partial<TraceData> = {}): TraceData {
  const names = new Map<number, string[]>();
  const ip = (inst: number, n: string): number => {
    let list = names.get(inst);
    if (!list) names.set(inst, (list = []));
    const i = list.indexOf(n);
    return i >= 0 ? i : list.push(n) - 1;
  };
  const open = new Map<string, number>();
  const events: TraceEvent[] = rows.map(([instance, kind, n, ts, depth]) => {
    const key = `${instance}:${n}:${depth}`;
    if (kind === 'in') {
      open.set(key, ts);
      return { type: EVENT_ENTRY, instance, ip: ip(instance, n), parent: HOST_IP, depth, ts, duration: 0 };
    }
    const start = open.get(key) ?? ts;
    return { type: EVENT_EXIT, instance, ip: ip(instance, n), parent: 0, depth, ts, duration: ts - start };
  });
  const instances = [...names.keys()].sort().map((id) => ({ id, name: `mod${id}.wasm`, names: names.get(id)! }));
  return { tracer: 'function_graph', clock: 'perf', instances, events, entries: events.length, written: events.length, lost: 0, ...opts };
}

/** Every call as `name@depth start-end [flags]`, per lane, in start order per depth. */
function calls(t: CallTable): string[][] {
  return t.lanes.map((ln) => {
    const out: string[] = [];
    ln.byDepth.forEach((idx) => {
      for (const i of idx) {
        const f = t.flags[i]!;
        out.push(`${t.names[t.name[i]!]}@${t.depth[i]} ${t.start[i]}-${t.end[i]}${f & CALL_NO_EXIT ? ' noexit' : ''}${f & CALL_NO_ENTRY ? ' noentry' : ''}`);
      }
    });
    return out;
  });
}

/** The flame tree as `stack total calls` lines. */
function flameLines(t: CallTable): string[] {
  const f = t.flame;
  const out: string[] = [];
  const walk = (node: number, prefix: string): void => {
    const label = t.names[f.name[node]!]!;
    const stack = prefix ? `${prefix};${label}` : label;
    out.push(`${stack} ${f.total[node]} ${f.calls[node]}`);
    for (let k = f.childStart[node]!; k < f.childStart[node + 1]!; k++) walk(f.childList[k]!, stack);
  };
  walk(0, '');
  return out;
}

describe('call table', () => {
  it('nests calls by depth, in start order, with the time range', () => {
    const t = buildCallTable(
      trace([
        [0, 'in', 'main', 0, 0],
        [0, 'in', 'a', 1, 1],
        [0, 'in', 'b', 2, 2],
        [0, 'out', 'b', 3, 2],
        [0, 'out', 'a', 4, 1],
        [0, 'in', 'a', 5, 1],
        [0, 'out', 'a', 8, 1],
        [0, 'out', 'main', 10, 0],
      ]),
    );
    expect(t.count).toBe(4);
    expect(calls(t)).toEqual([['main@0 0-10', 'a@1 1-4', 'a@1 5-8', 'b@2 2-3']]);
    expect([t.t0, t.t1]).toEqual([0, 10]);
    expect(t.lanes[0]!.rows).toBe(3);
    expect([...t.lanes[0]!.maxEnd[1]!]).toEqual([4, 8]);
    expect(flameLines(t)).toEqual(['all 10 1', 'all;main 10 1', 'all;main;a 6 2', 'all;main;a;b 1 1']);
    expect(t.flame.weight).toBe('total');
    expect(t.flame.maxDepth).toBe(3);
  });

  it('closes calls that never returned, and keeps exits whose entry is gone', () => {
    const t = buildCallTable(
      trace([
        // an EXIT whose ENTRY was overwritten
        [0, 'out', 'lost_entry', 2, 1],
        [0, 'in', 'main', 3, 0],
        [0, 'in', 'trap', 4, 1],
        // trap never returns; the next call at depth 1 shows it is gone
        [0, 'in', 'next', 6, 1],
        [0, 'out', 'next', 7, 1],
        // main never returns: the trace ends
        [0, 'in', 'tail', 9, 1],
      ]),
    );
    expect(calls(t)).toEqual([['main@0 3-9 noexit', 'lost_entry@1 2-2 noentry', 'trap@1 4-6 noexit', 'next@1 6-7', 'tail@1 9-9 noexit']]);
    // a depth-1 call whose caller is not in the trace goes under its own root in the flame graph
    expect(flameLines(t)).toContain('all;(callers not in trace);lost_entry 0 1');
    expect(flameLines(t)).toContain('all;main;trap 2 1');
  });

  it('gives each instance a lane and a root of its own', () => {
    const t = buildCallTable(
      trace([
        [0, 'in', 'main', 0, 0],
        [1, 'in', 'main', 1, 0],
        [1, 'in', 'f', 2, 1],
        [0, 'out', 'main', 3, 0],
        [1, 'out', 'f', 4, 1],
        [1, 'out', 'main', 6, 0],
      ]),
    );
    expect(t.lanes.map((l) => [l.instance, l.label, l.rows])).toEqual([
      [0, 'mod0.wasm', 1],
      [1, 'mod1.wasm', 2],
    ]);
    expect(calls(t)).toEqual([['main@0 0-3'], ['main@0 1-6', 'f@1 2-4']]);
    expect(flameLines(t)).toEqual(['all 8 2', 'all;mod1.wasm 5 1', 'all;mod1.wasm;main 5 1', 'all;mod1.wasm;main;f 2 1', 'all;mod0.wasm 3 1', 'all;mod0.wasm;main 3 1']);
    // names are per instance: the two mains are two names
    expect(t.names.filter((n) => n === 'main')).toHaveLength(2);
  });

  it('the function tracer (entries only): each call lasts until the next entry; no time gives weight by calls', () => {
    const t = buildCallTable(
      trace(
        [
          [0, 'in', 'a', 0, 0],
          [0, 'in', 'b', 0, 0],
        ],
        { tracer: 'function', clock: 'counter' },
      ),
    );
    expect(calls(t)).toEqual([['a@0 0-0 noexit', 'b@0 0-0 noexit']]);
    expect(t.flame.weight).toBe('calls');
    expect(t.counter).toBe(true);
  });

  it('builds 10^6 events in well under a few seconds', () => {
    const events: TraceEvent[] = [];
    let ts = 0;
    // 250000 x (outer -> inner): 10^6 events
    for (let i = 0; i < 250_000; i++) {
      const s = ts;
      events.push({ type: EVENT_ENTRY, instance: 0, ip: i % 50, parent: HOST_IP, depth: 0, ts: ts++, duration: 0 });
      events.push({ type: EVENT_ENTRY, instance: 0, ip: 50 + (i % 7), parent: i % 50, depth: 1, ts: ts++, duration: 0 });
      events.push({ type: EVENT_EXIT, instance: 0, ip: 50 + (i % 7), parent: 0, depth: 1, ts: ts, duration: 1 });
      events.push({ type: EVENT_EXIT, instance: 0, ip: i % 50, parent: 0, depth: 0, ts: ++ts, duration: ts - s });
    }
    const big: TraceData = { tracer: 'function_graph', clock: 'perf', instances: [{ id: 0, name: 'big', names: [] }], events, entries: events.length, written: events.length, lost: 0 };
    const t0 = performance.now();
    const t = buildCallTable(big);
    const ms = performance.now() - t0;
    expect(t.count).toBe(500_000);
    expect(t.lanes[0]!.byDepth.map((d) => d.length)).toEqual([250_000, 250_000]);
    expect(ms).toBeLessThan(10_000); // a sanity bound, not a benchmark
  });
});

describe('Chrome trace import', () => {
  it('B/E and X events nest into ENTRY/EXIT with depths', () => {
    const t = importChromeTrace({
      traceEvents: [
        { name: 'process_name', ph: 'M', pid: 7, tid: 7, args: { name: 'app.wasm' } },
        { name: 'main', ph: 'B', ts: 10, pid: 7, tid: 7 },
        { name: 'leaf', ph: 'X', ts: 12, dur: 3, pid: 7, tid: 7 },
        { name: 'sub', ph: 'B', ts: 20, pid: 7, tid: 7 },
        { name: 'sub', ph: 'E', ts: 25, pid: 7, tid: 7 },
        { name: 'main', ph: 'E', ts: 30, pid: 7, tid: 7 },
        { name: 'other', ph: 'C', ts: 31, pid: 7, tid: 7 },
      ],
    });
    expect(t.tracer).toBe('function_graph');
    expect(t.clock).toBe('perf');
    expect(t.instances).toEqual([{ id: 0, name: 'app.wasm', names: ['main', 'leaf', 'sub'] }]);
    expect(t.events.map((e) => `${e.type === EVENT_ENTRY ? 'in' : 'out'} ${t.instances[0]!.names[e.ip]}@${e.depth} ${e.ts}${e.type === EVENT_EXIT ? ` +${e.duration}` : ''}`)).toEqual([
      'in main@0 10',
      'in leaf@1 12',
      'out leaf@1 15 +3',
      'in sub@1 20',
      'out sub@1 25 +5',
      'out main@0 30 +20',
    ]);
    expect(calls(buildCallTable(t))).toEqual([['main@0 10-30', 'leaf@1 12-15', 'sub@1 20-25']]);
  });

  it('an unclosed B keeps its ENTRY only; E without B is ignored; children are cut at their parent', () => {
    const t = importChromeTrace([
      { name: 'stray', ph: 'E', ts: 1, pid: 1, tid: 1 },
      { name: 'open', ph: 'B', ts: 2, pid: 1, tid: 1 },
      { name: 'p', ph: 'X', ts: 3, dur: 4, pid: 1, tid: 1 },
      { name: 'overlong', ph: 'X', ts: 5, dur: 10, pid: 1, tid: 1 },
      { name: 'after', ph: 'X', ts: 20, dur: 1, pid: 1, tid: 1 },
    ]);
    const names = t.instances[0]!.names;
    expect(t.instances[0]!.name).toBe('pid 1');
    expect(t.events.map((e) => `${e.type === EVENT_ENTRY ? 'in' : 'out'} ${names[e.ip]}@${e.depth} ${e.ts}`)).toEqual([
      'in open@0 2',
      'in p@1 3',
      'in overlong@2 5',
      'out overlong@2 7',
      'out p@1 7',
      'in after@1 20',
      'out after@1 21',
    ]);
    expect(calls(buildCallTable(t))).toEqual([['open@0 2-21 noexit', 'p@1 3-7', 'after@1 20-21', 'overlong@2 5-7']]);
  });

  it('one instance per pid, events merged in time order; counter clock from otherData', () => {
    const t = importChromeTrace({
      traceEvents: [
        { name: 'a', ph: 'X', ts: 0, dur: 10, pid: 1, tid: 1 },
        { name: 'b', ph: 'X', ts: 5, dur: 10, pid: 2, tid: 2 },
      ],
      otherData: { timeUnit: 'sequence', tracer: 'function_graph', lost: 3, written: 7 },
    });
    expect(t.clock).toBe('counter');
    expect([t.lost, t.written]).toEqual([3, 7]);
    expect(t.instances.map((i) => i.name)).toEqual(['pid 1', 'pid 2']);
    expect(t.events.map((e) => `${e.instance}:${e.type}@${e.ts}`)).toEqual(['0:1@0', '1:1@5', '0:2@10', '1:2@15']);
    expect(buildCallTable(t).lanes).toHaveLength(2);
  });

  it('reads back what dump --chrome writes: same profile', () => {
    const original = trace([
      [0, 'in', 'main', 0, 0],
      [0, 'in', 'a', 1, 1],
      [0, 'out', 'a', 4, 1],
      [0, 'in', 'a', 5, 1],
      [0, 'in', 'b', 6, 2],
      [0, 'out', 'b', 7, 2],
      [0, 'out', 'a', 8, 1],
      [1, 'in', 'x', 2, 0],
      [1, 'out', 'x', 9, 0],
      [0, 'out', 'main', 10, 0],
    ]);
    const back = traceFromBytes(new TextEncoder().encode(JSON.stringify(toChromeTrace(original))));
    expect(back.format).toBe('Chrome JSON');
    const strip = (rows: ReturnType<typeof computeProfile>): unknown => rows.map(({ instance, ip, ...r }) => r).sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(strip(computeProfile(back.trace))).toEqual(strip(computeProfile(original)));
    expect(back.trace.instances.map((i) => i.name)).toEqual(['mod0.wasm', 'mod1.wasm']);
  });

  it('rejects what is not a trace with one line', () => {
    expect(() => traceFromBytes(new TextEncoder().encode('hello'))).toThrow(/^not a trace/);
    expect(() => traceFromBytes(new TextEncoder().encode('{"a":1}'))).toThrow(/^not a trace/);
    expect(() => traceFromBytes(new TextEncoder().encode('{"a":'))).toThrow(/^not valid JSON/);
  });
});

describe('viewerHtml', () => {
  const js = 'console.log("</script><!-- x"); export const a = 1;\n//# sourceMappingURL=viewer.js.map\n';
  it('inlines the script and the trace, and references nothing outside the page', () => {
    const t = trace([
      [0, 'in', '</script><b>', 0, 0],
      [0, 'out', '</script><b>', 1, 0],
    ]);
    const html = viewerHtml(js, { traceJson: JSON.stringify(t), name: 'x<y>.data' });
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toContain('sourceMappingURL');
    // exactly our two scripts, nothing closes them early
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const json = /<script type="application\/json" id="wasm-ftrace-trace" data-name="x&#60;y&#62;.data">([^]*?)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(json!)).toEqual(t);
    expect(html).toContain('console.log("<\\/script><\\!-- x")');
  });

  it('embeds a data file as base64', () => {
    const html = viewerHtml(js, { dataFileBase64: 'V0ZUUkFDRQA=' });
    expect(html).toContain('<script type="application/octet-stream" id="wasm-ftrace-data">V0ZUUkFDRQA=</script>');
    expect(() => viewerHtml(js, { dataFileBase64: '</script>' })).toThrow();
  });
});

describe('wasm-ftrace report --html', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-viewer-'));
    const rec = await cli('record', '-o', path.join(dir, 'graph.data'), path.join(FIXTURES, 'hash.wasm'), '64', '2');
    expect(rec.code).toBe(0);
  });

  it('writes a self-contained page with the data file inside', async () => {
    expect(existsSync(VIEWER_JS), `${VIEWER_JS} is missing: run 'npm run build'`).toBe(true);
    const out = path.join(dir, 'trace.html');
    const r = await cli('report', '--html', out, path.join(dir, 'graph.data'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^wasm-ftrace: wrote the trace viewer to .*trace\.html \(\d+ KiB\)\n$/);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    const b64 = /<script type="application\/octet-stream" id="wasm-ftrace-data" data-name="graph.data">([A-Za-z0-9+/=]+)<\/script>/.exec(html)?.[1];
    expect(Buffer.from(b64!, 'base64').equals(readFileSync(path.join(dir, 'graph.data')))).toBe(true);
    expect(html).toContain('mountViewer');
  });

  const embedded = (html: string): { name: string; trace: TraceData } => {
    const m = /<script type="application\/octet-stream" id="wasm-ftrace-data" data-name="([^"]*)">([A-Za-z0-9+/=]+)<\/script>/.exec(html);
    return { name: m![1]!, trace: toTraceData(decodeDataFile(new Uint8Array(Buffer.from(m![2]!, 'base64')))) };
  };

  it('with read-time filters embeds a data file of what they keep', async () => {
    const out = path.join(dir, 'main.html');
    const r = await cli('report', '--html', out, '-G', 'main', '-D', '2', path.join(dir, 'graph.data'));
    expect(r.code, r.stderr).toBe(0);
    const { name, trace: t } = embedded(readFileSync(out, 'utf8'));
    expect(name).toBe('graph.data (filtered)');
    expect(Math.max(...t.events.map((e) => e.depth))).toBe(1);
    expect(new Set(t.events.filter((e) => e.depth === 0).map((e) => t.instances[0]!.names[e.ip]))).toEqual(new Set(['main']));
  });

  it('windows a trace too big for one page to its first events, and says so', async () => {
    const out = path.join(dir, 'window.html');
    const whole = toTraceData(decodeDataFile(new Uint8Array(readFileSync(path.join(dir, 'graph.data')))));
    const r = await cli('report', '--html', out, '--html-events', '100', path.join(dir, 'graph.data'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^wasm-ftrace: the trace has ${whole.events.length} events, more than one page holds: the page shows the first 100, [0-9.]+ ms;`));
    const { name, trace: t } = embedded(readFileSync(out, 'utf8'));
    expect(name).toMatch(new RegExp(`^graph\\.data \\(first 100 of ${whole.events.length} events, [0-9.]+ ms\\)$`));
    expect(t.events.map(({ seq: _s, ...e }) => e)).toEqual(whole.events.slice(0, 100).map(({ seq: _s, ...e }) => e));
  });

  it('a bad data file is one line and no page', async () => {
    const out = path.join(dir, 'bad.html');
    const r = await cli('report', '--html', out, path.join(FIXTURES, 'hash.wasm'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});

describe('durations for people', () => {
  it('picks the unit after rounding: 999.96 us is 1.00 ms, never 1.00e+3 us', () => {
    expect(formatDuration(999.96, false)).toBe('1.00 ms');
    expect(formatDuration(999.4, false)).toBe('999 us');
    expect(formatDuration(0.9996, false)).toBe('1.00 us');
    expect(formatDuration(999_960, false)).toBe('1.00 s');
    expect(formatDuration(12_345_678_900, false)).toBe('12346 s');
    expect(formatDuration(0.0123, false)).toBe('12.3 ns');
    expect(formatDuration(-1500, false)).toBe('-1.50 ms');
    expect(formatDuration(3, true)).toBe('3 events');
  });
});
