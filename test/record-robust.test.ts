/**
 * A recording never loses the user's data for nothing: signals reach the
 * traced program and the trace so far is finished, a full disk keeps what
 * was written whole (and the program's exit status), and a run that traced
 * nothing leaves an earlier data file alone. Through the built bin.
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
