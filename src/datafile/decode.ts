/**
 * Reading the data file (format.ts, FORMAT.md). Pure and browser-safe.
 *
 * - DataFileDecoder takes the file as byte blocks of any size, in order, and
 *   returns each chunk as soon as it is complete: events as columns (no
 *   object per event), so a reader can go through a file far bigger than
 *   memory holding one chunk at a time.
 * - decodeDataFile reads a whole file held in memory, events as objects.
 * - toTraceData turns what was read into the TraceData the outputs print.
 *
 * Problems are one-line DataFileErrors naming the byte offset: bad magic, an
 * unknown version, a checksum that does not match, an unknown critical chunk,
 * a malformed chunk. A file that just stops (the recorder was killed) is
 * read up to its last whole chunk, with warnings: "torn last chunk ..."
 * and "incomplete: no footer, N events read".
 */
import { EVENT_ENTRY, EVENT_MARKER, EVENT_STACK_FRAME, TRACE_CLOCKS, type TraceClock, type TraceData, type TraceEvent, type TraceInstanceInfo, type EventType } from '../ring/event.js';
import { isSourceLines } from '../abi/source-lines.js';
import {
  CHUNK_EVTS,
  CHUNK_FOOT,
  CHUNK_HEAD,
  CHUNK_HEADER_BYTES,
  CHUNK_INST,
  DATA_FILE_MAGIC,
  DATA_FILE_VERSION,
  DataFileError,
  EVTS_BYTES_PER_EVENT,
  EVTS_FIXED_BYTES,
  LITTLE_ENDIAN_HOST,
  MAX_CHUNK_BYTES,
  MAX_EVENT_DEPTH,
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

const utf8 = new TextDecoder('utf-8', { fatal: false });

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

// ---------------------------------------------------------------------------

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** An EVTS payload as columns: views of `body` on little-endian hosts (body is 8-aligned), copies otherwise. */
function decodeEventColumns(body: Uint8Array, at: number): EventColumns {
  if (body.length < EVTS_FIXED_BYTES) throw new DataFileError(`malformed EVTS chunk at byte ${at}: ${body.length} bytes, less than its ${EVTS_FIXED_BYTES}-byte header`, at);
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const n = view.getUint32(0, true);
  const s = view.getUint32(4, true);
  const firstSeq = view.getFloat64(8, true);
  const need = EVTS_FIXED_BYTES + n * EVTS_BYTES_PER_EVENT + s;
  if (need !== body.length) {
    throw new DataFileError(`malformed EVTS chunk at byte ${at}: ${n} events and ${s} bytes of text make ${need} bytes, the chunk has ${body.length}`, at);
  }
  const c = EVTS_FIXED_BYTES;
  const buf = body.buffer;
  const base = body.byteOffset + c;
  let ts: Float64Array, duration: Float64Array, ip: Uint32Array, parent: Uint32Array, depth: Uint32Array, instance: Uint16Array;
  if (LITTLE_ENDIAN_HOST && base % 8 === 0) {
    ts = new Float64Array(buf, base, n);
    duration = new Float64Array(buf, base + 8 * n, n);
    ip = new Uint32Array(buf, base + 16 * n, n);
    parent = new Uint32Array(buf, base + 20 * n, n);
    depth = new Uint32Array(buf, base + 24 * n, n);
    instance = new Uint16Array(buf, base + 28 * n, n);
  } else {
    ts = new Float64Array(n);
    duration = new Float64Array(n);
    ip = new Uint32Array(n);
    parent = new Uint32Array(n);
    depth = new Uint32Array(n);
    instance = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = view.getFloat64(c + 8 * i, true);
      duration[i] = view.getFloat64(c + 8 * n + 8 * i, true);
      ip[i] = view.getUint32(c + 16 * n + 4 * i, true);
      parent[i] = view.getUint32(c + 20 * n + 4 * i, true);
      depth[i] = view.getUint32(c + 24 * n + 4 * i, true);
      instance[i] = view.getUint16(c + 28 * n + 2 * i, true);
    }
  }
  const type = body.subarray(c + 30 * n, c + 31 * n);
  for (let i = 0; i < n; i++) {
    const t = type[i]!;
    if (t < EVENT_ENTRY || t > EVENT_STACK_FRAME) throw new DataFileError(`malformed EVTS chunk at byte ${at}: event ${i} has unknown type ${t}`, at);
    if (depth[i]! > MAX_EVENT_DEPTH) throw new DataFileError(`malformed EVTS chunk at byte ${at}: event ${i} has depth ${depth[i]}, more than ${MAX_EVENT_DEPTH}`, at);
  }
  if (!Number.isFinite(firstSeq) || firstSeq < 0) throw new DataFileError(`malformed EVTS chunk at byte ${at}: bad first sequence number`, at);
  let markers: Map<number, string> = NO_MARKERS;
  if (s > 0) {
    const texts = parseJson(body.subarray(c + 31 * n), 'EVTS', at, 'its marker texts are not JSON');
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) {
      throw new DataFileError(`malformed EVTS chunk at byte ${at}: its marker texts are not a list of strings`, at);
    }
    markers = new Map();
    let j = 0;
    for (let i = 0; i < n && j < texts.length; i++) {
      if (type[i] === EVENT_MARKER) markers.set(i, texts[j++] as string);
    }
  }
  return { count: n, firstSeq, type, instance, ip, parent, depth, ts, duration, markers };
}

