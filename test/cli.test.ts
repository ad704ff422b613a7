import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandsFor } from '../src/cli/main.js';
import { cli } from './helpers/cli.js';
import { readModuleMetadata } from '../src/index.js';
import { wat } from './helpers/wat.js';
import { setCustomSection } from '../src/instrument/wasm-binary.js';
import { readSections } from '../src/abi/index.js';

const FIB = `(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $helper (export "helper") (result i32) (call $fib (i32.const 3))))`;


let dir: string;
let fibPath: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-cli-'));
  fibPath = path.join(dir, 'fib.wasm');
  writeFileSync(fibPath, wat(FIB));
});

describe('wasm-ftrace, the program', () => {
  it('loads the command it runs, none for --version, all for the overview and for suggestions', async () => {
    const all = ['instrument', 'record', 'report', 'replay', 'graph', 'dump', 'info', 'list', 'run', 'bench'];
    expect(commandsFor(['record', '-o', 'x.data', 'prog.wasm'])).toEqual(['record']);
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['-V'])).toEqual([]);
    expect(commandsFor(['help', 'report'])).toEqual(['report']);
    expect(commandsFor([])).toEqual(all);
    expect(commandsFor(['--help'])).toEqual(all);
    expect(commandsFor(['recrod'])).toEqual(all);
    const help = await cli('--help');
    for (const name of all) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(await cli('--version')).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    expect(await cli('recrod')).toMatchObject({ code: 2, stderr: expect.stringContaining('(Did you mean record?)') });
    expect(await cli('help', 'list')).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: wasm-ftrace list') });
  });
});

describe('wasm-ftrace instrument', () => {
  it('writes an instrumented module that still computes the same thing', async () => {
    const out = path.join(dir, 'fib.out.wasm');
    const r = await cli('instrument', fibPath, '-o', out);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const module = new WebAssembly.Module(readFileSync(out));
    expect(readModuleMetadata(module)?.names).toEqual(['fib', 'helper']);
    let calls = 0;
    const inst = new WebAssembly.Instance(module, { ftrace: { mcount: () => calls++ } });
    expect((inst.exports['fib'] as (n: number) => number)(10)).toBe(55);
    expect(calls).toBe(177);
  });

  it('defaults the output to <in>.ftrace.wasm and prints --stats', async () => {
    const r = await cli('instrument', fibPath, '--stats', '--notrace', 'helper');
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, 'fib.ftrace.wasm'))).toBe(true);
    expect(r.stdout).toMatch(/^functions +2 \(0 imported, 2 defined\)$/m);
    expect(r.stdout).toMatch(/^instrumented +1$/m);
    expect(r.stdout).toMatch(/^skipped +1 \(--only\/--notrace\)$/m);
    expect(r.stdout).toMatch(/^call sites +3$/m);
  });

  it('fails in one line with exit code 1 and leaves no output for bad input', async () => {
    const cases: [string, RegExp][] = [
      ['not.wasm', /^wasm-ftrace: error: not a WebAssembly module/],
      ['trunc.wasm', /^wasm-ftrace: error: truncated module/],
      ['missing.wasm', /^wasm-ftrace: error: cannot read '.*missing.wasm': no such file or directory$/],
    ];
    writeFileSync(path.join(dir, 'not.wasm'), 'just text\n');
    writeFileSync(path.join(dir, 'trunc.wasm'), readFileSync(fibPath).subarray(0, 40));
    for (const [name, message] of cases) {
      const out = path.join(dir, `${name}.out`);
      const r = await cli('instrument', path.join(dir, name), '-o', out);
      expect(r.code, name).toBe(1);
      expect(r.stderr.trimEnd(), name).toMatch(message);
      expect(r.stderr.trimEnd().split('\n'), name).toHaveLength(1);
      expect(existsSync(out), name).toBe(false);
    }
  });

  it('reports an unwritable output path and leaves no temporary file', async () => {
    const r = await cli('instrument', fibPath, '-o', path.join(dir, 'no/such/dir/out.wasm'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^wasm-ftrace: error: cannot write '.*out.wasm': no such file or directory\n$/);
    expect(readdirSync(dir).filter((f) => f.includes('wasm-ftrace-tmp'))).toEqual([]);
  });

  it('names a filter that matches nothing', async () => {
    const r = await cli('instrument', fibPath, '-o', path.join(dir, 'x.wasm'), '--only', 'nosuch*');
    expect(r).toMatchObject({ code: 1, stderr: "wasm-ftrace: error: --only 'nosuch*' matches no function in the module\n" });
    expect(existsSync(path.join(dir, 'x.wasm'))).toBe(false);
  });

  it('drops stale DWARF from the file it writes and says so; run/record, which write no module, stay quiet', async () => {
    const withDwarf = path.join(dir, 'dwarf.wasm');
    writeFileSync(withDwarf, setCustomSection(readFileSync(fibPath), '.debug_info', new Uint8Array([1, 2, 3])));
    const out = path.join(dir, 'dwarf.out.wasm');
    const written = await cli('instrument', withDwarf, '-o', out);
    expect(written).toEqual({ code: 0, stdout: '', stderr: `wasm-ftrace: note: ${out} has no .debug_info: instrumentation moves the code their offsets point into\n` });
    expect(readSections(readFileSync(out)).map((s) => s.name ?? s.id)).not.toContain('.debug_info');
    const ran = await cli('run', '--invoke', 'fib', withDwarf, '3');
    expect(ran.code).toBe(0);
    expect(ran.stderr).not.toContain('warning');
    const hello = setCustomSection(readFileSync('wasm-fixtures/build/hello.wasm'), '.debug_info', new Uint8Array([1, 2, 3]));
    writeFileSync(path.join(dir, 'hello-dwarf.wasm'), hello);
    const recorded = await cli('record', '-o', path.join(dir, 'dwarf.data'), path.join(dir, 'hello-dwarf.wasm'), 'you');
    expect(recorded.code).toBe(3); // hello's own exit code
    expect(recorded.stderr).not.toContain('warning');
  });

  it('treats unknown options and missing arguments as usage errors (exit 2)', async () => {
    expect(await cli('instrument', fibPath, '--bogus')).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown option '--bogus'/) });
    expect(await cli('instrument')).toMatchObject({ code: 2, stderr: expect.stringMatching(/missing required argument/) });
    expect(await cli('frobnicate')).toMatchObject({ code: 2 });
    expect((await cli()).code).toBe(2);
  });

  it('teaches with --help', async () => {
    const r = await cli('instrument', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Globs use ftrace's syntax");
    expect(r.stdout).toContain('Examples:');
  });
});

