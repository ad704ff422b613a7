import { describe, expect, it } from 'vitest';
import { PerformanceObserver } from 'node:perf_hooks';
import {
  EVENT_ENTRY,
  EVENT_EXIT,
  EVENT_MARKER,
  EVENT_STACK,
  MARKER_OVERHEAD_BYTES,
  RING_BYTES_PER_RECORD,
  RingBuffer,
  TRACE_MARKER_MAX,
  TRACE_MARKER_TRUNCATED,
  truncateMarkerText,
  type EventType,
  type TraceEvent,
} from '../src/ring/index.js';

const HOST = 0xffffffff;

/** sizeKb for a buffer of exactly n records */
const kbFor = (n: number): number => (n * RING_BYTES_PER_RECORD) / 1024;

/** Writes ENTRY events whose ip is their index among the writes. */
function fill(ring: RingBuffer, from: number, to: number): void {
  for (let i = from; i < to; i++) ring.write(EVENT_ENTRY, 1, i, i + 1, 0, i * 10, 0);
}

const ips = (evs: readonly TraceEvent[]): number[] => evs.map((e) => e.ip);
const seqs = (evs: readonly TraceEvent[]): (number | undefined)[] => evs.map((e) => e.seq);
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, k) => a + k);

describe('RingBuffer: size', () => {
  it('defaults to ftrace\'s 1408 KiB in overwrite mode, records of 31 bytes', () => {
    const ring = new RingBuffer();
    expect(ring.sizeKb).toBe(1408);
    expect(ring.mode).toBe('overwrite');
    expect(ring.bytesPerRecord).toBe(31);
    expect(ring.capacity).toBe(Math.floor((1408 * 1024) / 31));
    expect(ring.bytes).toBe(ring.capacity * 31);
    expect(ring.bytes).toBeLessThanOrEqual(1408 * 1024);
    expect(ring.entries).toBe(0);
    expect(ring.read()).toEqual([]);
  });

  it('rounds the capacity down and refuses sizes that hold no record', () => {
    expect(new RingBuffer({ sizeKb: 1 }).capacity).toBe(33);
    expect(new RingBuffer({ sizeKb: kbFor(1) }).capacity).toBe(1);
    for (const sizeKb of [0, -1, NaN, Infinity, 30 / 1024]) expect(() => new RingBuffer({ sizeKb })).toThrow(RangeError);
    expect(() => new RingBuffer({ mode: 'drop' as 'stop' })).toThrow(RangeError);
    expect(() => new RingBuffer({ markerKb: 0 })).toThrow(RangeError);
  });
});

describe('RingBuffer: write and read', () => {
  it('reads back in write order with sequence numbers', () => {
    const ring = new RingBuffer({ sizeKb: 1 });
    fill(ring, 0, 20);
    const evs = ring.read();
    expect(ips(evs)).toEqual(range(0, 20));
    expect(seqs(evs)).toEqual(range(0, 20));
    expect(ring.firstSeq).toBe(0);
    expect(ring.nextSeq).toBe(20);
    expect(ring.read()).toEqual(evs); // non-consuming
    expect(ring.entries).toBe(20);
  });

  it('keeps every field exact, the extremes included', () => {
    const ring = new RingBuffer({ sizeKb: 1 });
    const rows: [EventType, number, number, number, number, number, number][] = [
      [EVENT_ENTRY, 0, 0, HOST, 0, 0, 0],
      [EVENT_ENTRY, 65535, HOST, HOST, 0xffffffff, 1.7e15 + 0.125, 0],
      [EVENT_EXIT, 3, 0xfffffffe, 0, 123456, Number.MAX_SAFE_INTEGER, 1e-9],
      [EVENT_EXIT, 7, 42, 0, 1, 2 ** 53, 123456789.123456789],
      [EVENT_STACK, 1, 5, 6, 3, 1e300, -0.5],
      [EVENT_ENTRY, 2, 1, 2, 3, 1234567.890123, 0],
    ];
    for (const r of rows) expect(ring.write(...r)).toBe(true);
    expect(ring.read()).toEqual(
      rows.map(([type, instance, ip, parent, depth, ts, duration], seq) => ({ type, instance, ip, parent, depth, ts, duration, seq })),
    );
  });

  it('stores an i32 -1 (HOST as wasm passes it) as 0xFFFFFFFF', () => {
    const ring = new RingBuffer({ sizeKb: 1 });
    ring.write(EVENT_ENTRY, 0, -1, -1, 0, 0, 0);
    const [e] = ring.read();
    expect(e?.ip).toBe(HOST);
    expect(e?.parent).toBe(HOST);
  });

  it('read(fromSeq) returns only what is new', () => {
    const ring = new RingBuffer({ sizeKb: kbFor(8) });
    fill(ring, 0, 5);
    expect(ips(ring.read(3))).toEqual([3, 4]);
    expect(ring.read(5)).toEqual([]);
    expect(ring.read(99)).toEqual([]);
    fill(ring, 5, 12); // wraps: 4..11 held
    expect(ring.firstSeq).toBe(4);
    expect(ips(ring.read(0))).toEqual(range(4, 12));
    expect(ips(ring.read(10))).toEqual([10, 11]);
    expect(seqs(ring.read(10))).toEqual([10, 11]);
  });
});

