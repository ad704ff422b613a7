/**
 * The browser build in real headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core): the example page traced by the drop-in
 * script must record exactly what the same calls record in Node. Without
 * Chromium these tests fail, saying how to install it (they never skip).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { instrument } from '../src/instrument/pass.js';
import * as nodeEntry from '../src/index.js';
import { main } from '../src/cli/main.js';
import { launchChromium, requireChromium, serveDirectory, type Chromium, type StaticServer } from './helpers/chromium.js';
import { calls, fixturePath, root, shape, traceInNode } from './helpers/example-trace.js';

const artifacts = path.join(root, 'test-artifacts');
const BUNDLE = path.join(root, 'dist/browser/wasm-ftrace.js');

let browser: Chromium;
let server: StaticServer;

beforeAll(async () => {
  requireChromium(); // first: a clear message when it is missing
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
  mkdirSync(artifacts, { recursive: true });
  server = await serveDirectory(root);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that fails the test on any uncaught error or console error (and collects its console warnings). */
async function newPage(): Promise<{ page: Page; errors: string[]; warnings: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  const warnings: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
    if (m.type() === 'warning') warnings.push(m.text());
  });
  return { page, errors, warnings };
}

describe('browser bundle', () => {
  it('names no Node module (binaryen.js rewritten), and exports the Node entry API', async () => {
    const text = readFileSync(BUNDLE, 'utf8');
    // a `node:` specifier makes webpack's default config fail and Vite warn
    const specifiers = [...text.matchAll(/(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s+|\brequire\s*\(\s*)["'](node:[^"']+)["']/g)].map((m) => m[1]);
    expect(specifiers).toEqual([]);
    expect(text.includes('globalThis.process.getBuiltinModule("module")')).toBe(true);
    expect(/record\/writer|node-reader|node:wasi|node:worker_threads/.exec(text)?.[0]).toBeUndefined();
    const lib = (await import(BUNDLE)) as Record<string, unknown>;
    for (const key of Object.keys(nodeEntry)) expect(typeof lib[key], key).toBe(typeof (nodeEntry as Record<string, unknown>)[key]);
    for (const key of ['attach', 'installInterceptor', 'decodeDataFile', 'formatFtraceText', 'toChromeTrace']) expect(typeof lib[key], key).toBe('function');
  });
});

describe('the example page in Chromium', () => {
  it('traces recursion.wasm with the drop-in script exactly as Node traces the same calls', async () => {
    const { page, errors } = await newPage();
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
    await page.goto(`${server.url}/examples/browser/index.html`);
    await page.waitForSelector('html[data-state]', { timeout: 60_000 });
    const state = await page.evaluate(() => document.documentElement.dataset['state']);
    expect(state, await page.locator('#status').textContent() ?? '').toBe('done');

    const got = await page.evaluate(() => {
      const ft = (globalThis as unknown as { wasmFtrace: import('../src/runtime/page.js').PageTracer }).wasmFtrace;
      return {
        trace: ft.read(),
        modules: ft.modules.map((m) => ({ name: m.name, status: m.status, loads: m.loads, instances: m.instances.length })),
        text: ft.text(),
        checks: (window as unknown as { exampleChecks: unknown }).exampleChecks,
        pre: document.getElementById('trace')!.textContent,
        isolated: globalThis.crossOriginIsolated,
      };
    });
    const want = await traceInNode();
    expect(got.trace.tracer).toBe('function_graph');
    expect(got.trace.lost).toBe(0);
    expect(got.modules).toEqual([{ name: 'recursion.wasm', status: 'traced', loads: 1, instances: 1 }]);
    // instantiateStreaming is asynchronous: the module was instrumented in the library's worker, off the main thread
    expect(workers).toEqual(['/dist/browser/instrument-worker.js']);
    expect(got.trace.instances.map((i) => i.names)).toEqual(want.instances.map((i) => i.names));
    expect(shape(got.trace.events)).toEqual(shape(want.events));
    expect(got.trace.events.length).toBeGreaterThan(50);
    // the page saw the engine's own objects and the original interface
    expect(got.checks).toEqual({
      moduleIsModule: true,
      instanceIsInstance: true,
      imports: [],
      exports: ['fact', 'fact64', 'fib', 'sum_fibs', 'is_even', 'is_odd', 'combo'],
    });
    expect(got.pre).toBe(got.text);
    expect(got.isolated).toBe(true); // the test server's COOP/COEP: a 5 us timer
    expect(got.text).toMatch(/^# tracer: function_graph/);
    expect(got.text).toContain('combo() {');

    // the synchronous API, the control API
    const more = await page.evaluate(async () => {
      const ft = (globalThis as unknown as { wasmFtrace: import('../src/runtime/page.js').PageTracer }).wasmFtrace;
      const bytes = await (await fetch('/wasm-fixtures/build/recursion.wasm')).arrayBuffer();
      const m = new WebAssembly.Module(bytes);
      const i = new WebAssembly.Instance(m, {});
      const fact = i.exports['fact'] as (n: number) => number;
      const before = ft.stats.written;
      fact(3);
      const traced = ft.stats.written - before;
      ft.stop();
      fact(3);
      const whileStopped = ft.stats.written - before - traced;
      ft.start();
      ft.clear();
      fact(2);
      const afterClear = ft.read().events.length;
      const outputs = { chrome: JSON.parse(ft.chrome()).traceEvents.length > 0, folded: ft.folded(), profile: ft.profile() };
      return {
        isModule: m instanceof WebAssembly.Module,
        isInstance: i instanceof WebAssembly.Instance,
        ctor: m.constructor === WebAssembly.Module,
        loads: ft.modules[0]!.loads,
        instances: ft.modules[0]!.instances.length,
        traced,
        whileStopped,
        afterClear,
        outputs,
      };
    });
    expect(more).toMatchObject({ isModule: true, isInstance: true, ctor: true, loads: 2, instances: 2, traced: 6, whileStopped: 0, afterClear: 4 });
    expect(more.outputs.chrome).toBe(true);
    expect(more.outputs.folded).toMatch(/fact;fact/);
    expect(more.outputs.profile).toMatch(/fact \[recursion\.wasm\]\s+2\s/); // two instances now: names are qualified

    await page.evaluate(() => {
      const ft = (globalThis as unknown as { wasmFtrace: import('../src/runtime/page.js').PageTracer }).wasmFtrace;
      ft.detach();
      return [typeof (globalThis as Record<string, unknown>)['wasmFtrace'], (WebAssembly.Module as unknown as Record<symbol, unknown>)[Symbol.for('wasm-ftrace.interceptor')]];
    }).then((r) => expect(r).toEqual(['undefined', undefined]));

    // the screenshot, as the page looked once traced (a CI artifact)
    await page.reload();
    await page.waitForSelector('html[data-state="done"]', { timeout: 60_000 });
    await page.screenshot({ path: path.join(artifacts, 'browser-example.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('reads its options from the script element (data attributes)', async () => {
    const { page, errors } = await newPage();
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(w.url()));
    await page.goto(`${server.url}/__blank.html`);
    const got = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.type = 'module';
      s.src = '/dist/browser/auto.js';
      s.dataset['tracer'] = 'function';
      s.dataset['filter'] = 'fib';
      s.dataset['clock'] = 'counter';
      s.dataset['instrumentInWorker'] = 'false';
      document.head.append(s);
      await new Promise((r) => s.addEventListener('load', r));
      const ft = await (globalThis as unknown as { wasmFtraceReady: Promise<import('../src/runtime/page.js').PageTracer> }).wasmFtraceReady;
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/wasm-fixtures/build/recursion.wasm'));
      (instance.exports['fib'] as (n: number) => number)(4);
      (instance.exports['fact'] as (n: number) => number)(4);
      const data = ft.read();
      return { tracer: data.tracer, clock: data.clock, names: [...new Set(data.events.map((e) => data.instances[e.instance]!.names[e.ip]))], n: data.events.length };
    });
    // fib(4) enters fib 9 times; fact is filtered out
    expect(got).toEqual({ tracer: 'function', clock: 'counter', names: ['fib'], n: 9 });
    expect(workers).toEqual([]); // data-instrument-in-worker="false": on the page's thread
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the drop-in when the library does not come', () => {
  it('releases the held WebAssembly calls after data-hold-ms, untraced, with a console warning', async () => {
    const { page, errors, warnings } = await newPage();
    // the library request never gets an answer
    await page.route('**/dist/browser/wasm-ftrace.js', () => {});
    await page.goto(`${server.url}/__blank.html`);
    const got = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.type = 'module';
      s.src = '/dist/browser/auto.js';
      s.dataset['holdMs'] = '300';
      document.head.append(s);
      await new Promise((r) => s.addEventListener('load', r));
      const t0 = performance.now();
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/wasm-fixtures/build/recursion.wasm'));
      return { fact: (instance.exports['fact'] as (n: number) => number)(5), waitedMs: performance.now() - t0, api: typeof (globalThis as Record<string, unknown>)['wasmFtrace'] };
    });
    expect(got.fact).toBe(120);
    expect(got.api).toBe('undefined');
    expect(got.waitedMs).toBeGreaterThan(200); // it was held, then let go
    expect(warnings).toEqual([expect.stringMatching(/^wasm-ftrace: the library has not loaded after 300 ms; the page's WebAssembly calls held meanwhile go on untraced$/)]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('wasm-ftrace/runtime (no binaryen.js)', () => {
  it('traces a pre-instrumented module exactly as Node does, and refuses an uninstrumented one with one warning', async () => {
    const { page, errors, warnings } = await newPage();
    const original = readFileSync(fixturePath);
    const { binary } = instrument(original, { exitHooks: true });
    await page.route('**/pre/recursion.wasm', (route) => route.fulfill({ body: Buffer.from(binary), contentType: 'application/wasm' }));
    await page.goto(`${server.url}/__blank.html`);
    const got = await page.evaluate(async (calls) => {
      const load = new Function('url', 'return import(url)') as (url: string) => Promise<typeof import('../src/browser-runtime.js')>;
      const rt = await load('/dist/browser/runtime.js');
      const ft = rt.attach({ tracer: 'function_graph' });
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/pre/recursion.wasm'));
      for (const [name, args] of calls) (instance.exports[name] as (...a: number[]) => number)(...args);
      const plain = await WebAssembly.instantiateStreaming(fetch('/wasm-fixtures/build/recursion.wasm'));
      const stillWorks = (plain.instance.exports['fact'] as (n: number) => number)(5);
      // the viewer handoff: the trace in an overlay, the viewer loaded on demand
      const viewer = await ft.view();
      const viewed = { events: viewer.stats().events, overlay: document.querySelectorAll('body > div .wft').length };
      const outputs = { text: ft.text(), chrome: JSON.parse(ft.chrome()).traceEvents.length > 0, profile: ft.profile() };
      return { trace: ft.read(), modules: ft.modules.map((m) => ({ name: m.name, status: m.status })), stillWorks, viaGlobal: (globalThis as Record<string, unknown>)['wasmFtrace'] === ft, viewed, outputs };
    }, calls);
    expect(got.viewed).toEqual({ events: got.trace.events.length, overlay: 1 });
    // the formatters (runtime-format.js, loaded on attach()) were there once instantiateStreaming resolved
    expect(got.outputs.text).toMatch(/^# tracer: function_graph\n/);
    expect(got.outputs.text).toContain('combo() {');
    expect(got.outputs.chrome).toBe(true);
    expect(got.outputs.profile).toMatch(/^\s+Function\s+Hit\s+Time/);
    const want = await traceInNode();
    expect(got.modules).toEqual([
      { name: 'recursion.wasm', status: 'preinstrumented' },
      { name: 'recursion.wasm', status: 'failed' },
    ]);
    expect(shape(got.trace.events)).toEqual(shape(want.events));
    expect(got.stillWorks).toBe(120);
    expect(got.viaGlobal).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^wasm-ftrace: module recursion\.wasm left untraced: it is not instrumented, and wasm-ftrace\/runtime does not instrument: instrument it at build time \(`npx wasm-ftrace instrument/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('wasm-ftrace/runtime: what it loads after attach()', () => {
  /** The runtime attached in a blank page, with `formatUrl` served as `formats` says; recursion.wasm pre-instrumented. */
  async function early(formats: 'served' | 'missing') {
    const { page, errors, warnings } = await newPage();
    const { binary } = instrument(readFileSync(fixturePath));
    await page.route('**/pre/recursion.wasm', (route) => route.fulfill({ body: Buffer.from(binary), contentType: 'application/wasm' }));
    if (formats === 'missing') await page.route('**/dist/browser/runtime-format.js', (route) => route.fulfill({ status: 404, body: 'not here' }));
    await page.goto(`${server.url}/__blank.html`);
    const got = await page.evaluate(async () => {
      const load = new Function('url', 'return import(url)') as (url: string) => Promise<typeof import('../src/browser-runtime.js')>;
      const rt = await load('/dist/browser/runtime.js');
      const ft = rt.attach({ tracer: 'function' });
      const attempt = (f: () => unknown): string => {
        try {
          return String(f());
        } catch (e) {
          return (e as Error).message;
        }
      };
      const sameTask = attempt(() => ft.text());
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/pre/recursion.wasm'));
      (instance.exports['fib'] as (n: number) => number)(4);
      const tracer = rt.TRACERS.get('function')!;
      return { sameTask, after: attempt(() => ft.text().split('\n')[0]), events: ft.read().events.length, selftest: attempt(() => tracer.selftest({ tr: ft.trace, run: () => {}, entered: [] })) };
    });
    await page.close();
    return { ...got, errors, warnings };
  }

  it('formats once the formatters arrive: an asynchronous compile waits for them; text() in attach()\'s own task says why it cannot', async () => {
    const got = await early('served');
    expect(got.sameTask).toBe('wasm-ftrace: text() cannot format: runtime-format.js is still loading (attach() started it; call this from a later task)');
    expect(got.after).toBe('# tracer: function');
    expect(got.events).toBe(9); // fib(4) enters fib 9 times
    // the tracers' selftests are test code, left out of the runtime
    expect(got.selftest).toBe("the tracers' selftests are not in wasm-ftrace/runtime (wasm-ftrace and wasm-ftrace/browser have them)");
    expect(got.warnings).toEqual([]);
    expect(got.errors).toEqual([]);
  });

  it('still traces when the formatters cannot load: one warning, read() works, text() names the failure', async () => {
    const got = await early('missing');
    expect(got.events).toBe(9);
    expect(got.after).toMatch(/^wasm-ftrace: text\(\) cannot format: runtime-format\.js did not load \(.+\)$/);
    expect(got.warnings).toEqual([expect.stringMatching(/^wasm-ftrace: runtime-format\.js did not load \(.+\): text\(\), chrome\(\), folded\(\) and profile\(\) cannot work; read\(\) and save\(\) do$/)]);
    expect(got.errors.filter((e) => !/404|Failed to load resource/.test(e))).toEqual([]);
  });
});

describe('wasm-ftrace/runtime, opt-in instrumentWorker', () => {
  it('instruments an uninstrumented module in the worker, binaryen.js loaded only then, and traces it as Node does', async () => {
    const { page, errors, warnings } = await newPage();
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
    await page.goto(`${server.url}/__blank.html`);
    const got = await page.evaluate(async (calls) => {
      const load = new Function('url', 'return import(url)') as (url: string) => Promise<typeof import('../src/browser-runtime.js')>;
      const ft = (await load('/dist/browser/runtime.js')).attach({ tracer: 'function_graph', instrumentWorker: '/dist/browser/instrument-worker.js' });
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/wasm-fixtures/build/recursion.wasm'));
      for (const [name, args] of calls) (instance.exports[name] as (...a: number[]) => number)(...args);
      return { trace: ft.read(), modules: ft.modules.map((m) => ({ name: m.name, status: m.status })) };
    }, calls);
    expect(got.modules).toEqual([{ name: 'recursion.wasm', status: 'traced' }]);
    expect(shape(got.trace.events)).toEqual(shape((await traceInNode()).events));
    expect(workers).toEqual(['/dist/browser/instrument-worker.js']);
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('wasm-ftrace/runtime in a Web Worker', () => {
  it('traces the worker\'s modules; the worker sends its trace to the page as a data file', async () => {
    const { page, errors } = await newPage();
    const { binary } = instrument(readFileSync(fixturePath));
    await page.goto(`${server.url}/__blank.html`);
    const got = await page.evaluate(async (bytes) => {
      const source = `
        import { attach } from '${location.origin}/dist/browser/runtime.js';
        const ft = attach({ tracer: 'function' });
        onmessage = async (ev) => {
          const { instance } = await WebAssembly.instantiate(new Uint8Array(ev.data));
          instance.exports.fib(6);
          postMessage({ inWorker: typeof document === 'undefined', events: ft.read().events.length, data: await ft.save('') });
        };
        postMessage('ready');`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
      const reply = await new Promise<{ inWorker: boolean; events: number; data: Uint8Array }>((resolve, reject) => {
        worker.onerror = (e) => reject(new Error(e.message));
        worker.onmessage = (ev) => (ev.data === 'ready' ? worker.postMessage(bytes) : resolve(ev.data));
      });
      worker.terminate();
      return { ...reply, data: Array.from(reply.data) };
    }, Array.from(binary));
    expect(got).toMatchObject({ inWorker: true, events: 25 }); // fib(6) enters fib 25 times
    const file = path.join(artifacts, 'worker.data');
    writeFileSync(file, Uint8Array.from(got.data));
    let out = '';
    expect(await main(['report', file], { stdout: (t) => (out += t), stderr: () => {} })).toBe(0);
    expect(out).toMatch(/^\s*fib\s+25$/m);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('a page keeps its whole trace', () => {
  /** The runtime in a blank page, recursion.wasm pre-instrumented, fib(15) called: 1973 entries of fib. */
  async function fib15(options: import('../src/runtime/page.js').AttachOptions) {
    const { page, errors, warnings } = await newPage();
    const { binary } = instrument(readFileSync(fixturePath));
    await page.route('**/pre/recursion.wasm', (route) => route.fulfill({ body: Buffer.from(binary), contentType: 'application/wasm' }));
    await page.goto(`${server.url}/__blank.html`);
    const got = await page.evaluate(async (o) => {
      const load = new Function('url', 'return import(url)') as (url: string) => Promise<typeof import('../src/browser-runtime.js')>;
      const ft = (await load('/dist/browser/runtime.js')).attach(o);
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/pre/recursion.wasm'));
      (instance.exports['fib'] as (n: number) => number)(15);
      const data = ft.read();
      const saved = Array.from(await ft.save(''));
      return { events: data.events.length, lost: data.lost, stats: ft.stats, capacity: ft.trace.ring.capacity, saved, afterSave: ft.read().events.length };
    }, options);
    await page.close();
    expect(errors).toEqual([]);
    return { ...got, warnings };
  }

  it('drains the ring into memory: a 4 KiB ring loses nothing, and save() writes a data file `report` reads', async () => {
    const got = await fib15({ tracer: 'function', bufferKb: 4 });
    expect(got.capacity).toBeLessThan(200);
    expect(got).toMatchObject({ events: 1973, lost: 0, afterSave: 1973 });
    expect(got.stats).toMatchObject({ entries: 1973, written: 1973, lost: 0 });
    expect(got.warnings).toEqual([]);
    const file = path.join(artifacts, 'page.data');
    writeFileSync(file, Uint8Array.from(got.saved));
    let out = '';
    let err = '';
    const code = await main(['report', file], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^\s*fib\s+1973$/m);
  });

  it('warns once when the memory budget is spent, and counts what the ring then overwrites', async () => {
    const got = await fib15({ tracer: 'function', bufferKb: 4, memoryKb: 8 });
    expect(got.warnings).toEqual([expect.stringMatching(/^wasm-ftrace: the trace reached its memory budget \(8 KiB, \d+ events kept\); from now on the ring buffer overwrites its oldest events\./)]);
    expect(got.lost).toBeGreaterThan(0);
    expect(got.events + got.lost).toBe(1973);
  });
});

describe('instrument() on the main thread', () => {
  it('is measured in Chromium for a small fixture and sql.js (688 KB)', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${server.url}/__blank.html`);
    const result = await page.evaluate(async () => {
      const t0 = performance.now();
      // (a string, so that vitest leaves this import() alone)
      const load = new Function('url', 'return import(url)') as (url: string) => Promise<typeof import('../src/browser.js')>;
      const lib = await load('/dist/browser/wasm-ftrace.js');
      const loadMs = performance.now() - t0;
      const bytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
      const time = (input: Uint8Array, exitHooks: boolean) => {
        const ms: number[] = [];
        let valid = true;
        for (let i = 0; i < 5; i++) {
          const s = performance.now();
          const r = lib.instrument(input, { exitHooks });
          ms.push(performance.now() - s);
          valid &&= WebAssembly.validate(r.binary as Uint8Array<ArrayBuffer>);
        }
        const warm = ms.slice(1).sort((a, b) => a - b);
        return { size: input.length, first: ms[0]!, median: warm[Math.floor(warm.length / 2)]!, max: Math.max(...ms), valid };
      };
      const fixture = await bytes('/wasm-fixtures/build/recursion.wasm');
      const sql = await bytes('/node_modules/sql.js/dist/sql-wasm.wasm');
      return {
        libraryLoadMs: loadMs,
        fixture: time(fixture, false),
        fixtureExitHooks: time(fixture, true),
        sqlJs: time(sql, false),
        sqlJsExitHooks: time(sql, true),
      };
    });
    const round = (x: unknown): unknown => (typeof x === 'number' ? Math.round(x * 10) / 10 : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, round(v)])) : x);
    const report = round(result);
    writeFileSync(path.join(artifacts, 'browser-instrument-timings.json'), `${JSON.stringify({ chromium: browser.context.browser()?.version() ?? null, ...(report as object) }, null, 2)}\n`);
    console.log(`instrument() on Chromium's main thread (ms): ${JSON.stringify(report)}`);
    for (const k of ['fixture', 'fixtureExitHooks', 'sqlJs', 'sqlJsExitHooks'] as const) expect(result[k].valid, k).toBe(true);
    expect(result.sqlJs.size).toBeGreaterThan(600_000);
    expect(errors).toEqual([]);
    await page.close();
  });
});
