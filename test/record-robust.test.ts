/**
 * A recording never loses the user's data for nothing: signals reach the
 * traced program and the trace so far is finished (`run` prints it), a
 * full disk keeps what was written whole (and the program's exit status),
 * and a run that traced nothing leaves an earlier data file alone. Through
 * the built bin.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../src/datafile/node-reader.js';
import { wat } from './helpers/wat.js';

const BIN = path.resolve('bin/wasm-ftrace.js');
const FIXTURES = path.resolve('wasm-fixtures/build');

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-robust-'));
  // a module whose spin() runs until it is stopped, calling a traced function all along
  fs.writeFileSync(
    path.join(dir, 'spin.wasm'),
    wat(`(module
      (func $tick (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "spin") (local $i i32)
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (if (i32.eqz (i32.and (local.get $i) (i32.const 0xffff))) (then (drop (call $tick (local.get $i)))))
          (br $l)))
      (func (export "once") (result i32) (call $tick (i32.const 1))))`),
  );
  const script = (busy: boolean) => `
    const fs = require('node:fs');
    WebAssembly.instantiate(fs.readFileSync(${JSON.stringify(path.join(dir, 'spin.wasm'))})).then(({ instance }) => {
      instance.exports.once();
      fs.writeFileSync(process.argv[2], String(process.pid));
      ${busy ? 'instance.exports.spin();' : 'setInterval(() => instance.exports.once(), 50);'}
    });`;
  fs.writeFileSync(path.join(dir, 'busy.cjs'), script(true));
  fs.writeFileSync(path.join(dir, 'idle.cjs'), script(false));
  fs.writeFileSync(path.join(dir, 'nowasm.cjs'), 'console.log("no wasm here");');
  // WASI commands that say "running" (announce) and then never end by themselves
  const wasi = (body: string) =>
    wat(`(module
      (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "running\\n")
      (func $announce
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 8))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
      ${body})`);
  // loops forever, calling tick() every 2^14 turns
  fs.writeFileSync(
    path.join(dir, 'forever.wasm'),
    wasi(`(func $tick (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "_start") (local $i i32)
        (call $announce)
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (if (i32.eqz (i32.and (local.get $i) (i32.const 0x3fff))) (then (drop (call $tick (local.get $i)))))
          (br $l)))`),
  );
  // reads stdin until it ends
  fs.writeFileSync(
    path.join(dir, 'reader.wasm'),
    wasi(`(func $readline (result i32)
        (i32.store (i32.const 32) (i32.const 64))
        (i32.store (i32.const 36) (i32.const 64))
        (drop (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 40)))
        (i32.load (i32.const 40)))
      (func (export "_start")
        (call $announce)
        (loop $l (br_if $l (call $readline))))`),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Starts `record`, waits until the program says it is running, sends `signal` to wasm-ftrace alone, and collects the end. */
async function interrupt(script: string, output: string, signal: NodeJS.Signals) {
  const ready = path.join(dir, `${script}.ready`);
  fs.rmSync(ready, { force: true });
  const p = spawn(process.execPath, [BIN, 'record', '-o', output, '--buffer-size', '1', '--', 'node', path.join(dir, script), ready], { cwd: dir });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  while (!fs.existsSync(ready) || fs.readFileSync(ready, 'utf8') === '') await new Promise((r) => setTimeout(r, 50));
  const childPid = Number(fs.readFileSync(ready, 'utf8'));
  p.kill(signal);
  const code = await exited;
  let childAlive = true;
  try {
    process.kill(childPid, 0);
  } catch {
    childAlive = false;
  }
  return { code, stderr, childAlive };
}

describe('record -- node: signals', () => {
  it('SIGINT reaches a program busy in wasm: it is stopped, the trace so far finished, exit 130', async () => {
    const out = path.join(dir, 'busy.data');
    const r = await interrupt('busy.cjs', out, 'SIGINT');
    expect(r.code).toBe(130);
    expect(r.childAlive).toBe(false);
    expect(r.stderr).toMatch(/the trace so far \(\d+ events\) is in /);
    const d = readDataFile(out);
    expect(d.complete).toBe(true);
    expect(d.footer?.['interrupted']).toBe('SIGINT');
    expect(d.warnings).toEqual([]);
    expect(d.eventCount).toBeGreaterThan(0);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('SIGTERM reaches an idle program: its own preload writes the whole trace; exit 143', async () => {
    const out = path.join(dir, 'idle.data');
    const r = await interrupt('idle.cjs', out, 'SIGTERM');
    expect(r.code).toBe(143);
    expect(r.childAlive).toBe(false);
    const d = readDataFile(out);
    expect(d.complete).toBe(true);
    expect(d.footer?.['interrupted']).toBeUndefined();
    expect(d.instances.map((i) => i.names)).toEqual([['tick', 'spin', 'once']]);
  });
});

/**
 * Starts `record forever.wasm` (WASI, run in-process), waits until the
 * program printed "running" and then a little more, sends `signal`, and
 * collects the end.
 */
function interruptWasi(output: string, signal: NodeJS.Signals, extra: string[] = [], program = 'forever.wasm') {
  return interruptCommand(['record', '-o', output, ...extra, path.join(dir, program)], signal);
}

/** The same for any command line of wasm-ftrace (`run ...`). */
async function interruptCommand(args: string[], signal: NodeJS.Signals) {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: dir });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on('exit', (code, sig) => resolve({ code, signal: sig })));
  while (!stdout.includes('running\n')) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300)); // it ticks meanwhile
  p.kill(signal);
  return { ...(await exited), stdout, stderr };
}

