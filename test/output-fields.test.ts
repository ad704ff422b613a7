/**
 * `-f/--output-fields` (uftrace's field names) on report and replay: which
 * columns, in which order, and the one-line errors for fields a trace
 * cannot have. Recorded from the srcline fixture; times of the perf clock
 * vary, so their lines are matched by shape, the headers exactly.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOST_IP } from '../src/abi/index.js';
import { computeProfile, formatProfileRows } from '../src/output/profile.js';
import { EVENT_ENTRY, EVENT_EXIT, type TraceData, type TraceEvent } from '../src/ring/event.js';
import { cli } from './helpers/cli.js';

const FIXTURE = path.resolve('wasm-fixtures/build/srcline.wasm');
let perf = '';
let counter = '';
let fn = '';
beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-fields-'));
  perf = path.join(dir, 'perf.data');
  counter = path.join(dir, 'counter.data');
  fn = path.join(dir, 'fn.data');
  expect((await cli('record', '-o', perf, FIXTURE, '3')).code).toBe(0);
  expect((await cli('record', '--clock', 'counter', '-o', counter, FIXTURE, '3')).code).toBe(0);
  expect((await cli('record', '-t', 'function', '-o', fn, FIXTURE, '3')).code).toBe(0);
});

const T = '\\d+\\.\\d+ us';

describe('report -f', () => {
  it('prints the named columns in the order given', async () => {
    const r = await cli('report', '-f', 'call,total-min,total-max,self-max', '-F', 'collatz_step', perf);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`  ${'Function'.padEnd(30)}         Hit    Min             Max             Self max`);
    expect(lines[1]).toBe(`  ${'--------'.padEnd(30)}         ---    ---             ---             --------`);
    expect(lines[2]).toMatch(new RegExp(`^  collatz_step {18} {11}8 {4}${T} +${T} +${T}$`));
    expect(lines.slice(3)).toEqual(['']);
  });

  it("'+f' adds to the default columns, 'none' leaves the names, 'all' has every column", async () => {
    expect((await cli('report', '-f', '+total-max', '-n', '1', perf)).stdout.split('\n')[0]).toBe(
      `  ${'Function'.padEnd(30)}         Hit    Time            Avg             Stddev          Self            Max`,
    );
    expect((await cli('report', '-f', 'none', '-F', 'main', perf)).stdout).toBe(`  Function\n  --------\n  main\n`);
    expect((await cli('report', '-f', 'all', '-n', '1', perf)).stdout.split('\n')[0]).toBe(
      `  ${'Function'.padEnd(30)}         Hit    Time            Avg             Min             Max             Stddev          Self            Self avg        Self min        Self max`,
    );
  });

  it('refuses an unknown field (usage, exit 2) and a time column of a trace without times (exit 1)', async () => {
    const bad = await cli('report', '-f', 'call,bogus', perf);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown field 'bogus' \(call, total, total-avg, total-min, total-max, stddev, self, self-avg, self-min, self-max, all, none\)/);
    expect(await cli('report', '-f', 'call,total', counter)).toEqual({ code: 1, stdout: '', stderr: `wasm-ftrace: error: -f total: ${counter} has no call times (clock counter counts events)\n` });
    expect(await cli('report', '-f', 'self', fn)).toEqual({ code: 1, stdout: '', stderr: `wasm-ftrace: error: -f self: ${fn} has no call times (no EXIT events: record with -t function_graph)\n` });
  });

  it('computes the shortest and longest call, inclusive and self', () => {
    const ev = (type: 1 | 2, ip: number, depth: number, ts: number, duration = 0): TraceEvent => ({ type, instance: 0, ip, parent: type === EVENT_ENTRY ? HOST_IP : 0, depth, ts, duration });
    // f: 10 us (child g 4 us), then 3 us alone
    const trace: TraceData = {
      tracer: 'function_graph',
      clock: 'perf',
      instances: [{ id: 0, name: 'm', names: ['f', 'g'] }],
      events: [ev(EVENT_ENTRY, 0, 0, 0), ev(EVENT_ENTRY, 1, 1, 2), ev(EVENT_EXIT, 1, 1, 6, 4), ev(EVENT_EXIT, 0, 0, 10, 10), ev(EVENT_ENTRY, 0, 0, 20), ev(EVENT_EXIT, 0, 0, 23, 3)],
      entries: 6,
      written: 6,
      lost: 0,
    };
    const f = computeProfile(trace).find((r) => r.name === 'f')!;
    expect([f.min, f.max, f.selfMin, f.selfMax]).toEqual([3, 10, 3, 6]);
    expect(formatProfileRows([f], { fields: ['total-min', 'self-max', 'call'] })).toBe(
      `  ${'Function'.padEnd(30)}    Min             Self max             Hit\n  ${'--------'.padEnd(30)}    ---             --------             ---\n  ${'f'.padEnd(30)}    3.000 us        6.000 us               2\n`,
    );
  });
});

describe('replay -f', () => {
  it("chooses function_graph's columns: time, duration, task, none", async () => {
    const head = async (fields: string, file: string): Promise<string[]> => (await cli('replay', '-f', fields, '-G', 'sum_lengths', file)).stdout.split('\n').slice(2, 5);
    const [h1, h2, first] = await head('time,duration,task', perf);
    expect(h1).toBe('#     TIME        CPU  TASK/PID         DURATION                  FUNCTION CALLS');
    expect(h2).toBe('#      |          |     |    |           |   |                     |   |   |   |');
    expect(first).toMatch(/^ +\d+\.\d{6} \| {3}0\) {3}srcline-0 {4}\| {15}\| {2}sum_lengths\(\) \{$/);
    expect(await head('none', perf)).toEqual(['# CPU               FUNCTION CALLS', '# |                 |   |   |   |', ' 0) sum_lengths() {']);
    // a counter clock: 'time' is its count, and there are no durations to show
    expect(await head('+time', counter)).toEqual(['#     COUNTER     CPU               FUNCTION CALLS', '#      |          |                 |   |   |   |', '          24 |   0) sum_lengths() {']);
  });

  it('refuses -f on a function tracer trace, whose lines are fixed', async () => {
    expect(await cli('replay', '-f', 'time', fn)).toEqual({ code: 1, stdout: '', stderr: `wasm-ftrace: error: -f: ${fn} is a function trace, whose lines have ftrace's fixed context; the fields are function_graph's columns\n` });
  });
});
