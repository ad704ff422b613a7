/**
 * The instrument cache and -F instrumentation: a second record of the same
 * module takes the instrumented bytes from disk (the data file says so),
 * records the same events, and -F instruments only what it can select
 * unless --instrument-all says filters will change.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { instrumentOnly, type SharedFlags } from '../src/cli/options.js';
import { instrument } from '../src/instrument/pass.js';
import { diskInstrumentCache } from '../src/runtime/instrument-cache.js';

const BIN = path.resolve('bin/wasm-ftrace.js');
const HASH_WASM = path.resolve('wasm-fixtures/build/hash.wasm');
const run = promisify(execFile);

let dir: string;
let cacheDir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-cache-'));
  cacheDir = path.join(dir, 'cache');
});

async function ftrace(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, WASM_FTRACE_CACHE_DIR: cacheDir }, maxBuffer: 64 << 20 });
}

const flags = (f: Partial<SharedFlags>): SharedFlags => ({ tracer: 'function', clock: 'counter', ...f });

describe('instrumentOnly: what -F lets the pass leave out', () => {
  it('plain globs and the functions triggers fire on', () => {
    expect(instrumentOnly(flags({ filter: ['parse*', 'main'] }))).toEqual(['parse*', 'main']);
    expect(instrumentOnly(flags({ filter: ['parse*'], trigger: ['main:traceoff'] }))).toEqual(['parse*', 'main']);
  });
  it('every function when a filter can reach beyond its globs', () => {
    expect(instrumentOnly(flags({}))).toBeUndefined();
    expect(instrumentOnly(flags({ filter: ['!parse*'] }))).toBeUndefined();
    expect(instrumentOnly(flags({ filter: ['12'] }))).toBeUndefined();
    expect(instrumentOnly(flags({ filter: ['*:mod:app'] }))).toBeUndefined();
    expect(instrumentOnly(flags({ filter: ['main:traceoff'] }))).toBeUndefined();
    expect(instrumentOnly(flags({ filter: ['parse*'], graphFunction: ['main'] }))).toBeUndefined();
    expect(instrumentOnly(flags({ filter: ['parse*'], instrumentAll: true }))).toBeUndefined();
  });
});

describe('the disk cache', () => {
  it('gives back what was put, per input hash and options; a damaged entry is a miss', () => {
    const cache = diskInstrumentCache(path.join(dir, 'unit'));
    const bytes = new Uint8Array(readFileSync(HASH_WASM));
    const result = instrument(bytes, { exitHooks: true });
    expect(cache.get('abc', { exitHooks: true })).toBeUndefined();
    cache.put('abc', { exitHooks: true }, result);
    const hit = cache.get('abc', { exitHooks: true })!;
    expect(hit.binary).toEqual(result.binary);
    expect(hit.metadata).toEqual(result.metadata);
    expect(hit.stats).toEqual(result.stats);
    expect(cache.get('abc', { exitHooks: false })).toBeUndefined();
    expect(cache.get('abd', { exitHooks: true })).toBeUndefined();
    cache.put('abc', { only: ['nothing*'] }, null);
    expect(cache.get('abc', { only: ['nothing*'] })).toBeNull();
    for (const f of readdirSync(cache.dir)) if (f.endsWith('.json')) writeFileSync(path.join(cache.dir, f), '{"hash":');
    expect(cache.get('abc', { exitHooks: true })).toBeUndefined();
  });
});

describe('record with the cache', () => {
  it('the second record skips the pass and records the same events; --no-cache instruments again', async () => {
    await ftrace('record', '--clock', 'counter', '-o', 'first.data', HASH_WASM, '16', '1');
    await ftrace('record', '--clock', 'counter', '-o', 'second.data', HASH_WASM, '16', '1');
    await ftrace('record', '--no-cache', '--clock', 'counter', '-o', 'third.data', HASH_WASM, '16', '1');
    const options = async (file: string): Promise<string> => /^options +(.*)$/m.exec((await ftrace('info', file)).stdout)![1]!;
    expect(await options('first.data')).toContain('"cache":"miss"');
    expect(await options('second.data')).toContain('"cache":"hit"');
    expect(await options('third.data')).toContain('"cache":"off"');
    const first = (await ftrace('dump', '--raw', 'first.data')).stdout;
    expect((await ftrace('dump', '--raw', 'second.data')).stdout).toBe(first);
    expect((await ftrace('dump', '--raw', 'third.data')).stdout).toBe(first);
  });

  it('-F instruments only what it selects, and records what instrumenting everything records', async () => {
    const filter = ['-F', 'fnv1a murmur3 fmix'];
    await ftrace('record', '--clock', 'counter', ...filter, '-o', 'only.data', HASH_WASM, '16', '1');
    await ftrace('record', '--clock', 'counter', '--instrument-all', ...filter, '-o', 'all.data', HASH_WASM, '16', '1');
    expect((await ftrace('info', 'only.data')).stdout).toMatch(/"instrument":\{"only":\["fnv1a","murmur3","fmix"\]/);
    expect((await ftrace('info', 'all.data')).stdout).not.toMatch(/"only"/);
    const only = (await ftrace('dump', '--raw', 'only.data')).stdout;
    expect(only).toMatch(/fnv1a <- main/);
    expect((await ftrace('dump', '--raw', 'all.data')).stdout).toBe(only);
  });
});
