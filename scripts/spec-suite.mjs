#!/usr/bin/env node
/**
 * The WebAssembly spec testsuite as a regression suite (`npm run test:spec`):
 *
 *   node scripts/spec-suite.mjs [--node current,24] [--out results.md]
 *
 * Every top-level .wast file (from Debian's binaryen source package, see
 * scripts/spec/fetch.mjs; converted with Debian's wast2json) runs twice on
 * each engine: as it is, and with every module instrumented (exit hooks on,
 * function_graph recording). An assertion that passes as it is must pass
 * instrumented; the run fails when one does not. Engines are Node versions
 * (scripts/lib/node-versions.mjs); `current` is the Node running this.
 *
 * Prints a table per file (assertions counted, passing as they are, and
 * regressions instrumented, per engine) and writes it to --out when given.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, nodeVersion } from './lib/node-versions.mjs';
import { specTestsuite } from './spec/fetch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const engines = opt('--node', 'current,24').split(',');
const out = opt('--out');

if (spawnSync('wast2json', ['--version']).status !== 0) {
  console.error('spec-suite: wast2json is missing: apt-get install -y wabt');
  process.exit(1);
}
if (!existsSync(path.join(root, 'dist/index.js'))) {
  console.error("spec-suite: dist/ is not built: run 'npm run build'");
  process.exit(1);
}
const { dir, origin } = specTestsuite();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-spec-'));
const runs = [];
try {
  for (const major of engines) {
    const node = nodeBinary(major);
    const json = path.join(tmp, `${major}.json`);
    console.log(`spec-suite: node ${nodeVersion(node)}`);
    const r = spawnSync(node, [path.join(root, 'scripts/spec/run.mjs'), dir, json], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`spec-suite: the run under node ${nodeVersion(node)} failed (exit ${r.status})`);
    runs.push(JSON.parse(readFileSync(json, 'utf8')));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const files = runs[0].files.map((f) => f.file);
const converted = runs[0].files.filter((f) => f.converted);
const head = `| file | assertions | ${runs.map((r) => `Node ${r.node}: pass as is | regressions`).join(' | ')} |`;
const rule = `|---|---:|${runs.map(() => '---:|---:').join('|')}|`;
const rows = converted.map((f) => {
  const cells = runs.map((r) => {
    const g = r.files.find((x) => x.file === f.file);
    return `${g.passPlain} | ${g.regressions.length ? `**${g.regressions.length}**` : 0}`;
  });
  return `| ${f.file} | ${f.assertions} | ${cells.join(' | ')} |`;
});
const sum = (r, k) => r.files.filter((f) => f.converted).reduce((a, f) => a + (k === 'regressions' ? f.regressions.length : f[k]), 0);
const total = `| **all ${converted.length} files** | ${sum(runs[0], 'assertions')} | ${runs.map((r) => `${sum(r, 'passPlain')} | ${sum(r, 'regressions')}`).join(' | ')} |`;
const notConverted = runs[0].files.filter((f) => !f.converted).map((f) => f.file.replace(/\.wast$/, ''));
const text = [
  `Spec tests: ${origin}; ${files.length} top-level files, ${converted.length} converted by wast2json (wabt ${spawnSync('wast2json', ['--version'], { encoding: 'utf8' }).stdout.trim()}).`,
  '',
  head,
  rule,
  total,
  ...rows,
  '',
  `Not read by this wast2json (binaryen's own dialect or newer syntax): ${notConverted.join(', ')}.`,
  '',
].join('\n');
console.log(`\n${text}`);
for (const r of runs) {
  for (const f of r.files.filter((x) => x.converted && x.regressions.length)) console.log(`regression on node ${r.node}: ${f.file}: ${f.regressions.join(', ')}`);
}
if (out) writeFileSync(out, text);
// Kept: assertions that pass as they are and instrumented, over every engine; failed: the regressions.
const kept = runs.reduce((a, r) => a + sum(r, 'passPlain') - sum(r, 'regressions'), 0);
console.log(`spec: ${kept} passed, ${runs.reduce((a, r) => a + sum(r, 'regressions'), 0)} failed`);
process.exit(runs.some((r) => sum(r, 'regressions') > 0) ? 1 : 0);
