/**
 * The hook-overhead benchmark, short: it runs (through runBench and through
 * the CLI) and writes well-formed results. Nothing here asserts a time.
 * Workers run the built dist/bench/worker.js, so this needs `npm run build`
 * (`npm test` does it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBench, type BenchResult } from '../src/bench/hook-overhead.js';
import { fibWorkload } from '../src/bench/build.js';
import { measureNativePeer } from '../src/bench/native-peer.js';
import { formatJson, formatMarkdown, formatNativePeer, renderSvg } from '../src/bench/report.js';
import { SCENARIO_IDS } from '../src/bench/scenarios.js';
import { engineHasMultiMemory } from '../src/abi/trace-memory.js';
import { main } from '../src/cli/main.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-bench-'));
});

/**
 * A strict little well-formedness check: every tag closed in order, quoted
 * attributes, no stray `<` or `&` in text. Returns the root element's name.
 */
function xmlRoot(text: string): string {
  const body = text.replace(/^\s*<\?xml[^?]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  let root = '';
  const token = /<\/?([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  let closedRoot = false;
  while ((m = token.exec(body)) !== null) {
    if (m[5]) throw new Error(`stray '<' at ${m.index}`);
    if (m[4] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(m[4])) throw new Error(`bad entity in text at ${m.index}`);
      if (m[4].trim() && stack.length === 0) throw new Error('text outside the root element');
      continue;
    }
    const name = m[1]!;
    if (m[0].startsWith('</')) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
      if (stack.length === 0) closedRoot = true;
    } else {
      if (stack.length === 0) {
        if (root) throw new Error('two root elements');
        root = name;
      }
      if (m[3] !== '/') stack.push(name);
      else if (stack.length === 0) closedRoot = true;
    }
  }
  if (stack.length > 0 || !closedRoot) throw new Error(`unclosed <${stack.at(-1)}>`);
  return root;
}

function checkResult(r: BenchResult, workloads: string[]): void {
  expect(r.workloads.map((w) => w.id)).toEqual(workloads);
  for (const w of r.workloads) {
    expect(w.entriesPerRun).toBeGreaterThan(0);
    // the in-wasm scenarios need multi-memory: run where the engine has it, skipped elsewhere
    expect(w.scenarios.map((s) => s.id)).toEqual(engineHasMultiMemory() ? SCENARIO_IDS : SCENARIO_IDS.filter((id) => !id.startsWith('wasm-')));
    for (const s of w.scenarios) {
      for (const v of [s.medianMs, s.minMs, s.maxMs, s.baselineMedianMs, s.ratio, s.overheadNsPerEntry]) expect(Number.isFinite(v), `${w.id} ${s.id}`).toBe(true);
      if (s.id === 'baseline') expect(s.overheadVsFloor).toBeNull();
      else expect(Number.isFinite(s.overheadVsFloor)).toBe(true);
      expect(s.timesMs.length).toBe(r.rounds);
      expect(s.resultMatches, `${w.id} ${s.id} computes what the baseline does`).toBe(true);
    }
  }
  for (const t of r.targets) expect(Number.isFinite(t.measured)).toBe(true);
}

describe('hook-overhead benchmark', () => {
  it('runs every scenario on fib and the C workload, and writes valid JSON, markdown and SVG', async () => {
    const c = {
      kind: 'wasm' as const,
      id: 'c',
      label: 'workload.c: run(1)',
      bytes: new Uint8Array(readFileSync(path.join(ROOT, 'wasm-fixtures/build/workload.wasm'))),
      invoke: 'run',
      args: [1],
      never: 'main',
    };
    const r = await runBench({ workloads: [fibWorkload(15), c], rounds: 2, sampleMs: 0.5, warmup: 1, warmupMs: 30 });
    checkResult(r, ['fib', 'c']);
    expect(r.workloads[1]!.logExecutionCallsPerRun).toBeGreaterThan(r.workloads[1]!.entriesPerRun); // loops are logged too
    expect(r.targets.map((t) => t.scenario)).toContain('direct');

    const json = JSON.parse(formatJson(r)) as BenchResult;
    expect(json.workloads[0]!.scenarios[0]!.id).toBe('baseline');
    const md = formatMarkdown(r);
    for (const w of r.workloads) for (const s of w.scenarios) expect(md).toContain(`| ${s.label} |`);
    expect(md).toContain('## Targets');
    const svg = renderSvg(r);
    expect(xmlRoot(svg)).toBe('svg');
    expect(svg).toContain('one empty static ops (direct)');
  });

  it('wasm-ftrace bench runs a fixture and writes --json and --svg', async () => {
    const json = path.join(dir, 'bench.json');
    const svg = path.join(dir, 'bench.svg');
    const { stdout, stderr } = await run(
      process.execPath,
      ['bin/wasm-ftrace.js', 'bench', 'wasm-fixtures/build/recursion.wasm', '--invoke', 'fib', '15', '--rounds', '2', '--json', json, '--svg', svg],
      { cwd: ROOT },
    );
    expect(stderr).toBe('');
    expect(stdout).toContain('### recursion.wasm: fib(15)');
    expect(stdout).toContain('| empty import at every entry (floor) |');
    expect(stdout).toContain('| binaryen --log-execution, empty import |');
    const r = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    checkResult(r, ['recursion.wasm']);
    expect(xmlRoot(readFileSync(svg, 'utf8'))).toBe('svg');
  });

  it('rejects bad input in one line, with exit code 1 or 2', async () => {
    const cli = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
      return { code, out, err };
    };
    const fixture = (f: string) => path.join(ROOT, 'wasm-fixtures/build', f);
    const noInvoke = await cli('bench', fixture('recursion.wasm'));
    expect(noInvoke.code).toBe(2);
    expect(noInvoke.err).toMatch(/--invoke/);
    const badScenario = await cli('bench', fixture('recursion.wasm'), '--invoke', 'fib', '--scenarios', 'floor,nope');
    expect(badScenario.code).toBe(2);
    expect(badScenario.err).toMatch(/unknown scenario 'nope'/);
    const noExport = await cli('bench', fixture('recursion.wasm'), '--invoke', 'nope');
    expect(noExport).toMatchObject({ code: 1, err: "wasm-ftrace: error: the module has no exported function 'nope'\n" });
    const imports = await cli('bench', fixture('imports.wasm'), '--invoke', 'main');
    expect(imports.code).toBe(1);
    expect(imports.err).toMatch(/^wasm-ftrace: error: the module imports env\.\S+.*only WASI/);
    expect(imports.err.trim().split('\n')).toHaveLength(1);
    const missing = await cli('bench', path.join(dir, 'missing.wasm'), '--invoke', 'f');
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/cannot read .*missing\.wasm/) });
    const help = await cli('bench', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('$ wasm-ftrace bench lib.wasm --invoke fib 25');
  });
});

describe('the native peer', () => {
  const has = (cmd: string): boolean => {
    try {
      execFileSync(cmd, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  it.skipIf(!has('uftrace') || !has('clang'))('times uftrace record of workload.c and counts its calls', () => {
    const peer = measureNativePeer(path.join(ROOT, 'wasm-fixtures/c/workload.c'), { rounds: 2, reps: 1 });
    if (!peer.ok) throw new Error(peer.reason);
    // run(2) makes about 2 x 84,500 calls natively (clang -O2 inlines a few the wasm build makes)
    expect(peer.result.calls).toBeGreaterThan(100_000);
    expect(peer.result.calls).toBeLessThan(400_000);
    expect(formatNativePeer(peer)).toMatch(/\| uftrace record over the plain build, .* \| -?[\d.]+ \|/);
  });
  it('says why it was skipped', () => {
    expect(formatNativePeer({ ok: false, reason: 'uftrace is not installed' })).toMatch(/Skipped: uftrace is not installed/);
  });
});
