/**
 * A reader of DWARF line tables (`.debug_line`, versions 2 to 5), enough to
 * say which source file and line a code address belongs to. In a wasm
 * module an address is a byte offset into the code section's payload (the
 * byte after the section's size), as clang and wasm-ld write them.
 *
 * Version 5 (clang -gdwarf-5) names directories and files through forms,
 * most often offsets into `.debug_line_str` or `.debug_str`; versions 2 to 4
 * (clang 14's default for wasm32) list them inline. The state machine is
 * DWARF 5 section 6.2; VLIW op_index is not modelled (wasm has none).
 *
 * File names are shown relative to the compilation directory where DWARF
 * gives them so (version 4's directory 0, version 5's directory 0 and paths
 * under it), with `.` and `..` segments folded: the same build read as
 * version 4 or 5 gives the same names.
 */
import { ByteReader, WasmFormatError } from './wasm-sections.js';

/** One row of a line table: from `address` on, the code is `file`:`line` (line 0: no source line). */
export interface LineRow {
  address: number;
  file: string;
  line: number;
}

/** The sections a line table may refer to, as byte ranges of the module. */
export interface DwarfSections {
  bytes: Uint8Array;
  line: { start: number; end: number };
  str?: { start: number; end: number };
  lineStr?: { start: number; end: number };
}

/** Calls `row` for every row of every line table in `.debug_line` that is not an end_sequence. Throws WasmFormatError on a malformed table. */
export function readLineRows(s: DwarfSections, row: (r: LineRow) => void): void {
  const r = new ByteReader(s.bytes, s.line.start, s.line.end, '.debug_line section');
  while (!r.done) readUnit(r, s, row);
}

const DW_LNS = { copy: 1, advancePc: 2, advanceLine: 3, setFile: 4, constAddPc: 8, fixedAdvancePc: 9 };
const DW_LNE = { endSequence: 1, setAddress: 2, defineFile: 3, setDiscriminator: 4 };
const DW_LNCT = { path: 1, directoryIndex: 2 };
const DW_FORM = { block: 0x09, block1: 0x0a, block2: 0x03, block4: 0x04, data1: 0x0b, data2: 0x05, data4: 0x06, data8: 0x07, data16: 0x1e, string: 0x08, strp: 0x0e, lineStrp: 0x1f, udata: 0x0f, sdata: 0x0d, strx: 0x1a, strx1: 0x25, strx2: 0x26, strx3: 0x27, strx4: 0x28 };

function malformed(r: ByteReader, what: string): never {
  throw new WasmFormatError('malformed', `malformed .debug_line at byte ${r.pos}: ${what}`);
}

function u16(r: ByteReader): number {
  return r.u8() | (r.u8() << 8);
}

function u32le(r: ByteReader): number {
  return (r.u8() | (r.u8() << 8) | (r.u8() << 16) | (r.u8() << 24)) >>> 0;
}

/** An unsigned little-endian integer of `size` bytes (addresses, 64-bit offsets), exact up to 2^53. */
function uint(r: ByteReader, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v += r.u8() * 2 ** (8 * i);
  return v;
}

function cstr(r: ByteReader): string {
  const start = r.pos;
  while (r.u8() !== 0);
  return new TextDecoder().decode(r.bytes.subarray(start, r.pos - 1));
}

/** The NUL-terminated string at `offset` of a string section. */
function sectionString(s: DwarfSections, range: { start: number; end: number } | undefined, offset: number, name: string, at: ByteReader): string {
  if (!range) malformed(at, `a name refers to ${name}, which the module does not have`);
  const r = new ByteReader(s.bytes, range.start + offset, range.end, `${name} section`);
  return cstr(r);
}

/** Reads one attribute value of a v5 directory or file entry: a string for path forms, a number otherwise, undefined for forms that carry neither (MD5s, blocks). */
function readForm(r: ByteReader, form: number, offsetSize: number, s: DwarfSections): string | number | undefined {
  switch (form) {
    case DW_FORM.string:
      return cstr(r);
    case DW_FORM.lineStrp:
      return sectionString(s, s.lineStr, uint(r, offsetSize), '.debug_line_str', r);
    case DW_FORM.strp:
      return sectionString(s, s.str, uint(r, offsetSize), '.debug_str', r);
    case DW_FORM.udata:
      return r.u32();
    case DW_FORM.sdata:
      return r.sleb();
    case DW_FORM.data1:
      return r.u8();
    case DW_FORM.data2:
      return u16(r);
    case DW_FORM.data4:
      return u32le(r);
    case DW_FORM.data8:
      return uint(r, 8);
    case DW_FORM.data16:
      r.skip(16);
      return undefined;
    case DW_FORM.block:
      r.skip(r.u32());
      return undefined;
    case DW_FORM.block1:
      r.skip(r.u8());
      return undefined;
    case DW_FORM.block2:
      r.skip(u16(r));
      return undefined;
    case DW_FORM.block4:
      r.skip(u32le(r));
      return undefined;
    case DW_FORM.strx:
    case DW_FORM.strx1:
    case DW_FORM.strx2:
    case DW_FORM.strx3:
    case DW_FORM.strx4:
      // needs .debug_str_offsets and the unit's base from .debug_info: no producer we know uses it here
      return malformed(r, 'file names through DW_FORM_strx are not supported');
    default:
      return malformed(r, `unknown form 0x${form.toString(16)} in the file table`);
  }
}

