/**
 * The trace viewer in real headless Chromium (Debian's /usr/bin/chromium via
 * playwright-core): the page `report --html` writes, opened from file://,
 * every view drawn and read back, search, sorting, opening traces through
 * the file input, and the time to mount and draw 10^6 events (reported,
 * not asserted). Screenshots go to test-artifacts/. Without Chromium the
 * tests fail, saying how to install it (they never skip).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import type { TraceData } from '../src/ring/event.js';
import { viewerHtml } from '../src/viewer/page.js';
import type { ViewerStats } from '../src/viewer/main.js';
import { launchChromium, requireChromium, type Chromium } from './helpers/chromium.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(root, 'test-artifacts');
const FIXTURES = path.join(root, 'wasm-fixtures/build');

let browser: Chromium;
let dir: string;
let pageFile: string;
let emptyPage: string;


beforeAll(async () => {
  requireChromium(); // first: a clear message when it is missing
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-viewer-browser-'));
  const data = path.join(dir, 'hash.data');
  const rec = await cli('record', '-o', data, path.join(FIXTURES, 'hash.wasm'), '256', '3');
  expect(rec.code, rec.stderr).toBe(0);
  pageFile = path.join(dir, 'hash.html');
  const rep = await cli('report', '--html', pageFile, data);
  expect(rep.code, rep.stderr).toBe(0);
  expect((await cli('dump', '--chrome', '-o', path.join(dir, 'hash.json'), data)).code).toBe(0);
  emptyPage = path.join(dir, 'empty.html');
  writeFileSync(emptyPage, viewerHtml(readFileSync(path.join(root, 'dist/viewer/viewer.js'), 'utf8')));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A page that records uncaught errors, console errors and every request it makes. */
async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => window.wasmFtraceViewer !== undefined);
  return { page, errors, requests };
}

const stats = (page: Page): Promise<ViewerStats> => page.evaluate(() => window.wasmFtraceViewer!.stats());

/** Pixels of the view's canvas that are not white. */
function inkOf(page: Page, view: 'timeline' | 'flame'): Promise<number> {
  return page.evaluate((v) => {
    const c = document.querySelector<HTMLCanvasElement>(`.wft-${v} canvas`)!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) n++;
    return n;
  }, view);
}

async function canvasBox(page: Page, view: 'timeline' | 'flame'): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await page.locator(`.wft-${view} canvas`).boundingBox();
  expect(box).not.toBeNull();
  return box!;
}

