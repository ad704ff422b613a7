/**
 * Deterministic random modules for the differential fuzz test:
 * seed -> PRNG bytes -> `wasm-opt -ttf` (binaryen's "translate to fuzz") -> .wasm.
 *
 * Spawning `node_modules/.bin/wasm-opt` costs ~0.5-1 s per process (it is an
 * 11 MB emscripten build that compiles its wasm on every start). Instead we
 * load that same file once per process and call its `main` for each seed: the
 * first call costs ~200 ms, later ones ~20-60 ms. Output is byte-identical to
 * the spawned tool (checked by the test). If anything goes wrong in-process
 * (binaryen aborts on an assertion, say), the runtime is discarded and the
 * next seed gets a fresh one.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The wasm-opt of the installed binaryen package (JS/wasm build). */
export const WASM_OPT = path.join(path.dirname(require.resolve('binaryen')), 'bin', 'wasm-opt');

/**
 * What Node 20's V8 runs. Not included, and why (measured with binaryen 132):
 * exception handling (binaryen then emits exnref/`noexternref`, GC-era types),
 * GC, typed function references, multi-memory, memory64/table64, relaxed SIMD,
 * strings, threads. Extended-const works on Node 20 but adds nothing here.
 */
export const BASE_FEATURE_FLAGS: readonly string[] = [
  '--mvp-features',
  '--enable-mutable-globals',
  '--enable-sign-ext',
  '--enable-nontrapping-float-to-int',
  '--enable-bulk-memory',
  '--enable-multivalue',
  '--enable-reference-types',
  '--enable-tail-call',
];

/**
 * SIMD on one seed in four. With SIMD, -ttf logs v128 values through
 * `log-v128`, which JS cannot receive (TypeError at the boundary), and gives
 * many exports v128 signatures JS cannot call: about half of the execution is
 * lost. One seed in four still covers v128 values and locals in the pass.
 */
export function featureFlags(seed: number): string[] {
  return seed % 4 === 0 ? [...BASE_FEATURE_FLAGS, '--enable-simd'] : [...BASE_FEATURE_FLAGS];
}

/**
 * Bytes of PRNG input per seed: 2-32 KB, drawn from the seed, so a run mixes
 * small modules with larger ones (-ttf turns 2 KB into ~1.5 KB of wasm with a
 * handful of functions, 32 KB into ~10-15 KB with dozens).
 */
export function inputSize(seed: number): number {
  return 2000 + (mulberry32(seed ^ 0x5eed5eed)() % 30000);
}

/** mulberry32: a tiny, good-enough 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The -ttf input for a seed. */
export function seedBytes(seed: number, size = inputSize(seed)): Uint8Array {
  const next = mulberry32(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = next();
    out[i] = v & 0xff;
    if (i + 1 < size) out[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < size) out[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < size) out[i + 3] = v >>> 24;
  }
  return out;
}

function ttfArgs(seed: number, input: string, output: string): string[] {
  return ['-ttf', input, '-o', output, ...featureFlags(seed), '--quiet'];
}

interface Runtime {
  callMain(args: string[]): number;
}

/** Loads wasm-opt's emscripten build into this process, with `main` not yet run. */
async function loadWasmOpt(): Promise<Runtime> {
  let src = fs.readFileSync(WASM_OPT, 'utf8');
  if (src.startsWith('#!')) src = '//' + src;
  // The emscripten glue is a script whose top-level `var`s live in this
  // function's scope: `Module` is ours (so it does not run main on load), and
  // appended code can reach `callMain` and replace `quit_`, which would
  // otherwise set process.exitCode. callMain puts argv on the emscripten stack
  // and never pops it (main is meant to run once): without the save/restore,
  // ~1000 calls overflow that stack into the heap and wasm-opt crashes or
  // writes empty files.
  const factory = new Function(
    'Module',
    'require',
    'module',
    '__filename',
    '__dirname',
    `${src}\n;quit_ = (status, toThrow) => { throw toThrow; };\n` +
      `Module.__callMain = (args) => { const sp = stackSave(); try { return callMain(args); } finally { stackRestore(sp); } };\n`,
  ) as (m: Record<string, unknown>, r: NodeRequire, mod: undefined, f: string, d: string) => void;
  const mod: Record<string, unknown> = { noInitialRun: true, noExitRuntime: true, arguments: [], printErr: () => {} };
  const ready = new Promise<void>((resolve, reject) => {
    mod['onRuntimeInitialized'] = () => resolve();
    mod['onAbort'] = (what: unknown) => reject(new Error(`wasm-opt aborted while loading: ${String(what)}`));
  });
  factory(mod, require, undefined, WASM_OPT, path.dirname(WASM_OPT));
  await ready;
  const callMain = mod['__callMain'] as (args: string[]) => number;
  return { callMain: (args) => callMain([...args]) };
}

const RUNS_PER_RUNTIME = 1000;

export class ModuleGenerator {
  private runtime: Promise<Runtime> | undefined;
  private readonly dir: string;
  /** wasm-opt runtimes loaded so far */
  loads = 0;
  private runs = 0;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-fuzz-'));
  }

  /** The module for `seed`, generated in-process. Throws if binaryen fails on this seed. */
  async generate(seed: number): Promise<Uint8Array> {
    const input = path.join(this.dir, 'in.dat');
    const output = path.join(this.dir, 'out.wasm');
    fs.writeFileSync(input, seedBytes(seed));
    fs.rmSync(output, { force: true });
    // A fresh runtime now and then, so that no state can pile up across seeds.
    if (this.runs++ % RUNS_PER_RUNTIME === 0) this.runtime = undefined;
    if (!this.runtime) {
      this.loads++;
      this.runtime = loadWasmOpt();
    }
    const rt = await this.runtime;
    let rc: number;
    try {
      rc = rt.callMain(ttfArgs(seed, input, output));
    } catch (e) {
      this.runtime = undefined; // an aborted emscripten runtime cannot be reused
      throw new Error(`wasm-opt -ttf failed for seed ${seed}: ${(e as Error).message ?? String(e)}`);
    }
    if (rc !== 0 || !fs.existsSync(output) || fs.statSync(output).size === 0) {
      this.runtime = undefined;
      throw new Error(`wasm-opt -ttf failed for seed ${seed} (exit status ${rc})`);
    }
    return new Uint8Array(fs.readFileSync(output));
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The same module by spawning the wasm-opt tool: slow, the reference the in-process path is checked against. */
export function generateBySpawn(seed: number): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-fuzz-'));
  try {
    const input = path.join(dir, 'in.dat');
    const output = path.join(dir, 'out.wasm');
    fs.writeFileSync(input, seedBytes(seed));
    const r = spawnSync(process.execPath, [WASM_OPT, ...ttfArgs(seed, input, output)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`wasm-opt -ttf failed for seed ${seed}: ${r.stderr}`);
    return new Uint8Array(fs.readFileSync(output));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The fuzz corpus: modules that once disagreed, re-checked on every run. */
export const CORPUS_DIR = path.resolve(here, '..', 'fuzz-corpus');
