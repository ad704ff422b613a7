/**
 * Opening a trace from bytes: a wasm-ftrace data file (by its magic), or
 * JSON: a Chrome trace, or a TraceData as `report --html` embeds it.
 * No Node APIs, no DOM.
 */
import { decodeDataFile, toTraceData } from '../datafile/trace-data.js';
import { DATA_FILE_MAGIC } from '../datafile/format.js';
import type { TraceData } from '../ring/event.js';
import { importChromeTrace, isChromeTrace } from './chrome-import.js';

export interface LoadedTrace {
  trace: TraceData;
  /** what kind of input it was */
  format: 'data file' | 'Chrome JSON' | 'trace JSON';
  warnings: string[];
}

export function isDataFile(bytes: Uint8Array): boolean {
  if (bytes.length < DATA_FILE_MAGIC.length) return false;
  for (let i = 0; i < DATA_FILE_MAGIC.length; i++) if (bytes[i] !== DATA_FILE_MAGIC[i]) return false;
  return true;
}

function isTraceData(json: unknown): json is TraceData {
  const t = json as Partial<TraceData> | null;
  return typeof t === 'object' && t !== null && Array.isArray(t.events) && Array.isArray(t.instances) && typeof t.clock === 'string';
}

/** A parsed JSON value: a TraceData, or a Chrome trace. Throws an Error with a one-line message. */
export function traceFromJson(json: unknown): LoadedTrace {
  if (isTraceData(json)) {
    const t = json;
    return {
      trace: { ...t, tracer: t.tracer ?? 'function_graph', entries: t.entries ?? t.events.length, written: t.written ?? t.events.length, lost: t.lost ?? 0 },
      format: 'trace JSON',
      warnings: [],
    };
  }
  if (isChromeTrace(json)) return { trace: importChromeTrace(json), format: 'Chrome JSON', warnings: [] };
  throw new Error('not a trace: JSON that is neither a Chrome trace nor a wasm-ftrace trace');
}

export function traceFromBytes(bytes: Uint8Array): LoadedTrace {
  if (isDataFile(bytes)) {
    const decoded = decodeDataFile(bytes);
    return { trace: toTraceData(decoded), format: 'data file', warnings: decoded.warnings };
  }
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  if (bytes[i] !== 0x7b && bytes[i] !== 0x5b) throw new Error('not a trace: neither a wasm-ftrace data file nor JSON');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`not valid JSON: ${(e as Error).message}`);
  }
  return traceFromJson(json);
}

/** base64 (as `report --html` embeds a data file) to bytes. */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64.replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
