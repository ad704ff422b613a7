/**
 * Reading the data file (format.ts, FORMAT.md). Pure and browser-safe.
 *
 * DataFileDecoder takes the file as byte blocks of any size, in order, and
 * returns each chunk as soon as it is complete: events as columns (no
 * object per event), so a reader can go through a file far bigger than
 * memory holding one chunk at a time. chunk-payloads.ts parses and checks
 * each chunk's payload; trace-data.ts turns what was read into the events
 * and TraceData the outputs print (decodeDataFile for a whole file).
 *
 * Problems are one-line DataFileErrors naming the byte offset: bad magic, an
 * unknown version, a checksum that does not match, an unknown critical chunk,
 * a malformed chunk. A file that just stops (the recorder was killed) is
 * read up to its last whole chunk, with warnings: "torn last chunk ..."
 * and "incomplete: no footer, N events read".
 */
import type { TraceEvent } from '../ring/event.js';
import { decodeEventColumns, parseFooter, parseHeader, parseInstance } from './chunk-payloads.js';
import {
  CHUNK_EVTS,
  CHUNK_FOOT,
  CHUNK_HEAD,
  CHUNK_HEADER_BYTES,
  CHUNK_INST,
  DATA_FILE_MAGIC,
  DATA_FILE_VERSION,
  DataFileError,
  MAX_CHUNK_BYTES,
  PREAMBLE_BYTES,
  align8,
  chunkTypeName,
  crc32,
  isAncillary,
  type DataFileFooter,
  type DataFileHeader,
  type DataFileInstance,
  type EventColumns,
} from './format.js';

/** One complete chunk, as the decoder returns it; `offset` is where its header starts in the file. */
export type DataFileChunk =
  | { kind: 'header'; offset: number; header: DataFileHeader }
  | { kind: 'instance'; offset: number; instance: DataFileInstance }
  | { kind: 'events'; offset: number; columns: EventColumns }
  | { kind: 'footer'; offset: number; footer: DataFileFooter };

/** What a whole file held, besides the events themselves (`wasm-ftrace info`). */
export interface DataFileSummary {
  header: DataFileHeader;
  /** in the order the file holds them */
  instances: DataFileInstance[];
  /** null: the file has no footer (the recording did not end properly) */
  footer: DataFileFooter | null;
  /** one line each: torn last chunk, no footer, skipped chunks */
  warnings: string[];
  /** events in the file */
  eventCount: number;
  /** events lost while recording: the footer's count, else the gaps between the chunks' sequence numbers */
  lost: number;
  /** ts of the first and last event, null when there is none */
  firstTs: number | null;
  lastTs: number | null;
  /** bytes read, up to the end of the last whole chunk */
  bytes: number;
  /** the file ended with its footer */
  complete: boolean;
}

/** A whole file read into memory. */
export interface DecodedDataFile extends DataFileSummary {
  /** the events, in file order (only those `accept` took) */
  events: TraceEvent[];
}

export interface DataFileDecoderOptions {
  /**
   * false: an EVTS chunk that lies whole inside a block passed to push()
   * is viewed in place, not copied; the caller then must not change that
   * block while it uses the chunk. Default true (blocks may be reused).
   */
  copy?: boolean;
  /**
   * true: chunks that must be assembled from several blocks go into buffers
   * the decoder reuses, so EVTS columns are valid only until the next push()
   * (use them before pushing more). Memory stays at a block plus the
   * largest chunk, with no garbage per chunk. Default false.
   */
  reuse?: boolean;
}

/** Read-time filter: keep event `i` of `cols`? Called before any object is made for it. */
export type EventFilter = (cols: EventColumns, i: number) => boolean;

/** Where the decoder is in the file. */
const Stage = { Preamble: 0, ChunkHeader: 1, Payload: 2, Padding: 3 } as const;
type Stage = (typeof Stage)[keyof typeof Stage];


/**
 * The streaming reader: push() the file's bytes in order, in blocks of any
 * size; each call returns the chunks those bytes completed. finish() at the
 * end of the file checks how it ended and returns the summary.
 */
