/**
 * `dump --perfetto`: the protobuf trace decodes against Perfetto's published
 * schema (the subset in test/perfetto/trace-subset.proto, decoded with
 * protobufjs), calls nest as slices on their instance's thread track, names
 * resolve through the interned tables, timestamps are the recorded ones in
 * ns. A golden file shows the decoded packets, one line each, for review by
 * eye (UPDATE_GOLDEN=1 rewrites it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { HOST_IP } from '../src/abi/index.js';
import { main } from '../src/cli/main.js';
import { encodeEvents, encodeFooter, encodeHeader, encodeInstance, encodePreamble } from '../src/datafile/index.js';
import type { EventColumns } from '../src/datafile/format.js';
import { formatPerfettoTrace, perfettoTracks } from '../src/output/perfetto.js';
import { EVENT_ENTRY, EVENT_EXIT, EVENT_MARKER, EVENT_STACK, EVENT_STACK_FRAME, type TraceData, type TraceEvent } from '../src/ring/event.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA = protobuf.loadSync(path.join(HERE, 'perfetto/trace-subset.proto'));
const TraceType = SCHEMA.lookupType('perfetto.protos.Trace');

interface Packet {
  timestamp?: number;
  trustedPacketSequenceId?: number;
  sequenceFlags?: number;
  traceEvent?: never;
  trackEvent?: { type?: number; trackUuid?: number; categoryIids?: number[]; nameIid?: number; name?: string; debugAnnotations?: { nameIid: number; stringValue: string }[] };
  trackDescriptor?: { uuid: number; parentUuid?: number; name?: string; process?: { pid: number; processName: string }; thread?: { pid: number; tid: number; threadName: string } };
  clockSnapshot?: { clocks: { clockId: number; timestamp: number }[]; primaryTraceClock: number };
  tracePacketDefaults?: { timestampClockId: number };
  internedData?: { eventCategories?: { iid: number; name: string }[]; eventNames?: { iid: number; name: string }[]; debugAnnotationNames?: { iid: number; name: string }[] };
}

function decode(bytes: Uint8Array): Packet[] {
  const msg = TraceType.decode(bytes);
  return (TraceType.toObject(msg, { longs: Number, enums: Number, defaults: false }) as { packet: Packet[] }).packet;
}

/** The decoded trace as lines a person can check: names resolved, times in us. */
function render(packets: Packet[]): string {
  const names = new Map<number, string>();
  const cats = new Map<number, string>();
  const annos = new Map<number, string>();
  const tracks = new Map<number, string>();
  const TYPES = ['?', 'BEGIN', 'END', 'INSTANT'];
  const lines: string[] = [];
  for (const p of packets) {
    const i = p.internedData;
    for (const c of i?.eventCategories ?? []) cats.set(c.iid, c.name);
    for (const n of i?.eventNames ?? []) names.set(n.iid, n.name);
    for (const a of i?.debugAnnotationNames ?? []) annos.set(a.iid, a.name);
    if (p.clockSnapshot) {
      const c = p.clockSnapshot;
      lines.push(`seq ${p.trustedPacketSequenceId} flags ${p.sequenceFlags} default clock ${p.tracePacketDefaults?.timestampClockId}; clocks ${c.clocks.map((k) => `${k.clockId}@${k.timestamp ?? 0}`).join(' ')} primary ${c.primaryTraceClock}; categories ${[...cats].map(([k, v]) => `${k}=${v}`).join(' ')}; annotations ${[...annos].map(([k, v]) => `${k}=${v}`).join(' ')}`);
    } else if (p.trackDescriptor) {
      const d = p.trackDescriptor;
      tracks.set(d.uuid, d.name ?? '');
      const what = d.process ? `process pid ${d.process.pid} "${d.process.processName}"` : `thread pid ${d.thread?.pid} tid ${d.thread?.tid} "${d.thread?.threadName}" in ${d.parentUuid}`;
      lines.push(`track ${d.uuid} "${d.name}": ${what}`);
    } else if (p.trackEvent) {
      const e = p.trackEvent;
      const name = e.nameIid !== undefined ? names.get(e.nameIid) : e.name;
      const args = (e.debugAnnotations ?? []).map((a) => ` ${annos.get(a.nameIid)}=${JSON.stringify(a.stringValue)}`).join('');
      const cat = e.categoryIids?.length ? ` [${e.categoryIids.map((c) => cats.get(c)).join(',')}]` : '';
      lines.push(`${((p.timestamp ?? 0) / 1000).toFixed(3).padStart(14)} ${tracks.get(e.trackUuid ?? 0)} ${TYPES[e.type ?? 0]}${name !== undefined ? ` ${name}` : ''}${cat}${args}`);
    } else {
      lines.push(`other packet ${JSON.stringify(p)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// --- fixtures -----------------------------------------------------------------

let t = 1_000_000;
const ent = (instance: number, ip: number, depth: number, parent = HOST_IP): TraceEvent => ({ type: EVENT_ENTRY, instance, ip, parent, depth, ts: (t += 1.5), duration: 0 });
const ext = (instance: number, ip: number, depth: number, duration: number): TraceEvent => ({ type: EVENT_EXIT, instance, ip, parent: 0, depth, ts: (t += 2.25), duration });
const NAMES = ['env.log', 'main', 'parse', 'leaf', 'fib', 'trap_me'];
const GRAPH_EVENTS: TraceEvent[] = [
  ext(0, 3, 1, 0.5), // its ENTRY was overwritten: left out
  ent(0, 1, 0),
  ent(0, 2, 1, 1),
  ent(0, 3, 2, 2),
  ext(0, 3, 2, 2.25),
  ext(0, 2, 1, 6),
  { type: EVENT_MARKER, instance: 0, ip: 0, parent: 0, depth: 0, ts: (t += 1), duration: 0, text: 'half way\n' },
  ent(1, 0, 0),
  ext(1, 0, 0, 2.25),
  ent(0, 5, 1, 1),
  ent(0, 3, 2, 5),
  // a trap unwinds trap_me and leaf: the next entry at depth 1 shows it
  ent(0, 4, 1, 1),
  { type: EVENT_STACK, instance: 0, ip: 4, parent: 0, depth: 2, ts: (t += 0.5), duration: 0 },
  { type: EVENT_STACK_FRAME, instance: 0, ip: 1, parent: 0, depth: 0, ts: t, duration: 0 },
  { type: EVENT_STACK_FRAME, instance: 0, ip: HOST_IP, parent: 0, depth: 0, ts: t, duration: 0 },
  ext(0, 4, 1, 3),
  // main never returns: it ends with the trace
];
const GRAPH: TraceData = {
  tracer: 'function_graph',
  clock: 'perf',
  instances: [
    { id: 0, name: 'app', names: NAMES },
    { id: 1, name: 'side.wasm', names: ['init'] },
  ],
  events: GRAPH_EVENTS,
  entries: GRAPH_EVENTS.length,
  written: GRAPH_EVENTS.length + 3,
  lost: 3,
};
const FUNCTION: TraceData = {
  ...GRAPH,
  tracer: 'function',
  clock: 'counter',
  instances: [GRAPH.instances[0]!],
  events: [
    { type: EVENT_ENTRY, instance: 0, ip: 1, parent: HOST_IP, depth: 0, ts: 1, duration: 0 },
    { type: EVENT_ENTRY, instance: 0, ip: 2, parent: 1, depth: 0, ts: 2, duration: 0 },
    { type: EVENT_ENTRY, instance: 0, ip: 2, parent: 1, depth: 0, ts: 3, duration: 0 },
  ],
};

function golden(name: string, actual: string): void {
  const file = path.join(HERE, 'golden', name);
  if (process.env['UPDATE_GOLDEN'] === '1') fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

// --- tests --------------------------------------------------------------------

describe('Perfetto protobuf output', () => {
  it('decodes against the published schema; golden', () => {
    golden('graph.perfetto.txt', render(decode(formatPerfettoTrace(GRAPH))));
    golden('function.perfetto.txt', render(decode(formatPerfettoTrace(FUNCTION))));
  });

  it('slices nest per thread track; names and timestamps are the recorded ones', () => {
    const packets = decode(formatPerfettoTrace(GRAPH));
    expect(packets.every((p) => p.trustedPacketSequenceId === 1)).toBe(true);
    const names = new Map<number, string>();
    const open = new Map<number, Array<{ name: string; ts: number }>>();
    const slices: Array<{ track: number; name: string; start: number; end: number; noExit?: string }> = [];
    let lastTs = 0;
    for (const p of packets) {
      for (const n of p.internedData?.eventNames ?? []) {
        expect(names.has(n.iid)).toBe(false); // interned once
        names.set(n.iid, n.name);
      }
      const e = p.trackEvent;
      if (!e) continue;
      expect(p.sequenceFlags).toBe(2); // needs the interned state
      expect(p.timestamp!).toBeGreaterThanOrEqual(lastTs);
      lastTs = p.timestamp!;
      const stack = open.get(e.trackUuid!) ?? [];
      open.set(e.trackUuid!, stack);
      if (e.type === 1) stack.push({ name: names.get(e.nameIid!)!, ts: p.timestamp! });
      if (e.type === 2) {
        const b = stack.pop()!;
        expect(b).toBeDefined();
        slices.push({ track: e.trackUuid!, name: b.name, start: b.ts, end: p.timestamp!, noExit: e.debugAnnotations?.[0]?.stringValue });
      }
    }
    for (const s of open.values()) expect(s).toEqual([]);
    const app = perfettoTracks(0).thread;
    const side = perfettoTracks(1).thread;
    const ns = (ev: TraceEvent) => Math.round(ev.ts * 1000);
    const E = GRAPH_EVENTS;
    expect(slices).toEqual([
      { track: app, name: 'leaf', start: ns(E[3]!), end: ns(E[4]!), noExit: undefined },
      { track: app, name: 'parse', start: ns(E[2]!), end: ns(E[5]!), noExit: undefined },
      { track: side, name: 'init', start: ns(E[7]!), end: ns(E[8]!), noExit: undefined },
      { track: app, name: 'leaf', start: ns(E[10]!), end: ns(E[11]!), noExit: 'unwound' },
      { track: app, name: 'trap_me', start: ns(E[9]!), end: ns(E[11]!), noExit: 'unwound' },
      { track: app, name: 'fib', start: ns(E[11]!), end: ns(E[15]!), noExit: undefined },
      { track: app, name: 'main', start: ns(E[1]!), end: ns(E[15]!), noExit: 'end' },
    ]);
    const marker = packets.find((p) => p.trackEvent?.type === 3 && p.trackEvent.name === 'half way');
    expect(marker?.timestamp).toBe(ns(E[6]!));
  });

  it('dump --perfetto streams a data file to the same bytes; without -o it is a usage error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-perfetto-'));
    try {
      const file = path.join(dir, 'graph.data');
      fs.writeFileSync(file, dataFileOf(GRAPH));
      const out = path.join(dir, 'trace.pftrace');
      let stderr = '';
      const io = { stdout: () => {}, stderr: (s: string) => void (stderr += s) };
      expect(await main(['dump', '--perfetto', '-o', out, file], io), stderr).toBe(0);
      expect(new Uint8Array(fs.readFileSync(out))).toEqual(formatPerfettoTrace(GRAPH));
      expect(await main(['dump', '--perfetto', file], io)).toBe(2);
      expect(stderr).toContain('--perfetto writes a binary file: give it with -o');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function dataFileOf(trace: TraceData): Buffer {
  const evs = trace.events;
  const n = evs.length;
  const cols: EventColumns = {
    count: n,
    firstSeq: 0,
    type: Uint8Array.from(evs, (e) => e.type),
    instance: Uint16Array.from(evs, (e) => e.instance),
    ip: Uint32Array.from(evs, (e) => e.ip),
    parent: Uint32Array.from(evs, (e) => e.parent),
    depth: Uint32Array.from(evs, (e) => e.depth),
    ts: Float64Array.from(evs, (e) => e.ts),
    duration: Float64Array.from(evs, (e) => e.duration),
    markers: new Map(evs.flatMap((e, i) => (e.type === EVENT_MARKER ? [[i, e.text ?? '']] : []))),
  };
  return Buffer.concat([
    encodePreamble(),
    encodeHeader({ tracer: trace.tracer, clock: trace.clock, created: '', version: 'test' }),
    ...trace.instances.map((i) => encodeInstance({ id: i.id, name: i.name, functionCount: i.names.length, importCount: 0, names: [...i.names] })),
    encodeEvents(cols),
    encodeFooter({ events: n, written: trace.written, lost: trace.lost, overrun: trace.lost, dropped: 0, ended: '', lastTs: evs.at(-1)!.ts }),
  ]);
}

