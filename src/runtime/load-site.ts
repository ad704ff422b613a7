/**
 * Where the program handed the WebAssembly API some bytes, as a module's
 * name when nothing better names it (no name section, no URL): Node
 * programs read a .wasm and compile the bytes, and every such module would
 * otherwise be `wasm<N>`. The first stack frame outside wasm-ftrace and the
 * engine's internals names it: the npm package it lies in (`sql.js`,
 * `@scope/pkg`, which the name keeps as `pkg`: a module name is the last
 * part of where it came from), else its script and line (`app.js:12`). Browser-safe: it
 * reads V8's (`at f (url:1:2)`) and Firefox's (`f@url:1:2`) stack lines.
 */

/** This file's directory's parent: wasm-ftrace's own code (dist/ or src/), whose frames are not the program's. */
const OWN_ROOT = ownRoot();

function ownRoot(): string | null {
  try {
    const url = import.meta.url;
    return url.slice(0, url.lastIndexOf('/', url.lastIndexOf('/') - 1) + 1);
  } catch {
    return null;
  }
}

/** A name for the module the current call loads, from the caller's stack frame, or undefined. */
export function loadSite(): string | undefined {
  let stack: string | undefined;
  try {
    stack = new Error().stack;
  } catch {
    return undefined;
  }
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /(?:\(|@|at )([^()\s]+?):(\d+):\d+\)?\s*$/.exec(line);
    if (!m) continue;
    const name = siteName(m[1]!, m[2]!);
    if (name !== null) return name;
  }
  return undefined;
}

/** The name for a frame at `file`:`line`, or null for frames that are not the program's. */
export function siteName(file: string, line: string): string | null {
  if (file.startsWith('node:') || file.startsWith('internal/') || file === '<anonymous>' || !file.includes('/')) return null;
  const url = file.includes('://') ? file : `file://${file}`;
  if (OWN_ROOT !== null && url.startsWith(OWN_ROOT)) return null;
  const path = file.split(/[?#]/)[0]!;
  const parts = path.split('/');
  const nm = parts.lastIndexOf('node_modules');
  if (nm >= 0 && parts[nm + 1]) {
    const scoped = parts[nm + 1]!.startsWith('@') && parts[nm + 2];
    return scoped ? `${parts[nm + 1]}/${parts[nm + 2]}` : parts[nm + 1]!;
  }
  return `${parts[parts.length - 1]}:${line}`;
}
