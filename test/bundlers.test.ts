/**
 * The bundler plugins with the real bundlers: the Vite example
 * (examples/vite) through Vite's dev server and `vite build`, the webpack
 * example (examples/webpack) through webpack's default production build,
 * each traced in headless Chromium. The page must record exactly what the
 * same calls record in Node, load only the small runtime (no binaryen.js),
 * and build with the examples' own config files (which import the plugins
 * as `wasm-ftrace/vite` and `wasm-ftrace/webpack`, so dist/ must be built:
 * `npm test` does).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { build, createServer } from 'vite';
import webpack from 'webpack';
import { findCustomSection, METADATA_SECTION, readSections } from '../src/abi/index.js';
import wasmFtrace from '../src/bundler/vite.js';
import type { PageTracer } from '../src/runtime/page.js';
import { launchChromium, requireChromium, serveDirectory, type Chromium } from './helpers/chromium.js';
import { root, shape, traceInNode } from './helpers/example-trace.js';

let browser: Chromium;
const temp = mkdtempSync(path.join(tmpdir(), 'wasm-ftrace-bundlers-'));

beforeAll(async () => {
  requireChromium();
  for (const f of ['dist/bundler/vite.js', 'dist/bundler/webpack.js']) {
    if (!existsSync(path.join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(temp, { recursive: true, force: true });
});

interface Traced {
  state: string | undefined;
  status: string | null;
  data: ReturnType<PageTracer['read']>;
  modules: { name: string; status: string }[];
  pre: string | null;
  /** every script the page fetched, with its size */
  scripts: { url: string; bytes: number }[];
}

/** Opens the example page at `url`, waits for it, and reads what it traced. */
async function tracePage(url: string): Promise<Traced> {
  const page: Page = await browser.context.newPage();
  const errors: string[] = [];
  const bodies: Promise<Traced['scripts'][number]>[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.request().resourceType() === 'script') bodies.push(r.body().then((b) => ({ url: r.url(), bytes: b.length })));
  });
  await page.goto(url);
  await page.waitForSelector('html[data-state]', { timeout: 60_000 });
  const got = await page.evaluate(() => {
    const ft = (globalThis as unknown as { wasmFtrace?: PageTracer }).wasmFtrace;
    return {
      state: document.documentElement.dataset['state'],
      status: document.getElementById('status')!.textContent,
      data: ft!.read(),
      modules: ft!.modules.map((m) => ({ name: m.name, status: m.status })),
      pre: document.getElementById('trace')!.textContent,
    };
  });
  const scripts = await Promise.all(bodies);
  await page.close();
  expect(errors).toEqual([]);
  return { ...got, scripts };
}

/**
 * `maxJs`: the most script bytes the page may fetch (a build; the dev server also sends its client and unbundled modules).
 * `status` 'traced': the full drop-in, which instruments in the page (and fetches binaryen.js), with its default tracer, function.
 */
async function expectTraced(got: Traced, wasmName: RegExp, maxJs = Infinity, status: 'preinstrumented' | 'traced' = 'preinstrumented'): Promise<void> {
  expect(got.state, got.status ?? '').toBe('done');
  const tracer = status === 'traced' ? 'function' : 'function_graph';
  const want = await traceInNode(tracer);
  expect(got.modules).toEqual([{ name: expect.stringMatching(wasmName), status }]);
  expect(got.data.tracer).toBe(tracer);
  expect(got.data.lost).toBe(0);
  expect(shape(got.data.events)).toEqual(shape(want.events));
  expect(got.pre).toMatch(new RegExp(`^# tracer: ${tracer}\n`));
  if (status === 'traced') return;
  // the small runtime, never the 13 MB library
  expect(got.scripts.map((s) => s.url).filter((u) => /wasm-ftrace\.js|binaryen/.test(u))).toEqual([]);
  expect(got.scripts.some((s) => /runtime|index-|main\.js/.test(s.url))).toBe(true);
  expect(got.scripts.reduce((n, s) => n + s.bytes, 0)).toBeLessThan(maxJs);
}

function jsBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { recursive: true }) as string[]) if (e.endsWith('.js')) n += statSync(path.join(dir, e)).size;
  return n;
}

