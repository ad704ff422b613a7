/**
 * `record -- node` traces every thread: a worker_threads Worker's calls and
 * a child `node` process's calls land in the one data file, each instance
 * tagged with its thread; info lists the threads and replay prints a TID
 * column. Through the built bin (the preload travels in NODE_OPTIONS).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../src/datafile/node-reader.js';
import { EVENT_ENTRY } from '../src/ring/event.js';
import { wat } from './helpers/wat.js';

const BIN = path.resolve('bin/wasm-ftrace.js');

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-threads-'));
  fs.writeFileSync(
    path.join(dir, 'm.wasm'),
    wat(`(module
      (func $fact (export "fact") (param i32) (result i32)
        (if (result i32) (i32.le_s (local.get 0) (i32.const 1)) (then (i32.const 1))
          (else (i32.mul (local.get 0) (call $fact (i32.sub (local.get 0) (i32.const 1)))))))
      (func $twice (export "twice") (param i32) (result i32) (i32.add (local.get 0) (local.get 0))))`),
  );
  // main thread: twice(); its Worker: fact(5); with 'fork', a child node process: twice()
  fs.writeFileSync(
    path.join(dir, 'app.mjs'),
    `import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { fork } from 'node:child_process';
const { instance } = await WebAssembly.instantiate(readFileSync(new URL('./m.wasm', import.meta.url)));
if (process.argv[2] === 'child') console.log('child', instance.exports.twice(21));
else if (isMainThread) {
  console.log('main', instance.exports.twice(4));
  const w = new Worker(new URL(import.meta.url));
  w.on('message', (m) => console.log('worker', m));
  await new Promise((r) => w.on('exit', r));
  if (process.argv[2] === 'fork') await new Promise((r) => fork(new URL(import.meta.url).pathname, ['child']).on('exit', r));
} else parentPort.postMessage(instance.exports.fact(5));
`,
  );
  // a Worker that loads no wasm, and a main thread that loads none either
  fs.writeFileSync(path.join(dir, 'nowasm.mjs'), `import { Worker } from 'node:worker_threads';\nnew Worker('1', { eval: true });\n`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function record(out: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'record', '-o', out, '--', 'node', ...args], { cwd: dir, encoding: 'utf8' });
  return r;
}

/** [thread, functions entered] per instance of a data file, with the pids made symbolic: P for the program, C for its child. */
function threadsOf(file: string): { threads: string[][]; pids: string[] } {
  const d = readDataFile(file);
  expect(d.complete).toBe(true);
  const entered = new Map<number, string[]>();
  for (const ev of d.events) {
    if (ev.type !== EVENT_ENTRY) continue;
    const inst = d.instances.find((i) => i.id === ev.instance)!;
    entered.set(ev.instance, [...(entered.get(ev.instance) ?? []), inst.names[ev.ip]!]);
  }
  const pids = [...new Set(d.instances.map((i) => i.thread!.split('.')[0]!))];
  const sym = (t: string): string => t.replace(/^\d+/, (p) => (p === pids[0] ? 'P' : 'C'));
  return { threads: d.instances.map((i) => [sym(i.thread!), ...new Set(entered.get(i.id) ?? [])]), pids };
}

describe('record -- node traces every thread', () => {
  it("a Worker's fact() and the main thread's twice() are in one data file, with distinct threads", () => {
    const out = path.join(dir, 'worker.data');
    const r = record(out, 'app.mjs');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('main 8\nworker 120\n');
    const { threads } = threadsOf(out);
    expect(threads).toEqual([
      ['P', 'twice'],
      ['P.1', 'fact'],
    ]);
    expect(r.stderr).toMatch(/wasm-ftrace: threads: \d+, \d+\.1 \(pid or pid\.threadId\): 2 instances, 12 events in all, merged into /);
    // no thread file is left behind
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);

    const info = spawnSync(process.execPath, [BIN, 'info', out], { encoding: 'utf8' }).stdout;
    expect(info).toMatch(/^threads {4}2: \d+, \d+\.1 /m);
    const replay = spawnSync(process.execPath, [BIN, 'replay', out], { encoding: 'utf8' }).stdout;
    expect(replay).toMatch(/^# CPU +TID +TASK\/PID +DURATION/m);
    // modules compiled from bytes are named by the script line that compiled them (app.mjs:4, cut to 7 as ftrace cuts a comm)
    expect(replay).toMatch(/^ 0\) \[ *\d+\.1\] +app\.mjs-1 +\| +\| {2}fact\(\) \{$/m);
    expect(replay).toMatch(/^ 0\) \[ *\d+\] +app\.mjs-0 +\| .*twice\(\);$/m);
  });

  it('a child node process is traced into the same file', () => {
    const out = path.join(dir, 'fork.data');
    const r = record(out, 'app.mjs', 'fork');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('main 8\nworker 120\nchild 42\n');
    const { threads, pids } = threadsOf(out);
    expect(pids).toHaveLength(2);
    expect(threads).toEqual([
      ['P', 'twice'],
      ['P.1', 'fact'],
      ['C', 'twice'],
    ]);
  });

  it('nothing traced: the message names the Workers the program started', () => {
    const out = path.join(dir, 'none.data');
    const r = record(out, 'nowasm.mjs');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('no WebAssembly module was loaded: nothing recorded');
    expect(r.stderr).toContain('the program started 1 worker thread and none loaded a module');
    expect(fs.existsSync(out)).toBe(false);
  });
});
