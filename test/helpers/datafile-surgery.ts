/**
 * Editing data files the way an attacker (or a bad disk) would, checksums
 * and all: find chunks, change their bytes, re-seal them so the change gets
 * past the CRCs and reaches the parsers.
 */
import { CHUNK_HEADER_BYTES, PREAMBLE_BYTES, chunkTypeName, crc32 } from '../../src/datafile/index.js';

export interface ChunkSpan {
  type: string;
  /** where the chunk header starts */
  offset: number;
  /** payload length as the header says */
  length: number;
}

/** The chunks of a well-formed file, by walking their headers. */
export function chunkSpans(bytes: Uint8Array): ChunkSpan[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ChunkSpan[] = [];
  let at = PREAMBLE_BYTES;
  while (at + CHUNK_HEADER_BYTES <= bytes.length) {
    const length = dv.getUint32(at + 4, true);
    out.push({ type: chunkTypeName(dv.getUint32(at, true)), offset: at, length });
    at += CHUNK_HEADER_BYTES + ((length + 7) & ~7);
  }
  return out;
}

/**
 * Recomputes the checksums of the chunk at `offset`: the payload's (when
 * the whole payload is present) and the header's.
 */
export function reseal(bytes: Uint8Array, offset: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = dv.getUint32(offset + 4, true);
  const start = offset + CHUNK_HEADER_BYTES;
  if (start + length <= bytes.length) dv.setUint32(offset + 8, crc32(bytes.subarray(start, start + length)), true);
  dv.setUint32(offset + 12, crc32(bytes.subarray(offset, offset + 12)), true);
}

/** Every chunk of the file re-sealed (after edits anywhere). */
export function resealAll(bytes: Uint8Array): void {
  for (const c of chunkSpans(bytes)) reseal(bytes, c.offset);
}
