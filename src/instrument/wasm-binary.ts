/**
 * What the pass needs of the binary format beyond the shared section reader
 * (src/abi/wasm-sections.ts): the name section as written (binaryen cannot
 * say which names were explicit), active data segments with their memory
 * index, and rewriting custom sections of the output.
 */
import { ByteReader, SectionId, WasmFormatError, findCustomSection, readSections, type Section } from '../abi/wasm-sections.js';

// ---------------------------------------------------------------- name section

export interface NameSection {
  moduleName?: string;
  functionNames: Map<number, string>;
  /** every subsection as raw bytes, by id, in order: kept when rewriting */
  subsections: { id: number; bytes: Uint8Array }[];
}

/** Reads a "name" custom section; a malformed one yields what could be read (engines ignore bad name sections too). */
export function parseNameSection(bytes: Uint8Array, section: Section): NameSection {
  const out: NameSection = { functionNames: new Map(), subsections: [] };
  const r = new ByteReader(bytes, section.payload, section.end, 'name section');
  try {
    while (!r.done) {
      const id = r.u8();
      const size = r.u32();
      const start = r.pos;
      r.skip(size);
      out.subsections.push({ id, bytes: bytes.slice(start, start + size) });
      const sr = new ByteReader(bytes, start, start + size, 'name subsection');
      if (id === 0) out.moduleName = sr.name();
      else if (id === 1) {
        const n = sr.u32();
        for (let i = 0; i < n; i++) {
          const idx = sr.u32();
          out.functionNames.set(idx, sr.name());
        }
      }
    }
  } catch (e) {
    if (!(e instanceof WasmFormatError)) throw e;
  }
  return out;
}

export function encodeNameSection(subsections: { id: number; bytes: Uint8Array }[]): Uint8Array {
  const w = new ByteWriter();
  for (const s of [...subsections].sort((a, b) => a.id - b.id)) {
    w.u8(s.id);
    w.u32(s.bytes.length);
    w.bytes(s.bytes);
  }
  return w.finish();
}

export function encodeFunctionNames(names: [number, string][]): Uint8Array {
  const w = new ByteWriter();
  w.u32(names.length);
  for (const [idx, name] of names) {
    w.u32(idx);
    w.name(name);
  }
  return w.finish();
}

// ---------------------------------------------------------------- data section

export interface DataSegment {
  memory: number;
  /** absolute offset in memory, or null when it is not a constant (global.get of an import) */
  offset: number | null;
  length: number;
}

/** Active data segments (passive ones are not placed in memory at instantiation). */
export function parseActiveDataSegments(bytes: Uint8Array, section: Section): DataSegment[] {
  const r = new ByteReader(bytes, section.payload, section.end, 'data section');
  const count = r.u32();
  const out: DataSegment[] = [];
  for (let i = 0; i < count; i++) {
    const flags = r.u32();
    if (flags === 1) {
      r.skip(r.u32());
      continue;
    }
    const memory = flags === 2 ? r.u32() : 0;
    const offset = readConstExpr(r);
    const length = r.u32();
    r.skip(length);
    out.push({ memory, offset, length });
  }
  return out;
}

/** Evaluates i32.const / i64.const offsets; anything else (global.get, extended const) is not static. */
function readConstExpr(r: ByteReader): number | null {
  const op = r.u8();
  let value: number | null = null;
  if (op === 0x41 || op === 0x42) value = r.sleb();
  else {
    // Unknown expression: scan to its end opcode. Only simple forms appear in
    // data offsets in practice (global.get for PIC modules).
    if (op === 0x23) r.u32();
    value = null;
  }
  let next = r.u8();
  while (next !== 0x0b) {
    // extended-const: i32.add etc. with more operands; not static for us
    value = null;
    if (next === 0x41 || next === 0x42) r.sleb();
    else if (next === 0x23) r.u32();
    next = r.u8();
  }
  return value;
}

// ---------------------------------------------------------------- writing

export class ByteWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  u32(v: number): void {
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.u8(b);
    } while (v !== 0);
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  name(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export function encodeCustomSection(name: string, payload: Uint8Array): Uint8Array {
  const inner = new ByteWriter();
  inner.name(name);
  inner.bytes(payload);
  const body = inner.finish();
  const w = new ByteWriter();
  w.u8(SectionId.custom);
  w.u32(body.length);
  w.bytes(body);
  return w.finish();
}

/**
 * Returns `bytes` with custom section `name` replaced by `payload` (or
 * appended when absent). Pass null to remove it.
 */
export function setCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array | null): Uint8Array<ArrayBuffer> {
  const sections = readSections(bytes);
  const old = findCustomSection(sections, name);
  const encoded = payload ? encodeCustomSection(name, payload) : new Uint8Array(0);
  const before = old ? bytes.subarray(0, old.start) : bytes;
  const after = old ? bytes.subarray(old.end) : new Uint8Array(0);
  const out = new Uint8Array(before.length + encoded.length + after.length);
  out.set(before, 0);
  out.set(encoded, before.length);
  out.set(after, before.length + encoded.length);
  return out;
}
