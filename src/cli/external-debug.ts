/**
 * The debug information a module keeps outside itself, which the pass reads
 * for source lines when the module has no DWARF of its own: the split DWARF
 * file its `external_debug_info` section names (Emscripten's
 * -gseparate-dwarf) and the source map its `sourceMappingURL` names
 * (Emscripten's -gsource-map). Each is a path relative to the module's
 * file, an absolute path, a `file:` URL or (source maps) a `data:` URL.
 * Remote URLs are not fetched: a command line tool that reads a local
 * module should not reach out to the network behind the user's back.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteReader, findCustomSection, readSections, type Section } from '../abi/index.js';
import type { InstrumentOptions } from '../instrument/pass.js';

/** The pass options that carry them; nothing for a module without them, or whose files are not there (it then simply has no lines). */
export function externalDebugInfo(bytes: Uint8Array, file: string): Pick<InstrumentOptions, 'sourceMap' | 'debugFile'> {
  let sections: Section[];
  try {
    sections = readSections(bytes);
  } catch {
    return {}; // not wasm: the pass says what it makes of it
  }
  const url = (name: string): string | undefined => {
    const s = findCustomSection(sections, name);
    try {
      return s && new ByteReader(bytes, s.payload, s.end, `${name} section`).name();
    } catch {
      return undefined;
    }
  };
  const out: Pick<InstrumentOptions, 'sourceMap' | 'debugFile'> = {};
  const debug = url('external_debug_info');
  const debugPath = debug !== undefined ? localPath(debug, file) : undefined;
  const debugBytes = debugPath !== undefined ? readOrNothing(debugPath) : undefined;
  if (debugBytes !== undefined) out.debugFile = new Uint8Array(debugBytes);
  const map = url('sourceMappingURL');
  if (map !== undefined) {
    const data = /^data:[^,]*?(;base64)?,(.*)$/s.exec(map);
    if (data) out.sourceMap = data[1] ? Buffer.from(data[2]!, 'base64').toString('utf8') : decodeURIComponent(data[2]!);
    else {
      const mapPath = localPath(map, file);
      const text = mapPath !== undefined ? readOrNothing(mapPath) : undefined;
      if (text !== undefined) out.sourceMap = text.toString('utf8');
    }
  }
  return out;
}

/** A file's bytes, or undefined when it cannot be read (a directory, no permission): the module then has no lines from it. */
function readOrNothing(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The file a URL in a module names, when it is local and there. */
function localPath(url: string, moduleFile: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('file:')) return undefined;
  const p = url.startsWith('file:') ? fileURLToPath(url) : path.resolve(path.dirname(moduleFile), url);
  return existsSync(p) ? p : undefined;
}