/** Version 5's directory or file table: entries of (content type, form) pairs. */
function readEntryTable(r: ByteReader, offsetSize: number, s: DwarfSections): { path: string; dir: number }[] {
  const formats: [number, number][] = [];
  for (let n = r.u8(); n > 0; n--) formats.push([r.u32(), r.u32()]);
  const out: { path: string; dir: number }[] = [];
  for (let n = r.u32(); n > 0; n--) {
    let path = '';
    let dir = 0;
    for (const [type, form] of formats) {
      const v = readForm(r, form, offsetSize, s);
      if (type === DW_LNCT.path && typeof v === 'string') path = v;
      else if (type === DW_LNCT.directoryIndex && typeof v === 'number') dir = v;
    }
    out.push({ path, dir });
  }
  return out;
}

/** Joins a directory and a file name and folds `.`, `..` and repeated slashes. */
export function joinPath(dir: string, name: string): string {
  const full = name.startsWith('/') || dir === '' ? name : `${dir}/${name}`;
  const absolute = full.startsWith('/');
  const parts: string[] = [];
  for (const p of full.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (p !== '..' || !absolute) parts.push(p);
  }
  return (absolute ? '/' : '') + parts.join('/');
}

/** `path` relative to the compilation directory `comp` when it lies under it. */
function underComp(comp: string, path: string): string {
  if (comp === '' || comp === '.') return path;
  const prefix = comp.endsWith('/') ? comp : `${comp}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

function readUnit(r: ByteReader, s: DwarfSections, emit: (r: LineRow) => void): void {
  let unitLength = u32le(r);
  let offsetSize = 4;
  if (unitLength === 0xffffffff) {
    unitLength = uint(r, 8);
    offsetSize = 8;
  } else if (unitLength >= 0xfffffff0) {
    malformed(r, `reserved unit length 0x${unitLength.toString(16)}`);
  }
  const unitEnd = r.pos + unitLength;
  if (unitEnd > r.limit) malformed(r, `a line table of ${unitLength} bytes runs past the section's end`);
  const version = u16(r);
  if (version < 2 || version > 5) {
    // a table we cannot read: skip it, the others may still be fine
    r.pos = unitEnd;
    return;
  }
  let addressSize = 4;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment_selector_size
  }
  const headerLength = uint(r, offsetSize);
  const programStart = r.pos + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction
  r.u8(); // default_is_stmt: every row counts here
  const lineBase = (r.u8() << 24) >> 24;
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) malformed(r, 'line_range is 0');
  const opcodeLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) opcodeLengths.push(r.u8());

  // file index -> display path
  const files: string[] = [];
  if (version >= 5) {
    const dirs = readEntryTable(r, offsetSize, s).map((d) => d.path);
    const comp = dirs[0] ?? '';
    for (const f of readEntryTable(r, offsetSize, s)) {
      const dir = f.dir === 0 ? '' : underComp(comp, dirs[f.dir] ?? '');
      files.push(joinPath(dir, underComp(comp, f.path)));
    }
  } else {
    const dirs = [''];
    for (let d = cstr(r); d !== ''; d = cstr(r)) dirs.push(d);
    files.push(''); // file 0 is not used before version 5
    for (let name = cstr(r); name !== ''; name = cstr(r)) {
      const dir = r.u32();
      r.u32(); // mtime
      r.u32(); // length
      files.push(joinPath(dirs[dir] ?? '', name));
    }
  }
  r.pos = programStart;
  const fileName = (i: number): string => files[i] ?? `file#${i}`;

  let address = 0;
  let file = 1;
  let line = 1;
  const reset = (): void => {
    address = 0;
    file = 1;
    line = 1;
  };
  const adjustedStep = (op: number): number => Math.floor((op - opcodeBase) / lineRange) * minInstLength;
  while (r.pos < unitEnd) {
    const op = r.u8();
    if (op >= opcodeBase) {
      const adjusted = op - opcodeBase;
      address += Math.floor(adjusted / lineRange) * minInstLength;
      line += lineBase + (adjusted % lineRange);
      emit({ address, file: fileName(file), line });
    } else if (op === 0) {
      const len = r.u32();
      const end = r.pos + len;
      if (len === 0) continue;
      const sub = r.u8();
      if (sub === DW_LNE.endSequence) reset();
      else if (sub === DW_LNE.setAddress) address = uint(r, len - 1 || addressSize);
      else if (sub === DW_LNE.defineFile) files.push(cstr(r));
      r.pos = end;
    } else if (op === DW_LNS.copy) {
      emit({ address, file: fileName(file), line });
    } else if (op === DW_LNS.advancePc) {
      address += r.u32() * minInstLength;
    } else if (op === DW_LNS.advanceLine) {
      line += r.sleb();
    } else if (op === DW_LNS.setFile) {
      file = r.u32();
    } else if (op === DW_LNS.constAddPc) {
      address += adjustedStep(255);
    } else if (op === DW_LNS.fixedAdvancePc) {
      address += u16(r);
    } else {
      // set_column, set_isa and any opcode this reader does not know: skip its LEB128 operands
      for (let k = opcodeLengths[op - 1] ?? 0; k > 0; k--) r.u32();
    }
  }
  r.pos = unitEnd;
}