describe('record prog.wasm: signals', () => {
  it('SIGINT stops a WASI program that never ends: the trace so far is finished, info says so, exit 130', async () => {
    const out = path.join(dir, 'forever.data');
    const r = await interruptWasi(out, 'SIGINT');
    expect(r).toMatchObject({ code: 130, signal: null });
    expect(r.stdout).toBe('running\n');
    expect(r.stderr).toMatch(new RegExp(`^wasm-ftrace: interrupted by SIGINT: the trace so far \\((\\d+) events\\) is in ${out}\\n$`));
    const held = Number(/\((\d+) events\)/.exec(r.stderr)![1]);
    const d = readDataFile(out);
    expect(d.complete).toBe(true);
    expect(d.warnings).toEqual([]);
    expect(d.footer?.['interrupted']).toBe('SIGINT');
    // the events still in the ring when the signal came are in the file: _start, announce and ticks
    expect(d.eventCount).toBe(held);
    expect(held).toBeGreaterThan(4);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    const info = spawnSync(process.execPath, [BIN, 'info', out], { encoding: 'utf8' });
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/^ended      interrupted by SIGINT: the program was stopped; the trace holds what it recorded until then$/m);
    const replay = spawnSync(process.execPath, [BIN, 'replay', out], { encoding: 'utf8' });
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('_start() {');
    expect(replay.stdout).toContain('announce();');
    expect(replay.stdout).toContain('tick();');
  });

  it('SIGTERM: the same, exit 143', async () => {
    const out = path.join(dir, 'forever-term.data');
    const r = await interruptWasi(out, 'SIGTERM', ['-t', 'function', '--clock', 'counter']);
    expect(r).toMatchObject({ code: 143, signal: null });
    const d = readDataFile(out);
    expect(d.complete).toBe(true);
    expect(d.footer?.['interrupted']).toBe('SIGTERM');
    expect(d.eventCount).toBeGreaterThan(2);
  });

  it('a program that calls nothing traced any more is stopped after a grace period; what reached the disk is kept', async () => {
    const out = path.join(dir, 'forever-quiet.data');
    // --buffer-size 1: the ring drains often; -F announce: once it returns, nothing calls out of wasm
    const r = await interruptWasi(out, 'SIGINT', ['-F', '_start announce', '--buffer-size', '1']);
    expect(r).toMatchObject({ code: 130, signal: null });
    expect(r.stderr).toMatch(/the program did not stop within \d+ s of SIGINT: stopped it/);
    const d = readDataFile(out);
    expect(d.complete).toBe(true);
    expect(d.footer?.['interrupted']).toBe('SIGINT');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('a program waiting for stdin: its trace went to the disk before the read; wasm-ftrace ends by the signal itself', async () => {
    const out = path.join(dir, 'reader.data');
    // stdin is a pipe nobody writes to: the read blocks its thread, which Node cannot end
    const r = await interruptWasi(out, 'SIGINT', [], 'reader.wasm');
    expect(r).toMatchObject({ code: null, signal: 'SIGINT' }); // a shell shows 130
    expect(r.stderr).toMatch(/wasm-ftrace: interrupted by SIGINT: the trace so far \(4 events\) is in /);
    const d = readDataFile(out);
    expect(d.complete).toBe(true);
    expect(d.footer?.['interrupted']).toBe('SIGINT');
    // _start {, announce {, }, readline {: the read that never returned
    expect(d.events.map((e) => `${e.type === 1 ? 'entry' : 'exit'} ${d.instances[0]!.names[e.ip]}`)).toEqual(['entry _start', 'entry announce', 'exit announce', 'entry readline']);
  });
});

describe('run prog.wasm: signals', () => {
  it('SIGINT stops a WASI program that never ends: the trace so far is printed, exit 130', async () => {
    const r = await interruptCommand(['run', '-t', 'function_graph', '--clock', 'counter', path.join(dir, 'forever.wasm')], 'SIGINT');
    expect(r).toMatchObject({ code: 130, signal: null });
    expect(r.stdout).toBe('running\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('# tracer: function_graph');
    // the frames still open when the signal came, then the ticks
    expect(r.stderr).toContain('_start() {');
    expect(r.stderr).toContain('announce();');
    expect(r.stderr).toContain('tick();');
    expect(lines.at(-1)).toBe('wasm-ftrace: interrupted by SIGINT: the trace so far is above');
  });

  it('SIGTERM with -o: the file holds the trace so far, in the format asked for; exit 143', async () => {
    const out = path.join(dir, 'forever-run.json');
    const r = await interruptCommand(['run', '-t', 'function_graph', '-f', 'chrome', '-o', out, path.join(dir, 'forever.wasm')], 'SIGTERM');
    expect(r).toMatchObject({ code: 143, signal: null });
    expect(r.stderr).toBe(`wasm-ftrace: interrupted by SIGTERM: the trace so far is above (in ${out})\n`);
    const names = new Set((JSON.parse(fs.readFileSync(out, 'utf8')) as { traceEvents: { name: string }[] }).traceEvents.map((e) => e.name));
    expect(names).toContain('tick');
    expect(names).toContain('_start');
  });

  it('a program that calls nothing traced any more is stopped after a grace period; no trace, no file, exit 130', async () => {
    const out = path.join(dir, 'forever-quiet-run.txt');
    const r = await interruptCommand(['run', '-F', '_start announce', '-o', out, path.join(dir, 'forever.wasm')], 'SIGINT');
    expect(r).toMatchObject({ code: 130, signal: null });
    expect(r.stderr).toMatch(/^wasm-ftrace: the program did not stop within \d+ s of SIGINT \(it called nothing traced\): stopped it\nwasm-ftrace: interrupted by SIGINT: its trace is lost /);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a program waiting for stdin is ended at once; no trace; wasm-ftrace ends by the signal itself', async () => {
    // stdin is a pipe nobody writes to: the read blocks its thread, which Node cannot end
    const r = await interruptCommand(['run', path.join(dir, 'reader.wasm')], 'SIGINT');
    expect(r).toMatchObject({ code: null, signal: 'SIGINT' }); // a shell shows 130
    expect(r.stderr).toMatch(/^wasm-ftrace: interrupted by SIGINT: its trace is lost \(the program was ended while it called nothing traced or waited for input/);
  });
});

describe('an empty run keeps the previous data file', () => {
  it('a script that loads no wasm, a script that does not exist', () => {
    const out = path.join(dir, 'keep.data');
    fs.copyFileSync(path.join(FIXTURES, '..', '..', 'package.json'), out); // any earlier bytes
    const before = fs.readFileSync(out);
    for (const script of ['nowasm.cjs', 'nosuch.cjs']) {
      const r = spawnSync(process.execPath, [BIN, 'record', '-o', out, '--', 'node', script], { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(script === 'nowasm.cjs' ? 0 : 1);
      expect(r.stderr).toContain(`wasm-ftrace: no WebAssembly module was loaded: nothing recorded (${out} left as it was)`);
      expect(fs.readFileSync(out).equals(before)).toBe(true);
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

/** A 64 KiB tmpfs, where the machine lets us mount one. */
function smallDisk(): string | null {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-tiny-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    return mnt;
  } catch {
    fs.rmSync(mnt, { recursive: true, force: true });
    return null;
  }
}

describe('a full disk', () => {
  const mnt = smallDisk();
  afterAll(() => {
    if (mnt) {
      execFileSync('umount', [mnt]);
      fs.rmSync(mnt, { recursive: true, force: true });
    }
  });

  it.skipIf(mnt === null)('keeps the whole chunks written, says so in one line, and exits with the program status', () => {
    const out = path.join(mnt!, 'full.data');
    const r = spawnSync(process.execPath, [BIN, 'record', '-o', out, '--buffer-size', '4', path.join(FIXTURES, 'workload.wasm')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^wasm-ftrace: warning: could not write all of the trace to '${out}': no space left on device; it holds the first \\d+ events \\(incomplete\\)$`));
    const held = Number(/first (\d+) events/.exec(lines[0]!)![1]);
    expect(held).toBeGreaterThan(0);
    const d = readDataFile(out);
    expect(d.eventCount).toBe(held);
    expect(d.warnings).toEqual([`incomplete: no footer, ${held} events read`]);
    expect(fs.readdirSync(mnt!)).toEqual(['full.data']);
  });
});