describe('RingBuffer: full buffer', () => {
  it('overwrite mode drops the oldest, counters exact', () => {
    const cap = 10;
    const ring = new RingBuffer({ sizeKb: kbFor(cap) });
    expect(ring.capacity).toBe(cap);
    for (let n = 1; n <= 37; n++) {
      expect(ring.write(EVENT_ENTRY, 0, n - 1, 0, 0, n, 0)).toBe(true);
      const held = Math.min(n, cap);
      expect(ring.written).toBe(n);
      expect(ring.entries).toBe(held);
      expect(ring.overrun).toBe(n - held);
      expect(ring.dropped).toBe(0);
      expect(ring.lost).toBe(n - held);
      expect(ring.firstSeq).toBe(n - held);
      const evs = ring.read();
      expect(ips(evs)).toEqual(range(n - held, n));
      expect(seqs(evs)).toEqual(range(n - held, n));
    }
  });

  it('stop mode drops the newest and write returns false, counters exact', () => {
    const cap = 10;
    const ring = new RingBuffer({ sizeKb: kbFor(cap), mode: 'stop' });
    for (let n = 1; n <= 25; n++) {
      expect(ring.write(EVENT_ENTRY, 0, n - 1, 0, 0, n, 0)).toBe(n <= cap);
      expect(ring.written).toBe(n);
      expect(ring.entries).toBe(Math.min(n, cap));
      expect(ring.dropped).toBe(Math.max(0, n - cap));
      expect(ring.overrun).toBe(0);
      expect(ring.lost).toBe(ring.dropped);
    }
    expect(ips(ring.read())).toEqual(range(0, cap));
    // Reading makes room in stop mode too: trace_pipe drains it.
    expect(ips(ring.consume(4))).toEqual([0, 1, 2, 3]);
    expect(ring.pipeLost).toBe(15);
    expect(ring.write(EVENT_ENTRY, 0, 100, 0, 0, 0, 0)).toBe(true);
    expect(ips(ring.read())).toEqual([4, 5, 6, 7, 8, 9, 100]);
    expect(seqs(ring.read())).toEqual(range(4, 11)); // dropped events take no sequence number
  });

  it('switches mode at run time', () => {
    const ring = new RingBuffer({ sizeKb: kbFor(4), mode: 'stop' });
    fill(ring, 0, 6);
    expect(ips(ring.read())).toEqual([0, 1, 2, 3]);
    ring.mode = 'overwrite';
    fill(ring, 6, 8);
    expect(ips(ring.read())).toEqual([2, 3, 6, 7]);
    expect([ring.written, ring.dropped, ring.overrun]).toEqual([8, 2, 2]);
    expect(() => (ring.mode = 'x' as 'stop')).toThrow(RangeError);
  });
});