describe('wasm-ftrace run', () => {
  it('prints what it traced up to a trap, then the trap in one line', async () => {
    const r = await cli('run', '-t', 'function_graph', '--invoke', 'trap_div', 'wasm-fixtures/build/traps.wasm', '1', '0');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.slice(-3).map((l) => l.replace(/^.*\|/, ''))).toEqual(['  trap_div() {', '    div() {', 'wasm-ftrace: error: the program trapped: divide by zero']);
  });

  it('prints each entry with its caller and the export result', async () => {
    const r = await cli('run', '--invoke', 'helper', fibPath);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('2\n');
    expect(r.stderr).toMatch(/^# tracer: function\n/);
    expect(r.stderr).toContain('# entries-in-buffer/entries-written: 6/6   #P:1');
    const lines = r.stderr
      .split('\n')
      .filter((l) => l.length > 0 && !l.startsWith('#'))
      .map((l) => l.replace(/^ *fib\.wasm-0 +\[000\] \.{5} +\d+\.\d{6}: /, ''));
    expect(lines).toEqual(['helper <-HOST', 'fib <-helper', 'fib <-fib', 'fib <-fib', 'fib <-fib', 'fib <-fib']);
  });

  it('runs function_graph and the profiler, with filters, in every output format', async () => {
    const graph = await cli('run', '-t', 'function_graph', '--clock', 'counter', '--invoke', 'helper', fibPath);
    expect(graph.code).toBe(0);
    // the counter clock has no durations: the counter column stands where the time would
    expect(graph.stderr.split('\n').filter((l) => / \| {3}0\) /.test(l))).toEqual([
      '           1 |   0) helper() {',
      '           2 |   0)   fib() {',
      '           3 |   0)     fib() {',
      '           4 |   0)       fib();',
      '           6 |   0)       fib();',
      '           8 |   0)     }',
      '           9 |   0)     fib();',
      '          11 |   0)   }',
      '          12 |   0) }',
    ]);
    const folded = await cli('run', '-t', 'function_graph', '-f', 'folded', '-F', 'fib', '--invoke', 'helper', fibPath);
    expect(folded.stderr).toBe('fib 1\nfib;fib 2\nfib;fib;fib 2\n');
    const chrome = await cli('run', '-t', 'function_graph', '-f', 'chrome', '--invoke', 'fib', fibPath, '2');
    const events = (JSON.parse(chrome.stderr) as { traceEvents: { ph: string; name: string; ts: number; dur: number }[] }).traceEvents.filter((e) => e.ph !== 'M');
    // one complete event per call, written as each returns: the two inner calls, then the outer one around them
    expect(events.map((e) => `${e.ph} ${e.name}`)).toEqual(['X fib', 'X fib', 'X fib']);
    const [a, b, outer] = events as [(typeof events)[0], (typeof events)[0], (typeof events)[0]];
    expect(a.ts + a.dur).toBeLessThanOrEqual(b.ts);
    expect(outer.ts).toBeLessThanOrEqual(a.ts);
    expect(b.ts + b.dur).toBeLessThanOrEqual(outer.ts + outer.dur);
    const profile = await cli('run', '-t', 'profiler', '--invoke', 'helper', fibPath);
    expect(profile.stderr).toMatch(/^ {2}Function +Hit +Time +Avg +Stddev +Self\n/);
    expect(profile.stderr).toMatch(/^ {2}fib +5 /m);
  });

  it('rejects unknown tracers, clocks and formats as usage errors', async () => {
    expect(await cli('run', '-t', 'nosuch', fibPath)).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown tracer 'nosuch'/) });
    expect(await cli('run', '--clock', 'tsc', fibPath)).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown clock 'tsc'/) });
    expect(await cli('run', '-f', 'profile', fibPath)).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs the profiler tracer/) });
    expect(await cli('run', '-F', 'nosuch', '--invoke', 'fib', fibPath, '1')).toMatchObject({ code: 1, stderr: "wasm-ftrace: error: 'nosuch' matches no function\n" });
  });

  it('reports a module that is not a WASI command', async () => {
    const r = await cli('run', fibPath);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(/not a WASI command: name an export to call with --invoke\n$/) });
  });
});

