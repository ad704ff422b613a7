/**
 * The source map a module names in its `sourceMappingURL` section (what
 * Emscripten's `-gsource-map` writes): a path relative to the module's file,
 * an absolute path, a `file:` URL or a `data:` URL. The pass reads it when
 * the module has no DWARF (abi/source-lines.ts). Remote URLs are not
 * fetched: a command line tool that reads a local module should not reach
 * out to the network behind the user's back.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteReader, findCustomSection, readSections } from '../abi/index.js';

/** The source map's text, or undefined (no section, a remote URL, a file that is not there: the module then simply has no lines). */
export function sourceMapFor(bytes: Uint8Array, file: string): string | undefined {
  let url: string;
  try {
    const section = findCustomSection(readSections(bytes), 'sourceMappingURL');
    if (!section) return undefined;
    url = new ByteReader(bytes, section.payload, section.end, 'sourceMappingURL section').name();
  } catch {
    return undefined; // not wasm, or a damaged section: the pass says what it makes of the module
  }
  const data = /^data:[^,]*?(;base64)?,(.*)$/s.exec(url);
  if (data) return data[1] ? Buffer.from(data[2]!, 'base64').toString('utf8') : decodeURIComponent(data[2]!);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file:')) return undefined;
  const mapFile = url.startsWith('file:') ? fileURLToPath(url) : path.resolve(path.dirname(file), url);
  return existsSync(mapFile) ? readFileSync(mapFile, 'utf8') : undefined;
}
