/**
 * What the bundler plugins (wasm-ftrace/vite, wasm-ftrace/webpack) share:
 * their options, the instrumenting of a `.wasm` asset at build or dev-server
 * time, and the small module they put first in the page, which starts the
 * runtime (wasm-ftrace/runtime, no binaryen.js) with the tracing options.
 * Node only (the plugins run in the bundler's process).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCustomSection, METADATA_SECTION, readSections } from '../abi/index.js';
import { instrument } from '../instrument/pass.js';
import { instrumentSelecting } from '../runtime/module-cache.js';
import { sha256Hex } from '../runtime/sha256.js';
import type { AttachOptions } from '../runtime/page.js';
import { TRACERS } from '../tracers/registry.js';

/** The tracing options the page starts with (attach() in wasm-ftrace/runtime), plus what the plugins do at build time. */
export interface WasmFtracePluginOptions extends Omit<AttachOptions, 'onError' | 'warn' | 'instrument'> {
  /** what the pass instruments: `only` / `notrace` globs; exit hooks (default: what the tracer needs) */
  instrument?: { only?: string[]; notrace?: string[]; exitHooks?: boolean };
  /** which `.wasm` files to instrument, by absolute path or asset name (default: all) */
  include?: RegExp | ((file: string) => boolean);
  /**
   * Production builds too (`vite build`, webpack mode 'production'): instrument
   * the emitted `.wasm` assets and put the runtime in the page. Default false:
   * only the dev server (Vite) or a non-production mode (webpack) traces.
   */
  build?: boolean;
}

export interface Instrumented {
  /** the bytes to emit: instrumented, or the original ones (already instrumented, or failed) */
  bytes: Uint8Array;
  /** why the original bytes were kept, for the bundler's warning */
  warning?: string;
}

/** Instruments `.wasm` bytes as the options say, once per content. */
export function createInstrumenter(options: WasmFtracePluginOptions): (bytes: Uint8Array, file: string) => Instrumented {
  const tracer = options.tracer ?? 'function';
  const known = TRACERS.get(tracer);
  if (!known) throw new Error(`wasm-ftrace: no tracer named '${tracer}' (known: ${[...TRACERS.keys()].join(', ')})`);
  const passOptions = {
    ...(options.instrument?.only ? { only: options.instrument.only } : {}),
    ...(options.instrument?.notrace ? { notrace: options.instrument.notrace } : {}),
    exitHooks: options.instrument?.exitHooks ?? known.needsExitHooks,
  };
  const cache = new Map<string, Instrumented>();
  return (bytes, file) => {
    const key = sha256Hex(bytes);
    let done = cache.get(key);
    if (done) return done;
    try {
      if (findCustomSection(readSections(bytes), METADATA_SECTION)) done = { bytes };
      else {
        const result = instrumentSelecting(instrument, bytes, passOptions);
        done = result ? { bytes: result.binary } : { bytes, warning: `wasm-ftrace: ${file}: the only globs select no function in it; left as it is` };
      }
    } catch (e) {
      done = { bytes, warning: `wasm-ftrace: ${file} left uninstrumented: ${e instanceof Error ? e.message : String(e)}` };
    }
    cache.set(key, done);
    return done;
  };
}

export function includes(options: WasmFtracePluginOptions, file: string): boolean {
  if (!/\.wasm$/i.test(file)) return false;
  const inc = options.include;
  if (!inc) return true;
  return typeof inc === 'function' ? inc(file) : inc.test(file);
}

/** The runtime's browser bundle, dist/browser/runtime.js, of this package. */
export function runtimeFile(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wasm-ftrace') break;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('wasm-ftrace: cannot find the wasm-ftrace package around the bundler plugin');
    dir = up;
  }
  const file = path.join(dir, 'dist/browser/runtime.js');
  if (!existsSync(file)) throw new Error(`wasm-ftrace: ${file} is missing: build it with \`npm run build\` in wasm-ftrace`);
  return file;
}

/** The module that starts tracing: first in the page, before the page's own code. */
export function attachModule(options: WasmFtracePluginOptions, runtime: string): string {
  const { instrument: _i, include: _inc, build: _b, ...attach } = options;
  return `import { attach } from ${JSON.stringify(runtime.split(path.sep).join('/'))};\nattach(${JSON.stringify(attach)});\n`;
}
