/**
 * `--srcline` end to end: record the clang -g fixture (wasm-fixtures/c/srcline.c),
 * then every reader shows each function's file:line, which the pass kept
 * from the module's DWARF (test/source-lines.test.ts covers the reading).
 * Counter clock: the outputs are deterministic and compared with golden
 * files (UPDATE_GOLDEN=1 rewrites them; review the diff by eye).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSections, SectionId } from '../src/abi/index.js';
import { buildCallTable } from '../src/viewer/model.js';
import { EVENT_ENTRY, EVENT_EXIT, type TraceData } from '../src/ring/event.js';
import { cli } from './helpers/cli.js';
import { golden } from './helpers/golden.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.resolve('wasm-fixtures/build/srcline.wasm');
let dir: string;
let data: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-srcline-'));
  data = path.join(dir, 'srcline.data');
  const rec = await cli('record', '--clock', 'counter', '-o', data, FIXTURE, '3');
  expect(rec.code).toBe(0);
});

describe('--srcline on the readers', () => {
  it("replay ends each entry with /* file:line */ (uftrace's layout), report adds a Source column, graph names lines too", async () => {
    golden('srcline-replay.txt', (await cli('replay', '--srcline', '-G', 'sum_lengths', data)).stdout);
    golden('srcline-report.txt', (await cli('report', '--srcline', '-F', 'main', '-F', 'sum_lengths', '-F', 'collatz_*', '-F', 'clamp', '-F', 'printf', data)).stdout);
    golden('srcline-graph.txt', (await cli('graph', '--srcline', 'sum_lengths', data)).stdout);
    // without --srcline nothing changes
    expect((await cli('replay', '-G', 'sum_lengths', data)).stdout).not.toContain('/*');
    expect((await cli('info', data)).stdout).toMatch(/^ {4}0 {2}srcline\.wasm {2}66 functions \(7 imported\) {2}sha256 [0-9a-f]{64} {2}source lines of 57 functions \(dwarf\)$/m);
  });

  it('list --srcline shows where each function starts, for the module as built', async () => {
    const r = await cli('list', '--srcline', FIXTURE, 'main', 'sum_lengths', 'collatz_*', 'clamp', '_start');
    expect(r.stderr).toBe('');
    golden('srcline-list.txt', r.stdout);
  });

  it('dump --chrome --srcline puts args.src on function events; dump --perfetto interns a SourceLocation per function', async () => {
    const chrome = JSON.parse((await cli('dump', '--chrome', '--srcline', '-F', 'collatz_step', data)).stdout) as { traceEvents: { ph: string; name?: string; args?: { src?: string } }[] };
    const steps = chrome.traceEvents.filter((e) => e.ph === 'X');
    expect(steps.length).toBe(8);
    expect(new Set(steps.map((e) => `${e.name} ${e.args?.src}`))).toEqual(new Set(['collatz_step wasm-fixtures/c/srcline.c:11']));
    const plain = JSON.parse((await cli('dump', '--chrome', '-F', 'collatz_step', data)).stdout) as { traceEvents: { ph: string; args?: unknown }[] };
    expect(plain.traceEvents.filter((e) => e.ph === 'X' && e.args !== undefined)).toEqual([]);

    const out = path.join(dir, 'srcline.pftrace');
    expect((await cli('dump', '--perfetto', '-o', out, '-F', 'sum_lengths', '-F', 'clamp', data)).code).toBe(0);
    const schema = protobuf.loadSync(path.join(HERE, 'perfetto/trace-subset.proto'));
    const Trace = schema.lookupType('perfetto.protos.Trace');
    const packets = (Trace.toObject(Trace.decode(readFileSync(out)), { longs: Number, enums: Number, defaults: false }) as {
      packet: {
        trackEvent?: { type?: number; nameIid?: number; sourceLocationIid?: number };
        internedData?: { eventNames?: { iid: number; name: string }[]; sourceLocations?: { iid: number; fileName: string; functionName: string; lineNumber: number }[] };
      }[];
    }).packet;
    const names = new Map<number, string>();
    const locations = new Map<number, string>();
    const begins: string[] = [];
    for (const p of packets) {
      for (const n of p.internedData?.eventNames ?? []) names.set(n.iid, n.name);
      for (const l of p.internedData?.sourceLocations ?? []) locations.set(l.iid, `${l.functionName} at ${l.fileName}:${l.lineNumber}`);
      const e = p.trackEvent;
      if (e?.type === 1) begins.push(`${names.get(e.nameIid!)}: ${e.sourceLocationIid !== undefined ? locations.get(e.sourceLocationIid) : 'none'}`);
    }
    expect(begins).toEqual([
      'sum_lengths: sum_lengths at wasm-fixtures/c/srcline.c:24',
      ...Array<string>(3).fill('clamp: clamp at wasm-fixtures/c/srcline_util.h:6'),
    ]);
  });

  it('takes the lines from --symbols when the recorded module was stripped of its DWARF and names', async () => {
    const bytes = readFileSync(FIXTURE);
    const stripped = path.join(dir, 'stripped.wasm');
    const kept = readSections(bytes).filter((s) => s.id !== SectionId.custom);
    writeFileSync(stripped, Buffer.concat([bytes.subarray(0, 8), ...kept.map((s) => bytes.subarray(s.start, s.end))]));
    const strippedData = path.join(dir, 'stripped.data');
    expect((await cli('record', '--clock', 'counter', '-o', strippedData, stripped, '3')).code).toBe(0);
    const bare = await cli('report', '--srcline', strippedData);
    expect(bare.stderr).toBe(`wasm-ftrace: note: --srcline: no module in ${strippedData} has source lines (build it with -g, or give its -g build with --symbols)\n`);
    const named = await cli('report', '--srcline', '--symbols', FIXTURE, '-F', 'collatz_step', strippedData);
    expect(named.stderr).toBe('');
    expect(named.stdout).toMatch(/^ {2}collatz_step +8 {2}wasm-fixtures\/c\/srcline\.c:11$/m);
  });
});

describe("the viewer's tooltips", () => {
  it('know each function’s file:line', () => {
    const trace: TraceData = {
      tracer: 'function_graph',
      clock: 'counter',
      instances: [{ id: 0, name: 'app', names: ['env.x', 'main', 'helper'], sourceLines: { from: 'dwarf', files: ['app.c'], functions: [[1, 0, 7]] } }],
      events: [
        { type: EVENT_ENTRY, instance: 0, ip: 1, parent: 0xffffffff, depth: 0, ts: 1, duration: 0 },
        { type: EVENT_ENTRY, instance: 0, ip: 2, parent: 1, depth: 1, ts: 2, duration: 0 },
        { type: EVENT_EXIT, instance: 0, ip: 2, parent: 0, depth: 1, ts: 3, duration: 1 },
        { type: EVENT_EXIT, instance: 0, ip: 1, parent: 0, depth: 0, ts: 4, duration: 3 },
      ],
      entries: 4,
      written: 4,
      lost: 0,
    };
    const calls = buildCallTable(trace);
    const byName = Object.fromEntries(calls.names.map((n, i) => [n, calls.sources[i]]));
    expect(byName).toMatchObject({ main: 'app.c:7', helper: undefined });
  });
});
