/**
 * The wasm section reader the pass and the host share: framing checked
 * before binaryen sees the bytes (so "truncated" and "not wasm" get a clear
 * message instead of an abort), custom sections found by name, and the
 * import and export sections read as the engine lists them.
 */

/**
 * - not-wasm: no `\0asm` magic
 * - truncated: the bytes end inside the header, a section or a field
 * - unsupported: a binary version other than 1 (components, say)
 * - malformed: a field that cannot be what it claims (an overlong LEB128, an unknown kind)
 */
export type WasmFormatErrorKind = 'not-wasm' | 'truncated' | 'unsupported' | 'malformed';

export class WasmFormatError extends Error {
  override name = 'WasmFormatError';
  constructor(
    readonly kind: WasmFormatErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Section ids of the binary format (core spec 5.5.2, plus the exception-handling `tag`). */
export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  datacount: 12,
  tag: 13,
} as const;
export type SectionId = (typeof SectionId)[keyof typeof SectionId];

export interface Section {
  id: number;
  /** offset of the section id byte */
  start: number;
  /** offset one past the section's last byte */
  end: number;
  /** offset of the payload (after id and size; for custom sections, after the name) */
  payload: number;
  /** custom sections only */
  name?: string;
}

export class ByteReader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly limit = bytes.length,
    readonly what = 'module',
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.limit;
  }

  private truncated(): never {
    throw new WasmFormatError('truncated', `truncated ${this.what}: unexpected end at byte ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.limit) this.truncated();
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) throw new WasmFormatError('malformed', `malformed LEB128 at byte ${this.pos}`);
    }
    return result;
  }

  /** Signed LEB128, any width, returned as a number (exact up to 2^53). */
  sleb(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 70) throw new WasmFormatError('malformed', `malformed LEB128 at byte ${this.pos}`);
    } while (b & 0x80);
    if (b & 0x40) result -= 2 ** shift;
    return result;
  }

  /** Skips a table's or memory's limits: flags, min, max when flagged, a custom page size when flagged. */
  limits(): void {
    const flags = this.u8();
    this.sleb();
    if (flags & 1) this.sleb();
    if (flags & 8) this.sleb();
  }

  skip(n: number): void {
    if (this.pos + n > this.limit) this.truncated();
    this.pos += n;
  }

  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(start, start + len));
  }
}

/**
 * Splits a module into sections, checking the header and that every section
 * fits in the file. Throws WasmFormatError with a message fit for a user.
 */
export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || !isMagic(bytes)) {
    if (bytes.length >= 4 && isMagic(bytes)) throw new WasmFormatError('truncated', 'truncated module: the file ends inside the 8-byte header');
    throw new WasmFormatError('not-wasm', 'not a WebAssembly module: the file does not start with \\0asm');
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version !== 1) {
    throw new WasmFormatError('unsupported', `unsupported WebAssembly binary version ${version >>> 0} (only version 1 modules are supported; components are not)`);
  }
  const r = new ByteReader(bytes, 8);
  const sections: Section[] = [];
  while (!r.done) {
    const start = r.pos;
    const id = r.u8();
    const size = r.u32();
    const payload = r.pos;
    const end = payload + size;
    if (end > bytes.length) {
      throw new WasmFormatError(
        'truncated',
        `truncated module: section ${sectionName(id)} at byte ${start} needs ${size} bytes, the file has ${bytes.length - payload}`,
      );
    }
    const s: Section = { id, start, end, payload };
    if (id === SectionId.custom) {
      const sr = new ByteReader(bytes, payload, end, 'custom section name');
      s.name = sr.name();
      s.payload = sr.pos;
    }
    sections.push(s);
    r.pos = end;
  }
  return sections;
}

function isMagic(b: Uint8Array): boolean {
  return b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;
}

/** For error messages only (a lookup, no table built at load). */
function sectionName(id: number): string {
  return Object.keys(SectionId).find((name) => SectionId[name as keyof typeof SectionId] === id) ?? `#${id}`;
}

export function findSection(sections: readonly Section[], id: SectionId): Section | undefined {
  return sections.find((s) => s.id === id);
}

export function findCustomSection(sections: readonly Section[], name: string): Section | undefined {
  return sections.find((s) => s.id === SectionId.custom && s.name === name);
}

// ---------------------------------------------------------------- imports and exports

/** The kinds of the import and export sections, by their byte (`WebAssembly.ImportExportKind`, plus `tag`). */
export const EXTERNAL_KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;
export type ExternalKind = (typeof EXTERNAL_KINDS)[number];

export interface ImportEntry {
  module: string;
  name: string;
  kind: ExternalKind;
  /** an imported table's or global's value type: its first byte (0x63/0x64: a typed reference) */
  valueType?: number;
}

export interface ExportEntry {
  name: string;
  kind: ExternalKind;
  index: number;
}

/** The import section's entries, in order. Throws WasmFormatError on a malformed section or an unknown kind. */
export function readImportSection(bytes: Uint8Array, section: Section): ImportEntry[] {
  const r = new ByteReader(bytes, section.payload, section.end, 'import section');
  const valueType = (): number => {
    const t = r.u8();
    if (t === 0x63 || t === 0x64) r.sleb(); // (ref null? ht)
    return t;
  };
  const out: ImportEntry[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const module = r.name();
    const name = r.name();
    const kind = r.u8();
    let type: number | undefined;
    if (kind === 0) r.u32();
    else if (kind === 1) {
      type = valueType();
      r.limits();
    } else if (kind === 2) r.limits();
    else if (kind === 3) {
      type = valueType();
      r.u8(); // mutability
    }
    else if (kind === 4) (r.u8(), r.u32());
    else throw new WasmFormatError('malformed', `unknown import kind ${kind} at byte ${r.pos - 1}`);
    out.push({ module, name, kind: EXTERNAL_KINDS[kind]!, ...(type !== undefined ? { valueType: type } : {}) });
  }
  return out;
}

/** The export section's entries, in order. Throws WasmFormatError on a malformed section or an unknown kind. */
export function readExportSection(bytes: Uint8Array, section: Section): ExportEntry[] {
  const r = new ByteReader(bytes, section.payload, section.end, 'export section');
  const out: ExportEntry[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const name = r.name();
    const kind = r.u8();
    const index = r.u32();
    const k = EXTERNAL_KINDS[kind];
    if (k === undefined) throw new WasmFormatError('malformed', `unknown export kind ${kind} at byte ${r.pos - 1}`);
    out.push({ name, kind: k, index });
  }
  return out;
}

