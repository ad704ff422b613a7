/**
 * The on-disk instrument cache (Node): a module instrumented once is not
 * instrumented again. The key is the SHA-256 of the input bytes, the pass's
 * options and a fingerprint of the pass itself (the bytes of its compiled
 * code and of binaryen.js's version), so a changed pass or option never
 * reuses an output. Each entry is two files, `<key>.wasm` (the instrumented
 * binary, which carries its metadata section) and `<key>.json` (warnings and
 * counts), both written to a temporary name and renamed, so a reader sees a
 * whole entry or none. The cache is best effort: any error reading it is a
 * miss; an error writing it is ignored.
 *
 * Where: $WASM_FTRACE_CACHE_DIR, else $XDG_CACHE_HOME/wasm-ftrace, else
 * ~/.cache/wasm-ftrace. `--no-cache` (record, run) turns it off.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeMetadata, findCustomSection, METADATA_SECTION, readSections } from '../abi/index.js';
import type { InstrumentOptions, InstrumentResult } from '../instrument/pass.js';

/** A cached outcome: the result, or null when the `only` globs select nothing in the module. */
export type CachedInstrument = InstrumentResult | null;

export interface InstrumentCache {
  readonly dir: string;
  /** undefined: not cached */
  get(hash: string, options: InstrumentOptions): CachedInstrument | undefined;
  put(hash: string, options: InstrumentOptions, result: CachedInstrument): void;
}

/** The directory the cache lives in, as the environment says. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['WASM_FTRACE_CACHE_DIR']) return path.resolve(env['WASM_FTRACE_CACHE_DIR']);
  const base = env['XDG_CACHE_HOME'] ? path.resolve(env['XDG_CACHE_HOME']) : path.join(os.homedir(), '.cache');
  return path.join(base, 'wasm-ftrace');
}

let fingerprint: string | undefined;
/** What identifies this pass: its compiled code (dist/instrument, dist/abi) and binaryen's version. */
function passFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const h = createHash('sha256');
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of ['../instrument', '../abi']) {
    const abs = path.join(here, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs).sort()) {
      if (!/\.(js|ts)$/.test(f) || f.endsWith('.d.ts')) continue;
      h.update(f);
      h.update(readFileSync(path.join(abs, f)));
    }
  }
  try {
    h.update(readFileSync(path.join(here, '../../node_modules/binaryen/package.json')));
  } catch {
    // binaryen installed elsewhere: the pass's own bytes still tell versions of wasm-ftrace apart
  }
  fingerprint = h.digest('hex').slice(0, 16);
  return fingerprint;
}

function entryKey(hash: string, options: InstrumentOptions): string {
  const o = {
    only: [...(options.only ?? [])].sort(),
    notrace: [...(options.notrace ?? [])].sort(),
    exitHooks: options.exitHooks === true,
    traceMemory: options.traceMemory === true,
    sourceMap: options.sourceMap === undefined ? null : createHash('sha256').update(options.sourceMap).digest('hex'),
    debugFile: options.debugFile === undefined ? null : createHash('sha256').update(options.debugFile).digest('hex'),
  };
  return createHash('sha256').update(`${passFingerprint()}\n${hash}\n${JSON.stringify(o)}`).digest('hex').slice(0, 40);
}

interface EntryJson {
  hash: string;
  /** null: the only globs select nothing */
  selected: boolean;
  warnings: string[];
  stats: InstrumentResult['stats'] | null;
  droppedDebugInfo?: string[];
}

let temps = 0;

/** The cache in `dir` (created on the first write). */
export function diskInstrumentCache(dir: string = defaultCacheDir()): InstrumentCache {
  return {
    dir,
    get(hash, options) {
      const key = entryKey(hash, options);
      try {
        const json = JSON.parse(readFileSync(path.join(dir, `${key}.json`), 'utf8')) as EntryJson;
        if (json.hash !== hash) return undefined;
        if (!json.selected) return null;
        const binary = new Uint8Array(readFileSync(path.join(dir, `${key}.wasm`)));
        const section = findCustomSection(readSections(binary), METADATA_SECTION);
        if (!section || !json.stats) return undefined;
        return {
          binary,
          metadata: decodeMetadata(binary.subarray(section.payload, section.end)),
          stats: json.stats,
          warnings: json.warnings,
          ...(json.droppedDebugInfo !== undefined ? { droppedDebugInfo: json.droppedDebugInfo } : {}),
        };
      } catch {
        return undefined;
      }
    },
    put(hash, options, result) {
      const key = entryKey(hash, options);
      const json: EntryJson = {
        hash,
        selected: result !== null,
        warnings: result?.warnings ?? [],
        stats: result?.stats ?? null,
        ...(result?.droppedDebugInfo !== undefined ? { droppedDebugInfo: result.droppedDebugInfo } : {}),
      };
      const tmp = (name: string): string => path.join(dir, `.${name}.${process.pid}.${temps++}.tmp`);
      const written: string[] = [];
      try {
        mkdirSync(dir, { recursive: true });
        // the binary first: a .json is only ever seen with its .wasm beside it
        if (result !== null) {
          const t = tmp(`${key}.wasm`);
          written.push(t);
          writeFileSync(t, result.binary);
          renameSync(t, path.join(dir, `${key}.wasm`));
        }
        const t = tmp(`${key}.json`);
        written.push(t);
        writeFileSync(t, JSON.stringify(json));
        renameSync(t, path.join(dir, `${key}.json`));
      } catch {
        for (const t of written) rmSync(t, { force: true });
      }
    },
  };
}
