/**
 * The thread model on a browser's main thread, in real Chromium (a
 * cross-origin isolated page, so SharedArrayBuffer exists) with a real
 * module Web Worker: the page's main thread may not block, so unregister
 * of a DYNAMIC ops there throws EAGAIN before changing anything, and
 * unregisterAsync resolves only once the Worker has left the callback it
 * was in (Atomics.waitAsync). The page (test/threads/browser-page.mjs) and
 * the Worker load dist/ftrace as ES modules (npm run build).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrument } from '../src/index.js';
import { launchChromium, requireChromium, serveDirectory, type Chromium, type StaticServer } from './helpers/chromium.js';
import { wat } from './helpers/wat.js';

const root = path.resolve('.');
let browser: Chromium;
let server: StaticServer;

beforeAll(async () => {
  requireChromium();
  server = await serveDirectory(root);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const bytes = [...instrument(wat(`(module (func $leaf (export "leaf") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))`)).binary];

describe('a browser main thread and a Web Worker sharing one ftrace state', () => {
  it.each([
    ['with Atomics.waitAsync', false],
    ['without it (timers)', true],
  ])('the sync unregister refuses with EAGAIN, changing nothing; the async one waits for the Worker to leave its callback (%s)', async (_, noWaitAsync) => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/__blank.html`);
    // a string: vitest would rewrite a dynamic import() written in this file
    const got = await page.evaluate(`import('/test/threads/browser-page.mjs').then((m) => m.run(${JSON.stringify(bytes)}, { noWaitAsync: ${noWaitAsync} }))`);
    expect(errors).toEqual([]);
    expect(got).toEqual({
      isolated: true,
      mainCanBlock: false, // Atomics.wait throws on a page's main thread
      workerCanBlock: 1,
      hasWaitAsync: !noWaitAsync,
      syncError: { errno: 11, message: expect.stringMatching(/cannot block .*use unregisterAsync/) },
      keysAfterRefusal: [1],
      keysAfterAsync: [],
      settledWhileInside: false,
      leftWhenResolved: 1,
    });
    await page.close();
  });
});
