/**
 * How fast the CLI starts: wall time and peak RSS of each command in a fresh
 * process, against `node -e 0` measured the same way in the same run.
 *
 *   node bench/startup.mjs [--runs N] [--quick] [--root DIR]
 *
 * --root measures the CLI of another checkout (built) instead of this one:
 * how before/after figures for a change are taken in one run's conditions.
 *
 * Commands that only read (--version, --help, list, info, report, replay,
 * dump) must not load binaryen; `instrument` of a 1 KB module shows what
 * loading it costs; `run` of it (instrumented from the cache) is the whole
 * path of a traced run, the program's Worker included. Runs are interleaved (baseline, each command, baseline,
 * ...), medians are reported, and ratios are medians over the baseline's
 * median. Peak RSS comes from the child itself (process.resourceUsage() at
 * exit, written to fd 3 by a --require hook that baseline and commands share).
 *
 * Writes bench/results/startup.{json,md}; --quick (3 runs, for CI) writes to
 * bench/results/tmp/ instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const runsAt = argv.indexOf('--runs');
const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : quick ? 3 : 11;

const rootAt = argv.indexOf('--root');
const BIN = join(rootAt >= 0 ? argv[rootAt + 1] : ROOT, 'bin/wasm-ftrace.js');
const MODULE = join(ROOT, 'wasm-fixtures/build/hash.wasm');
const tmp = mkdtempSync(join(os.tmpdir(), 'wasm-ftrace-startup-'));
const HOOK = join(tmp, 'rss.cjs');
writeFileSync(HOOK, "process.on('exit', () => { try { require('fs').writeSync(3, String(process.resourceUsage().maxRSS)); } catch {} });\n");
const DATA = join(tmp, 'hash.data');

function once(args) {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--require', HOOK, ...args], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wallMs, rssKb: Number(r.output[3]) };
}

once([BIN, 'record', '-o', DATA, MODULE]);
once([BIN, 'run', MODULE]); // the instrument cache holds run's build too: the runs below load no binaryen

const cases = [
  { id: 'node -e 0', args: ['-e', '0'] },
  { id: '--version', args: [BIN, '--version'] },
  { id: '--help', args: [BIN, '--help'] },
  { id: 'list hash.wasm', args: [BIN, 'list', MODULE] },
  { id: 'info', args: [BIN, 'info', DATA] },
  { id: 'report', args: [BIN, 'report', DATA] },
  { id: 'replay', args: [BIN, 'replay', DATA] },
  { id: 'dump', args: [BIN, 'dump', DATA] },
  // a whole traced run (cache hit): the CLI, the program's Worker, the program, the trace printed
  { id: 'run hash.wasm', args: [BIN, 'run', MODULE] },
  { id: 'instrument hash.wasm', args: [BIN, 'instrument', MODULE, '-o', join(tmp, 'out.wasm')], loadsBinaryen: true },
];
const samples = new Map(cases.map((c) => [c.id, []]));
once(['-e', '0']); // warm the file cache
for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.id).push(once(c.args));
rmSync(tmp, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = samples.get('node -e 0');
const baseWall = median(base.map((s) => s.wallMs));
const baseRss = median(base.map((s) => s.rssKb));
const rows = cases.map((c) => {
  const s = samples.get(c.id);
  const wallMs = median(s.map((x) => x.wallMs));
  const rssMb = median(s.map((x) => x.rssKb)) / 1024;
  return { command: c.id, wallMs: +wallMs.toFixed(1), rssMb: +rssMb.toFixed(1), wallRatio: +(wallMs / baseWall).toFixed(2), rssRatio: +((rssMb * 1024) / baseRss).toFixed(2), loadsBinaryen: c.loadsBinaryen === true };
});

const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const header = `node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), load average ${load}; ${runs} runs each, interleaved, medians`;
const table = [
  '| command | wall (ms) | x `node -e 0` | peak RSS (MB) | x `node -e 0` |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| \`${r.command}\`${r.loadsBinaryen ? ' (loads binaryen)' : ''} | ${r.wallMs} | ${r.wallRatio} | ${r.rssMb} | ${r.rssRatio} |`),
].join('\n');
process.stdout.write(`# ${header}\n\n${table}\n`);

const outDir = join(ROOT, 'bench/results', quick ? 'tmp' : '');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'startup.json'), `${JSON.stringify({ node: process.version, load: os.loadavg(), runs, rows }, null, 2)}\n`);
writeFileSync(join(outDir, 'startup.md'), `# CLI start-up\n\n${header}.\n\n${table}\n`);
