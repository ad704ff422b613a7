/**
 * The wasm-ftrace data file: what `wasm-ftrace record` writes and `report`,
 * `replay`, `dump` and `info` read. Types, constants and the checksum only;
 * encode.ts writes it, decode.ts reads it, FORMAT.md describes it byte by
 * byte. No Node APIs: the viewer reads data files in browsers.
 *
 * In short (all numbers little endian, every chunk starts 8-aligned):
 *
 *   preamble   16 bytes   "WFTRACE\0", u32 format version, u32 reserved (0)
 *   chunk      16 bytes   FourCC type, u32 payload length, u32 CRC-32 of the
 *                         payload, u32 CRC-32 of these 12 header bytes
 *              payload, then zero padding to a multiple of 8
 *   ...
 *
 *   HEAD  once, first       JSON DataFileHeader
 *   INST  any number        JSON DataFileInstance, before any event of its instance
 *   EVTS  any number        binary event columns (EVTS_* layout below)
 *   FOOT  once, last        JSON DataFileFooter; its presence marks a complete file
 *
 * Version history:
 *   1  first format.
 */
import type { ClockInfo } from '../clock/worker-clock.js';
import type { TraceClock } from '../ring/event.js';
import type { SourceLines } from '../abi/source-lines.js';
import type { RingColumns } from '../ring/ring-buffer.js';

/**
 * Events as columns: what RingBuffer.drainColumns hands out, what encodeEvents
 * writes and what the decoder yields per EVTS chunk, so that neither the
 * recorder nor a streaming reader builds an object per event.
 */
export type EventColumns = RingColumns;

/** The first 8 bytes of every data file: "WFTRACE\0". */
export const DATA_FILE_MAGIC: Uint8Array = new Uint8Array([0x57, 0x46, 0x54, 0x52, 0x41, 0x43, 0x45, 0x00]);
/** The format version this build writes and the newest it reads. */
export const DATA_FILE_VERSION = 1;
/** Bytes before the first chunk: magic, version, reserved. */
export const PREAMBLE_BYTES = 16;
/** Bytes of a chunk header: type, length, payload CRC, header CRC. */
export const CHUNK_HEADER_BYTES = 16;
/** Chunks start at multiples of this (payloads are zero-padded), so f64 columns can be viewed in place. */
export const CHUNK_ALIGN = 8;
/** A sanity bound on one chunk's payload (the writer's chunks are a ring buffer's worth: a few MiB). */
export const MAX_CHUNK_BYTES = 0x7fff_fff0;

/**
 * The deepest call an event may claim. A wasm engine's stack holds far fewer
 * frames (V8: tens of thousands); a reader refuses more rather than indent by it.
 */
export const MAX_EVENT_DEPTH = 1 << 20;

/**
 * Chunk types, as the u32 that their four ASCII letters make little endian.
 * As in PNG, a type whose first letter is lower case is ancillary: a reader
 * that does not know it skips it with a warning. An unknown type starting
 * with an upper-case letter is critical: the reader refuses the file.
 */
export const CHUNK_HEAD = fourcc('HEAD');
export const CHUNK_INST = fourcc('INST');
export const CHUNK_EVTS = fourcc('EVTS');
export const CHUNK_FOOT = fourcc('FOOT');

/**
 * EVTS payload layout. N events, S bytes of string table:
 *
 *   offset     type       field
 *   0          u32        N, the number of events
 *   4          u32        S, bytes of the string table (0: none)
 *   8          f64        firstSeq: the ring sequence number of the first event
 *   16         f64[N]     ts
 *   16 + 8N    f64[N]     duration
 *   16 + 16N   u32[N]     ip
 *   16 + 20N   u32[N]     parent
 *   16 + 24N   u32[N]     depth
 *   16 + 28N   u16[N]     instance
 *   16 + 30N   u8[N]      type (EVENT_*)
 *   16 + 31N   u8[S]      string table: UTF-8 JSON array of strings; the j-th
 *                         MARKER event of the chunk has text j ('' when the
 *                         table is shorter)
 *
 * Payload length is exactly 16 + 31N + S. The columns are the ring's own
 * (widest first), so every column is aligned when the payload is.
 */
export const EVTS_FIXED_BYTES = 16;
/** Bytes per event in an EVTS chunk's columns (the ring's record size). */
export const EVTS_BYTES_PER_EVENT = 31;

/** A user-facing problem with a data file: a one-line message naming it and, where known, the byte offset. */
export class DataFileError extends Error {
  /** byte offset in the file where the problem is, when there is one */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(message);
    this.name = 'DataFileError';
    this.offset = offset;
  }
}

/** HEAD: how the trace was recorded. */
export interface DataFileHeader {
  /** the tracer at the start of the recording: 'function', 'function_graph', ... */
  tracer: string;
  clock: TraceClock;
  /** how the clock took its time (clock 'worker': its measured steps, lag and read cost), or why it is not the clock asked for */
  clockInfo?: ClockInfo;
  /** when the recording started, ISO 8601 */
  created: string;
  /** the wasm-ftrace version that wrote the file */
  version: string;
  /** the command line recorded (argv), when there was one */
  command?: string[];
  /** the recorder's options: filters, buffer size, ... (free-form, for `info`) */
  options?: Record<string, unknown>;
  /** the ring buffer the events went through */
  buffer?: { sizeKb: number; capacity: number; mode: string };
  /** what else a writer chose to record (platform, ...) */
  [key: string]: unknown;
}

