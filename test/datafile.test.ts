import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrument } from '../src/index.js';
import {
  CHUNK_HEADER_BYTES,
  DATA_FILE_VERSION,
  DataFileDecoder,
  DataFileError,
  columnsToEvents,
  crc32,
  decodeDataFile,
  encodeChunk,
  encodeFooter,
  encodePreamble,
  fourcc,
  toTraceData,
  type DataFileChunk,
} from '../src/datafile/index.js';
import { readDataFile, streamDataFile } from '../src/datafile/node-reader.js';
import { startRecording } from '../src/record/writer.js';
import { formatFtraceText } from '../src/output/index.js';
import { EVENT_ENTRY, EVENT_EXIT, EVENT_MARKER, type TraceEvent } from '../src/ring/event.js';
import { RING_BYTES_PER_RECORD, RingBuffer, type RingColumns } from '../src/ring/ring-buffer.js';
import { TraceArray } from '../src/tracers/index.js';
import { wat } from './helpers/wat.js';

const PROG = wat(`(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (import "ftrace" "trace_marker" (func $marker (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello from the guest")
  (func $leaf (export "leaf") (result i32) (i32.const 1))
  (func $mid (export "mid") (result i32) (i32.add (call $leaf) (call $leaf)))
  (func $top (export "top") (result i32) (i32.add (call $mid) (call $leaf)))
  (func $via_host (export "via_host") (param i32) (result i32) (call $host (local.get 0)))
  (func $say (export "say") (drop (call $marker (i32.const 64) (i32.const 20))))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2)) (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
)`);
const SECOND = wat(`(module
  (func $even (export "even") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1)) (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
  (func $odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0)) (else (call $even (i32.sub (local.get 0) (i32.const 1))))))
)`);
const BIN = { plain: [instrument(PROG).binary, instrument(SECOND).binary], graph: [instrument(PROG, { exitHooks: true }).binary, instrument(SECOND, { exitHooks: true }).binary] };

type Exports = Record<string, (...a: number[]) => number>;

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-datafile-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
const tmp = (name: string): string => path.join(dir, name);

async function addFirst(tr: TraceArray, graph: boolean): Promise<Exports> {
  let x: Exports = {};
  const bin = (graph ? BIN.graph : BIN.plain)[0]!;
  const { instance } = await tr.instantiate(new WebAssembly.Module(bin as Uint8Array<ArrayBuffer>), { env: { host: (n: number) => (n > 0 ? x['via_host']!(n - 1) : x['top']!()) } }, 'first', {
    moduleHash: 'ab'.repeat(32),
  });
  x = instance.exports as unknown as Exports;
  return x;
}

async function addSecond(tr: TraceArray, graph: boolean): Promise<Exports> {
  const bin = (graph ? BIN.graph : BIN.plain)[1]!;
  const { instance } = await tr.instantiate(new WebAssembly.Module(bin as Uint8Array<ArrayBuffer>), {}, 'second');
  return instance.exports as unknown as Exports;
}

/** The same work, traced in memory or recorded: markers from both sides, two instances, host re-entry. */
async function scenario(tr: TraceArray, graph: boolean, between: () => void = () => {}): Promise<void> {
  const a = await addFirst(tr, graph);
  a['top']!();
  tr.marker('from TypeScript');
  between(); // the recorder starts here: events already in the ring go to the file too
  const b = await addSecond(tr, graph);
  a['fib']!(7);
  b['even']!(9);
  a['say']!();
  tr.marker('odd text: \ud800 lone surrogate, 🦀, "quotes"\n', 1);
  a['via_host']!(2);
  for (let i = 0; i < 20; i++) {
    a['top']!();
    b['even']!(i);
    if (i % 7 === 0) tr.marker(`marker ${i}`);
  }
}

/** Every chunk of a file, in order (copies: the columns stay valid). */
function chunksOf(bytes: Uint8Array): DataFileChunk[] {
  const dec = new DataFileDecoder();
  const out = dec.push(bytes);
  dec.finish();
  return out;
}