describe('wasm-ftrace/vite (examples/vite)', () => {
  const exampleRoot = path.join(root, 'examples/vite');
  const configFile = path.join(exampleRoot, 'vite.config.js');

  it('dev server: serves the .wasm instrumented and the page traces it with the runtime', async () => {
    const server = await createServer({ root: exampleRoot, configFile, logLevel: 'warn', server: { host: '127.0.0.1', port: 0, strictPort: false } });
    try {
      await server.listen();
      const address = server.httpServer!.address() as { port: number };
      const got = await tracePage(`http://127.0.0.1:${address.port}/`);
      await expectTraced(got, /^recursion\.wasm$/);
    } finally {
      await server.close();
    }
  });

  it('vite build: emits the .wasm instrumented; the built page traces it', async () => {
    const outDir = path.join(temp, 'vite');
    await build({ root: exampleRoot, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    const assets = readdirSync(path.join(outDir, 'assets'));
    expect(assets.filter((a) => a.endsWith('.wasm'))).toHaveLength(1);
    expect(jsBytes(outDir)).toBeLessThan(250_000); // the app, the runtime and its on-demand chunks (save(), the viewer), no binaryen.js
    const server = await serveDirectory(outDir);
    try {
      await expectTraced(await tracePage(`${server.url}/index.html`), /^recursion-[\w-]+\.wasm$/, 100_000);
    } finally {
      await server.close();
    }
  });

  it('vite build: a .wasm in public/ is emitted instrumented, under its own name; the built page traces it', async () => {
    // a project of its own: the example's page code, fetching /recursion.wasm from public/
    const project = path.join(temp, 'vite-public');
    mkdirSync(path.join(project, 'public'), { recursive: true });
    copyFileSync(path.join(root, 'wasm-fixtures/build/recursion.wasm'), path.join(project, 'public/recursion.wasm'));
    writeFileSync(path.join(project, 'index.html'), readFileSync(path.join(exampleRoot, 'index.html'), 'utf8'));
    const app = path.relative(project, path.join(root, 'examples/shared/traced-app.js')).split(path.sep).join('/');
    writeFileSync(path.join(project, 'main.js'), `import { run } from ${JSON.stringify(app)};\nrun('/recursion.wasm');\n`);
    const outDir = path.join(project, 'dist');
    await build({ root: project, configFile: false, logLevel: 'warn', plugins: [wasmFtrace({ tracer: 'function_graph', build: true })], build: { outDir, emptyOutDir: true } });
    const emitted = readFileSync(path.join(outDir, 'recursion.wasm'));
    expect(findCustomSection(readSections(emitted), METADATA_SECTION)).toBeDefined();
    expect(findCustomSection(readSections(readFileSync(path.join(project, 'public/recursion.wasm'))), METADATA_SECTION)).toBeUndefined(); // public/ itself untouched
    const server = await serveDirectory(outDir);
    try {
      await expectTraced(await tracePage(`${server.url}/index.html`), /^recursion\.wasm$/, 100_000);
    } finally {
      await server.close();
    }
  });
});

describe('wasm-ftrace/webpack (examples/webpack)', () => {
  it('webpack production build: emits the .wasm instrumented and the runtime first; the page traces it', async () => {
    const site = await buildWebpackExample('webpack.config.js', 'index.html', 'dist');
    expect(site.warnings).toEqual([]);
    expect(jsBytes(path.join(site.dir, 'dist'))).toBeLessThan(250_000);
    const server = await serveDirectory(site.dir);
    try {
      await expectTraced(await tracePage(`${server.url}/index.html`), /^[0-9a-f]+\.wasm$/, 100_000);
    } finally {
      await server.close();
    }
  });

  it('the full drop-in, with webpack defaults only: builds (no node: import), and the page traces without hanging', async () => {
    const site = await buildWebpackExample('webpack.drop-in.config.js', 'drop-in.html', 'dist-drop-in');
    // only webpack's performance hints (a 13 MB chunk) may remain
    expect(site.warnings.filter((w) => !/exceed the recommended size limit|can impact web performance|recommended size limit/.test(w))).toEqual([]);
    const server = await serveDirectory(site.dir);
    try {
      await expectTraced(await tracePage(`${server.url}/drop-in.html`), /^[0-9a-f]+\.wasm$/, Infinity, 'traced');
    } finally {
      await server.close();
    }
  });
});

/**
 * Builds examples/webpack with one of its configs into a temporary site: the
 * output in `outName/`, beside a copy of the example's page (no <meta
 * charset>: a classic script must decode whatever the page's charset).
 */
async function buildWebpackExample(configName: string, page: string, outName: string): Promise<{ dir: string; warnings: string[] }> {
  const configs: Record<string, () => Promise<{ default: webpack.Configuration }>> = {
    'webpack.config.js': () => import('../examples/webpack/webpack.config.js'),
    'webpack.drop-in.config.js': () => import('../examples/webpack/webpack.drop-in.config.js'),
  };
  const { default: config } = await configs[configName]!();
  const dir = path.join(temp, configName);
  const stats = await new Promise<webpack.Stats>((resolve, reject) =>
    webpack({ ...config, output: { ...config.output, path: path.join(dir, outName) } }, (e, s) => (e || !s ? reject(e ?? new Error('no stats')) : resolve(s))),
  );
  expect(stats.hasErrors(), stats.toString({ all: false, errors: true })).toBe(false);
  writeFileSync(path.join(dir, page), readFileSync(path.join(root, 'examples/webpack', page)));
  return { dir, warnings: stats.toJson({ all: false, warnings: true }).warnings?.map((w) => w.message) ?? [] };
}