/** INST: one traced wasm instance (module). */
export interface DataFileInstance {
  /** the `instance` field of its events (0..65535) */
  id: number;
  name: string;
  /** SHA-256 (hex) of the module's original bytes, when the recorder knew it */
  moduleHash?: string;
  /** the layout of its code section (abi codeLayout: body count, bytes, a hash of the body sizes), what `--symbols` matches by */
  codeLayout?: string;
  /** functions in the input module's index space, imports included */
  functionCount: number;
  importCount: number;
  /** display name per ip */
  names: string[];
  /** the thread that ran it, as `pid` (a process's main thread) or `pid.threadId` (a worker_threads Worker); absent in single-thread recordings */
  thread?: string;
  /** each function's file:line, as the pass read it from the module's DWARF or source map (FtraceMetadata.sourceLines) */
  sourceLines?: SourceLines;
}

/** FOOT: how the recording ended. Counts are of this recording. */
export interface DataFileFooter {
  /** events in the file's EVTS chunks */
  events: number;
  /** events the file would hold had none been lost: events + lost */
  written: number;
  /** events that never reached the file: overrun + dropped */
  lost: number;
  /** events pushed out of the ring (or taken by another reader) before the recorder drained them */
  overrun: number;
  /** events the ring refused, full in stop mode */
  dropped: number;
  /** when the recording ended, ISO 8601 */
  ended: string;
  /** ts of the last event in the file, null when there is none */
  lastTs: number | null;
  /** the tracer at the end (setTracer may have changed it) */
  tracer?: string;
  /** the trace array's other counters at the end */
  stats?: { unwoundFrames: number; strayExits: number; recursionMissed: number };
  /** filter expressions that matched no function in any module of the recording (an error `info` reports) */
  unmatchedFilters?: { option: string; text: string }[];
  /**
   * The modules had a trace memory: records their in-wasm recorder wrote
   * (entries and exits that never called into JS) and the size of its ring.
   * Absent: every event came through the JS hook.
   */
  recorder?: { inWasm: number; ringRecords: number };
  [key: string]: unknown;
}

/** The u32 (little endian) of a four-letter ASCII chunk type. */
export function fourcc(name: string): number {
  if (name.length !== 4) throw new RangeError(`chunk type must have 4 letters, not '${name}'`);
  return (name.charCodeAt(0) | (name.charCodeAt(1) << 8) | (name.charCodeAt(2) << 16) | (name.charCodeAt(3) << 24)) >>> 0;
}

/** The printable name of a chunk type: its letters, or hex when they are not printable ASCII. */
export function chunkTypeName(type: number): string {
  let s = '';
  for (let k = 0; k < 4; k++) {
    const c = (type >>> (8 * k)) & 0xff;
    if (c < 0x20 || c > 0x7e) return `0x${type.toString(16).padStart(8, '0')}`;
    s += String.fromCharCode(c);
  }
  return s;
}

/** An unknown type whose first letter is lower case can be skipped (PNG's ancillary bit). */
export function isAncillary(type: number): boolean {
  const first = type & 0xff;
  return first >= 0x61 && first <= 0x7a;
}

/** `n` rounded up to a multiple of CHUNK_ALIGN. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** true on little-endian hosts (all current ones): typed-array views of the file's columns read it as written. */
export const LITTLE_ENDIAN_HOST: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG), table
// driven, 16 bytes a step (slicing-by-16, 16 KiB of tables) read as four u32
// words: it runs over every byte the recorder writes, so it must keep up with
// the ring (about 0.6 ns a byte here, 20 ns an event; byte at a time is 3x that).

const CRC_TABLES: Uint32Array = (() => {
  const t = new Uint32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  // t[k * 256 + n]: the CRC of byte n followed by k zero bytes
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 16; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/**
 * CRC-32 of `bytes`; pass a previous result as `crc` to continue over more
 * bytes (crc32(b, crc32(a)) === crc32(a + b)).
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = CRC_TABLES;
  let c = ~crc;
  let i = 0;
  const n = bytes.length;
  if (LITTLE_ENDIAN_HOST) {
    // Byte by byte up to a 4-byte boundary, then 16 bytes a step as words.
    while (i < n && ((bytes.byteOffset + i) & 3) !== 0) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
    const words = ((n - i) >> 4) << 2;
    if (words > 0) {
      const w = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
      for (let j = 0; j < words; j += 4) {
        c ^= w[j]!;
        const d = w[j + 1]!;
        const e = w[j + 2]!;
        const f = w[j + 3]!;
        c =
          t[3840 + (c & 0xff)]! ^ t[3584 + ((c >>> 8) & 0xff)]! ^ t[3328 + ((c >>> 16) & 0xff)]! ^ t[3072 + (c >>> 24)]! ^
          t[2816 + (d & 0xff)]! ^ t[2560 + ((d >>> 8) & 0xff)]! ^ t[2304 + ((d >>> 16) & 0xff)]! ^ t[2048 + (d >>> 24)]! ^
          t[1792 + (e & 0xff)]! ^ t[1536 + ((e >>> 8) & 0xff)]! ^ t[1280 + ((e >>> 16) & 0xff)]! ^ t[1024 + (e >>> 24)]! ^
          t[768 + (f & 0xff)]! ^ t[512 + ((f >>> 8) & 0xff)]! ^ t[256 + ((f >>> 16) & 0xff)]! ^ t[f >>> 24]!;
      }
      i += words * 4;
    }
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