describe('RingBuffer: drainColumns and onFull', () => {
  it('drains columns in order, across the wrap-around, with marker texts, counting them consumed', () => {
    const ring = new RingBuffer({ sizeKb: (8 * RING_BYTES_PER_RECORD) / 1024 });
    for (let i = 0; i < 6; i++) ring.write(EVENT_ENTRY, 1, i, 0, 0, i, 0);
    ring.consume(4); // head at slot 4
    ring.writeMarker(2, 6, 'm6');
    for (let i = 7; i < 12; i++) ring.write(EVENT_EXIT, 1, i, 0, i, i, 0.5); // wraps
    const runs: { seq: number; ip: number[]; markers: [number, string][] }[] = [];
    const n = ring.drainColumns((c: RingColumns) => runs.push({ seq: c.firstSeq, ip: [...c.ip], markers: [...c.markers] }));
    expect(n).toBe(8);
    expect(runs).toEqual([
      { seq: 4, ip: [4, 5, 0, 7], markers: [[2, 'm6']] },
      { seq: 8, ip: [8, 9, 10, 11], markers: [] },
    ]);
    expect([ring.entries, ring.consumed, ring.markerCount, ring.markerBytes, ring.written]).toEqual([0, 12, 0, 0, 12]);
    expect(ring.drainColumns(() => expect.unreachable())).toBe(0);
    // drained from empty: the next fill is one run
    for (let i = 0; i < 8; i++) ring.write(EVENT_ENTRY, 0, i, 0, 0, i, 0);
    let calls = 0;
    ring.drainColumns((c) => {
      calls++;
      expect(c.count).toBe(8);
    });
    expect(calls).toBe(1);
  });

  it('a sink that throws leaves the records in the buffer', () => {
    const ring = new RingBuffer({ sizeKb: 1 });
    for (let i = 0; i < 5; i++) ring.write(EVENT_ENTRY, 0, i, 0, 0, i, 0);
    expect(() =>
      ring.drainColumns(() => {
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(ring.read().map((e) => e.ip)).toEqual([0, 1, 2, 3, 4]);
  });

  it('onFull drains before anything is overwritten or dropped, in both modes, for markers too', () => {
    for (const mode of ['overwrite', 'stop'] as const) {
      const ring = new RingBuffer({ sizeKb: (10 * RING_BYTES_PER_RECORD) / 1024, markerKb: 1, mode });
      const seen: TraceEvent[] = [];
      let calls = 0;
      ring.onFull = () => {
        calls++;
        ring.drainColumns((c) => columnsToEvents(c, undefined, seen));
      };
      for (let i = 0; i < 1000; i++) {
        if (i % 10 === 3) expect(ring.writeMarker(0, i, 'x'.repeat(i % 300))).toBe(true);
        else expect(ring.write(EVENT_ENTRY, 0, i, 0, 0, i, 0)).toBe(true);
      }
      ring.drainColumns((c) => columnsToEvents(c, undefined, seen));
      expect(seen.map((e) => e.ts)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(seen.filter((e) => e.type === EVENT_MARKER).every((e) => e.text === 'x'.repeat(e.ts % 300))).toBe(true);
      expect([ring.lost, ring.written, ring.consumed]).toEqual([0, 1000, 1000]);
      expect(calls).toBeGreaterThan(90); // the buffer and the 1 KiB text budget both filled
    }
  });

  it('a hook that makes no room leaves the usual policy; it is not re-entered', () => {
    const ring = new RingBuffer({ sizeKb: (4 * RING_BYTES_PER_RECORD) / 1024 });
    let depth = 0;
    let calls = 0;
    ring.onFull = () => {
      calls++;
      depth++;
      ring.write(EVENT_ENTRY, 0, 99, 0, 0, 0, 0); // a write from inside the hook: overwrites, no recursion
      depth--;
    };
    for (let i = 0; i < 6; i++) ring.write(EVENT_ENTRY, 0, i, 0, 0, i, 0);
    expect(calls).toBe(2);
    expect(depth).toBe(0);
    expect(ring.read().map((e) => e.ip)).toEqual([99, 4, 99, 5]);
  });
});

describe('data file: round trip through startRecording', () => {
  for (const tracer of ['function', 'function_graph'] as const) {
    it(`${tracer}: events and ftrace text equal an in-memory run; a 1 KiB ring drains many times`, async () => {
      const graph = tracer === 'function_graph';
      const mem = new TraceArray({ tracer, clock: 'counter' });
      await scenario(mem, graph);
      const expected = mem.read();
      expect(expected.lost).toBe(0);

      const file = tmp(`round-${tracer}.dat`);
      const tr = new TraceArray({ tracer, clock: 'counter', bufferKb: 1 });
      let rec: ReturnType<typeof startRecording> | undefined;
      await scenario(tr, graph, () => {
        rec = startRecording(tr, { path: file, command: ['wasm-ftrace', 'record', 'prog.wasm'], options: { bufferKb: 1 } });
      });
      rec!.close();
      expect(tr.ring.onFull).toBeNull();

      const decoded = readDataFile(file);
      expect(decoded.warnings).toEqual([]);
      expect(decoded.complete).toBe(true);
      expect(decoded.events).toEqual(expected.events);
      expect(decoded.header).toMatchObject({ tracer, clock: 'counter', version: '0.1.0', command: ['wasm-ftrace', 'record', 'prog.wasm'], options: { bufferKb: 1 } });
      expect(decoded.header.buffer).toEqual({ sizeKb: 1, capacity: 33, mode: 'overwrite' });
      expect(decoded.instances.map((i) => [i.id, i.name, i.moduleHash, i.functionCount, i.importCount])).toEqual([
        [0, 'first', 'ab'.repeat(32), 8, 2],
        [1, 'second', undefined, 2, 0],
      ]);
      expect(decoded.instances[0]!.names).toEqual([...mem.instances[0]!.names]);
      expect(decoded.footer).toMatchObject({ events: expected.events.length, written: expected.events.length, lost: 0, overrun: 0, dropped: 0, lastTs: expected.events.at(-1)!.ts });
      expect(decoded.eventCount).toBe(expected.events.length);
      expect(formatFtraceText(toTraceData(decoded))).toBe(formatFtraceText(expected));

      const chunks = chunksOf(fs.readFileSync(file));
      const evts = chunks.filter((c) => c.kind === 'events');
      expect(evts.length).toBeGreaterThan(expected.events.length / 33 - 1);
      // the second instance was added while the ring still held the first events
      expect(chunks.map((c) => c.kind).filter((k, i, a) => k !== a[i - 1])).toEqual(['header', 'instance', 'events', 'footer']);
      expect(chunks.filter((c) => c.kind === 'instance')).toHaveLength(2);
      // the in-memory decoder agrees with the file reader; filters apply at read time
      expect(decodeDataFile(fs.readFileSync(file)).events).toEqual(expected.events);
      const onlySecond = decodeDataFile(fs.readFileSync(file), { accept: (c, i) => c.instance[i] === 1 });
      expect(onlySecond.events).toEqual(expected.events.filter((e) => e.instance === 1));
      expect(onlySecond.eventCount).toBe(expected.events.length);
    });
  }

  it('a recording that ran out of disk or directory reports it on close, and leaves no file', async () => {
    expect(() => startRecording(new TraceArray(), { path: tmp('no/such/dir/x.dat') })).toThrow(
      new DataFileError(`cannot write '${tmp('no/such/dir/x.dat')}': no such file or directory`),
    );
    const tr = new TraceArray({ tracer: 'function', clock: 'counter', bufferKb: 1 });
    const a = await addFirst(tr, false);
    const file = tmp('fails.dat');
    const rec = startRecording(tr, { path: file });
    const inside = rec as unknown as { fd: number };
    const fd = inside.fd;
    inside.fd = 1 << 30; // the next write fails (EBADF)
    expect(a['fib']!(10)).toBe(55); // drains fail inside the traced program: it must not see them
    expect(tr.ring.onFull).toBeNull();
    expect(tr.ring.entries).toBe(33); // the ring went back to overwriting
    expect(() => rec.close()).toThrow(new DataFileError(`cannot write '${file}': EBADF: bad file descriptor, write`));
    fs.closeSync(fd);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(rec.tempPath)).toBe(false);
  });
});

describe('data file: bigger than the ring', () => {
  it('10^6 events through a 4 KiB ring: none lost, all read back in order', async () => {
    const tr = new TraceArray({ tracer: 'function', clock: 'counter', bufferKb: 4 });
    const a = await addFirst(tr, false);
    const file = tmp('big.dat');
    const rec = startRecording(tr, { path: file });
    const t0 = performance.now();
    a['fib']!(28); // 1028457 calls
    rec.close();
    const ms = performance.now() - t0;
    const N = 1028457;
    expect(rec.events).toBe(N);

    let next = 0;
    let chunks = 0;
    let bad = 0;
    const fibIp = tr.instances[0]!.names.indexOf('fib');
    const summary = streamDataFile(file, (c) => {
      if (c.kind !== 'events') return;
      chunks++;
      const { count, firstSeq, ts, ip, type } = c.columns;
      if (firstSeq !== next) bad++;
      for (let i = 0; i < count; i++) if (ts[i] !== next + i + 1 || ip[i] !== fibIp || type[i] !== 1) bad++;
      next += count;
    });
    expect(bad).toBe(0);
    expect(next).toBe(N);
    expect(summary.footer).toMatchObject({ events: N, written: N, lost: 0, overrun: 0, dropped: 0 });
    expect(summary.warnings).toEqual([]);
    expect(chunks).toBe(Math.ceil(N / tr.ring.capacity));
    const size = fs.statSync(file).size;
    expect(size).toBe(rec.bytesWritten);
    console.log(`datafile: ${N} events via a ${tr.ring.capacity}-record ring into ${chunks} chunks, ${(size / N).toFixed(2)} bytes/event, traced+recorded in ${ms.toFixed(0)} ms`);
  });
});

describe('data file: streaming read with bounded memory', () => {
  it('counts the events of a 10^7-event file chunk by chunk', () => {
    const N = 10_000_000;
    const file = tmp('huge.dat');
    // Written through the real recording path, straight into a default-size ring.
    const tr = new TraceArray({ tracer: 'function', clock: 'counter' });
    const ring = tr.ring;
    const rec = startRecording(tr, { path: file });
    const ENTRY = EVENT_ENTRY; // a local: vitest makes imports getters
    const w0 = performance.now();
    for (let i = 0; i < N; i++) {
      ring.write(ENTRY, i & 1, i & 1023, 0xffffffff, 0, i, 0);
      if (i % 1_000_000 === 0) ring.writeMarker(0, i, `at ${i}`);
    }
    rec.close();
    const writeMs = performance.now() - w0;
    const size = fs.statSync(file).size;

    (globalThis as { gc?: () => void }).gc?.();
    const mem = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = mem();
    let peak = before;
    let events = 0;
    let ipSum = 0;
    let markers = 0;
    let nextSeq = 0;
    let gaps = 0;
    const r0 = performance.now();
    const summary = streamDataFile(file, (c) => {
      if (c.kind !== 'events') return;
      const { count, ip, type, firstSeq } = c.columns;
      if (firstSeq !== nextSeq) gaps++;
      nextSeq = firstSeq + count;
      for (let i = 0; i < count; i++) {
        if (type[i] === 3) markers++;
        else ipSum += ip[i]!;
      }
      events += count;
      peak = Math.max(peak, mem());
    });
    const readMs = performance.now() - r0;
    expect(events).toBe(N + 10);
    expect(markers).toBe(10);
    expect(gaps).toBe(0);
    let expectedIpSum = 0;
    for (let i = 0; i < N; i++) expectedIpSum += i & 1023;
    expect(ipSum).toBe(expectedIpSum);
    expect(summary.eventCount).toBe(N + 10);
    expect(summary.footer?.lost).toBe(0);
    const growth = peak - before;
    expect(growth).toBeLessThan(64 * 2 ** 20); // the file is ~300 MiB
    console.log(
      `datafile: ${N + 10} events, ${(size / 2 ** 20).toFixed(0)} MiB (${(size / (N + 10)).toFixed(2)} bytes/event); recorded in ${writeMs.toFixed(0)} ms ` +
        `(${((writeMs * 1e6) / N).toFixed(1)} ns/event incl. ring write); streamed in ${readMs.toFixed(0)} ms (${(size / 2 ** 20 / (readMs / 1000)).toFixed(0)} MiB/s), ` +
        `peak heap+buffers growth ${(growth / 2 ** 20).toFixed(1)} MiB`,
    );
  }, 60_000);
});

describe('data file: rejections and incomplete files', () => {
  let good = new Uint8Array(0);
  let goodFile = '';
  let chunks: DataFileChunk[] = [];
  let goodEvents: TraceEvent[] = [];

  beforeAll(async () => {
    const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter', bufferKb: 1 });
    goodFile = tmp('good.dat');
    const rec = startRecording(tr, { path: goodFile });
    await scenario(tr, true);
    rec.close();
    good = new Uint8Array(fs.readFileSync(goodFile));
    chunks = chunksOf(good);
    goodEvents = decodeDataFile(good).events;
  });

  const write = (name: string, bytes: Uint8Array | string): string => {
    const f = tmp(name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  const offsetOf = (kind: DataFileChunk['kind'], nth = 0): number => chunks.filter((c) => c.kind === kind)[nth]!.offset;
  const nextOffset = (offset: number): number => chunks[chunks.findIndex((c) => c.offset === offset) + 1]!.offset;

  /** the one-line message a reader gives for these bytes (file reader; the in-memory decoder says the same without the name) */
  function rejection(name: string, bytes: Uint8Array | string): string {
    const f = write(name, bytes);
    let fileMessage = '';
    try {
      readDataFile(f);
    } catch (e) {
      expect(e).toBeInstanceOf(DataFileError);
      fileMessage = (e as Error).message;
    }
    let memoryMessage = '';
    try {
      decodeDataFile(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(DataFileError);
      memoryMessage = (e as Error).message;
    }
    expect(fileMessage).toBe(`${f}: ${memoryMessage}`);
    expect(fileMessage).not.toContain('\n');
    return memoryMessage;
  }

  it('not a data file, a wasm module, an empty file, a missing file', () => {
    expect(rejection('text.dat', 'hello world\n')).toBe('not a wasm-ftrace data file (no WFTRACE magic at byte 0)');
    expect(rejection('prog.wasm', PROG)).toBe('not a wasm-ftrace data file but a WebAssembly module (no WFTRACE magic at byte 0)');
    expect(rejection('empty.dat', '')).toBe('empty file: not a wasm-ftrace data file');
    expect(rejection('magic.dat', good.subarray(0, 5))).toBe('truncated data file: 5 bytes, less than its 16-byte preamble');
    const missing = tmp('missing.dat');
    expect(() => readDataFile(missing)).toThrow(new DataFileError(`cannot read '${missing}': no such file or directory`));
    expect(() => readDataFile(dir)).toThrow(new DataFileError(`cannot read '${dir}': is a directory`));
  });

  it('an unknown format version', () => {
    for (const v of [0, 2, 0x01000000]) {
      const bad = good.slice();
      new DataView(bad.buffer).setUint32(8, v, true);
      expect(rejection(`version-${v}.dat`, bad)).toBe(`unsupported data file format version ${v} at byte 8 (this wasm-ftrace reads version ${DATA_FILE_VERSION})`);
    }
  });

  it('a corrupt checksum: a flipped byte in an EVTS chunk, in a chunk header', () => {
    const at = offsetOf('events', 3);
    const bad = good.slice();
    bad[at + CHUNK_HEADER_BYTES + 40]! ^= 0x10;
    expect(rejection('flip-evts.dat', bad)).toBe(`corrupt EVTS chunk at byte ${at}: checksum mismatch`);
    const bad2 = good.slice();
    bad2[at + 5]! ^= 0x01; // the length
    expect(rejection('flip-header.dat', bad2)).toBe(`corrupt chunk header at byte ${at}: checksum mismatch`);
    const bad3 = good.slice();
    const inst = offsetOf('instance');
    bad3[inst + CHUNK_HEADER_BYTES + 3]! ^= 0x20;
    expect(rejection('flip-inst.dat', bad3)).toBe(`corrupt INST chunk at byte ${inst}: checksum mismatch`);
  });

  it('an unknown chunk type: critical is refused, ancillary (lower case) skipped with a warning', () => {
    const footAt = offsetOf('footer');
    const splice = (chunk: Uint8Array): Uint8Array => {
      const out = new Uint8Array(good.length + chunk.length);
      out.set(good.subarray(0, footAt));
      out.set(chunk, footAt);
      out.set(good.subarray(footAt), footAt + chunk.length);
      return out;
    };
    expect(rejection('critical.dat', splice(encodeChunk(fourcc('XTRA'), new Uint8Array([1, 2, 3]))))).toBe(
      `unknown chunk type 'XTRA' at byte ${footAt} (a newer wasm-ftrace may read it)`,
    );
    const withAncillary = decodeDataFile(splice(encodeChunk(fourcc('xtra'), new Uint8Array([1, 2, 3]))));
    expect(withAncillary.warnings).toEqual([`skipped unknown chunk 'xtra' at byte ${footAt}`]);
    expect(withAncillary.events).toEqual(goodEvents);
    expect(withAncillary.complete).toBe(true);
    // data after the footer
    const tail = new Uint8Array(good.length + 16);
    tail.set(good);
    expect(rejection('after-footer.dat', tail)).toBe(`data after the FOOT chunk at byte ${good.length}`);
    // a chunk before HEAD
    const foot = encodeFooter({ events: 0, written: 0, lost: 0, overrun: 0, dropped: 0, ended: '', lastTs: null });
    const noHead = new Uint8Array(16 + foot.length);
    noHead.set(encodePreamble());
    noHead.set(foot, 16);
    expect(rejection('no-head.dat', noHead)).toBe('malformed data file: the first chunk, at byte 16, is FOOT, not HEAD');
  });

  it('truncated files: an error inside the preamble or HEAD, else read up to the last whole chunk with warnings', () => {
    const head = offsetOf('header');
    expect(head).toBe(16);
    const lengthAt = (offset: number): number => new DataView(good.buffer, good.byteOffset).getUint32(offset + 4, true);
    for (const cut of [20, 16 + CHUNK_HEADER_BYTES + 3, 16 + CHUNK_HEADER_BYTES + lengthAt(16) - 1]) {
      expect(rejection(`cut-${cut}.dat`, good.subarray(0, cut))).toBe(`truncated data file: it ends at byte ${cut}, inside its HEAD chunk at byte 16`);
    }
    const evts = offsetOf('events', 2);
    const footAt = offsetOf('footer');
    const eventsBefore = (offset: number): number =>
      chunks.filter((c) => c.kind === 'events' && c.offset < offset).reduce((n, c) => n + (c.kind === 'events' ? c.columns.count : 0), 0);
    const cases: [number, string[]][] = [
      [nextOffset(head), [`incomplete: no footer, 0 events read`]],
      [evts, [`incomplete: no footer, ${eventsBefore(evts)} events read`]],
      [evts + 5, [`torn last chunk at byte ${evts} ignored: 5 of 16 header bytes`, `incomplete: no footer, ${eventsBefore(evts)} events read`]],
      [evts + 100, [`torn last chunk at byte ${evts} ignored: EVTS, 84 of ${lengthAt(evts)} payload bytes`, `incomplete: no footer, ${eventsBefore(evts)} events read`]],
      [footAt + 26, [`torn last chunk at byte ${footAt} ignored: FOOT, 10 of ${lengthAt(footAt)} payload bytes`, `incomplete: no footer, ${goodEvents.length} events read`]],
    ];
    for (const [cut, warnings] of cases) {
      const f = write(`cut-${cut}.dat`, good.subarray(0, cut));
      const d = readDataFile(f);
      expect(d.warnings).toEqual(warnings);
      expect(d.complete).toBe(false);
      expect(d.footer).toBeNull();
      expect(d.events).toEqual(goodEvents.slice(0, d.eventCount));
      expect(d.lost).toBe(0);
      // outputs still print what there is
      expect(formatFtraceText(toTraceData(d))).toContain('# tracer: function_graph');
    }
  });

  it('reads the same whatever the block size (1 byte to whole file)', () => {
    for (const blockSize of [1, 7, 16, 1000, 1 << 20]) {
      const events: TraceEvent[] = [];
      const s = streamDataFile(goodFile, (c) => c.kind === 'events' && columnsToEvents(c.columns, undefined, events), { blockSize });
      expect(events).toEqual(goodEvents);
      expect(s.bytes).toBe(good.length);
    }
    // retain: the columns stay valid after the callback (by default they are reused buffers)
    for (const retain of [true, false]) {
      const kept: DataFileChunk[] = [];
      streamDataFile(goodFile, (c) => kept.push(c), { blockSize: 100, retain });
      const events = kept.flatMap((c) => (c.kind === 'events' ? columnsToEvents(c.columns) : []));
      if (retain) expect(events).toEqual(goodEvents);
      else expect(events).not.toEqual(goodEvents);
    }
  });

  it('checksums are CRC-32 (IEEE), as zlib and PNG compute them', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const bytes = good.subarray(0, 1001);
    expect(crc32(bytes.subarray(3), crc32(bytes.subarray(0, 3)))).toBe(crc32(bytes));
  });
});

describe('data file: atomic writing', () => {
  it('the target does not exist until close(); the temporary file is readable meanwhile, and gone after', async () => {
    const tr = new TraceArray({ tracer: 'function', clock: 'counter', bufferKb: 1 });
    const a = await addFirst(tr, false);
    const file = tmp('atomic.dat');
    const rec = startRecording(tr, { path: file });
    expect(path.dirname(rec.tempPath)).toBe(path.dirname(path.resolve(file)));
    a['fib']!(10);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(rec.tempPath)).toBe(true);
    // As if the recorder were killed now: the temporary file reads up to its last chunk.
    rec.flush();
    const partial = readDataFile(rec.tempPath);
    expect(partial.warnings).toEqual([`incomplete: no footer, ${partial.eventCount} events read`]);
    expect(partial.eventCount).toBe(177);
    expect(partial.bytes).toBe(rec.bytesWritten);
    rec.close();
    rec.close(); // idempotent
    expect(fs.existsSync(rec.tempPath)).toBe(false);
    expect(fs.statSync(file).size).toBe(rec.bytesWritten);
    expect(readDataFile(file).eventCount).toBe(177);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    // one recording per trace array at a time
    const again = startRecording(tr, { path: tmp('again.dat') });
    expect(() => startRecording(tr, { path: tmp('twice.dat') })).toThrow('this trace array is already being recorded');
    again.close();
    // after close, the ring is the trace array's again: a new instance is not written anywhere
    await addSecond(tr, false);
    expect(fs.statSync(file).size).toBe(rec.bytesWritten);
  });
});
