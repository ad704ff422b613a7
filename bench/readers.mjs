#!/usr/bin/env node
// Memory and time of the readers on big data files (npm run bench:readers):
//
//   node bench/readers.mjs [--sizes 1e6,1e7,1e8] [--commands info,report,...] [--dir /tmp]
//
// For each size, writes a synthetic data file with bench/gen-data.mjs (kept
// in --dir, reused when present) and runs each reader on it under
// /usr/bin/time -v, output to a file in --dir (removed afterwards). Prints a
// markdown table: wall time, peak RSS, and time per 10^6 events.
// Needs `npm run build` and GNU time (/usr/bin/time). A 10^8 file is 3.1 GB.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const sizes = arg('--sizes', '1e6,1e7').split(',').map(Number);
const dir = arg('--dir', os.tmpdir());
const COMMANDS = {
  info: ['info'],
  report: ['report'],
  replay: ['replay'],
  'dump --raw': ['dump', '--raw'],
  'dump --folded': ['dump', '--folded'],
  'dump --chrome': ['dump', '--chrome', '-o', '{out}'],
  'dump --perfetto': ['dump', '--perfetto', '-o', '{out}'],
};
const chosen = arg('--commands', Object.keys(COMMANDS).join(',')).split(',');

const rows = [];
for (const n of sizes) {
  const data = path.join(dir, `wasm-ftrace-bench-${n}.data`);
  if (!existsSync(data)) execFileSync(process.execPath, [path.join(root, 'bench/gen-data.mjs'), String(n), data], { stdio: 'inherit' });
  const size = statSync(data).size;
  for (const name of chosen) {
    const out = path.join(dir, `wasm-ftrace-bench-out-${process.pid}`);
    const argv = COMMANDS[name].map((a) => (a === '{out}' ? out : a));
    const r = spawnSync('/usr/bin/time', ['-v', process.execPath, path.join(root, 'bin/wasm-ftrace.js'), ...argv, data], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    const seconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
    const outBytes = existsSync(out) ? statSync(out).size : null;
    rmSync(out, { force: true });
    rows.push({ events: n, file: size, command: name, code: r.status, seconds, rssMb: rss ? Number(rss[1]) / 1024 : NaN, outBytes });
    const last = rows.at(-1);
    process.stderr.write(`${n} ${name}: ${seconds.toFixed(1)} s, ${last.rssMb.toFixed(0)} MB${r.status !== 0 ? ` (exit ${r.status})` : ''}\n`);
  }
}

console.log(`load: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores\n`);
console.log('| events | command | wall | peak RSS | per 10^6 events | output |');
console.log('|---:|---|---:|---:|---:|---:|');
for (const r of rows) {
  const exp = Math.log10(r.events);
  const ev = Number.isInteger(exp) ? `10^${exp}` : String(r.events);
  const out = r.outBytes === null ? '' : `${(r.outBytes / 2 ** 20).toFixed(0)} MiB`;
  console.log(`| ${ev} | ${r.command}${r.code ? ` (exit ${r.code})` : ''} | ${r.seconds.toFixed(1)} s | ${r.rssMb.toFixed(0)} MB | ${((r.seconds / r.events) * 1e6).toFixed(2)} s | ${out} |`);
}
