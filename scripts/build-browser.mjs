#!/usr/bin/env node
/**
 * The browser build (`npm run build:browser`):
 *
 *   dist/browser/wasm-ftrace.js  the library (src/browser.ts): one ESM file, binaryen.js included
 *   dist/browser/instrument-worker.js  the pass in a module Worker (src/instrument-worker.ts), binaryen.js included:
 *                                the library instruments asynchronous compiles there
 *   dist/browser/auto.js         the drop-in script (src/runtime/page-auto.ts); it imports ./wasm-ftrace.js
 *   dist/browser/runtime.js      the small runtime without binaryen.js (src/browser-runtime.ts), minified,
 *                                with the runtime-*.js it imports on demand (save(), view(), the formatters
 *                                attach() starts loading, the instrumenting worker's client)
 *   dist/viewer/viewer.js        the trace viewer (src/viewer/main.ts), when that file exists
 *
 * No Node APIs: binaryen.js is rewritten on the way in
 * (binaryen-for-browsers.mjs) and the build fails if any `node:` import,
 * or any non-ASCII byte, shows up in the output. The runtime must stay
 * within RUNTIME_LIMITS (minified, gzip).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { binaryenForBrowsers } from './binaryen-for-browsers.mjs';
import { privateOnlyNames } from './private-names.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  // No source maps for the readable bundles: binaryen.js alone would make a
  // 14 MB map of the library. The minified runtime keeps one (sources inlined).
  sourcemap: false,
  external: ['node:*'],
  charset: 'ascii',
  logLevel: 'warning',
  legalComments: 'eof',
  absWorkingDir: root,
};

/** page-auto.ts loads the library with import('../browser.js'): keep that out of auto.js, as ./wasm-ftrace.js. */
const libraryExternal = {
  name: 'wasm-ftrace-library-external',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/browser\.js$/ }, () => ({ path: './wasm-ftrace.js', external: true }));
  },
};

/**
 * Bytes, minified and gzip (level 9): the budget of dist/browser/runtime.js (what
 * a page loads first), checked on every build: the issue's 50 kB minified, 20 kB
 * gzip. What a page needs only later comes in files of its own, loaded on demand
 * (ON_DEMAND below), the tracers' selftests are left out, and private class
 * members get short names (private-names.mjs). Over budget: move what is not
 * needed before a page's first traced call out of runtime.js the same way.
 */
const RUNTIME_LIMITS = { minified: 50_000, gzip: 20_000 };

const outputs = [];

async function bundle(entry, outfile, extra = {}) {
  await esbuild.build({ ...common, entryPoints: [entry], outfile, ...extra });
  outputs.push(outfile);
}

/** view() imports the viewer: dist/viewer/viewer.js, never a copy of it. */
const viewerExternal = {
  name: 'wasm-ftrace-viewer-external',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/viewer\/main\.js$/ }, (args) => (args.importer.endsWith(`${path.sep}page-view.ts`) ? { path: '../viewer/viewer.js', external: true } : undefined));
  },
};
await bundle('src/browser.ts', 'dist/browser/wasm-ftrace.js', { plugins: [binaryenForBrowsers, viewerExternal] });

