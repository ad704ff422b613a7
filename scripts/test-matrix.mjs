#!/usr/bin/env node
/**
 * The test suite on every current Node line (`npm run test:matrix`):
 *
 *   node scripts/test-matrix.mjs [--node 22,24,26] [test files...]
 *
 * Each version's binary comes from the npm registry, as the package
 * `node-<platform>-<arch>@<major>` (it carries the executable itself), and is
 * installed once into a cache folder (scripts/lib/node-versions.mjs): no
 * devDependency of 30 MB per version, nothing downloaded from anywhere but
 * the registry. The build runs once, with the
 * Node that runs this script; vitest then runs under each version (and the
 * tests' child processes with it, as they spawn process.execPath).
 *
 * Prints one line per version (passed, failed, skipped) and exits non-zero
 * when any version fails. `--node current` runs under this script's Node
 * alone (no download).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, nodeVersion } from './lib/node-versions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const at = argv.indexOf('--node');
const versions = (at >= 0 ? argv[at + 1] : '22,24,26').split(',').map((v) => v.trim());
const files = argv.filter((a, i) => !(i === at || i === at + 1));
const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-matrix-'));
const results = [];
for (const major of versions) {
  const node = nodeBinary(major);
  const version = nodeVersion(node);
  const report = path.join(tmp, `${major}.json`);
  console.log(`\ntest-matrix: node ${version}`);
  const r = spawnSync(node, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...files], { cwd: root, stdio: 'inherit' });
  let counts = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0 };
  let failed = [];
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    counts = json;
    failed = json.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${path.relative(root, f.name)} > ${a.fullName}`));
  }
  results.push({ version, status: r.status, counts, failed });
}
rmSync(tmp, { recursive: true, force: true });

console.log('\ntest-matrix results');
for (const { version, status, counts, failed } of results) {
  console.log(`  node ${version.padEnd(9)} ${counts.numPassedTests} passed, ${counts.numFailedTests} failed, ${counts.numPendingTests + counts.numTodoTests} skipped${status === 0 ? '' : ` (vitest exit ${status})`}`);
  for (const f of failed) console.log(`    failed: ${f}`);
}
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
