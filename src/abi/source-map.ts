/**
 * The rows of a WebAssembly source map (version 3, as Emscripten's
 * `-gsource-map` writes it): the module is one "line" of generated code
 * whose columns are byte offsets in the .wasm file, each mapped to a source
 * file and a line (0-based in the map, 1-based here).
 */
import { joinPath, type LineRow } from './dwarf-lines.js';
import { WasmFormatError } from './wasm-sections.js';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** base64 digit -> value; built on first use, so a bundle that imports this module without reading maps (the page runtime) drops it */
let digits: Map<string, number> | undefined;

function bad(what: string): never {
  throw new WasmFormatError('malformed', `malformed source map: ${what}`);
}

/** The rows of a source map's text; throws WasmFormatError when it is not a version 3 map. */
export function mappingRows(text: string): LineRow[] {
  let map: { version?: unknown; sources?: unknown; sourceRoot?: unknown; mappings?: unknown };
  try {
    map = JSON.parse(text) as typeof map;
  } catch {
    return bad('not JSON');
  }
  if (map.version !== 3) bad(`version ${String(map.version)} (only version 3 is read)`);
  if (!Array.isArray(map.sources) || typeof map.mappings !== 'string') bad('no sources or mappings');
  const root = typeof map.sourceRoot === 'string' && map.sourceRoot !== '' ? map.sourceRoot.replace(/\/?$/, '/') : '';
  const sources = (map.sources as unknown[]).map((s) => joinPath('', root + String(s)));

  const rows: LineRow[] = [];
  // fields carry over from segment to segment, and the source fields over ';' too
  let column = 0;
  let source = 0;
  let line = 0;
  for (const group of (map.mappings as string).split(';')) {
    column = 0;
    for (const segment of group.split(',')) {
      if (segment === '') continue;
      const f = decodeVlq(segment);
      column += f[0]!;
      if (f.length < 4) continue;
      source += f[1]!;
      line += f[2]!;
      const file = sources[source];
      if (file === undefined) bad(`source index ${source} out of range`);
      rows.push({ address: column, file, line: line + 1 });
    }
  }
  return rows;
}

/** The signed numbers of one base64 VLQ segment. */
function decodeVlq(segment: string): number[] {
  const digit = (digits ??= new Map([...BASE64].map((c, i) => [c, i])));
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of segment) {
    const d = digit.get(c);
    if (d === undefined) bad(`'${c}' in mappings`);
    value += (d & 31) * 2 ** shift;
    if (d & 32) {
      shift += 5;
      continue;
    }
    out.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
    value = 0;
    shift = 0;
  }
  return out;
}