describe('the page report --html writes', () => {
  it('shows the timeline, flame graph and profile, with search', async () => {
    const { page, errors, requests } = await open(pageFile);
    await page.waitForFunction(() => window.wasmFtraceViewer!.stats().calls > 0);
    let s = await stats(page);
    expect(s.source).toBe('hash.data');
    expect(s.error).toBeNull();
    expect(s.view).toBe('timeline');
    expect(s.rects).toBeGreaterThan(3);
    expect(s.labels).toBeGreaterThan(0);
    expect(await page.locator('.wft-info').textContent()).toMatch(/hash\.data · function_graph · clock perf · [\d,]+ events · [\d,]+ calls/);
    await page.evaluate(() => new Promise(requestAnimationFrame));
    expect(await inkOf(page, 'timeline')).toBeGreaterThan(5000);
    await page.screenshot({ path: path.join(artifacts, 'viewer-timeline.png') });

    // hover: the depth-0 call under the pointer
    const tl = await canvasBox(page, 'timeline');
    await page.mouse.move(tl.x + tl.width / 2, tl.y + 22 + 18 + 8);
    await expect.poll(() => page.locator('.wft-tip').isVisible()).toBe(true);
    expect(await page.locator('.wft-tip').textContent()).toMatch(/duration .*depth 0/);

    // wheel zooms in: fewer merged columns, more labels
    const before = await stats(page);
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -300);
    await page.evaluate(() => new Promise(requestAnimationFrame));
    await page.evaluate(() => new Promise(requestAnimationFrame));
    const zoomed = await page.evaluate(() => {
      const v = window.wasmFtraceViewer!;
      v.show('timeline'); // a synchronous render, so stats are this frame's
      return v.stats();
    });
    expect(zoomed.rects).not.toBe(before.rects);
    await page.screenshot({ path: path.join(artifacts, 'viewer-timeline-zoomed.png') });
    // drag pans, double click resets
    await page.mouse.move(tl.x + 300, tl.y + 200);
    await page.mouse.down();
    await page.mouse.move(tl.x + 500, tl.y + 200, { steps: 4 });
    await page.mouse.up();
    await page.mouse.dblclick(tl.x + 300, tl.y + 200);

    // search highlights matching frames: the timeline gets paler
    const inkAll = await inkOf(page, 'timeline');
    await page.fill('.wft-search', 'fnv1a');
    await page.press('.wft-search', 'Enter');
    s = await stats(page);
    expect(s.rects).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(artifacts, 'viewer-timeline-search.png') });
    expect(await inkOf(page, 'timeline')).toBeGreaterThan(inkAll / 10);

    // flame graph
    await page.click('.wft-tabs button[data-view="flame"]');
    s = await stats(page);
    expect(s.view).toBe('flame');
    expect(s.rects).toBeGreaterThan(3);
    expect(await inkOf(page, 'flame')).toBeGreaterThan(5000);
    await page.screenshot({ path: path.join(artifacts, 'viewer-flame-search.png') });
    await page.fill('.wft-search', '');
    await page.press('.wft-search', 'Enter');
    await page.screenshot({ path: path.join(artifacts, 'viewer-flame.png') });
    // click a frame on the fourth row: zooms into it (now full width), its ancestors faded above
    const fl = await canvasBox(page, 'flame');
    const whole = (await stats(page)).rects;
    await page.mouse.click(fl.x + 40, fl.y + 4 + 17 * 3 + 8);
    await page.evaluate(() => new Promise(requestAnimationFrame));
    await page.evaluate(() => new Promise(requestAnimationFrame));
    await page.mouse.move(fl.x + fl.width - 60, fl.y + 4 + 17 * 3 + 8);
    await expect.poll(() => page.locator('.wft-tip').isVisible()).toBe(true);
    expect(await page.locator('.wft-tip').textContent()).toMatch(/total .*%\)/);
    await page.screenshot({ path: path.join(artifacts, 'viewer-flame-zoomed.png') });
    expect((await stats(page)).rects).not.toBe(whole);

    // profile table: sortable, filtered by the search
    await page.click('.wft-tabs button[data-view="table"]');
    s = await stats(page);
    expect(s.view).toBe('table');
    const total = s.tableMatching;
    expect(total).toBeGreaterThan(5);
    expect(await page.locator('.wft-table tbody tr').count()).toBe(total);
    expect(await page.locator('.wft-table th').allTextContents()).toEqual(['Function', 'Hit', 'Calls', 'Time ▼', 'Avg', 'Stddev', 'Self', 'Self avg']);
    await page.click('.wft-table th[data-key="hits"]');
    const hits = (await page.locator('.wft-table tbody tr td:nth-child(2)').allTextContents()).map(Number);
    expect(hits).toEqual([...hits].sort((a, b) => b - a));
    await page.click('.wft-table th[data-key="hits"]');
    const up = (await page.locator('.wft-table tbody tr td:nth-child(2)').allTextContents()).map(Number);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await page.click('.wft-table th[data-key="total"]');
    await page.screenshot({ path: path.join(artifacts, 'viewer-table.png') });
    await page.fill('.wft-search', 'MUR');
    await page.press('.wft-search', 'Enter');
    const names = await page.locator('.wft-table tbody tr td:first-child').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(total);
    for (const n of names) expect(n.toLowerCase()).toContain('mur');
    expect(await page.locator('.wft-table-foot').textContent()).toMatch(new RegExp(`^${names.length} of ${total} functions match`));
    await page.screenshot({ path: path.join(artifacts, 'viewer-table-search.png') });

    expect(errors).toEqual([]);
    // the page loads nothing: its own file:// URL is the only request
    expect(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'))).toEqual([]);
    expect(requests.filter((u) => u.startsWith('file://'))).toHaveLength(1);
    await page.close();
  });
});

