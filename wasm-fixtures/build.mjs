#!/usr/bin/env node
/**
 * Rebuilds the test fixtures into wasm-fixtures/build/NAME.wasm.
 *
 *   node wasm-fixtures/build.mjs            rebuild everything (C only when clang is on PATH)
 *   node wasm-fixtures/build.mjs --check    rebuild the WAT fixtures in memory and fail if a
 *                                           committed .wasm differs from its source
 *
 * WAT: wabt (the npm package), with the features a fixture names on a
 * `;; features: a b c` line (wabt's feature names: tail_call, exceptions,
 * simd, multi_memory, ...), and debug names written, so every `$name`
 * reaches the name section.
 *
 * C: Debian's clang to wasm32-wasi (see wasm-fixtures/README.md). The built
 * files are committed: CI does not rebuild them.
 *
 * Also a module: the tests import buildWat() to check that the committed
 * WAT builds are up to date.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import wabtInit from 'wabt';

export const FIXTURES_DIR = dirname(fileURLToPath(import.meta.url));
export const WAT_DIR = join(FIXTURES_DIR, 'wat');
export const C_DIR = join(FIXTURES_DIR, 'c');
export const BUILD_DIR = join(FIXTURES_DIR, 'build');

export const CLANG_ARGS = [
  '--target=wasm32-wasi',
  '-O2',
  '-g0',
  '-Wl,--export=__data_end',
  '-Wl,--export=__heap_base',
  '-Wl,--export-table',
  // wasi-libc's libc.a carries DWARF, which -g0 does not remove: drop it (the name section stays)
  '-Wl,--strip-debug',
];

/** Names (without extension) of the sources with the given extension in dir. */
export function sources(dir, ext) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => basename(f, ext))
    .sort();
}

/** The wabt features a WAT source asks for on its `;; features:` lines. */
export function watFeatures(text) {
  const features = {};
  for (const m of text.matchAll(/^\s*;;\s*features:\s*(.*)$/gm)) {
    for (const name of m[1].split(/[\s,]+/).filter(Boolean)) features[name] = true;
  }
  return features;
}

let wabtPromise;
/** Compiles wasm-fixtures/wat/NAME.wat to a binary with a name section. */
export async function buildWat(name) {
  wabtPromise ??= wabtInit();
  const wabt = await wabtPromise;
  const file = join(WAT_DIR, `${name}.wat`);
  const text = readFileSync(file, 'utf8');
  const features = watFeatures(text);
  const mod = wabt.parseWat(`${name}.wat`, text, features);
  try {
    mod.resolveNames();
    mod.validate(features);
    return new Uint8Array(mod.toBinary({ write_debug_names: true }).buffer);
  } finally {
    mod.destroy();
  }
}

/**
 * Runs a clang driver with only the LLVM tools it needs on PATH. clang's wasm
 * driver post-processes its output with `wasm-opt` whenever it finds one on
 * PATH (which drops the name section), and both `npm run` (binaryen's
 * node_modules/.bin) and Debian's binaryen package (/usr/bin, where clang
 * lives too) put one there: the output would depend on how the script was
 * started. So the driver runs from a temporary directory of symlinks to
 * itself and wasm-ld, and that directory is the whole PATH.
 */
function runClang(driver, args, options = {}) {
  const tools = mkdtempSync(join(tmpdir(), 'wasm-ftrace-clang-'));
  try {
    for (const tool of [driver, 'wasm-ld', 'wasm-ld-14']) {
      const dir = (process.env.PATH ?? '').split(delimiter).find((d) => d && existsSync(join(d, tool)));
      if (dir) symlinkSync(join(dir, tool), join(tools, tool));
    }
    if (!existsSync(join(tools, driver))) return { status: null, stderr: `${driver} is not on PATH`, stdout: '' };
    return spawnSync(join(tools, driver), args, { encoding: 'utf8', env: { ...process.env, PATH: tools }, ...options });
  } finally {
    rmSync(tools, { recursive: true, force: true });
  }
}

/** Whether `clang` is on PATH. */
export function haveClang() {
  return runClang('clang', ['--version']).status === 0;
}

/**
 * The clang arguments of a C fixture: CLANG_ARGS, or, when the source has a
 * `// clang: FLAGS` line, -O2 replaced by those flags; a fixture that asks
 * for `-g` keeps its DWARF (no -g0, no --strip-debug).
 */
