/**
 * What tracing costs a page at load: the example's calls (recursion.wasm,
 * examples/browser/calls.js) on three pages, loaded in turn in headless
 * Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
 *
 *   untraced   the page and its module, nothing else
 *   runtime    wasm-ftrace/runtime (dist/browser/runtime.js) started first,
 *              the module instrumented beforehand (what the Vite and webpack
 *              plugins ship)
 *   drop-in    dist/browser/auto.js: the full library (binaryen.js inside)
 *              instruments the module in the page
 *
 * For each load: the page's load event (loadEventEnd) and the moment the
 * first wasm call returned, both in ms from navigation start. Every response
 * is sent with `cache-control: no-store`, so each load fetches, parses and
 * compiles everything again. Loads are interleaved (untraced, runtime,
 * drop-in, untraced, ...), --loads N rounds (default 7; --quick 3), and the
 * figures are medians with ratios to the untraced page of the same run.
 *
 *   npm run build && node bench/page-load.mjs [--loads N] [--quick]
 *
 * Writes bench/results/page-load.{json,md} (--quick: bench/results/tmp/).
 * Nothing is asserted: the machine may be loaded by other work (the load
 * average is recorded with the figures).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const loadsArg = argv.indexOf('--loads');
const LOADS = loadsArg >= 0 ? Number(argv[loadsArg + 1]) : quick ? 3 : 7;
const CHROMIUM = process.env.WASM_FTRACE_CHROMIUM ?? '/usr/bin/chromium';

for (const f of ['dist/browser/runtime.js', 'dist/browser/auto.js', 'dist/browser/wasm-ftrace.js', 'dist/instrument/pass.js']) {
  if (!existsSync(path.join(ROOT, f))) {
    console.error(`page-load: ${f} is missing: run npm run build first`);
    process.exit(1);
  }
}
if (!existsSync(CHROMIUM)) {
  console.error(`page-load: no Chromium at ${CHROMIUM} (apt-get install chromium, or set WASM_FTRACE_CHROMIUM)`);
  process.exit(1);
}

const { instrument } = await import(path.join(ROOT, 'dist/instrument/pass.js'));
const { CALLS, FIXTURE } = await import(path.join(ROOT, 'examples/browser/calls.js'));
const original = readFileSync(path.join(ROOT, FIXTURE));
const preinstrumented = Buffer.from(instrument(original, { exitHooks: true }).binary);

/** The page's own code: the same on every page; only what comes before it differs. */
const app = (wasmUrl) => `<script type="module">
const { instance } = await WebAssembly.instantiateStreaming(fetch(${JSON.stringify(wasmUrl)}));
let sum = 0;
for (const [name, args] of ${JSON.stringify(CALLS)}) sum += instance.exports[name](...args);
window.__firstCall = performance.now();
window.__sum = sum;
</script>`;

const PAGES = {
  untraced: `<!doctype html><meta charset="utf-8"><title>untraced</title>${app('/bench-wasm/original.wasm')}`,
  runtime: `<!doctype html><meta charset="utf-8"><title>runtime</title><script type="module">import { attach } from '/dist/browser/runtime.js'; attach({ tracer: 'function_graph' });</script>${app('/bench-wasm/instrumented.wasm')}`,
  'drop-in': `<!doctype html><meta charset="utf-8"><title>drop-in</title><script type="module" src="/dist/browser/auto.js" data-tracer="function_graph"></script>${app('/bench-wasm/original.wasm')}`,
};

const MIME = { '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.map': 'application/json' };
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x').pathname;
  const send = (type, body) => res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  if (url.startsWith('/page/')) return send('text/html; charset=utf-8', PAGES[decodeURIComponent(url.slice(6))] ?? '');
  if (url === '/bench-wasm/original.wasm') return send(MIME['.wasm'], original);
  if (url === '/bench-wasm/instrumented.wasm') return send(MIME['.wasm'], preinstrumented);
  const file = path.join(ROOT, url);
  if (!file.startsWith(path.join(ROOT, 'dist') + path.sep) || !existsSync(file)) return res.writeHead(404).end();
  send(MIME[path.extname(file)] ?? 'application/octet-stream', readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

const userDataDir = path.join(os.tmpdir(), `wasm-ftrace-bench-${process.pid}`);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];
const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args });

const samples = Object.fromEntries(Object.keys(PAGES).map((k) => [k, { load: [], firstCall: [] }]));
let expectedSum;
try {
  for (let round = 0; round <= LOADS; round++) {
    for (const name of Object.keys(PAGES)) {
      const page = await context.newPage();
      await page.goto(`${base}/page/${encodeURIComponent(name)}`, { waitUntil: 'load' });
      await page.waitForFunction(() => window.__firstCall !== undefined, null, { timeout: 120_000 });
      const r = await page.evaluate(() => ({
        firstCall: window.__firstCall,
        sum: window.__sum,
        load: performance.getEntriesByType('navigation')[0].loadEventEnd,
      }));
      await page.close();
      expectedSum ??= r.sum;
      if (r.sum !== expectedSum) throw new Error(`page ${name} computed ${r.sum}, not ${expectedSum}`);
      if (round === 0) continue; // a warm-up round: Chromium's own first-use costs
      samples[name].load.push(r.load);
      samples[name].firstCall.push(r.firstCall);
    }
  }
} finally {
  await context.close();
  server.close();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sizes = {
  'dist/browser/runtime.js': readFileSync(path.join(ROOT, 'dist/browser/runtime.js')).length,
  'dist/browser/wasm-ftrace.js': readFileSync(path.join(ROOT, 'dist/browser/wasm-ftrace.js')).length,
};
const rows = Object.entries(samples).map(([name, s]) => ({ page: name, loadMs: median(s.load), firstCallMs: median(s.firstCall), loads: s.load.length, all: s }));
const u = rows[0];
for (const r of rows) {
  r.loadRatio = r.loadMs / u.loadMs;
  r.firstCallRatio = r.firstCallMs / u.firstCallMs;
}
const load = os.loadavg();
const browserVersion = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'Chromium';
const md = [
  `Page load and first wasm call, median of ${LOADS} loads each (interleaved, after one warm-up round), ${new Date().toISOString().slice(0, 10)}, ${browserVersion} headless, no HTTP cache; load average ${load.map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores.`,
  '',
  '| page | load event (ms) | first wasm call (ms) | load vs untraced | first call vs untraced |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.page} | ${r.loadMs.toFixed(1)} | ${r.firstCallMs.toFixed(1)} | ${r.loadRatio.toFixed(2)}x | ${r.firstCallRatio.toFixed(2)}x |`),
  '',
  `runtime.js ${(sizes['dist/browser/runtime.js'] / 1000).toFixed(1)} kB; wasm-ftrace.js (the drop-in's library) ${(sizes['dist/browser/wasm-ftrace.js'] / 1e6).toFixed(1)} MB.`,
  '',
].join('\n');
const outDir = path.join(ROOT, quick ? 'bench/results/tmp' : 'bench/results');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'page-load.md'), md);
writeFileSync(path.join(outDir, 'page-load.json'), `${JSON.stringify({ loads: LOADS, loadavg: load, sizes, rows }, null, 2)}\n`);
console.log(md);