describe('opening a trace', () => {
  it('through the file input: a data file, a Chrome JSON, and a file that is neither', async () => {
    const { page, errors } = await open(emptyPage);
    expect(await page.locator('.wft-empty').isVisible()).toBe(true);
    expect((await stats(page)).calls).toBe(0);

    await page.setInputFiles('.wft-open input', path.join(dir, 'hash.data'));
    await page.waitForFunction(() => window.wasmFtraceViewer!.stats().source === 'hash.data');
    const fromData = await stats(page);
    expect(fromData.calls).toBeGreaterThan(0);
    expect(fromData.rects).toBeGreaterThan(0);

    await page.setInputFiles('.wft-open input', path.join(dir, 'hash.json'));
    await page.waitForFunction(() => window.wasmFtraceViewer!.stats().source === 'hash.json');
    const fromJson = await stats(page);
    // same calls: a Chrome trace closes every call, as the data file's walk does
    expect(fromJson.calls).toBe(fromData.calls);
    expect(fromJson.functions).toBe(fromData.functions);
    await page.click('.wft-tabs button[data-view="table"]');
    expect((await stats(page)).tableMatching).toBeGreaterThan(5);
    await page.screenshot({ path: path.join(artifacts, 'viewer-open-chrome-json.png') });

    // drag and drop of a file: a DataTransfer with the file, dispatched as the browser would
    const json = readFileSync(path.join(dir, 'hash.json'), 'utf8');
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
      const el = document.querySelector('.wft')!;
      el.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, json);
    await page.waitForFunction(() => window.wasmFtraceViewer!.stats().source === 'dropped.json');
    expect(await page.locator('.wft-drop').isVisible()).toBe(false);

    writeFileSync(path.join(dir, 'notes.txt'), 'not a trace');
    await page.setInputFiles('.wft-open input', path.join(dir, 'notes.txt'));
    await page.waitForFunction(() => window.wasmFtraceViewer!.stats().error !== null);
    expect(await page.locator('.wft-info').textContent()).toBe('notes.txt: not a trace: neither a wasm-ftrace data file nor JSON');
    // the trace shown before stays
    expect((await stats(page)).source).toBe('dropped.json');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('10^6 events', () => {
  it('mounts and draws them interactively (times reported, not asserted)', async () => {
    const { page, errors } = await open(emptyPage);
    const timing = await page.evaluate(() => {
      // A synthetic function_graph trace: a random call tree over 300 functions, up to 14 deep.
      let seed = 42;
      const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
      const names = Array.from({ length: 300 }, (_, i) => `fn_${['parse', 'hash', 'emit', 'alloc', 'walk', 'mix'][i % 6]}_${i}`);
      const events: TraceData['events'][number][] = [];
      const stack: { ip: number; ts: number }[] = [];
      let ts = 0;
      while (events.length < 1_000_000) {
        ts += 0.05 + rnd() * 2;
        // every open call still needs its exit: open only while the budget allows (events + stack stays even)
        const canOpen = 1_000_000 - events.length - stack.length >= 2 && stack.length < 14;
        if (canOpen && (stack.length === 0 || rnd() < 0.5)) {
          const ip = stack.length === 0 ? 0 : Math.floor(rnd() * rnd() * 300);
          events.push({ type: 1, instance: 0, ip, parent: stack.at(-1)?.ip ?? 0xffffffff, depth: stack.length, ts, duration: 0 });
          stack.push({ ip, ts });
        } else {
          const f = stack.pop()!;
          events.push({ type: 2, instance: 0, ip: f.ip, parent: 0, depth: stack.length, ts, duration: ts - f.ts });
        }
      }
      const trace: TraceData = { tracer: 'function_graph', clock: 'perf', instances: [{ id: 0, name: 'synthetic.wasm', names }], events, entries: events.length, written: events.length, lost: 0 };
      window.wasmFtraceViewer!.destroy();
      const t0 = performance.now();
      const v = window.wasmFtraceMountViewer!(document.body, trace);
      const mountMs = performance.now() - t0;
      window.wasmFtraceViewer = v;
      const first = v.stats();
      const frame = (): number => {
        const t = performance.now();
        v.show(v.stats().view);
        return performance.now() - t;
      };
      const redrawMs = frame();
      v.search('hash');
      const searchMs = v.stats().renderMs;
      v.search('');
      const t1 = performance.now();
      v.show('flame');
      const flameMs = performance.now() - t1;
      const t2 = performance.now();
      v.show('table');
      const tableMs = performance.now() - t2;
      v.show('timeline');
      return { events: events.length, calls: first.calls, mountMs, buildMs: first.buildMs, firstRenderMs: first.renderMs, rects: first.rects, redrawMs, searchMs, flameMs, tableMs };
    });
    console.log(`viewer, 10^6 events: ${JSON.stringify(timing, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`);
    writeFileSync(path.join(artifacts, 'viewer-timing.json'), `${JSON.stringify(timing, null, 2)}\n`);
    expect(timing.events).toBe(1_000_000);
    expect(timing.calls).toBe(500_000);
    expect(timing.rects).toBeGreaterThan(100);
    // a few wheel zooms, each a frame: stays interactive
    const tl = await canvasBox(page, 'timeline');
    await page.mouse.move(tl.x + tl.width * 0.3, tl.y + 100);
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -400);
    await page.evaluate(() => new Promise(requestAnimationFrame));
    await page.evaluate(() => new Promise(requestAnimationFrame));
    await page.screenshot({ path: path.join(artifacts, 'viewer-1m-timeline.png') });
    await page.click('.wft-tabs button[data-view="flame"]');
    await page.screenshot({ path: path.join(artifacts, 'viewer-1m-flame.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
