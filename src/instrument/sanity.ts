/**
 * Cheap checks before binaryen sees a module: every vector a section
 * declares must fit in the bytes that remain, and every function's locals
 * must stay within what engines accept. binaryen trusts declared counts and
 * reserves for them first: a type section claiming 2^28 entries ran 56 s to
 * std::bad_alloc at 2.5 GB, a data section claiming 2^32 entries did not end
 * in 300 s. Here such a count is one line in microseconds.
 */
import { ByteReader, SectionId, WasmFormatError, type Section } from '../abi/index.js';
import { InstrumentError } from './errors.js';

const SECTION_NAMES: Record<number, string> = {
  [SectionId.type]: 'type',
  [SectionId.import]: 'import',
  [SectionId.function]: 'function',
  [SectionId.table]: 'table',
  [SectionId.memory]: 'memory',
  [SectionId.global]: 'global',
  [SectionId.export]: 'export',
  [SectionId.element]: 'element',
  [SectionId.code]: 'code',
  [SectionId.data]: 'data',
  [SectionId.tag]: 'tag',
};

/** The most locals a function may declare (V8's and SpiderMonkey's limit, the JS embedding's). */
export const MAX_FUNCTION_LOCALS = 50_000;

/** Throws an InstrumentError naming the section and the byte where a declared count cannot be right. */
export function checkDeclaredCounts(input: Uint8Array, sections: readonly Section[]): void {
  try {
    for (const s of sections) {
      const name = SECTION_NAMES[s.id];
      if (name === undefined) continue;
      const r = new ByteReader(input, s.payload, s.end, `${name} section`);
      const at = r.pos;
      const count = r.u32();
      // every entry takes at least one byte
      if (count > s.end - r.pos) malformed(`the ${name} section at byte ${s.start} declares ${count} entries, but only ${s.end - r.pos} bytes follow (byte ${at})`);
      if (s.id === SectionId.code) checkBodies(r, count);
    }
  } catch (e) {
    if (e instanceof WasmFormatError) throw new InstrumentError(`invalid module: ${e.message}`, { kind: e.kind === 'malformed' ? 'invalid' : e.kind });
    throw e;
  }
}

function checkBodies(r: ByteReader, count: number): void {
  for (let k = 0; k < count; k++) {
    const at = r.pos;
    const size = r.u32();
    const end = r.pos + size;
    if (end > r.limit) malformed(`code entry ${k} at byte ${at} is ${size} bytes long, but only ${r.limit - r.pos} bytes follow`);
    const body = new ByteReader(r.bytes, r.pos, end, `code entry ${k}`);
    const groups = body.u32();
    if (groups > end - body.pos) malformed(`code entry ${k} at byte ${at} declares ${groups} local groups, but only ${end - body.pos} bytes follow`);
    let locals = 0;
    for (let g = 0; g < groups; g++) {
      locals += body.u32();
      if (locals > MAX_FUNCTION_LOCALS) malformed(`code entry ${k} at byte ${at} declares more than ${MAX_FUNCTION_LOCALS} locals`);
      const type = body.u8();
      if (type === 0x63 || type === 0x64) body.sleb(); // (ref null? heaptype)
    }
    r.pos = end;
  }
}

function malformed(message: string): never {
  throw new WasmFormatError('malformed', message);
}
