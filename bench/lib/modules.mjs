/**
 * The real modules the instrument-time benchmark runs on, extracted at bench
 * time (nothing large is committed) and cached under bench/results/tmp/
 * (git-ignored).
 *
 * - wabt: libwabt, emscripten C++, embedded in node_modules/wabt/index.js
 *   (a devDependency). About 0.6 MB: below the 1 MB the target is stated
 *   for; it is the small reference and what `--quick` runs on.
 * - resvg: @resvg/resvg-wasm, Rust (wasm-bindgen), about 2.5 MB. Not a
 *   dependency: fetched with `npm pack` at a pinned version (the npm registry
 *   is the only network this needs); skipped with a note when that fails.
 * - binaryen: binaryen.js itself, emscripten C++, embedded in
 *   node_modules/binaryen/index.js (a dependency). About 10 MB.
 *
 * Embedded modules are caught where they reach the engine, by running the
 * package's loader in a child process with capture-instantiate.mjs preloaded.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const CACHE = join(ROOT, 'bench', 'results', 'tmp', 'modules');

const pkgVersion = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

/** Sources, smallest first. */
export const SOURCES = [
  {
    id: 'wabt',
    describe: () => `libwabt from wabt@${pkgVersion('wabt')} (emscripten, C++)`,
    key: () => `wabt-${pkgVersion('wabt')}`,
    extract: (dest) => captureEmbedded(join(ROOT, 'node_modules', 'wabt', 'index.js'), dest),
  },
  {
    id: 'resvg',
    describe: () => '@resvg/resvg-wasm@2.6.2 index_bg.wasm (Rust, wasm-bindgen), via npm pack',
    key: () => 'resvg-wasm-2.6.2',
    extract: (dest) => npmPackFile('@resvg/resvg-wasm@2.6.2', 'package/index_bg.wasm', dest),
  },
  {
    id: 'binaryen',
    describe: () => `binaryen.js from binaryen@${pkgVersion('binaryen')} (emscripten, C++)`,
    key: () => `binaryen-${pkgVersion('binaryen')}`,
    extract: (dest) => captureEmbedded(join(ROOT, 'node_modules', 'binaryen', 'index.js'), dest),
  },
];

/** Runs a package's loader in a child node and keeps the largest module it instantiated. */
function captureEmbedded(script, dest) {
  const prefix = join(CACHE, `capture-${process.pid}`);
  const loader =
    `const m = await import(${JSON.stringify(pathToFileURL(script).href)});` +
    `if (typeof m.default === 'function') await m.default();`;
  execFileSync(process.execPath, ['--import', pathToFileURL(join(here, 'capture-instantiate.mjs')).href, '--input-type=module', '-e', loader], {
    env: { ...process.env, CAPTURE_OUT: prefix },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const captured = readdirSync(CACHE)
    .filter((f) => f.startsWith(`capture-${process.pid}.`))
    .map((f) => join(CACHE, f));
  if (captured.length === 0) throw new Error(`${script} instantiated no module from bytes`);
  captured.sort((a, b) => readFileSync(b).length - readFileSync(a).length);
  renameSync(captured[0], dest);
  for (const f of captured.slice(1)) rmSync(f);
}

/** `npm pack`s a package into the cache and extracts one file of it. */
function npmPackFile(spec, member, dest) {
  const dir = join(CACHE, `pack-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const out = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    const tgz = join(dir, out.trim().split('\n').pop());
    execFileSync('tar', ['-xzf', tgz, '-C', dir, member], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(join(dir, member), dest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A whole package, `npm pack`ed once into the cache: its directory
 * (`{ dir }`), or `{ error }` when the registry cannot be reached. The hook
 * overhead benchmark needs resvg's glue as well as its module.
 */
export function packedPackage(spec, key) {
  const dir = join(CACHE, key);
  if (existsSync(join(dir, 'package.json'))) return { dir };
  mkdirSync(CACHE, { recursive: true });
  const tmp = join(CACHE, `pack-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const out = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', tmp], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    const tgz = join(tmp, out.trim().split('\n').pop());
    execFileSync('tar', ['-xzf', tgz, '-C', tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), dir);
    return { dir };
  } catch (e) {
    const msg = (e.stderr?.toString() || e.message || String(e)).trim().split('\n').slice(-2).join(' ');
    return { error: `npm pack ${spec} failed: ${msg}` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Custom section names and sizes, from a plain walk of the section headers. */
export function customSections(bytes) {
  const out = [];
  let p = 8;
  const leb = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return v;
    }
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const end = p + size;
    if (id === 0) {
      const len = leb();
      out.push({ name: new TextDecoder().decode(bytes.subarray(p, p + len)), bytes: size });
    }
    p = end;
  }
  return out;
}

/**
 * The modules, extracted or from the cache. `ids` picks some (default all).
 * A source that cannot be had (no network for npm pack) is returned with
 * `error` set instead of bytes.
 */
export function loadModules(ids) {
  mkdirSync(CACHE, { recursive: true });
  const picked = ids ? SOURCES.filter((s) => ids.includes(s.id)) : SOURCES;
  return picked.map((s) => {
    const path = join(CACHE, `${s.key()}.wasm`);
    const description = s.describe();
    try {
      if (!existsSync(path)) s.extract(path);
    } catch (e) {
      const msg = (e.stderr?.toString() || e.message || String(e)).trim().split('\n').slice(-2).join(' ');
      return { id: s.id, description, error: msg };
    }
    const bytes = new Uint8Array(readFileSync(path));
    if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== '\0asm') {
      return { id: s.id, description, error: `${path} is not a wasm module` };
    }
    const sections = customSections(bytes);
    return {
      id: s.id,
      description,
      path,
      bytes,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      customSections: sections,
      hasNameSection: sections.some((c) => c.name === 'name'),
    };
  });
}
