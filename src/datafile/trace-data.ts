/**
 * A data file's events as the outputs take them: TraceEvent objects and
 * TraceData (formatFtraceText, toChromeTrace, ...), from a whole file in
 * memory or from the streaming decoder's chunks. Pure and browser-safe.
 */
import { EVENT_MARKER, type EventType, type TraceData, type TraceEvent, type TraceInstanceInfo } from '../ring/event.js';
import { DataFileDecoder, type DecodedDataFile, type EventFilter } from './decode.js';
import type { DataFileInstance, EventColumns } from './format.js';

/**
 * Reads a whole data file held in memory. `accept` filters events at read
 * time, before objects are made for them. Throws DataFileError as the
 * streaming decoder does; warnings (no footer, a torn last chunk) are in
 * the result.
 */
export function decodeDataFile(bytes: Uint8Array, options: { accept?: EventFilter } = {}): DecodedDataFile {
  const dec = new DataFileDecoder({ copy: false });
  const events: TraceEvent[] = [];
  for (const chunk of dec.push(bytes)) {
    if (chunk.kind === 'events') columnsToEvents(chunk.columns, options.accept, events);
  }
  return { ...dec.finish(), events };
}

/**
 * The events of one chunk as TraceEvent objects (with seq, and text for
 * markers), appended to `out`. `accept` picks which.
 */
export function columnsToEvents(cols: EventColumns, accept?: EventFilter, out: TraceEvent[] = []): TraceEvent[] {
  for (let i = 0; i < cols.count; i++) {
    if (accept !== undefined && !accept(cols, i)) continue;
    out.push(eventAt(cols, i));
  }
  return out;
}

/** Event `i` of a chunk's columns as a TraceEvent (with seq, and text for a marker). */
export function eventAt(cols: EventColumns, i: number): TraceEvent {
  const t = cols.type[i] as EventType;
  const ev: TraceEvent = {
    type: t,
    instance: cols.instance[i]!,
    ip: cols.ip[i]!,
    parent: cols.parent[i]!,
    depth: cols.depth[i]!,
    ts: cols.ts[i]!,
    duration: cols.duration[i]!,
    seq: cols.firstSeq + i,
  };
  if (t === EVENT_MARKER) ev.text = cols.markers.get(i) ?? '';
  return ev;
}

/** What the outputs know of an instance, from its INST chunk. */
export function instanceInfo(i: DataFileInstance): TraceInstanceInfo {
  return {
    id: i.id,
    name: i.name,
    names: i.names,
    importCount: i.importCount,
    functionCount: i.functionCount,
    ...(i.thread !== undefined ? { thread: i.thread } : {}),
    ...(i.sourceLines !== undefined ? { sourceLines: i.sourceLines } : {}),
  };
}

/**
 * The trace as the outputs take it (formatFtraceText, toChromeTrace, ...):
 * events, tracer and clock from the header, instances with their names.
 * `written` and `lost` come from the footer, or from the sequence gaps of
 * an incomplete file.
 */
export function toTraceData(decoded: Pick<DecodedDataFile, 'header' | 'instances' | 'events' | 'footer' | 'eventCount' | 'lost'>): TraceData {
  const instances: TraceInstanceInfo[] = [...decoded.instances]
    .sort((a, b) => a.id - b.id)
    .map(instanceInfo);
  const lost = decoded.footer?.lost ?? decoded.lost;
  return {
    tracer: decoded.header.tracer,
    clock: decoded.header.clock,
    instances,
    events: decoded.events,
    entries: decoded.events.length,
    written: decoded.footer?.written ?? decoded.eventCount + lost,
    lost,
  };
}
