/**
 * A module's code layout: how many function bodies its code section holds
 * and how big each is, as one short string. Stripping a module (wasm-strip,
 * llvm-strip, wasm-opt --strip-*) removes custom sections and leaves the
 * code section byte for byte, so a stripped build and the unstripped build
 * it came from have the same layout, and a different build almost never
 * does: what `--symbols` checks before it takes names from another file.
 */
import { ByteReader, findSection, readSections, SectionId } from './wasm-sections.js';

/** `<bodies>:<total body bytes>:<FNV-1a of the body sizes, hex>`; throws WasmFormatError on a malformed module. */
export function codeLayout(bytes: Uint8Array): string {
  const code = findSection(readSections(bytes), SectionId.code);
  if (!code) return '0:0:0';
  const r = new ByteReader(bytes, code.payload, code.end, 'code section');
  const n = r.u32();
  let hash = 0x811c9dc5;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    r.skip(size);
    total += size;
    for (let v = size, k = 0; k < 4; k++, v >>>= 8) hash = Math.imul(hash ^ (v & 0xff), 0x01000193) >>> 0;
  }
  return `${n}:${total}:${hash.toString(16).padStart(8, '0')}`;
}
