/**
 * The interceptor with an off-thread pass (asyncPass: what the browser
 * library runs in a Worker): asynchronous compiles go to it, once per
 * distinct module however many are in flight; synchronous ones use the pass
 * on this thread; a worker that cannot run falls back to that pass.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { instrument } from '../src/instrument/pass.js';
import { installInterceptor, type AsyncInstrumenter, type Interceptor } from '../src/runtime/intercept.js';
import { WorkerFailure } from '../src/runtime/instrumenter.js';
import { instrumentSelecting } from '../src/runtime/module-cache.js';
import { TraceArray } from '../src/tracers/index.js';

const RECURSION = new Uint8Array(readFileSync(path.resolve('wasm-fixtures/build/recursion.wasm')));
const START = new Uint8Array(readFileSync(path.resolve('wasm-fixtures/build/start.wasm')));
let interceptor: Interceptor | undefined;
afterEach(() => interceptor?.uninstall());

function setup(asyncPass: AsyncInstrumenter) {
  const tr = new TraceArray({ tracer: 'function' });
  let syncRuns = 0;
  interceptor = installInterceptor(tr, {
    exitHooks: false,
    pass: (bytes, options) => (syncRuns++, instrument(bytes, options)),
    asyncPass,
    onError: (e) => {
      throw e;
    },
  });
  return { tr, syncRuns: () => syncRuns };
}

describe('an off-thread pass', () => {
  it('instruments asynchronous compiles, once for concurrent loads of the same bytes; new WebAssembly.Module stays on this thread', async () => {
    let asyncRuns = 0;
    const { tr, syncRuns } = setup(async (bytes, options) => (asyncRuns++, instrumentSelecting(instrument, bytes, options)));
    const [a, b] = await Promise.all([WebAssembly.instantiate(RECURSION), WebAssembly.compile(RECURSION)]);
    expect(asyncRuns).toBe(1);
    expect(syncRuns()).toBe(0);
    expect(interceptor!.modules).toMatchObject([{ status: 'traced', loads: 2 }]);
    (a.instance.exports['fib'] as (n: number) => number)(3);
    expect(tr.read().events.length).toBe(5);
    expect(b).toBeInstanceOf(WebAssembly.Module);
    // other bytes, synchronously: the pass on this thread
    new WebAssembly.Module(START);
    expect(syncRuns()).toBe(1);
    expect(asyncRuns).toBe(1);
    expect(interceptor!.modules.map((m) => m.status)).toEqual(['traced', 'traced']);
  });

  it('falls back to the pass on this thread when the worker cannot run', async () => {
    const { syncRuns } = setup(() => Promise.reject(new WorkerFailure('the instrumenting worker did not start')));
    const { instance } = await WebAssembly.instantiate(RECURSION);
    expect(syncRuns()).toBe(1);
    expect(interceptor!.modules).toMatchObject([{ status: 'traced' }]);
    expect((instance.exports['fact'] as (n: number) => number)(5)).toBe(120);
  });

  it("reports the pass's own error from the worker and compiles the original bytes", async () => {
    const errors: string[] = [];
    const tr = new TraceArray({ tracer: 'function' });
    interceptor = installInterceptor(tr, { exitHooks: false, asyncPass: () => Promise.reject(new Error('no binaryen here')), onError: (e) => errors.push(String(e)) });
    const { instance } = await WebAssembly.instantiate(RECURSION);
    expect((instance.exports['fact'] as (n: number) => number)(5)).toBe(120);
    expect(interceptor.modules).toMatchObject([{ status: 'failed', reason: 'no binaryen here' }]);
    expect(errors).toEqual(['Error: no binaryen here']);
  });
});