export class DataFileDecoder {
  private readonly copy: boolean;
  private readonly reuse: boolean;
  /** reuse: payload buffers, one per chunk completed in the current push() */
  private readonly pool: Uint8Array[] = [];
  private poolUsed = 0;
  private summary: DataFileSummary | null = null;
  private stage: Stage = Stage.Preamble;
  /** file offset of the next byte push() receives */
  private pos = 0;
  /** preamble or chunk header being collected */
  private readonly head = new Uint8Array(CHUNK_HEADER_BYTES);
  private headFill = 0;
  /** the chunk whose payload is being collected */
  private chunkOffset = 0;
  private chunkType = 0;
  private chunkLength = 0;
  private chunkCrc = 0;
  /** the complete payload (a view of `buf` or of the block pushed) */
  private body: Uint8Array = new Uint8Array(0);
  /** where a payload split over blocks is assembled; grows as its bytes arrive */
  private buf: Uint8Array = new Uint8Array(0);
  /** reuse: the pool slot `buf` lives in, -1 when none */
  private slot = -1;
  private bodyFill = 0;
  private padding = 0;
  private failure: DataFileError | null = null;

  private headerChunk: DataFileHeader | null = null;
  private readonly instanceList: DataFileInstance[] = [];
  private readonly instanceIds = new Set<number>();
  private footerChunk: DataFileFooter | null = null;
  private readonly warningList: string[] = [];
  private events = 0;
  private nextSeq: number | null = null;
  private seqGaps = 0;
  private firstTs: number | null = null;
  private lastTs: number | null = null;
  /** end of the last whole chunk */
  private goodBytes = 0;

  constructor(options: DataFileDecoderOptions = {}) {
    this.copy = options.copy ?? true;
    this.reuse = options.reuse ?? false;
  }

  /** The HEAD chunk, once read. */
  get header(): DataFileHeader | null {
    return this.headerChunk;
  }
  get instances(): readonly DataFileInstance[] {
    return this.instanceList;
  }
  get footer(): DataFileFooter | null {
    return this.footerChunk;
  }
  get warnings(): readonly string[] {
    return this.warningList;
  }
  /** events in the EVTS chunks read so far */
  get eventCount(): number {
    return this.events;
  }

  /** Takes the next bytes of the file; returns the chunks they completed, in file order. */
  push(bytes: Uint8Array): DataFileChunk[] {
    if (this.failure) throw this.failure;
    if (this.summary) throw new Error('DataFileDecoder.push() after finish()');
    this.poolUsed = 0;
    if (this.reuse && this.stage === Stage.Payload && this.slot >= 0) {
      // A chunk still being assembled keeps its buffer: move it to slot 0 and skip it.
      const k = this.slot;
      if (k > 0) [this.pool[0], this.pool[k]] = [this.pool[k]!, this.pool[0]!];
      this.slot = 0;
      this.poolUsed = 1;
    }
    try {
      return this.pushBytes(bytes);
    } catch (e) {
      if (e instanceof DataFileError) this.failure = e;
      throw e;
    }
  }

  /** The end of the file: errors if it ended too early to be read, warnings if it ended without its footer. */
  finish(): DataFileSummary {
    if (this.failure) throw this.failure;
    if (this.summary) return this.summary;
    if (this.pos === 0) throw new DataFileError('empty file: not a wasm-ftrace data file', 0);
    if (this.stage === Stage.Preamble) {
      throw new DataFileError(`truncated data file: ${this.pos} bytes, less than its ${PREAMBLE_BYTES}-byte preamble`, this.pos);
    }
    if (this.headerChunk === null) {
      throw new DataFileError(`truncated data file: it ends at byte ${this.pos}, inside its HEAD chunk at byte ${PREAMBLE_BYTES}`, this.pos);
    }
    if (this.stage === Stage.ChunkHeader && this.headFill > 0) {
      this.warn(`torn last chunk at byte ${this.chunkOffset} ignored: ${this.headFill} of ${CHUNK_HEADER_BYTES} header bytes`);
    } else if (this.stage === Stage.Payload) {
      this.warn(`torn last chunk at byte ${this.chunkOffset} ignored: ${chunkTypeName(this.chunkType)}, ${this.bodyFill} of ${this.chunkLength} payload bytes`);
    }
    const footer = this.footerChunk;
    if (footer === null) this.warn(`incomplete: no footer, ${this.events} events read`);
    else if (footer.events !== this.events) this.warn(`the footer counts ${footer.events} events, the file holds ${this.events}`);
    this.summary = {
      header: this.headerChunk,
      instances: this.instanceList,
      footer,
      warnings: this.warningList,
      eventCount: this.events,
      lost: footer !== null ? footer.lost : this.seqGaps,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      bytes: this.goodBytes,
      complete: footer !== null,
    };
    return this.summary;
  }

