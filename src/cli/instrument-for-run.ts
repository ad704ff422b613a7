/**
 * What record and run do before running a module: instrument it, or take the
 * instrumented bytes from the instrument cache (then binaryen is not even
 * loaded), instrumenting only what -F can select unless told otherwise.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { codeLayout } from '../abi/index.js';
import { engineHasMultiMemory } from '../abi/trace-memory.js';
import { CliError } from './errors.js';
import type { InstrumentOptions } from '../instrument/pass.js';
import { diskInstrumentCache } from '../runtime/instrument-cache.js';
import type { CliIO } from './io.js';
import { instrumentOnly, type SharedFlags } from './options.js';
import { megabytes, SLOW_MODULE_BYTES, withStatus } from './status.js';
import { externalDebugInfo } from './external-debug.js';

export interface PreparedModule {
  binary: Uint8Array;
  /** SHA-256 (hex) of the input bytes */
  hash: string;
  /** the input's code layout (abi codeLayout), undefined when it cannot be read */
  codeLayout?: string;
  /** the pass's options, as used */
  options: InstrumentOptions;
  /** 'hit': from the cache; 'miss': instrumented and cached; 'off': --no-cache */
  cache: 'hit' | 'miss' | 'off';
}

/**
 * Whether to give the module a trace memory (the in-wasm recorder): --recorder
 * wasm asks for it (an error where the engine cannot run it), js refuses it,
 * auto takes it where the engine has multi-memory.
 */
export function wantsTraceMemory(flags: SharedFlags): boolean {
  const recorder = flags.recorder ?? 'auto';
  if (recorder === 'js') return false;
  if (engineHasMultiMemory()) return true;
  if (recorder === 'wasm') throw new CliError(`--recorder wasm needs an engine with multi-memory (Node >= 22); this is Node ${process.versions.node}: use --recorder js`);
  return false;
}

export async function instrumentForRun(bytes: Uint8Array, file: string, flags: SharedFlags, exitHooks: boolean, io: CliIO): Promise<PreparedModule> {
  const hash = createHash('sha256').update(bytes).digest('hex');
  const layout = layoutOf(bytes);
  const only = instrumentOnly(flags);
  const cache = flags.cache === false ? undefined : diskInstrumentCache();
  const map = externalDebugInfo(bytes, file);
  const tm = wantsTraceMemory(flags) ? { traceMemory: true } : {};
  let options: InstrumentOptions = { exitHooks, ...tm, ...(only ? { only } : {}), ...map };
  const hit = cache?.get(hash, options);
  if (hit) {
    for (const w of hit.warnings) io.stderr(`wasm-ftrace: warning: ${w}\n`);
    return { binary: hit.binary, hash, ...layout, options, cache: 'hit' };
  }
  // binaryen (10 MB of wasm) loads here, only when the pass runs
  const [{ instrument }, { instrumentSelecting }] = await Promise.all([import('../instrument/pass.js'), import('../runtime/module-cache.js')]);
  const result = withStatus(io, bytes.length >= SLOW_MODULE_BYTES, `instrumenting ${path.basename(file)} (${megabytes(bytes.length)})`, () => {
    // -F globs that select nothing here: instrument everything and let the filter say so
    const selected = only ? instrumentSelecting(instrument, bytes, options) : null;
    if (selected) return selected;
    options = { exitHooks, ...tm, ...map };
    return instrumentSelecting(instrument, bytes, options)!;
  });
  for (const w of result.warnings) io.stderr(`wasm-ftrace: warning: ${w}\n`);
  cache?.put(hash, options, result);
  return { binary: result.binary, hash, ...layout, options, cache: cache ? 'miss' : 'off' };
}

function layoutOf(bytes: Uint8Array): { codeLayout?: string } {
  try {
    return { codeLayout: codeLayout(bytes) };
  } catch {
    return {}; // not readable as wasm: the pass says why
  }
}
