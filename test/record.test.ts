/**
 * The recording commands end to end, through the built bin/wasm-ftrace.js:
 * record a C fixture with each tracer, read the same data file with every
 * reader, record a Node script whose wasm comes from a real npm package's
 * emscripten glue, and reject corrupt files. Outputs of the counter clock
 * are deterministic and compared with golden files (UPDATE_GOLDEN=1 rewrites).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { golden } from './helpers/golden.js';

const BIN = path.resolve('bin/wasm-ftrace.js');
const FIXTURES = path.resolve('wasm-fixtures/build');
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
async function ftrace(args: string[], cwd: string): Promise<Result> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-record-'));
});

describe('record a WASI program, then read it every way', () => {
  it('function_graph (the default): info, report, replay, dump --chrome/--folded/--raw', async () => {
    const rec = await ftrace(['record', '--clock', 'counter', '-o', 'graph.data', path.join(FIXTURES, 'hash.wasm'), '64', '2'], dir);
    expect(rec.code).toBe(0);
    // the program's own output, unchanged
    const plain = await ftrace(['run', '-t', 'nop', path.join(FIXTURES, 'hash.wasm'), '64', '2'], dir);
    expect(rec.stdout).toBe(plain.stdout);
    expect(rec.stdout).toContain('combined=');
    expect(rec.stderr).toMatch(/^wasm-ftrace: recorded \d+ events to graph.data\n$/);

    const info = await ftrace(['info', 'graph.data'], dir);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/^tracer +function_graph$/m);
    expect(info.stdout).toMatch(/^clock +counter \(order only\)$/m);
    expect(info.stdout).toMatch(/^lost +0$/m);
    expect(info.stdout).toMatch(/^ +0 {2}hash\.wasm {2}\d+ functions \(\d+ imported\) {2}sha256 [0-9a-f]{64}$/m);

    golden('cli-replay-graph.txt', (await ftrace(['replay', '-G', 'main', '-D', '2', 'graph.data'], dir)).stdout);
    golden('cli-report-graph.txt', (await ftrace(['report', '-s', 'calls', '-n', '12', 'graph.data'], dir)).stdout);
    // uftrace's graph: backtraces to the function, then the merged call graph below it
    golden('cli-graph-main.txt', (await ftrace(['graph', 'main', 'graph.data'], dir)).stdout);
    golden('cli-graph-fmix.txt', (await ftrace(['graph', 'fmix', '-N', 'printf', 'graph.data'], dir)).stdout);
    const noFunc = await ftrace(['graph', 'no_such_function', 'graph.data'], dir);
    expect(noFunc.code).toBe(1);
    expect(noFunc.stdout).toBe('');
    expect(noFunc.stderr).toBe("wasm-ftrace: error: no function 'no_such_function' in graph.data\n");
    golden('cli-dump-folded.txt', (await ftrace(['dump', '--folded', '-G', 'main', 'graph.data'], dir)).stdout);
    const chrome = await ftrace(['dump', '--chrome', '-F', 'main', '-F', 'fnv1a', '-F', 'murmur3', '-F', 'fmix', 'graph.data'], dir);
    golden('cli-dump-chrome.json', chrome.stdout);
    const events = (JSON.parse(chrome.stdout) as { traceEvents: { ph: string }[] }).traceEvents;
    // every call of the fixture returns: complete events only
    expect(events.filter((e) => e.ph === 'X').length).toBeGreaterThan(0);
    expect(events.filter((e) => e.ph === 'B' || e.ph === 'E')).toEqual([]);
    const raw = await ftrace(['dump', '--raw', '-D', '1', 'graph.data'], dir);
    expect(raw.stdout.split('\n')[0]).toMatch(/^# tracer: function_graph {2}clock: counter {2}events: \d+ {2}written: \d+ {2}lost: 0$/);
    expect(raw.stdout).toMatch(/^ +1 {2}entry +0 +\d+ +0 +- {2}_start\.command_export <- HOST$/m);
    const out = path.join(dir, 'trace.json');
    expect((await ftrace(['dump', '--chrome', '-o', out, 'graph.data'], dir)).code).toBe(0);
    expect(() => JSON.parse(readFileSync(out, 'utf8'))).not.toThrow();
  });

  it('function tracer: replay lists entries, report counts hits; filters apply at read time', async () => {
    const rec = await ftrace(['record', '-t', 'function', '--clock', 'counter', '-F', 'main fnv1a murmur3 fmix generate', '-o', 'fn.data', path.join(FIXTURES, 'hash.wasm'), '16', '1'], dir);
    expect(rec.code).toBe(0);
    golden('cli-replay-function.txt', (await ftrace(['replay', 'fn.data'], dir)).stdout);
    const report = await ftrace(['report', '-N', 'main', 'fn.data'], dir);
    expect(report.stdout.split('\n').slice(2, 6).map((l) => l.trim().split(/ +/))).toEqual([
      ['fmix', '2'],
      ['fnv1a', '1'],
      ['generate', '1'],
      ['murmur3', '1'],
    ]);
    // line numbers read as when recording (line 1 of `list`), and filters that match nothing are errors
    const list = await ftrace(['list', path.join(FIXTURES, 'hash.wasm')], dir);
    const first = list.stdout.split('\n').find((l) => /^\s*1\s/.test(l))!.trim().split(/\s+/).at(-1)!;
    const byLine = await ftrace(['replay', '-F', '1', 'fn.data'], dir);
    const byName = await ftrace(['replay', '-F', first, 'fn.data'], dir);
    expect(byLine).toMatchObject({ code: 0, stdout: byName.stdout });
    for (const [args, message] of [
      [['replay', '-F', 'mian'], "-F 'mian'"],
      [['report', '-N', 'zz*'], "-N 'zz*'"],
      [['dump', '-F', 'main', '-F', '!nosuch'], "-F '!nosuch'"],
      [['replay', '-F', '*:mod:other'], "-F '*:mod:other'"],
      [['report', '-F', '99999'], "-F '99999'"],
    ] as const) {
      expect(await ftrace([...args, 'fn.data'], dir)).toEqual({ code: 1, stdout: '', stderr: `wasm-ftrace: error: ${message} matches no function in the trace\n` });
    }
  });

  it('nop records no events, and says so; the profiler is left to report', async () => {
    const rec = await ftrace(['record', '-t', 'nop', '-o', 'nop.data', path.join(FIXTURES, 'hash.wasm')], dir);
    expect(rec.code).toBe(0);
    expect(rec.stderr).toBe('wasm-ftrace: recorded 0 events to nop.data\n');
    const info = await ftrace(['info', 'nop.data'], dir);
    expect(info.stdout).toMatch(/^tracer +nop$/m);
    expect(info.stdout).toMatch(/^events +0$/m);
    const prof = await ftrace(['record', '-t', 'profiler', path.join(FIXTURES, 'hash.wasm')], dir);
    expect(prof).toMatchObject({ code: 2, stderr: expect.stringMatching(/report' computes the profile/) });
  });

  it("clock 'worker': times on perf's time line, and info says how fine they are", async () => {
    const rec = await ftrace(['record', '--clock', 'worker', '-o', 'worker.data', path.join(FIXTURES, 'hash.wasm'), '16', '1'], dir);
    expect(rec.code).toBe(0);
    const info = await ftrace(['info', 'worker.data'], dir);
    expect(info.stdout).toMatch(/^clock +worker \(microseconds\): a Worker updates a shared cell .*read [\d.]+ ns/m);
    expect(info.stdout).toMatch(/^duration +[\d.]+ ms of trace$/m);
    // durations, as with perf
    const report = await ftrace(['report', '-n', '2', 'worker.data'], dir);
    expect(report.stdout).toMatch(/^ +Function +Hit +Time +Avg/);
  });

  it("passes the program's exit code through", async () => {
    const rec = await ftrace(['record', '-o', 'hello.data', path.join(FIXTURES, 'hello.wasm'), 'you'], dir);
    expect(rec.code).toBe(3);
    expect(rec.stdout).toBe('hello, you\nsum of squares 1..4 = 30\n');
    expect(existsSync(path.join(dir, 'hello.data'))).toBe(true);
  });
});

describe('record -- node: every module a script loads', () => {
  it('traces sql.js (emscripten glue) with the script output and exit code unchanged', async () => {
    const script = path.join(dir, 'sql.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.resolve('package.json'))});
const SQL = await require('sql.js')();
const db = new SQL.Database();
db.run('create table t (a integer)');
db.run('insert into t values (1), (2), (3)');
console.log(JSON.stringify(db.exec('select sum(a) from t')[0].values));
process.exitCode = 5;
`,
    );
    const plain = await run(process.execPath, [script]).catch((e: { code: number; stdout: string }) => e);
    const rec = await ftrace(['record', '-o', 'sql.data', '--', 'node', script], dir);
    expect(rec.code).toBe(5);
    expect(rec.stdout).toBe('[[6]]\n');
    expect(rec.stdout).toBe((plain as { stdout: string }).stdout);
    const info = await ftrace(['info', 'sql.data'], dir);
    expect(info.stdout).toMatch(/^modules +1$/m);
    expect(info.stdout).toMatch(/^events +\d{4,}$/m);
    const report = await ftrace(['report', '-n', '3', 'sql.data'], dir);
    expect(report.stdout.split('\n')).toHaveLength(6);
  });
});

describe('record -- node: an Emscripten MAIN_MODULE loading a SIDE_MODULE', () => {
  it('web-tree-sitter parses with a grammar side module, traced, output unchanged', async () => {
    // Emscripten's dynamic linking walks every export of the side module; an
    // exported i64 (the caller token of earlier builds) made it throw
    // "bad export type for '__ftrace_parent': bigint".
    const script = path.join(dir, 'ts.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.resolve('package.json'))});
const { Parser, Language } = require('web-tree-sitter');
await Parser.init();
const json = await Language.load(${JSON.stringify(path.resolve('wasm-fixtures/vendor/tree-sitter-json.wasm'))});
const parser = new Parser();
parser.setLanguage(json);
console.log(parser.parse('{"a": [1, 2, {"b": null}]}').rootNode.toString());
`,
    );
    const plain = await run(process.execPath, [script]);
    expect(plain.stdout).toMatch(/^\(document \(object \(pair key: \(string/);
    const rec = await ftrace(['record', '-o', 'ts.data', '--', 'node', script], dir);
    expect(rec.stderr).not.toContain('bad export type');
    expect(rec.code).toBe(0);
    expect(rec.stdout).toBe(plain.stdout);
    const info = await ftrace(['info', 'ts.data'], dir);
    expect(info.stdout).toMatch(/^modules +2$/m); // the main module and the grammar
  });
});

describe('record -- node: a filter that matches nothing in any module', () => {
  it('warns at the first module, is an error at exit and in info; the exit code stays the program\'s', async () => {
    const wasm = path.join(dir, 'two.wasm');
    writeFileSync(wasm, readFileSync(path.join(FIXTURES, 'recursion.wasm')));
    const script = path.join(dir, 'two.mjs');
    writeFileSync(script, `const m = await WebAssembly.compile((await import('node:fs')).readFileSync(${JSON.stringify(wasm)}));\nconsole.log(WebAssembly.Module.exports(m).length > 0 ? 'ok' : 'none');\nawait WebAssembly.instantiate(m, {});\n`);
    // --instrument-all: else -F has the pass instrument only what it names, here nothing, and no module is traced
    const rec = await ftrace(['record', '-t', 'function', '-F', 'mian', '--instrument-all', '-o', 'typo.data', '--', 'node', script], dir);
    expect(rec.code).toBe(0);
    expect(rec.stderr).toContain("wasm-ftrace: warning: filter 'mian' matches no function in ");
    expect(rec.stderr).toContain("wasm-ftrace: error: filter 'mian' matches no function in any traced module\n");
    const info = await ftrace(['info', 'typo.data'], dir);
    expect(info.code).toBe(1);
    expect(info.stderr).toBe("wasm-ftrace: error: filter 'mian' matched no function in any module of this recording\n");
  });
});

describe('readers reject bad data files in one line', () => {
  it('missing, not a data file, truncated, corrupt', async () => {
    const data = readFileSync(path.join(dir, 'graph.data'));
    writeFileSync(path.join(dir, 'text.data'), 'hello\n');
    writeFileSync(path.join(dir, 'short.data'), data.subarray(0, 10));
    const corrupt = Buffer.from(data);
    corrupt[corrupt.length - 200]! ^= 0xff;
    writeFileSync(path.join(dir, 'corrupt.data'), corrupt);
    const cases: [string, RegExp][] = [
      ['nosuch.data', /^wasm-ftrace: error: cannot read '.*nosuch\.data': no such file or directory\n$/],
      ['text.data', /^wasm-ftrace: error: .*not a wasm-ftrace data file/],
      ['short.data', /^wasm-ftrace: error: .*truncated data file/],
      ['corrupt.data', /^wasm-ftrace: error: .*corrupt .* at byte \d+: checksum mismatch\n$/],
    ];
    for (const [file, message] of cases) {
      for (const cmd of ['report', 'replay', 'info']) {
        const r = await ftrace([cmd, file], dir);
        expect(r.code, `${cmd} ${file}`).toBe(1);
        expect(r.stderr, `${cmd} ${file}`).toMatch(message);
        expect(r.stderr.trimEnd().split('\n'), `${cmd} ${file}`).toHaveLength(1);
      }
    }
  });

  it('a recording cut short still reads, with a warning', async () => {
    const data = readFileSync(path.join(dir, 'graph.data'));
    writeFileSync(path.join(dir, 'cut.data'), data.subarray(0, Math.floor(data.length * 0.7)));
    const r = await ftrace(['replay', 'cut.data'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wasm-ftrace: warning: cut\.data: .*(torn|incomplete)/);
    expect(r.stdout).toMatch(/^# tracer: function_graph/);
  });
});
