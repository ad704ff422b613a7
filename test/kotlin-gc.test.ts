/**
 * A real module compiled from a GC language, traced end to end: Kotlin/Wasm
 * (wasm-fixtures/kotlin/hello.kt, WasmGC and exnref, a WASI command built by
 * the Kotlin compiler from npm). Engines without WasmGC's final encoding
 * (Node 20) reject the module itself, so the test runs where the module runs
 * (`npm run test:matrix`, and CI's Node 24 run) and is skipped elsewhere.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = path.resolve('bin/wasm-ftrace.js');
const MODULE = path.resolve('wasm-fixtures/kotlin/hello.wasm');
const runs = WebAssembly.validate(readFileSync(MODULE));

describe('Kotlin/Wasm (WasmGC)', () => {
  it.skipIf(!runs)('records with readable names, counts and nesting', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-kotlin-'));
    const rec = await run(process.execPath, [BIN, 'record', '-o', 'kt.data', MODULE], { cwd: dir });
    expect(rec.stdout).toBe('sum=2155\n');
    expect(rec.stderr).toMatch(/recorded \d+ events to kt\.data/);
    const report = await run(process.execPath, [BIN, 'report', 'kt.data'], { cwd: dir });
    // fib(0) .. fib(9), recursively: 276 calls
    expect(report.stdout).toMatch(/^ +fib +276 /m);
    const replay = await run(process.execPath, [BIN, 'replay', 'kt.data', '-G', 'main', '-D', '2'], { cwd: dir });
    const children = replay.stdout
      .split('\n')
      .filter((l) => /^ 0\).*\| {4}\S/.test(l))
      .map((l) => l.split('|')[1]!.trim().replace(/\(\)( \{|;)$/, ''));
    // main's own calls, by their Kotlin names: ten points made, each from fib, each measured
    for (const name of ['fib', 'Point.<init>', 'Point.norm']) expect(children.filter((n) => n === name), name).toHaveLength(10);
    expect(children).toContain('kotlin.collections.ArrayList.add');
    expect(children).toContain('kotlin.String.plus');
    expect(children).toContain('kotlin.io.println'); // its callers' try_tables no longer cut main's frame
    // one clean tree: the start function, then main; nothing unwound or stray
    const full = await run(process.execPath, [BIN, 'replay', 'kt.data'], { cwd: dir, maxBuffer: 64 << 20 });
    const roots = full.stdout
      .split('\n')
      .filter((l) => /^ 0\).*\| {2}[^ }]/.test(l))
      .map((l) => l.split('|')[1]!.trim());
    expect(roots).toEqual(['_initializeModule() {', 'main() {']);
    const info = await run(process.execPath, [BIN, 'info', 'kt.data'], { cwd: dir });
    expect(info.stdout).toMatch(/^repairs +0 frames unwound without exit, 0 stray exits/m);
  });
});