  private warn(message: string): void {
    this.warningList.push(message);
  }

  private pushBytes(bytes: Uint8Array): DataFileChunk[] {
    const out: DataFileChunk[] = [];
    const n = bytes.length;
    let p = 0;
    while (p < n) {
      switch (this.stage) {
        case Stage.Preamble: {
          const take = Math.min(PREAMBLE_BYTES - this.headFill, n - p);
          this.head.set(bytes.subarray(p, p + take), this.headFill);
          this.headFill += take;
          p += take;
          this.pos += take;
          this.checkMagic();
          if (this.headFill === PREAMBLE_BYTES) this.endPreamble();
          break;
        }
        case Stage.ChunkHeader: {
          if (this.footerChunk !== null) throw new DataFileError(`data after the FOOT chunk at byte ${this.pos}`, this.pos);
          if (this.headFill === 0) this.chunkOffset = this.pos;
          const take = Math.min(CHUNK_HEADER_BYTES - this.headFill, n - p);
          this.head.set(bytes.subarray(p, p + take), this.headFill);
          this.headFill += take;
          p += take;
          this.pos += take;
          if (this.headFill === CHUNK_HEADER_BYTES) this.endChunkHeader();
          break;
        }
        case Stage.Payload: {
          const len = this.chunkLength;
          if (this.bodyFill === 0 && !this.copy && n - p >= len && (bytes.byteOffset + p) % 8 === 0) {
            // The whole payload is in this block, aligned: view it in place.
            this.body = bytes.subarray(p, p + len);
            this.bodyFill = len;
            p += len;
            this.pos += len;
          } else if (this.bodyFill < len) {
            const take = Math.min(len - this.bodyFill, n - p);
            this.reserve(this.bodyFill + take);
            this.buf.set(bytes.subarray(p, p + take), this.bodyFill);
            this.bodyFill += take;
            p += take;
            this.pos += take;
            if (this.bodyFill === len) this.body = this.buf.subarray(0, len);
          }
          if (this.bodyFill === len) {
            const chunk = this.endChunk();
            if (chunk) out.push(chunk);
          }
          break;
        }
        case Stage.Padding: {
          const take = Math.min(this.padding, n - p);
          this.padding -= take;
          p += take;
          this.pos += take;
          if (this.padding === 0) this.nextChunk();
          break;
        }
      }
    }
    return out;
  }

  /**
   * Room for `need` payload bytes. The buffer grows with the bytes that
   * actually arrive (doubling, capped at the chunk's length), never with the
   * length the header claims: a forged length in a small file costs the
   * file's size, not 2 GiB. Under `reuse` the buffers come from the pool.
   */
  private reserve(need: number): void {
    if (this.buf.length >= need) return;
    const cap = Math.min(this.chunkLength, Math.max(need, 2 * this.buf.length, 1 << 16));
    let next: Uint8Array;
    if (this.reuse) {
      if (this.slot < 0) this.slot = this.poolUsed++;
      const pooled = this.pool[this.slot];
      if (pooled !== undefined && pooled.length >= cap) next = pooled;
      else {
        next = new Uint8Array(Math.max(cap, pooled?.length ?? 0));
        this.pool[this.slot] = next;
      }
      if (next === this.buf) return;
    } else {
      next = new Uint8Array(cap);
    }
    next.set(this.buf.subarray(0, this.bodyFill));
    this.buf = next;
  }

  private checkMagic(): void {
    const h = this.head;
    const upTo = Math.min(this.headFill, DATA_FILE_MAGIC.length);
    for (let k = 0; k < upTo; k++) {
      if (h[k] === DATA_FILE_MAGIC[k]) continue;
      const wasm = upTo >= 4 && h[0] === 0x00 && h[1] === 0x61 && h[2] === 0x73 && h[3] === 0x6d; // "\0asm"
      throw new DataFileError(`not a wasm-ftrace data file${wasm ? ' but a WebAssembly module' : ''} (no WFTRACE magic at byte 0)`, 0);
    }
  }

  private endPreamble(): void {
    const version = readU32(this.head, 8);
    if (version !== DATA_FILE_VERSION) {
      throw new DataFileError(`unsupported data file format version ${version} at byte 8 (this wasm-ftrace reads version ${DATA_FILE_VERSION})`, 8);
    }
    this.goodBytes = PREAMBLE_BYTES;
    this.nextChunk();
  }

