#!/usr/bin/env node
/**
 * The browser build (`npm run build:browser`):
 *
 *   dist/browser/wasm-ftrace.js  the library (src/browser.ts): one ESM file, binaryen.js included
 *   dist/browser/auto.js         the drop-in script (src/runtime/page-auto.ts); it imports ./wasm-ftrace.js
 *   dist/viewer/viewer.js        the trace viewer (src/viewer/main.ts), when that file exists
 *
 * No Node APIs: `node:*` stays external, and the only such import in the
 * output is binaryen.js's own `import("node:module")`, behind its run-time
 * check for Node. The build fails if any other `node:` import shows up.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  external: ['node:*'],
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

const outputs = [];

async function bundle(entry, outfile, extra = {}) {
  await esbuild.build({ ...common, entryPoints: [entry], outfile, ...extra });
  outputs.push(outfile);
}

await bundle('src/browser.ts', 'dist/browser/wasm-ftrace.js');
await bundle('src/runtime/page-auto.ts', 'dist/browser/auto.js', { plugins: [libraryExternal] });
if (existsSync(path.join(root, 'src/viewer/main.ts'))) await bundle('src/viewer/main.ts', 'dist/viewer/viewer.js');

// No Node API may be imported, except binaryen.js's guarded import("node:module").
const allowed = new Set(['node:module']);
for (const file of outputs) {
  const text = readFileSync(path.join(root, file), 'utf8');
  const found = new Set();
  for (const m of text.matchAll(/(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s+|\brequire\s*\(\s*)["'](node:[\w/]+|fs|path|url|os|crypto|child_process|worker_threads)["']/g)) found.add(m[1]);
  const bad = [...found].filter((s) => !allowed.has(s));
  if (bad.length > 0) {
    console.error(`build-browser: ${file} imports Node modules: ${bad.join(', ')}`);
    process.exit(1);
  }
  if (!quiet) console.log(`build-browser: ${file} ${(statSync(path.join(root, file)).size / 1e6).toFixed(2)} MB${found.size ? ` (external: ${[...found].join(', ')})` : ''}`);
}
