/**
 * Node executables of other major versions, from the npm registry: the
 * package `node-<platform>-<arch>@<major>` carries the binary itself. Each is
 * installed once into a cache folder ($WASM_FTRACE_NODE_CACHE, default
 * ~/.cache/wasm-ftrace/node), never as a dependency of this package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cache = process.env['WASM_FTRACE_NODE_CACHE'] ?? path.join(os.homedir(), '.cache/wasm-ftrace/node');
const pkg = `node-${process.platform}-${process.arch}`;

/** The node executable for a major version ('current': the one running this script). */
export function nodeBinary(major) {
  if (major === 'current') return process.execPath;
  const dir = path.join(cache, major);
  const bin = path.join(dir, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    console.log(`installing ${pkg}@${major} into ${dir}`);
    const r = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${major}`], { stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(bin)) throw new Error(`could not install ${pkg}@${major} (npm exit ${r.status})`);
  }
  return bin;
}

export function nodeVersion(bin) {
  return spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
}