describe('bin/wasm-ftrace.js', () => {
  const bin = path.resolve('bin/wasm-ftrace.js');
  it('runs from the built dist with exit codes and no warnings', async () => {
    const run = promisify(execFile);
    const ok = await run(process.execPath, [bin, 'run', '--invoke', 'fib', fibPath, '3']);
    expect(ok.stdout).toBe('2\n');
    expect(ok.stderr).not.toMatch(/Warning/);
    const bad = await run(process.execPath, [bin, 'instrument', path.join(dir, 'nope.wasm')]).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`wasm-ftrace: error: cannot read '${path.join(dir, 'nope.wasm')}': no such file or directory\n`);
  });
});

describe('wasm-ftrace list', () => {
  it('lists traceable functions with line numbers and ips, filtered by globs', async () => {
    const all = await cli('list', fibPath);
    expect(all).toEqual({ code: 0, stdout: '    1      0  fib\n    2      1  helper\n', stderr: '' });
    expect((await cli('list', fibPath, 'h*')).stdout).toBe('    2      1  helper\n');
    expect(await cli('list', fibPath, 'zz*')).toMatchObject({ code: 1, stderr: "wasm-ftrace: error: 'zz*' matches no function\n" });
  });
});

describe('status line', () => {
  it('shows slow work on a terminal only, and erases it', async () => {
    const { withStatus } = await import('../src/cli/status.js');
    let tty = '';
    expect(withStatus({ stdout: () => {}, stderr: (s) => (tty += s), isTTY: true }, true, 'instrumenting big.wasm (9.9 MB)', () => 42)).toBe(42);
    expect(tty).toBe('wasm-ftrace: instrumenting big.wasm (9.9 MB)...\r\x1b[K');
    let pipe = '';
    withStatus({ stdout: () => {}, stderr: (s) => (pipe += s), isTTY: false }, true, 'x', () => 0);
    withStatus({ stdout: () => {}, stderr: (s) => (pipe += s), isTTY: true }, false, 'x', () => 0);
    expect(pipe).toBe('');
  });
});
