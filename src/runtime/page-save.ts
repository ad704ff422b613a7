/**
 * A page's trace as a data file (`wasmFtrace.save()`), the format `record`
 * writes (src/datafile/FORMAT.md): `wasm-ftrace report page.data` and the
 * other readers take it. Loaded on demand by page.ts, so that the small
 * runtime does not carry the encoder. Browser-safe.
 */
import { encodeEvents, encodeFooter, encodeHeader, encodeInstance, encodePreamble } from '../datafile/encode.js';
import { instanceChunk } from '../record/instance-chunk.js';
import type { RingColumns } from '../ring/ring-buffer.js';
import type { TraceArray } from '../tracers/trace-array.js';

export function encodePageTrace(tr: TraceArray, chunks: readonly RingColumns[], started: string): Uint8Array {
  const ring = tr.ring;
  const stats = tr.stats;
  const filters = tr.filters;
  const parts: Uint8Array[] = [
    encodePreamble(),
    encodeHeader({
      tracer: tr.tracer.name,
      clock: tr.clock,
      created: started,
      version: 'browser',
      options: {
        ...(filters.filter !== '' ? { filter: filters.filter } : {}),
        ...(filters.notrace !== '' ? { notrace: filters.notrace } : {}),
        ...(filters.graphFunction !== '' ? { graphFunction: filters.graphFunction } : {}),
        ...(filters.graphNotrace !== '' ? { graphNotrace: filters.graphNotrace } : {}),
        ...(tr.maxGraphDepth > 0 ? { maxGraphDepth: tr.maxGraphDepth } : {}),
      },
      buffer: { sizeKb: ring.sizeKb, capacity: ring.capacity, mode: ring.mode },
      platform: typeof navigator !== 'undefined' ? navigator.userAgent : 'unknown',
      ...(typeof location !== 'undefined' ? { page: location.href } : {}),
    }),
  ];
  for (const inst of tr.instances) parts.push(encodeInstance(instanceChunk(inst)));
  let events = 0;
  let lastTs: number | null = null;
  // a chunk holds at most one ring's worth: well within an EVTS chunk's limit
  for (const c of chunks) {
    parts.push(encodeEvents(c));
    events += c.count;
    if (c.count > 0) lastTs = c.ts[c.count - 1]!;
  }
  const lost = ring.lost;
  parts.push(
    encodeFooter({
      events,
      written: events + lost,
      lost,
      overrun: lost - ring.dropped,
      dropped: ring.dropped,
      ended: new Date().toISOString(),
      lastTs,
      tracer: tr.tracer.name,
      stats: { unwoundFrames: stats.unwoundFrames, strayExits: stats.strayExits, recursionMissed: stats.recursionMissed },
      ...unmatchedOf(tr),
    }),
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Filter expressions that matched no function in any module the page loaded, for `info` to report. */
function unmatchedOf(tr: TraceArray): { unmatchedFilters?: { option: string; text: string }[] } {
  const unmatched = tr.unmatchedFilters();
  return unmatched.length > 0 ? { unmatchedFilters: unmatched } : {};
}

/** Offers `bytes` as a download named `fileName`. */
export function download(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
