/**
 * binaryen 132 drops declarative element segments as it reads a module and
 * then resolves a segment index in code (`table.init`, `elem.drop`,
 * `array.new_elem`, `array.init_elem`) by position among the segments it
 * kept: after a declarative segment, `table.init 5` reads segment 6. The
 * instrumented module then filled tables from the wrong segment (an active
 * one, dropped at instantiation: "element segment out of bounds"). So the
 * pass hands binaryen each declarative segment as a passive one (flags 3 ->
 * 1, 7 -> 5, every other byte the same), which binaryen keeps, so every
 * index stays; in its output the same segments become declarative again.
 */
import { ByteReader, findSection, readSections, SectionId, type Section } from '../abi/index.js';

/** `input` with its declarative element segments made passive, and which segments they are; null when it has none (or they cannot be read here). */
export function declarativeAsPassive(input: Uint8Array, sections: readonly Section[]): { input: Uint8Array; segments: number[] } | null {
  const found = segmentFlags(input, sections).filter((s) => s.flags === 3 || s.flags === 7);
  if (found.length === 0) return null;
  const out = new Uint8Array(input);
  for (const s of found) out[s.at] = out[s.at]! & ~2; // 3 -> 1, 7 -> 5 (a padded LEB's continuation bit kept)
  return { input: out, segments: found.map((s) => s.index) };
}

/** The pass's output with `segments` (passive there) declarative again; unchanged when they are not where expected. */
export function passiveAsDeclarative(output: Uint8Array<ArrayBuffer>, segments: readonly number[]): Uint8Array<ArrayBuffer> {
  let flags: SegmentFlag[];
  try {
    flags = segmentFlags(output, readSections(output));
  } catch {
    return output;
  }
  const patch = segments.map((i) => flags[i]);
  if (patch.some((s) => s === undefined || (s.flags !== 1 && s.flags !== 5))) return output;
  for (const s of patch) output[s!.at] = output[s!.at]! | 2; // 1 -> 3, 5 -> 7
  return output;
}

interface SegmentFlag {
  index: number;
  flags: number;
  /** offset of the flags' first byte */
  at: number;
}

/** Each element segment's flags; none when the module has no element section or it holds what this reader does not know. */
function segmentFlags(bytes: Uint8Array, sections: readonly Section[]): SegmentFlag[] {
  const section = findSection(sections, SectionId.element);
  if (!section) return [];
  try {
    return readSegmentFlags(new ByteReader(bytes, section.payload, section.end, 'element section'));
  } catch {
    return []; // a constant expression this reader does not know: leave the module as it is
  }
}

function readSegmentFlags(r: ByteReader): SegmentFlag[] {
  const out: SegmentFlag[] = [];
  const count = r.u32();
  for (let index = 0; index < count; index++) {
    const at = r.pos;
    const flags = r.u32();
    if (flags > 7) throw new Error(`element segment flags ${flags}`);
    out.push({ index, flags, at });
    if (flags === 2 || flags === 6) r.u32(); // table index
    if ((flags & 1) === 0) skipConstExpr(r); // active: the offset
    const exprs = (flags & 4) !== 0;
    if (flags !== 0 && flags !== 4) {
      if (exprs) skipRefType(r);
      else r.u8(); // elemkind
    }
    for (let k = r.u32(); k > 0; k--) {
      if (exprs) skipConstExpr(r);
      else r.u32();
    }
  }
  return out;
}

function skipRefType(r: ByteReader): void {
  const t = r.u8();
  if (t === 0x63 || t === 0x64) r.sleb(); // (ref null? heaptype)
}

/** Skips a constant expression up to its `end`; throws on an instruction a constant expression of today's proposals cannot hold. */
function skipConstExpr(r: ByteReader): void {
  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x0b:
        return;
      case 0x41: // i32.const
      case 0x42: // i64.const
      case 0xd0: // ref.null heaptype
        r.sleb();
        break;
      case 0x43: // f32.const
        r.skip(4);
        break;
      case 0x44: // f64.const
        r.skip(8);
        break;
      case 0x23: // global.get
      case 0xd2: // ref.func
        r.u32();
        break;
      case 0x6a: // i32.add, sub, mul; i64.add, sub, mul (extended-const)
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;
      case 0xfb: {
        const sub = r.u32();
        if (sub === 0 || sub === 1 || sub === 6 || sub === 7) r.u32(); // struct.new(_default), array.new(_default) type
        else if (sub === 8) {
          r.u32(); // array.new_fixed: type, count
          r.u32();
        } else if (sub < 0x1a || sub > 0x1c) throw new Error(`0xfb ${sub} in a constant expression`); // any/extern conversions, ref.i31
        break;
      }
      case 0xfd:
        if (r.u32() !== 12) throw new Error('a SIMD instruction other than v128.const in a constant expression');
        r.skip(16);
        break;
      default:
        throw new Error(`opcode 0x${op.toString(16)} in a constant expression`);
    }
  }
}