// The runtime. What a page needs only later is in files of their own that it imports on demand,
// each whole (no chunk shared with runtime.js, so a page loads one file first): src/runtime/X.ts
// imported from src/runtime as ./X.js is ./runtime-Y.js.
const ON_DEMAND = {
  'page-save': 'runtime-save', // save()'s data file encoder
  'page-view': 'runtime-view', // view(): the overlay, then the viewer
  'page-format': 'runtime-format', // the formatters of text(), chrome(), folded(), profile(): attach() starts loading them
  'page-worker-pass': 'runtime-worker-pass', // the opt-in instrumenting worker's client (attach({ instrumentWorker }))
};
for (const f of readdirSync(path.join(root, 'dist/browser'))) if (/^runtime-.*\.js(\.map)?$/.test(f)) rmSync(path.join(root, 'dist/browser', f));
const inDir = (args, dir) => path.dirname(args.importer) === path.join(root, dir);
const runtimeSplit = {
  name: 'wasm-ftrace-runtime-split',
  setup(build) {
    build.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) => {
      const to = ON_DEMAND[args.path.slice(2, -3)];
      return to && inDir(args, 'src/runtime') ? { path: `./${to}.js`, external: true } : undefined;
    });
    // the tracers' printText hands over to the formatters loaded (src/runtime/page-printers.ts)
    build.onResolve({ filter: /^\.\.\/output\/ftrace-text\.js$/ }, (args) => (inDir(args, 'src/tracers') ? { path: path.join(root, 'src/runtime/page-printers.ts') } : undefined));
    // a module is instrumented here only by that worker, whose client brings what reads its original interface,
    // and which drops globs that match nothing itself (src/runtime/page-pass.ts)
    build.onResolve({ filter: /^\.\/(module-interface|instrument-selecting)\.js$/ }, (args) =>
      /[\\/](intercept|module-cache)\.ts$/.test(args.importer) ? { path: path.join(root, 'src/runtime/page-pass.ts') } : undefined,
    );
    // no trace memory in a page's runtime: stand-ins that refuse such a module (src/runtime/no-trace-memory.ts)
    build.onResolve({ filter: /^\.\/(trace-memory-host|replay)\.js$/ }, (args) => (inDir(args, 'src/tracers') ? { path: path.join(root, 'src/runtime/no-trace-memory.ts') } : undefined));
    // the tracers' selftests are test code: stand-ins that say so (src/runtime/no-selftests.ts)
    build.onResolve({ filter: /^\.\/selftests\.js$/ }, (args) => (inDir(args, 'src/tracers') ? { path: path.join(root, 'src/runtime/no-selftests.ts') } : undefined));
  },
};
const minified = { minify: true, sourcemap: true, sourcesContent: true };
// Its classes' private members get short names too (private-names.mjs says which names are only ever those).
const mangleProps = new RegExp(`^(?:${privateOnlyNames(root).join('|')})$`);
await bundle('src/browser-runtime.ts', 'dist/browser/runtime.js', { plugins: [runtimeSplit], mangleProps, ...minified });
for (const [from, to] of Object.entries(ON_DEMAND)) await bundle(`src/runtime/${from}.ts`, `dist/browser/${to}.js`, { plugins: [viewerExternal], ...minified });
// optionsFromDataset, for a bootstrap of one's own that reads a <script>'s data attributes (wasm-ftrace/runtime/dataset)
await bundle('src/runtime/dataset-options.ts', 'dist/browser/runtime-dataset.js', minified);
await bundle('src/instrument-worker.ts', 'dist/browser/instrument-worker.js', { plugins: [binaryenForBrowsers] });
await bundle('src/runtime/page-auto.ts', 'dist/browser/auto.js', { plugins: [libraryExternal] });
if (existsSync(path.join(root, 'src/viewer/main.ts'))) await bundle('src/viewer/main.ts', 'dist/viewer/viewer.js');

// No Node API may be imported; the code must stay ASCII through a minifier (a page may serve it without charset=utf-8).
const allowed = new Set();
for (const file of outputs) {
  const text = readFileSync(path.join(root, file), 'utf8');
  const found = new Set();
  for (const m of text.matchAll(/(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s+|\brequire\s*\(\s*)["'](node:[\w/]+|fs|path|url|os|crypto|child_process|worker_threads)["']/g)) found.add(m[1]);
  const bad = [...found].filter((s) => !allowed.has(s));
  if (bad.length > 0) {
    console.error(`build-browser: ${file} imports Node modules: ${bad.join(', ')}`);
    process.exit(1);
  }
  // What a user's minifier makes of it (charset utf8 turns escapes into raw characters): still ASCII?
  // Binary data must be: mis-decoded, it no longer compiles. Display text may not be: one '…'
  // (TRACE_MARKER_TRUNCATED) is allowed, as a page that mis-decodes it only shows it wrongly.
  // (Not the viewer: it is only ever loaded as a module script, and those are always UTF-8.)
  if (!file.startsWith('dist/viewer/')) {
    const minified = (await esbuild.transform(text, { minify: true, charset: 'utf8', format: 'esm', target: 'es2022', legalComments: 'none' })).code;
    const nonAscii = minified.search(/[^\x00-\x7f\u2026]/);
    if (nonAscii >= 0) {
      console.error(`build-browser: ${file}, minified, has a non-ASCII character: ${JSON.stringify(minified.slice(Math.max(0, nonAscii - 40), nonAscii + 40))}`);
      process.exit(1);
    }
  }
  if (!quiet) console.log(`build-browser: ${file} ${(statSync(path.join(root, file)).size / 1e6).toFixed(2)} MB${found.size ? ` (external: ${[...found].join(', ')})` : ''}`);
}

const runtime = readFileSync(path.join(root, 'dist/browser/runtime.js'));
const runtimeGzip = gzipSync(runtime, { level: 9 }).length;
if (runtime.length > RUNTIME_LIMITS.minified || runtimeGzip > RUNTIME_LIMITS.gzip) {
  console.error(`build-browser: dist/browser/runtime.js is ${runtime.length} bytes (${runtimeGzip} gzip), over its budget of ${RUNTIME_LIMITS.minified} (${RUNTIME_LIMITS.gzip} gzip)`);
  process.exit(1);
}
if (!quiet) console.log(`build-browser: dist/browser/runtime.js ${(runtime.length / 1000).toFixed(1)} kB, ${(runtimeGzip / 1000).toFixed(1)} kB gzip`);
