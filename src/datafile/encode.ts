/**
 * Writing the data file (format.ts, FORMAT.md): each function returns whole
 * chunks, header and padding included, ready to append. Pure and
 * browser-safe; src/record/writer.ts puts them in a file.
 */
import { EVENT_MARKER } from '../ring/event.js';
import {
  CHUNK_EVTS,
  CHUNK_FOOT,
  CHUNK_HEAD,
  CHUNK_HEADER_BYTES,
  CHUNK_INST,
  DATA_FILE_MAGIC,
  DATA_FILE_VERSION,
  EVTS_BYTES_PER_EVENT,
  EVTS_FIXED_BYTES,
  LITTLE_ENDIAN_HOST,
  MAX_CHUNK_BYTES,
  PREAMBLE_BYTES,
  align8,
  crc32,
  type DataFileFooter,
  type DataFileHeader,
  type DataFileInstance,
  type EventColumns,
} from './format.js';

const utf8 = new TextEncoder();

/** The 16 bytes a data file starts with. */
export function encodePreamble(version: number = DATA_FILE_VERSION): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES);
  out.set(DATA_FILE_MAGIC, 0);
  new DataView(out.buffer).setUint32(8, version, true);
  return out;
}

/** A whole chunk: header, `payload`, zero padding to 8 bytes. */
export function encodeChunk(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER_BYTES + align8(payload.length));
  out.set(payload, CHUNK_HEADER_BYTES);
  sealChunk(out, type, payload.length);
  return out;
}

/** The HEAD chunk. */
export function encodeHeader(header: DataFileHeader): Uint8Array {
  return encodeChunk(CHUNK_HEAD, json(header));
}

/** An INST chunk. */
export function encodeInstance(instance: DataFileInstance): Uint8Array {
  return encodeChunk(CHUNK_INST, json(instance));
}

/** The FOOT chunk. */
export function encodeFooter(footer: DataFileFooter): Uint8Array {
  return encodeChunk(CHUNK_FOOT, json(footer));
}

/**
 * An EVTS chunk of `cols.count` events, copied column by column (no object
 * per event). With `scratch` (a buffer the caller reuses from chunk to
 * chunk), the chunk is written into it when it fits and a view of it is
 * returned: the recorder's write path then allocates nothing per event.
 */
export function encodeEvents(cols: EventColumns, scratch?: Uint8Array): Uint8Array {
  const n = cols.count;
  const strings = stringTable(cols);
  const payloadLength = EVTS_FIXED_BYTES + n * EVTS_BYTES_PER_EVENT + strings.length;
  if (payloadLength > MAX_CHUNK_BYTES) throw new RangeError(`${n} events do not fit one chunk`);
  const total = CHUNK_HEADER_BYTES + align8(payloadLength);
  const out = scratch !== undefined && scratch.length >= total && scratch.byteOffset % 8 === 0 ? scratch.subarray(0, total) : new Uint8Array(total);

  const p = CHUNK_HEADER_BYTES; // the payload, 8-aligned in `out`
  const view = new DataView(out.buffer, out.byteOffset, total);
  view.setUint32(p, n, true);
  view.setUint32(p + 4, strings.length, true);
  view.setFloat64(p + 8, cols.firstSeq, true);
  const c = p + EVTS_FIXED_BYTES; // the columns
  if (LITTLE_ENDIAN_HOST) {
    const base = out.byteOffset;
    new Float64Array(out.buffer, base + c, n).set(cols.ts.subarray(0, n));
    new Float64Array(out.buffer, base + c + 8 * n, n).set(cols.duration.subarray(0, n));
    new Uint32Array(out.buffer, base + c + 16 * n, n).set(cols.ip.subarray(0, n));
    new Uint32Array(out.buffer, base + c + 20 * n, n).set(cols.parent.subarray(0, n));
    new Uint32Array(out.buffer, base + c + 24 * n, n).set(cols.depth.subarray(0, n));
    new Uint16Array(out.buffer, base + c + 28 * n, n).set(cols.instance.subarray(0, n));
  } else {
    for (let i = 0; i < n; i++) {
      view.setFloat64(c + 8 * i, cols.ts[i]!, true);
      view.setFloat64(c + 8 * n + 8 * i, cols.duration[i]!, true);
      view.setUint32(c + 16 * n + 4 * i, cols.ip[i]!, true);
      view.setUint32(c + 20 * n + 4 * i, cols.parent[i]!, true);
      view.setUint32(c + 24 * n + 4 * i, cols.depth[i]!, true);
      view.setUint16(c + 28 * n + 2 * i, cols.instance[i]!, true);
    }
  }
  out.set(cols.type.subarray(0, n), c + 30 * n);
  out.set(strings, c + 31 * n);
  out.fill(0, CHUNK_HEADER_BYTES + payloadLength, total); // a reused scratch buffer holds old bytes
  sealChunk(out, CHUNK_EVTS, payloadLength);
  return out;
}

/** Bytes encodeEvents needs for `count` events without marker texts: what to size a scratch buffer by. */
export function eventsChunkBytes(count: number): number {
  return CHUNK_HEADER_BYTES + align8(EVTS_FIXED_BYTES + count * EVTS_BYTES_PER_EVENT);
}

/**
 * The marker texts in MARKER order, as UTF-8 JSON: exact for any JS string
 * (JSON.stringify escapes lone surrogates). Empty when no marker has a text.
 */
function stringTable(cols: EventColumns): Uint8Array {
  if (cols.markers.size === 0) return EMPTY;
  const texts: string[] = [];
  const type = cols.type;
  let last = 0;
  for (let i = 0; i < cols.count; i++) {
    if (type[i] !== EVENT_MARKER) continue;
    const text = cols.markers.get(i) ?? '';
    texts.push(text);
    if (text !== '') last = texts.length;
  }
  texts.length = last; // trailing '' need no entry
  return texts.length === 0 ? EMPTY : utf8.encode(JSON.stringify(texts));
}

const EMPTY = new Uint8Array(0);

/** Fills in a chunk's header: type, length, the payload's CRC, the header's CRC. */
function sealChunk(chunk: Uint8Array, type: number, payloadLength: number): void {
  const view = new DataView(chunk.buffer, chunk.byteOffset, CHUNK_HEADER_BYTES);
  view.setUint32(0, type, true);
  view.setUint32(4, payloadLength, true);
  view.setUint32(8, crc32(chunk.subarray(CHUNK_HEADER_BYTES, CHUNK_HEADER_BYTES + payloadLength)), true);
  view.setUint32(12, crc32(chunk.subarray(0, 12)), true);
}

function json(value: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}