describe('RingBuffer: consume (trace_pipe) vs read (trace)', () => {
  it('consume removes the oldest; read never does', () => {
    const ring = new RingBuffer({ sizeKb: kbFor(8) });
    fill(ring, 0, 5);
    expect(ips(ring.read())).toEqual([0, 1, 2, 3, 4]);
    expect(ips(ring.consume(2))).toEqual([0, 1]);
    expect(ips(ring.read())).toEqual([2, 3, 4]);
    expect(ring.consume(0)).toEqual([]);
    fill(ring, 5, 7);
    expect(seqs(ring.consume(3))).toEqual([2, 3, 4]);
    expect(ips(ring.read())).toEqual([5, 6]);
    expect(ips(ring.consume())).toEqual([5, 6]);
    expect(ring.consume()).toEqual([]);
    expect(ring.read()).toEqual([]);
    expect([ring.written, ring.entries, ring.consumed, ring.lost]).toEqual([7, 0, 7, 0]);
    expect(ring.firstSeq).toBe(7);
    expect(() => ring.consume(-1)).toThrow(RangeError);
    expect(() => ring.consume(NaN)).toThrow(RangeError);
  });

  it('interleaves writes and consumes across wrap-arounds, and reports lost events per consume', () => {
    const ring = new RingBuffer({ sizeKb: kbFor(8) });
    fill(ring, 0, 6);
    expect(ips(ring.consume(4))).toEqual([0, 1, 2, 3]);
    expect(ring.pipeLost).toBe(0);
    fill(ring, 6, 12); // 4,5 + 6..11 = 8: full, the write position has wrapped
    expect(ring.overrun).toBe(0);
    expect(ips(ring.read())).toEqual(range(4, 12));
    fill(ring, 12, 15); // overwrites 4, 5, 6
    expect(ring.overrun).toBe(3);
    const batch = ring.consume(3);
    expect(ring.pipeLost).toBe(3);
    expect(ips(batch)).toEqual([7, 8, 9]);
    expect(seqs(batch)).toEqual([7, 8, 9]);
    expect(ips(ring.read())).toEqual(range(10, 15));
    expect(ips(ring.consume())).toEqual(range(10, 15));
    expect(ring.pipeLost).toBe(0);
    fill(ring, 15, 40);
    expect(ips(ring.consume())).toEqual(range(32, 40));
    expect(ring.pipeLost).toBe(17);
    expect(ring.written).toBe(ring.entries + ring.overrun + ring.dropped + ring.consumed);
  });

  it('matches a simple model over random operations', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (const cap of [1, 2, 3, 7, 16]) {
      for (const mode of ['overwrite', 'stop'] as const) {
        const ring = new RingBuffer({ sizeKb: kbFor(cap), mode, markerKb: 64 });
        let model: TraceEvent[] = [];
        let nextSeq = 0;
        let written = 0;
        let overrun = 0;
        let dropped = 0;
        let consumed = 0;
        for (let step = 0; step < 2000; step++) {
          const op = rand(100);
          if (op < 60) {
            const ev: TraceEvent = { type: EVENT_ENTRY, instance: rand(3), ip: rand(1000), parent: HOST, depth: rand(5), ts: step, duration: 0, seq: nextSeq };
            const isMarker = op < 10;
            if (isMarker) {
              ev.type = EVENT_MARKER;
              ev.ip = ev.parent = ev.depth = 0;
              ev.text = `m${step}`;
            }
            written++;
            const accepted = model.length < cap || mode === 'overwrite';
            if (!accepted) dropped++;
            else {
              if (model.length === cap) {
                model.shift();
                overrun++;
              }
              model.push(ev);
              nextSeq++;
            }
            const ok = isMarker ? ring.writeMarker(ev.instance, ev.ts, ev.text!) : ring.write(EVENT_ENTRY, ev.instance, ev.ip, ev.parent, ev.depth, ev.ts, 0);
            expect(ok).toBe(accepted);
          } else if (op < 80) {
            const k = rand(cap + 2);
            expect(ring.consume(k)).toEqual(model.slice(0, k));
            consumed += Math.min(k, model.length);
            model = model.slice(k);
          } else if (op < 99) {
            expect(ring.read()).toEqual(model);
          } else {
            ring.reset();
            model = [];
            written = overrun = dropped = consumed = 0;
          }
          expect([ring.written, ring.entries, ring.overrun, ring.dropped, ring.consumed]).toEqual([written, model.length, overrun, dropped, consumed]);
          expect(ring.markerCount).toBe(model.filter((e) => e.type === EVENT_MARKER).length);
        }
      }
    }
  });
});

