/**
 * The package as `npm publish` would build it, used as a new user would: the
 * repository's files (tracked and new, nothing ignored: no dist/) are copied
 * to a temporary folder, `npm pack` runs there (prepack builds everything),
 * and the tarball is installed into an empty project that then runs the CLI
 * and imports each entry point. `npm run test:package` runs only this.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wat } from './helpers/wat.js';

const run = promisify(execFile);
const ROOT = path.resolve('.');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let work: string;
let tarball: string;
let files: string[];
let project: string;
let bin: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-package-'));
  // A clean tree: what git would check out, plus files not yet committed; node_modules linked.
  const clean = path.join(work, 'clean');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  // (a node_modules that is a symlink is not matched by .gitignore's `node_modules/`)
  for (const rel of listed.split('\0').filter((f) => f && f !== 'node_modules')) {
    if (!existsSync(path.join(ROOT, rel))) continue; // deleted, not yet committed
    mkdirSync(path.dirname(path.join(clean, rel)), { recursive: true });
    cpSync(path.join(ROOT, rel), path.join(clean, rel));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(clean, 'node_modules'), 'dir');
  const packed = await run(NPM, ['pack', '--json', '--pack-destination', work], { cwd: clean, maxBuffer: 64 << 20 });
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))[0] as { filename: string; files: { path: string }[] };
  tarball = path.join(work, info.filename);
  files = info.files.map((f) => f.path);

  project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: project });
  bin = path.join(project, 'node_modules/.bin/wasm-ftrace');
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the built library, browser bundles, viewer and LICENSE', () => {
    for (const f of ['LICENSE', 'README.md', 'bin/wasm-ftrace.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/browser/wasm-ftrace.js', 'dist/browser/auto.js', 'dist/browser/runtime.js', 'dist/viewer/viewer.js']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /(^|\/)(test|node_modules|scratch)\//.test(f))).toEqual([]);
  });

  it('has no source map whose sources are missing', () => {
    const extracted = path.join(project, 'node_modules/wasm-ftrace');
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(path.join(extracted, m), 'utf8')) as { sources: string[]; sourceRoot?: string; sourcesContent?: (string | null)[] };
      map.sources.forEach((s, i) => {
        if (typeof map.sourcesContent?.[i] === 'string') return;
        if (!existsSync(path.resolve(path.dirname(path.join(extracted, m)), map.sourceRoot ?? '', s))) missing.push(`${m}: ${s}`);
      });
    }
    expect(missing).toEqual([]);
  });
});

describe('installed into an empty project', () => {
  it('runs --help', async () => {
    const r = await run(bin, ['--help'], { cwd: project });
    expect(r.stdout).toContain('Usage: wasm-ftrace');
  });

  it('instruments, records, and writes the HTML viewer', async () => {
    cpSync(path.join(ROOT, 'wasm-fixtures/build/hello.wasm'), path.join(project, 'hello.wasm'));
    const ins = await run(bin, ['instrument', 'hello.wasm', '-o', 'hello.traced.wasm'], { cwd: project });
    expect(ins.stderr).toBe('');
    expect(existsSync(path.join(project, 'hello.traced.wasm'))).toBe(true);
    const rec = await run(bin, ['record', '-o', 'hello.data', 'hello.wasm', 'you'], { cwd: project }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(rec).toMatchObject({ code: 3, stdout: expect.stringContaining('hello, you') }); // hello's own exit code
    await run(bin, ['report', 'hello.data', '--html', 'hello.html'], { cwd: project });
    expect(readFileSync(path.join(project, 'hello.html'), 'utf8')).toContain('id="wasm-ftrace-data"');
  });

  it('records a Node program through the preload', async () => {
    writeFileSync(path.join(project, 'fib.wasm'), wat('(module (func $fib (export "fib") (param i32) (result i32) (if (result i32) (i32.lt_s (local.get 0) (i32.const 2)) (then (local.get 0)) (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2))))))))'));
    writeFileSync(path.join(project, 'app.mjs'), "import { readFileSync } from 'node:fs';\nconst { instance } = await WebAssembly.instantiate(readFileSync('fib.wasm'));\nconsole.log(instance.exports.fib(10));\n");
    const r = await run(bin, ['record', '-o', 'app.data', '--', 'node', 'app.mjs'], { cwd: project });
    expect(r.stdout).toBe('55\n');
    expect(r.stderr).toMatch(/1 module traced \(1 instance\), 354 events/); // 177 calls: entry and exit
    const replay = await run(bin, ['replay', 'app.data'], { cwd: project });
    expect(replay.stdout).toContain('fib');
  });

  it('imports the Node entry, the browser bundles and the runtime by their package names', async () => {
    const script = [
      "const lib = await import('wasm-ftrace');",
      "const browser = await import('wasm-ftrace/browser');",
      "const runtime = await import('wasm-ftrace/runtime');",
      "import.meta.resolve('wasm-ftrace/browser/auto');",
      'console.log(typeof lib.instrument, typeof browser.instrument, typeof browser.attach, typeof runtime.installInterceptor);',
    ].join('\n');
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    expect(r.stdout).toBe('function function function function\n');
  });
});
