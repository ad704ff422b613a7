/**
 * The streaming readers: a data file read as a TraceStream (a pass per
 * read, one object per event at a time) gives every output exactly what the
 * whole-file reader gives; filters stream too; streamed outputs never leave
 * a half-written file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDataFile, encodeEvents, encodeFooter, encodeHeader, encodeInstance, encodePreamble, toTraceData } from '../src/datafile/index.js';
import { openDataFileTrace } from '../src/datafile/node-trace.js';
import { encodeTraceWindow } from '../src/datafile/window.js';
import { openOutput } from '../src/cli/io.js';
import { CliError } from '../src/cli/errors.js';
import { filterStream, filterTrace } from '../src/output/filter.js';
import { formatChromeTrace, formatFolded, formatFtraceText, formatProfile } from '../src/output/index.js';
import { EVENT_ENTRY, EVENT_EXIT, EVENT_MARKER, type TraceEvent } from '../src/ring/event.js';
import type { EventColumns } from '../src/datafile/format.js';

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-stream-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Events as the columns of one EVTS chunk. */
function columns(events: TraceEvent[], firstSeq: number): EventColumns {
  const n = events.length;
  const cols: EventColumns = {
    count: n,
    firstSeq,
    type: new Uint8Array(n),
    instance: new Uint16Array(n),
    ip: new Uint32Array(n),
    parent: new Uint32Array(n),
    depth: new Uint32Array(n),
    ts: new Float64Array(n),
    duration: new Float64Array(n),
    markers: new Map(events.flatMap((e, i) => (e.type === EVENT_MARKER ? [[i, e.text ?? '']] : []))),
  };
  events.forEach((e, i) => {
    cols.type[i] = e.type;
    cols.instance[i] = e.instance;
    cols.ip[i] = e.ip;
    cols.parent[i] = e.parent;
    cols.depth[i] = e.depth;
    cols.ts[i] = e.ts;
    cols.duration[i] = e.duration;
  });
  return cols;
}

const NAMES = ['env.f', 'main', 'parse', 'leaf', 'slow'];
let clock = 0;
const ent = (instance: number, ip: number, depth: number): TraceEvent => ({ type: EVENT_ENTRY, instance, ip, parent: 0, depth, ts: (clock += 1), duration: 0 });
const ext = (instance: number, ip: number, depth: number, duration: number): TraceEvent => ({ type: EVENT_EXIT, instance, ip, parent: 0, depth, ts: (clock += duration), duration });
// two chunks; instance 1 has events but no INST chunk; a marker; main in instance 0 never returns
const CHUNK1 = [ent(0, 1, 0), ent(0, 2, 1), ent(0, 3, 2), ext(0, 3, 2, 2), ext(0, 2, 1, 5), ent(1, 4, 0)];
const CHUNK2 = [ext(1, 4, 0, 50), { type: EVENT_MARKER, instance: 0, ip: 0, parent: 0, depth: 0, ts: (clock += 1), duration: 0, text: 'half way\n' } as TraceEvent, ent(0, 4, 1), ext(0, 4, 1, 30)];

function writeFile(name: string): string {
  const file = path.join(dir, name);
  const parts = [
    encodePreamble(),
    encodeHeader({ tracer: 'function_graph', clock: 'perf', created: '', version: 'test' }),
    encodeInstance({ id: 0, name: 'app', functionCount: NAMES.length, importCount: 1, names: NAMES }),
    encodeEvents(columns(CHUNK1, 0)),
    encodeEvents(columns(CHUNK2, CHUNK1.length)),
    encodeFooter({ events: 10, written: 10, lost: 0, overrun: 0, dropped: 0, ended: '', lastTs: clock }),
  ];
  fs.writeFileSync(file, Buffer.concat(parts));
  return file;
}