describe('RingBuffer: trace_marker', () => {
  it('keeps marker texts in the stream, any string', () => {
    const ring = new RingBuffer({ sizeKb: 4 });
    const texts = ['', 'hello', 'héllo wörld ✓', '🦀 crab', '\ud800 lone surrogate \udc00', 'a\nb\0c'];
    ring.write(EVENT_ENTRY, 0, 1, HOST, 0, 1, 0);
    for (const [k, t] of texts.entries()) expect(ring.writeMarker(2, 10 + k, t)).toBe(true);
    ring.write(EVENT_EXIT, 0, 1, 0, 0, 99, 98);
    const evs = ring.read();
    expect(evs.map((e) => e.type)).toEqual([EVENT_ENTRY, ...texts.map(() => EVENT_MARKER), EVENT_EXIT]);
    expect(evs.slice(1, -1).map((e) => e.text)).toEqual(texts);
    expect(evs[1]).toEqual({ type: EVENT_MARKER, instance: 2, ip: 0, parent: 0, depth: 0, ts: 10, duration: 0, seq: 1, text: '' });
    expect(evs[0]?.text).toBeUndefined();
    expect(ring.markerCount).toBe(texts.length);
  });

  it('cuts texts at 4096 UTF-16 units with a mark, never inside a surrogate pair', () => {
    const ring = new RingBuffer({ sizeKb: 64 });
    expect(ring.markerMaxChars).toBe(TRACE_MARKER_MAX);
    const exact = 'x'.repeat(TRACE_MARKER_MAX);
    const long = 'y'.repeat(1_000_000);
    const pairAtCut = 'z'.repeat(TRACE_MARKER_MAX - 2) + '😀😀';
    ring.writeMarker(0, 0, exact);
    ring.writeMarker(0, 1, long);
    ring.writeMarker(0, 2, pairAtCut);
    const [a, b, c] = ring.read().map((e) => e.text ?? '');
    expect(a).toBe(exact);
    expect(b).toBe('y'.repeat(TRACE_MARKER_MAX - 1) + TRACE_MARKER_TRUNCATED);
    expect(c).toBe('z'.repeat(TRACE_MARKER_MAX - 2) + TRACE_MARKER_TRUNCATED);
    expect(c.length).toBe(TRACE_MARKER_MAX - 1);
    expect(truncateMarkerText('abc', 0)).toBe('');
    expect(truncateMarkerText('abc', 1)).toBe(TRACE_MARKER_TRUNCATED);
    expect(truncateMarkerText('abc', 3)).toBe('abc');
  });

  it('cleans the side table when markers are overwritten: bounded after 10^5 markers', () => {
    const ring = new RingBuffer({ sizeKb: 1 }); // 33 records
    for (let i = 0; i < 100_000; i++) {
      ring.writeMarker(0, i, `marker ${i}`);
      if (i % 3 === 0) ring.write(EVENT_ENTRY, 0, i, 0, 0, i, 0);
      if (ring.markerCount > ring.capacity) throw new Error(`${ring.markerCount} markers held after ${i + 1}`);
    }
    expect(ring.markerBytes).toBeLessThanOrEqual(ring.markerBudget);
    const evs = ring.read();
    const markers = evs.filter((e) => e.type === EVENT_MARKER);
    expect(ring.markerCount).toBe(markers.length);
    expect(markers.at(-1)?.text).toBe('marker 99999');
    for (const m of markers) expect(m.text).toBe(`marker ${m.ts}`);
    expect(ring.written).toBe(100_000 + 33_334);
    expect(ring.written).toBe(ring.entries + ring.overrun);
  });

  it('cleans the side table when markers are consumed or reset', () => {
    const ring = new RingBuffer({ sizeKb: 4 });
    for (let i = 0; i < 10; i++) ring.writeMarker(0, i, `m${i}`);
    expect(ring.consume(4).map((e) => e.text)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(ring.markerCount).toBe(6);
    expect(ring.markerBytes).toBe(6 * (4 + MARKER_OVERHEAD_BYTES));
    ring.reset();
    expect(ring.markerCount).toBe(0);
    expect(ring.markerBytes).toBe(0);
  });

  it('a marker larger than the text budget allows pushes out old records (overwrite) or is dropped (stop)', () => {
    // 64 records, markerKb 1: 1024 bytes of text budget
    const ring = new RingBuffer({ sizeKb: kbFor(64), markerKb: 1 });
    expect(ring.markerMaxChars).toBe((1024 - MARKER_OVERHEAD_BYTES) / 2);
    fill(ring, 0, 2);
    ring.writeMarker(0, 0, 'a'.repeat(200)); // 464 bytes
    fill(ring, 2, 4);
    ring.writeMarker(0, 0, 'b'.repeat(200)); // 928 bytes
    fill(ring, 4, 6);
    expect(ring.overrun).toBe(0);
    ring.writeMarker(0, 0, 'c'.repeat(200)); // must push out records up to the first marker
    expect(ring.overrun).toBe(3);
    expect(ring.read().map((e) => (e.type === EVENT_MARKER ? e.text?.[0] : e.ip))).toEqual([2, 3, 'b', 4, 5, 'c']);
    expect(ring.markerBytes).toBe(2 * (400 + MARKER_OVERHEAD_BYTES));

    const stop = new RingBuffer({ sizeKb: kbFor(64), markerKb: 1, mode: 'stop' });
    expect(stop.writeMarker(0, 0, 'a'.repeat(200))).toBe(true);
    expect(stop.writeMarker(0, 0, 'b'.repeat(200))).toBe(true);
    expect(stop.writeMarker(0, 0, 'c'.repeat(200))).toBe(false);
    expect(stop.writeMarker(0, 0, 'd')).toBe(true);
    expect([stop.written, stop.entries, stop.dropped]).toEqual([4, 3, 1]);
  });
});

describe('RingBuffer: reset and TraceData', () => {
  it('reset clears events and counters; sequence numbers go on', () => {
    const ring = new RingBuffer({ sizeKb: kbFor(4) });
    fill(ring, 0, 10);
    ring.consume(1);
    ring.reset();
    expect([ring.written, ring.entries, ring.overrun, ring.dropped, ring.consumed, ring.lost, ring.pipeLost]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(ring.read()).toEqual([]);
    expect(ring.firstSeq).toBe(10);
    fill(ring, 10, 12);
    expect(seqs(ring.read())).toEqual([10, 11]);
    expect(ips(ring.consume())).toEqual([10, 11]);
    expect(ring.pipeLost).toBe(0); // what reset cleared is not lost
    expect(ring.mode).toBe('overwrite');
  });

  it('toTraceData gives outputs the whole buffer without consuming it', () => {
    const ring = new RingBuffer({ sizeKb: kbFor(4) });
    fill(ring, 0, 6);
    ring.writeMarker(0, 60, 'hi');
    const instances = [{ id: 1, name: 'wasm', names: ['a', 'b'] }];
    const data = ring.toTraceData({ tracer: 'function', clock: 'perf', instances });
    expect(data).toMatchObject({ tracer: 'function', clock: 'perf', instances, entries: 4, written: 7, lost: 3 });
    expect(data.events.map((e) => e.text ?? e.ip)).toEqual([3, 4, 5, 'hi']);
    expect(ring.entries).toBe(4);
  });
});

describe('RingBuffer: memory', () => {
  it('stays flat over 10^8 events in a default-size buffer, with no garbage to collect', async () => {
    const mem = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    let gcs = 0;
    const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
    obs.observe({ entryTypes: ['gc'] });
    await new Promise((r) => setTimeout(r, 10));
    gcs = 0;

    const before = mem();
    const ring = new RingBuffer();
    // A local: vitest turns imported bindings into getter calls, ten times the cost of a write.
    const ENTRY = EVENT_ENTRY;
    const write = (from: number, to: number): void => {
      for (let i = from; i < to; i++) ring.write(ENTRY, i & 3, i, i - 1, i & 15, i, 0);
    };
    write(0, 1_000_000);
    const warm = mem();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    write(1_000_000, 100_000_000);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const cpuMs = (cpu.user + cpu.system) / 1e3;
    const after = mem();
    await new Promise((r) => setTimeout(r, 10));
    obs.disconnect();

    const N = 100_000_000;
    expect(ring.written).toBe(N);
    expect(ring.entries).toBe(ring.capacity);
    expect(ring.overrun).toBe(N - ring.capacity);
    expect(ring.read(N - 1)[0]).toMatchObject({ ip: N - 1, parent: N - 2, ts: N - 1, seq: N - 1 });
    expect(after - before).toBeLessThan(ring.bytes + 4 * 2 ** 20);
    expect(after - warm).toBeLessThan(2 ** 20);
    // Allocating per event would have run the scavenger hundreds of times.
    expect(gcs).toBeLessThanOrEqual(3);
    console.log(`ring-buffer: 99e6 writes in ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms cpu (${(99e3 / ms).toFixed(0)} M events/s wall), ` +
      `memory +${((after - before) / 2 ** 20).toFixed(2)} MiB (buffer ${(ring.bytes / 2 ** 20).toFixed(2)} MiB), ${gcs} GCs`);
  });
});