const NO_MARKERS: Map<number, string> = new Map();

function parseJson(bytes: Uint8Array, name: string, at: number, what = 'not JSON'): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new DataFileError(`malformed ${name} chunk at byte ${at}: ${what}`, at);
  }
}

function parseObject(bytes: Uint8Array, name: string, at: number): Record<string, unknown> {
  const v = parseJson(bytes, name, at);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataFileError(`malformed ${name} chunk at byte ${at}: not a JSON object`, at);
  return v as Record<string, unknown>;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every member a reader uses is checked here, so no reader meets a wrong type later. */
function parseHeader(body: Uint8Array, at: number): DataFileHeader {
  const h = parseObject(body, 'HEAD', at);
  const bad = (what: string): never => {
    throw new DataFileError(`malformed HEAD chunk at byte ${at}: ${what}`, at);
  };
  if (typeof h['tracer'] !== 'string') bad('no tracer');
  if (!TRACE_CLOCKS.includes(h['clock'] as TraceClock)) bad(`unknown clock '${String(h['clock'])}'`);
  if (typeof h['created'] !== 'string') h['created'] = '';
  if (typeof h['version'] !== 'string') h['version'] = '';
  if (h['command'] !== undefined && !isStringList(h['command'])) bad("'command' is not a list of strings");
  if (h['options'] !== undefined && !isObject(h['options'])) bad("'options' is not an object");
  const c = h['clockInfo'];
  if (c !== undefined && !(isObject(c) && typeof c['source'] === 'string' && ['resolutionUs', 'lagUs', 'readNs'].every((k) => c[k] === undefined || typeof c[k] === 'number') && (c['note'] === undefined || typeof c['note'] === 'string'))) {
    bad("'clockInfo' is not { source, resolutionUs?, lagUs?, readNs?, note? }");
  }
  const b = h['buffer'];
  if (b !== undefined && !(isObject(b) && isCount(b['sizeKb']) && isCount(b['capacity']) && typeof b['mode'] === 'string')) bad("'buffer' is not { sizeKb, capacity, mode }");
  return h as DataFileHeader;
}

function parseInstance(body: Uint8Array, at: number): DataFileInstance {
  const i = parseObject(body, 'INST', at);
  const bad = (what: string): never => {
    throw new DataFileError(`malformed INST chunk at byte ${at}: ${what}`, at);
  };
  const id = i['id'];
  if (!isCount(id) || id > 0xffff) bad('bad instance id');
  const names = i['names'];
  if (!isStringList(names)) bad('names are not a list of strings');
  if (typeof i['name'] !== 'string') bad('no name');
  if (i['moduleHash'] !== undefined && typeof i['moduleHash'] !== 'string') bad('bad moduleHash');
  if (i['codeLayout'] !== undefined && typeof i['codeLayout'] !== 'string') bad('bad codeLayout');
  if (i['thread'] !== undefined && typeof i['thread'] !== 'string') bad('bad thread');
  if (i['sourceLines'] !== undefined && !isSourceLines(i['sourceLines'])) bad('bad sourceLines');
  if (i['functionCount'] === undefined) i['functionCount'] = (names as string[]).length;
  else if (!isCount(i['functionCount'])) bad('bad functionCount');
  if (i['importCount'] === undefined) i['importCount'] = 0;
  else if (!isCount(i['importCount'])) bad('bad importCount');
  return i as unknown as DataFileInstance;
}

function parseFooter(body: Uint8Array, at: number): DataFileFooter {
  const f = parseObject(body, 'FOOT', at);
  const bad = (what: string): never => {
    throw new DataFileError(`malformed FOOT chunk at byte ${at}: ${what}`, at);
  };
  for (const k of ['events', 'written', 'lost', 'overrun', 'dropped'] as const) {
    if (!isCount(f[k])) bad(`no '${k}' count`);
  }
  if (typeof f['ended'] !== 'string') f['ended'] = '';
  if (typeof f['lastTs'] !== 'number') f['lastTs'] = null;
  if (f['tracer'] !== undefined && typeof f['tracer'] !== 'string') bad("'tracer' is not a string");
  const st = f['stats'];
  if (st !== undefined && !(isObject(st) && isCount(st['unwoundFrames']) && isCount(st['strayExits']) && isCount(st['recursionMissed']))) {
    bad("'stats' is not { unwoundFrames, strayExits, recursionMissed }");
  }
  return f as DataFileFooter;
}
