/**
 * Round trips, as speedscope tests its formats: export, re-import, export
 * again, and the two exports are identical.
 *
 * - Chrome trace JSON: formatChromeTrace -> importChromeTrace (the viewer's
 *   importer) -> formatChromeTrace.
 * - The data file: encode -> decode -> encode, byte for byte, for a real
 *   recording (chunked events, instances, footer) and for a built one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_IP } from '../src/abi/index.js';
import { DataFileDecoder, decodeDataFile, encodeEvents, encodeFooter, encodeHeader, encodeInstance, encodePreamble, toTraceData } from '../src/datafile/index.js';
import type { DataFileHeader, EventColumns } from '../src/datafile/format.js';
import { formatChromeTrace } from '../src/output/chrome-trace.js';
import { startRecording } from '../src/record/writer.js';
import { EVENT_ENTRY, EVENT_EXIT, EVENT_MARKER, type TraceData, type TraceEvent } from '../src/ring/event.js';
import { TraceArray } from '../src/tracers/trace-array.js';
import { importChromeTrace } from '../src/viewer/chrome-import.js';
import { calls, fixturePath, traceInNode } from './helpers/example-trace.js';
import { instrument } from '../src/instrument/pass.js';

const ev = (type: number, instance: number, ip: number, depth: number, ts: number, duration = 0, parent: number = HOST_IP): TraceEvent => ({ type, instance, ip, parent, depth, ts, duration });

/** Two instances, nested calls, a call still open at the end, a marker. */
const BUILT: TraceData = {
  tracer: 'function_graph',
  clock: 'perf',
  instances: [
    { id: 0, name: 'app.wasm', names: ['main', 'parse', 'emit'] },
    { id: 1, name: 'lib.wasm', names: ['hash'] },
  ],
  events: [
    ev(EVENT_ENTRY, 0, 0, 0, 1.5),
    ev(EVENT_ENTRY, 0, 1, 1, 2.25, 0, 0),
    ev(EVENT_ENTRY, 1, 0, 0, 3),
    ev(EVENT_EXIT, 1, 0, 0, 4.5, 1.5),
    ev(EVENT_EXIT, 0, 1, 1, 6, 3.75),
    { type: EVENT_MARKER, instance: 0, ip: 0, parent: 0, depth: 0, ts: 6.5, duration: 0, text: 'half way' },
    ev(EVENT_ENTRY, 0, 2, 1, 7, 0, 0),
    ev(EVENT_EXIT, 0, 2, 1, 9, 2),
  ],
  entries: 5,
  written: 8,
  lost: 0,
};

describe('round trip: Chrome trace JSON through the viewer\'s importer', () => {
  const roundTrip = (trace: TraceData): [string, string] => {
    const first = formatChromeTrace(trace);
    const again = formatChromeTrace(importChromeTrace(JSON.parse(first)));
    return [first, again];
  };

  it('a built function_graph trace (two instances, an open call, a marker)', () => {
    const [first, again] = roundTrip(BUILT);
    expect(again).toBe(first);
  });

  it('a recorded function_graph trace', async () => {
    const [first, again] = roundTrip(await traceInNode('function_graph'));
    expect(again).toBe(first);
  });

  it('a recorded function trace (instant events)', async () => {
    const [first, again] = roundTrip(await traceInNode('function'));
    expect(again).toBe(first);
  });
});

describe('round trip: the data file, encode -> decode -> encode', () => {
  /** The file again from what the decoder read, chunk by chunk. */
  function reencode(bytes: Uint8Array): Uint8Array {
    const decoder = new DataFileDecoder();
    const parts: Uint8Array[] = [encodePreamble()];
    for (const c of decoder.push(bytes)) {
      if (c.kind === 'header') parts.push(encodeHeader(c.header));
      else if (c.kind === 'instance') parts.push(encodeInstance(c.instance));
      else if (c.kind === 'events') parts.push(encodeEvents(c.columns));
      else parts.push(encodeFooter(c.footer));
    }
    expect(decoder.finish().warnings).toEqual([]);
    return Buffer.concat(parts);
  }

  it('a recording (header, instance, several EVTS chunks with markers, footer) comes back byte for byte', async () => {
    const { binary } = instrument(readFileSync(fixturePath), { exitHooks: true });
    const tr = new TraceArray({ tracer: 'function_graph', bufferKb: 4 });
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-rt-')), 'trace.data');
    const rec = startRecording(tr, { path: file, command: ['round-trip'] });
    const { instance } = await tr.instantiate(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), {}, 'recursion.wasm');
    for (let k = 0; k < 20; k++) {
      tr.marker(`round ${k}: ünïcödé`);
      for (const [name, args] of calls) (instance.exports[name] as (...a: number[]) => number)(...args);
    }
    rec.close();
    const original = new Uint8Array(readFileSync(file));
    const chunks = new DataFileDecoder().push(original);
    expect(chunks.filter((c) => c.kind === 'events').length).toBeGreaterThan(1);
    expect(decodeDataFile(original).events.some((e) => e.type === EVENT_MARKER)).toBe(true);
    expect(new Uint8Array(reencode(original))).toEqual(original);
  });

  it('a data file of the built trace, encoded from its columns, comes back byte for byte', () => {
    const n = BUILT.events.length;
    const columns: EventColumns = {
      count: n,
      firstSeq: 100,
      type: Uint8Array.from(BUILT.events, (e) => e.type),
      instance: Uint16Array.from(BUILT.events, (e) => e.instance),
      ip: Uint32Array.from(BUILT.events, (e) => e.ip),
      parent: Uint32Array.from(BUILT.events, (e) => e.parent),
      depth: Uint32Array.from(BUILT.events, (e) => e.depth),
      ts: Float64Array.from(BUILT.events, (e) => e.ts),
      duration: Float64Array.from(BUILT.events, (e) => e.duration),
      markers: new Map([[5, 'half way']]),
    };
    const parts = [
      encodePreamble(),
      encodeHeader({ tracer: 'function_graph', clock: 'perf', created: '2026-01-01T00:00:00.000Z', version: '0.1.0', options: {}, buffer: { sizeKb: 64, capacity: 1024, mode: 'overwrite' } } as DataFileHeader),
      ...BUILT.instances.map((i) => encodeInstance({ id: i.id, name: i.name, functionCount: i.names.length, importCount: 0, names: [...i.names] })),
      encodeEvents(columns),
      encodeFooter({ events: n, written: n, lost: 0, overrun: 0, dropped: 0, ended: '2026-01-01T00:00:01.000Z', lastTs: 9 }),
    ];
    const bytes = new Uint8Array(Buffer.concat(parts));
    expect(new Uint8Array(reencode(bytes))).toEqual(bytes);
    expect(toTraceData(decodeDataFile(bytes)).events.map(({ seq: _seq, ...e }) => e)).toEqual(BUILT.events);
  });
});