  private nextChunk(): void {
    this.stage = Stage.ChunkHeader;
    this.headFill = 0;
  }

  private endChunkHeader(): void {
    const h = this.head;
    const at = this.chunkOffset;
    if (crc32(h.subarray(0, 12)) !== readU32(h, 12)) throw new DataFileError(`corrupt chunk header at byte ${at}: checksum mismatch`, at);
    const type = readU32(h, 0);
    const length = readU32(h, 4);
    if (type !== CHUNK_HEAD && type !== CHUNK_INST && type !== CHUNK_EVTS && type !== CHUNK_FOOT && !isAncillary(type)) {
      throw new DataFileError(`unknown chunk type '${chunkTypeName(type)}' at byte ${at} (a newer wasm-ftrace may read it)`, at);
    }
    if (length > MAX_CHUNK_BYTES) throw new DataFileError(`corrupt ${chunkTypeName(type)} chunk at byte ${at}: length ${length} is too large`, at);
    if (this.headerChunk === null && type !== CHUNK_HEAD) {
      throw new DataFileError(`malformed data file: the first chunk, at byte ${at}, is ${chunkTypeName(type)}, not HEAD`, at);
    }
    this.chunkType = type;
    this.chunkLength = length;
    this.chunkCrc = readU32(h, 8);
    this.bodyFill = 0;
    this.buf = EMPTY;
    this.slot = -1;
    this.stage = Stage.Payload;
    // An empty payload is complete at once (pushBytes only moves on bytes). Only
    // an ancillary chunk may be empty, and it returns nothing.
    if (length === 0) {
      this.body = EMPTY;
      this.endChunk();
    }
  }

  /** The payload is complete: check it, decode it, move on to the padding. */
  private endChunk(): DataFileChunk | null {
    const at = this.chunkOffset;
    const type = this.chunkType;
    const body = this.body;
    const name = chunkTypeName(type);
    if (crc32(body) !== this.chunkCrc) throw new DataFileError(`corrupt ${name} chunk at byte ${at}: checksum mismatch`, at);
    let chunk: DataFileChunk | null = null;
    if (body.length === 0 && !isAncillary(type)) throw new DataFileError(`malformed ${name} chunk at byte ${at}: empty`, at);
    if (type === CHUNK_HEAD) {
      if (this.headerChunk !== null) throw new DataFileError(`malformed data file: a second HEAD chunk at byte ${at}`, at);
      this.headerChunk = parseHeader(body, at);
      chunk = { kind: 'header', offset: at, header: this.headerChunk };
    } else if (type === CHUNK_INST) {
      const inst = parseInstance(body, at);
      if (this.instanceIds.has(inst.id)) throw new DataFileError(`malformed INST chunk at byte ${at}: instance ${inst.id} was already described`, at);
      this.instanceIds.add(inst.id);
      this.instanceList.push(inst);
      chunk = { kind: 'instance', offset: at, instance: inst };
    } else if (type === CHUNK_EVTS) {
      const columns = decodeEventColumns(body, at);
      this.countEvents(columns);
      chunk = { kind: 'events', offset: at, columns };
    } else if (type === CHUNK_FOOT) {
      this.footerChunk = parseFooter(body, at);
      chunk = { kind: 'footer', offset: at, footer: this.footerChunk };
    } else {
      this.warn(`skipped unknown chunk '${name}' at byte ${at}`);
    }
    this.body = EMPTY;
    this.buf = EMPTY;
    this.slot = -1;
    this.goodBytes = at + CHUNK_HEADER_BYTES + align8(this.chunkLength);
    this.padding = align8(this.chunkLength) - this.chunkLength;
    if (this.padding > 0) this.stage = Stage.Padding;
    else this.nextChunk();
    return chunk;
  }

  private countEvents(cols: EventColumns): void {
    const n = cols.count;
    if (n === 0) return;
    if (this.nextSeq !== null && cols.firstSeq > this.nextSeq) this.seqGaps += cols.firstSeq - this.nextSeq;
    this.nextSeq = cols.firstSeq + n;
    this.events += n;
    if (this.firstTs === null) this.firstTs = cols.ts[0]!;
    this.lastTs = cols.ts[n - 1]!;
  }
}

const EMPTY = new Uint8Array(0);


function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
