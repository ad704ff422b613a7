/**
 * A data file as a TraceStream (Node): what `report`, `replay` and `dump`
 * read, in bounded memory whatever the file's size.
 *
 * Opening goes through the file once (checksums, instances, counts, whether
 * it holds EXIT events), so every problem is reported before any output is
 * written; each pass over `events` then reads the file again, chunk by
 * chunk, making one short-lived object per event and keeping none.
 */
import { EVENT_EXIT, type TraceEvent, type TraceInstanceInfo, type TraceStream } from '../ring/event.js';
import type { DataFileSummary } from './decode.js';
import { eventAt, instanceInfo } from './trace-data.js';
import { readChunks, streamDataFile, type StreamOptions } from './node-reader.js';

export interface DataFileTrace {
  /** what the first pass found: header, instances, footer, counts, warnings */
  summary: DataFileSummary;
  trace: TraceStream;
}

/** Opens a data file for streaming reads; throws DataFileError as streamDataFile does. */
export function openDataFileTrace(file: string, options: Pick<StreamOptions, 'blockSize'> = {}): DataFileTrace {
  let hasExits = false;
  const seen = new Set<number>();
  let lastInstance = -1;
  const summary = streamDataFile(
    file,
    (chunk) => {
      if (chunk.kind !== 'events') return;
      const { type, instance, count } = chunk.columns;
      if (!hasExits && type.includes(EVENT_EXIT)) hasExits = true;
      for (let i = 0; i < count; i++) {
        const id = instance[i]!;
        if (id === lastInstance) continue;
        lastInstance = id;
        seen.add(id);
      }
    },
    options,
  );
  const infos = new Map<number, TraceInstanceInfo>();
  for (const i of summary.instances) infos.set(i.id, instanceInfo(i));
  // Events of an instance the file does not describe still need a name (as instanceTable does for arrays).
  for (const id of seen) if (!infos.has(id)) infos.set(id, { id, name: `wasm${id}`, names: [] });
  const instances = [...infos.values()].sort((a, b) => a.id - b.id);
  const lost = summary.footer?.lost ?? summary.lost;
  const trace: TraceStream = {
    tracer: summary.header.tracer,
    clock: summary.header.clock,
    instances,
    entries: summary.eventCount,
    written: summary.footer?.written ?? summary.eventCount + lost,
    lost,
    hasExits,
    events: { [Symbol.iterator]: () => dataFileEvents(file, options) },
  };
  return { summary, trace };
}

/** One pass over the file's events, an object each, kept by nobody. */
function* dataFileEvents(file: string, options: Pick<StreamOptions, 'blockSize'>): Generator<TraceEvent, void, undefined> {
  const chunks = readChunks(file, options);
  for (let r = chunks.next(); !r.done; r = chunks.next()) {
    if (r.value.kind !== 'events') continue;
    // one object at a time: a chunk's worth held at once would outlive the young generation
    const cols = r.value.columns;
    for (let i = 0; i < cols.count; i++) yield eventAt(cols, i);
  }
}
