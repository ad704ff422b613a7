/**
 * A window of a trace as a data file of its own: the first `maxEvents`
 * events of a (possibly filtered) stream, with the header and instances,
 * so that `report --html` can put a trace of any size into a page that a
 * browser opens. Calls still open where the window ends are closed by the
 * readers as calls that never returned ('end'). Pure and browser-safe.
 */
import { EVENT_MARKER, type TraceStream } from '../ring/event.js';
import { encodeEvents, encodeFooter, encodeHeader, encodeInstance, encodePreamble } from './encode.js';
import type { DataFileHeader, EventColumns } from './format.js';

export interface TraceWindow {
  /** the data file of the window */
  bytes: Uint8Array;
  /** events in the window */
  kept: number;
  /** events in the stream (the window's and those after it) */
  total: number;
  /** ts of the first and last event kept, null when none */
  firstTs: number | null;
  lastTs: number | null;
}

const CHUNK_EVENTS = 1 << 16;

export function encodeTraceWindow(trace: TraceStream, header: DataFileHeader, maxEvents: number): TraceWindow {
  const parts: Uint8Array[] = [encodePreamble(), encodeHeader(header)];
  for (const i of trace.instances) {
    parts.push(
      encodeInstance({
        id: i.id,
        name: i.name,
        functionCount: i.functionCount ?? i.names.length,
        importCount: i.importCount ?? 0,
        names: [...i.names],
        ...(i.thread !== undefined ? { thread: i.thread } : {}),
        ...(i.sourceLines !== undefined ? { sourceLines: i.sourceLines } : {}),
      }),
    );
  }
  const cols: EventColumns = {
    count: 0,
    firstSeq: 0,
    type: new Uint8Array(CHUNK_EVENTS),
    instance: new Uint16Array(CHUNK_EVENTS),
    ip: new Uint32Array(CHUNK_EVENTS),
    parent: new Uint32Array(CHUNK_EVENTS),
    depth: new Uint32Array(CHUNK_EVENTS),
    ts: new Float64Array(CHUNK_EVENTS),
    duration: new Float64Array(CHUNK_EVENTS),
    markers: new Map(),
  };
  let markers = new Map<number, string>();
  let kept = 0;
  let total = 0;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  const flush = (): void => {
    if (cols.count === 0) return;
    parts.push(encodeEvents({ ...cols, markers }));
    cols.firstSeq += cols.count;
    cols.count = 0;
    markers = new Map();
  };
  for (const ev of trace.events) {
    total++;
    if (kept >= maxEvents) continue; // counted, not kept
    const k = cols.count++;
    cols.type[k] = ev.type;
    cols.instance[k] = ev.instance;
    cols.ip[k] = ev.ip;
    cols.parent[k] = ev.parent;
    cols.depth[k] = ev.depth;
    cols.ts[k] = ev.ts;
    cols.duration[k] = ev.duration;
    if (ev.type === EVENT_MARKER) markers.set(k, ev.text ?? '');
    firstTs ??= ev.ts;
    lastTs = ev.ts;
    kept++;
    if (cols.count === CHUNK_EVENTS) flush();
  }
  flush();
  const lost = trace.lost;
  parts.push(
    encodeFooter({ events: kept, written: kept + lost, lost, overrun: 0, dropped: 0, ended: '', lastTs }),
  );
  let size = 0;
  for (const p of parts) size += p.length;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, kept, total, firstTs, lastTs };
}