export function cArgs(text) {
  const own = [...text.matchAll(/^\s*\/\/\s*clang:\s*(.*)$/gm)].flatMap((m) => m[1].split(/\s+/).filter(Boolean));
  if (own.length === 0) return [...CLANG_ARGS];
  const debug = own.some((a) => a.startsWith('-g') && a !== '-g0');
  return [
    ...CLANG_ARGS.filter((a) => a !== '-O2' && !(debug && (a === '-g0' || a === '-Wl,--strip-debug'))),
    ...own,
    // DWARF names files relative to the repository, not the machine that built it
    ...(debug ? [`-fdebug-prefix-map=${dirname(FIXTURES_DIR)}=.`] : []),
  ];
}

/** Compiles wasm-fixtures/c/NAME.c to wasm-fixtures/build/NAME.wasm with clang. */
export function buildC(name) {
  const out = join(BUILD_DIR, `${name}.wasm`);
  const src = join(C_DIR, `${name}.c`);
  const args = [...cArgs(readFileSync(src, 'utf8')), '-o', out, src];
  const r = runClang('clang', args, { cwd: dirname(FIXTURES_DIR) });
  if (r.status !== 0) {
    throw new Error(`clang ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  }
  return out;
}

export const CPP_DIR = join(FIXTURES_DIR, 'cpp');
/** C++ without the C++ standard library (Debian has no libc++ for wasm32-wasi). wasm-ld writes demangled names into the name section. */
export const CLANGXX_ARGS = ['--target=wasm32-wasi', '-O1', '-fno-exceptions', '-fno-rtti', '-nostdlib++'];

/**
 * Compiles wasm-fixtures/cpp/NAME.cpp to build/NAME.wasm (names kept: no
 * wasm-opt on PATH, see runClang) and build/NAME.stripped.wasm, the same
 * module without its custom sections (what wasm-strip does): the pair that
 * `--symbols` is tested with.
 */
export function buildCpp(name) {
  const out = join(BUILD_DIR, `${name}.wasm`);
  const args = [...CLANGXX_ARGS, '-o', out, join(CPP_DIR, `${name}.cpp`)];
  const r = runClang('clang++', args);
  if (r.status !== 0) throw new Error(`clang++ ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  writeFileSync(join(BUILD_DIR, `${name}.stripped.wasm`), stripCustomSections(readFileSync(out)));
  return out;
}

/** The module without its custom sections (id 0). */
function stripCustomSections(bytes) {
  const parts = [bytes.subarray(0, 8)];
  let p = 8;
  while (p < bytes.length) {
    const start = p;
    const id = bytes[p++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++];
      size += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
    }
    p += size;
    if (id !== 0) parts.push(bytes.subarray(start, p));
  }
  return Buffer.concat(parts);
}

async function main(argv) {
  const check = argv.includes('--check');
  const wat = sources(WAT_DIR, '.wat');
  const c = sources(C_DIR, '.c');
  const clash = wat.filter((n) => c.includes(n));
  if (clash.length > 0) throw new Error(`a WAT and a C fixture share a name: ${clash.join(', ')}`);
  mkdirSync(BUILD_DIR, { recursive: true });

  let stale = 0;
  for (const name of wat) {
    const bytes = await buildWat(name);
    const out = join(BUILD_DIR, `${name}.wasm`);
    if (check) {
      const same = existsSync(out) && Buffer.compare(readFileSync(out), bytes) === 0;
      if (!same) {
        console.error(`stale: build/${name}.wasm does not match wat/${name}.wat`);
        stale++;
      }
    } else {
      writeFileSync(out, bytes);
      console.log(`wat  ${name}.wat -> build/${name}.wasm (${bytes.length} bytes)`);
    }
  }
  if (check) {
    if (stale > 0) {
      console.error(`${stale} stale fixture(s): run \`npm run fixtures\``);
      process.exitCode = 1;
    } else {
      console.log(`${wat.length} WAT fixture(s) up to date (C fixtures are not checked)`);
    }
    return;
  }

  if (c.length === 0) return;
  if (!haveClang()) {
    console.log(
      `clang is not on PATH: SKIPPING the ${c.length} C fixture(s) (${c.join(', ')}); the committed build/*.wasm stay as they are.\n` +
        'Install the toolchain with: apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32',
    );
    return;
  }
  for (const name of c) {
    const out = buildC(name);
    console.log(`c    ${name}.c -> build/${name}.wasm (${readFileSync(out).length} bytes)`);
  }
  for (const name of sources(CPP_DIR, '.cpp')) {
    const out = buildCpp(name);
    console.log(`c++  ${name}.cpp -> build/${name}.wasm (${readFileSync(out).length} bytes) and build/${name}.stripped.wasm`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
