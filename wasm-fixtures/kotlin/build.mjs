#!/usr/bin/env node
/**
 * Builds hello.kt into hello.wasm: a Kotlin/Wasm WASI program (WasmGC,
 * exnref), the test of a real module compiled from a GC language
 * (test/kotlin-gc.test.ts). The built file is committed; CI does not rebuild.
 *
 *   node wasm-fixtures/kotlin/build.mjs
 *
 * Needs a JDK (Debian: openjdk-17-jre-headless). The compiler is the npm
 * package kotlin-compiler (KOTLIN_VERSION below, 90 MB), installed once into
 * ~/.cache/wasm-ftrace/kotlin-<version>, never a dependency of this package.
 * Two steps, as the K2 command line wants them: the source to a klib, then
 * the klib (with the WASI standard library) to hello.wasm.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const KOTLIN_VERSION = '2.4.20';
const here = path.dirname(fileURLToPath(import.meta.url));
const prefix = path.join(os.homedir(), '.cache/wasm-ftrace', `kotlin-${KOTLIN_VERSION}`);
const home = path.join(prefix, 'node_modules/kotlin-compiler');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed (exit ${r.status})`);
}

if (!existsSync(path.join(home, 'bin/kotlinc-wasm'))) {
  mkdirSync(prefix, { recursive: true });
  run('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `kotlin-compiler@${KOTLIN_VERSION}`]);
}
const kotlinc = path.join(home, 'bin/kotlinc-wasm');
const stdlib = path.join(home, 'lib/kotlin-stdlib-wasm-wasi.klib');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-kotlin-'));
try {
  const common = ['-Xwasm-target=wasm-wasi', '-libraries', stdlib];
  run(kotlinc, [...common, '-ir-output-dir', path.join(tmp, 'klib'), '-ir-output-name', 'hello', path.join(here, 'hello.kt')]);
  run(kotlinc, [...common, `-Xinclude=${path.join(tmp, 'klib/hello.klib')}`, '-ir-output-dir', path.join(tmp, 'out'), '-ir-output-name', 'hello', '-Xir-produce-js']);
  copyFileSync(path.join(tmp, 'out/hello.wasm'), path.join(here, 'hello.wasm'));
  console.log(`kotlin: wrote ${path.join(here, 'hello.wasm')}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
