/**
 * The payloads of the data file's chunks (FORMAT.md), parsed and checked:
 * EVTS as columns, HEAD, INST and FOOT from JSON. Every member a reader
 * uses is type-checked here, so a malformed file is one DataFileError
 * naming its byte offset, never a wrong type met later. Pure and
 * browser-safe.
 */
import { isSourceLines } from '../abi/source-lines.js';
import { EVENT_ENTRY, EVENT_MARKER, EVENT_STACK_FRAME, TRACE_CLOCKS, type TraceClock } from '../ring/event.js';
import {
  DataFileError,
  EVTS_BYTES_PER_EVENT,
  EVTS_FIXED_BYTES,
  LITTLE_ENDIAN_HOST,
  MAX_EVENT_DEPTH,
  type DataFileFooter,
  type DataFileHeader,
  type DataFileInstance,
  type EventColumns,
} from './format.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** An EVTS payload as columns: views of `body` on little-endian hosts (body is 8-aligned), copies otherwise. */
export function decodeEventColumns(body: Uint8Array, at: number): EventColumns {
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
export function parseHeader(body: Uint8Array, at: number): DataFileHeader {
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

export function parseInstance(body: Uint8Array, at: number): DataFileInstance {
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

export function parseFooter(body: Uint8Array, at: number): DataFileFooter {
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