describe('a data file as a TraceStream', () => {
  it('gives every output what the whole-file reader gives, pass after pass', () => {
    const file = writeFile('two-chunks.data');
    const whole = toTraceData(decodeDataFile(new Uint8Array(fs.readFileSync(file))));
    const { summary, trace } = openDataFileTrace(file, { blockSize: 37 });
    expect(summary.eventCount).toBe(10);
    expect(trace.hasExits).toBe(true);
    expect(trace.instances.map((i) => [i.id, i.name])).toEqual([
      [0, 'app'],
      [1, 'wasm1'],
    ]);
    expect(Array.isArray(trace.events)).toBe(false);
    expect([...trace.events]).toEqual(whole.events);
    expect([...trace.events]).toEqual(whole.events); // a second pass reads the file again
    expect(formatFtraceText(trace)).toBe(formatFtraceText(whole));
    expect(formatChromeTrace(trace)).toBe(formatChromeTrace(whole));
    expect(formatProfile(trace)).toBe(formatProfile(whole));
    expect(formatFolded(trace, { weight: 'time' })).toBe(formatFolded(whole, { weight: 'time' }));
  });

  it('filters as it streams, with the same result as filtering the array', () => {
    const file = writeFile('filter.data');
    const { trace } = openDataFileTrace(file);
    // the stream lists instance 1 (undescribed) from the start; an array trace finds it by scanning its events
    const whole = { ...toTraceData(decodeDataFile(new Uint8Array(fs.readFileSync(file)))), instances: trace.instances };
    for (const f of [{ timeFilter: 10 }, { filter: ['main', 'leaf'] }, { graphFunction: ['parse'] }, { depth: 1, notrace: ['slow'] }]) {
      const streamed = filterStream(trace, f);
      const array = filterTrace(whole, f);
      expect([...streamed.events], JSON.stringify(f)).toEqual(array.events);
      expect(streamed.entries).toBe(array.events.length);
      expect(formatFtraceText(streamed)).toBe(formatFtraceText(array));
    }
  });

  it('a window of the first events is a data file of its own', () => {
    const file = writeFile('window.data');
    const { summary, trace } = openDataFileTrace(file);
    const w = encodeTraceWindow(trace, summary.header, 4);
    expect([w.kept, w.total, w.firstTs, w.lastTs]).toEqual([4, 10, CHUNK1[0]!.ts, CHUNK1[3]!.ts]);
    const windowed = toTraceData(decodeDataFile(w.bytes));
    expect(windowed.events).toEqual([...trace.events].slice(0, 4));
    expect(windowed.instances.map((i) => i.name)).toEqual(['app', 'wasm1']);
  });
});

describe('streamed outputs', () => {
  it('a file appears only when the output is complete; a failure leaves nothing behind', () => {
    const out = path.join(dir, 'out.txt');
    const sink = openOutput({ stdout: () => {}, stderr: () => {} }, out);
    for (let i = 0; i < 20_000; i++) sink.write(`line ${i}\n`);
    expect(fs.existsSync(out)).toBe(false);
    sink.close();
    expect(fs.readFileSync(out, 'utf8').split('\n')).toHaveLength(20_001);

    const failed = path.join(dir, 'failed.txt');
    const half = openOutput({ stdout: () => {}, stderr: () => {} }, failed);
    half.write('x'.repeat(100_000));
    half.abort();
    expect(fs.readdirSync(dir).filter((f) => f.includes('failed'))).toEqual([]);
    expect(() => openOutput({ stdout: () => {}, stderr: () => {} }, path.join(dir, 'no/such/dir/x'))).toThrow(CliError);
  });

  it('stdout gets the text in blocks, in order', () => {
    const pieces: string[] = [];
    const sink = openOutput({ stdout: (s) => pieces.push(s), stderr: () => {} });
    for (let i = 0; i < 20_000; i++) sink.write(`${i}\n`);
    sink.close();
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(Array.from({ length: 20_000 }, (_, i) => `${i}\n`).join(''));
  });
});
