/**
 * How long instrumenting takes, against binaryen's own read + write of the
 * same module (the floor) and against binaryen's log-execution pass (which
 * also adds an import call to every function).
 *
 *   node bench/instrument-time.mjs [--rounds N] [--quick] [--modules wabt,resvg,binaryen] [--cold-runs N] [--cli-runs N] [--no-cli]
 *
 * (`npm run bench` builds first; `npm run bench:quick` is the CI smoke run.)
 *
 * Scenarios, run interleaved (floor, instrument, log-execution, floor, ...)
 * for N rounds after one warm-up each, with a GC before every run:
 *   floor          binaryen.readBinary(bytes, READ_FEATURES) + setDebugInfo(true) + emitBinary() + dispose()
 *   instrument     instrument(bytes) from dist/
 *   instrument+exit  instrument(bytes, { exitHooks: true }): with function_graph's exit hooks
 *   log-execution  the same read + module.runPasses(['log-execution']) + the same emit + dispose
 * then --cold-runs rounds (default 3, 1 with --quick) of each scenario's
 * first run in a fresh process (bench/lib/cold-run.mjs), and after those, in
 * separate processes, the wasm-opt CLI with and
 * without --log-execution (its own floor, process start-up included),
 * alternating, --cli-runs times (default 3, 1 with --quick).
 *
 * Figures are medians and ratios of medians within this process; nothing is
 * asserted against wall-clock time. The instrument time is also split into
 * phases by wrapping binaryen.readBinary, WebAssembly.validate and the read
 * module's emitBinary/dispose (the pass's code is not copied).
 *
 * Writes bench/results/instrument-time.{json,md}; --quick (2 rounds on the
 * smallest module, for CI) writes to bench/results/tmp/ instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { CACHE, ROOT, loadModules } from './lib/modules.mjs';

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const rounds = Number(opt('--rounds') ?? (quick ? 2 : 9));
const cliRuns = argv.includes('--no-cli') ? 0 : Number(opt('--cli-runs') ?? (quick ? 1 : 3));
const coldRuns = Number(opt('--cold-runs') ?? (quick ? 1 : 3));
const moduleIds = opt('--modules')?.split(',') ?? (quick ? ['wabt'] : undefined);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds wants a positive integer');
const TARGET = 1.5;

const { SCENARIOS, PHASES, instrument, timeOnce, originalValidate } = await import('./lib/scenarios.mjs');

// ------------------------------------------------------------ statistics
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

// ------------------------------------------------------------ the CLI
const WASM_OPT = join(ROOT, 'node_modules', 'binaryen', 'bin', 'wasm-opt');
const CLI_FLAGS = ['--all-features', '--disable-compact-imports', '--disable-custom-descriptors', '-g'];

function cli(path, extra) {
  const outPath = join(CACHE, `cli-out-${process.pid}.wasm`);
  const args = [WASM_OPT, ...CLI_FLAGS, ...extra, path, '-o', outPath];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  rmSync(outPath, { force: true });
  if (r.status !== 0) throw new Error(`wasm-opt failed: ${r.stderr.trim().split('\n').slice(0, 2).join(' ')}`);
  return ms;
}

// ------------------------------------------------------------ main
const modules = loadModules(moduleIds);
const usable = modules.filter((m) => !m.error);
for (const m of modules.filter((m) => m.error)) console.error(`skipping ${m.id}: ${m.error}`);
if (usable.length === 0) throw new Error('no module to benchmark');
const benchModules = quick ? [usable.reduce((a, b) => (b.size < a.size ? b : a))] : usable;

const loadBefore = os.loadavg();
const results = [];
for (const m of benchModules) {
  process.stderr.write(`${m.id} (${mb(m.size)}): warm-up`);
  const runs = Object.fromEntries(SCENARIOS.map((s) => [s.name, []]));
  // Warm-up, and a sanity check that every output is a module the engine takes.
  const outputs = {};
  for (const s of SCENARIOS) {
    const { out, outBytes } = timeOnce(s, m.bytes);
    outputs[s.name] = { bytes: outBytes, validates: originalValidate(out) };
  }
  const stats = instrument(m.bytes).stats;
  const exitWarnings = instrument(m.bytes, { exitHooks: true }).warnings;
  for (let r = 0; r < rounds; r++) {
    process.stderr.write(` ${r + 1}`);
    for (const s of SCENARIOS) {
      const { ms, cpuMs, phases: ph } = timeOnce(s, m.bytes);
      runs[s.name].push({ ms, cpuMs, phases: ph });
    }
  }
  process.stderr.write('\n');

  const floorMs = runs.floor.map((x) => x.ms);
  const floorMedian = median(floorMs);
  const floorCpuMedian = median(runs.floor.map((x) => x.cpuMs));
  const scenarios = SCENARIOS.map((s) => {
    const ms = runs[s.name].map((x) => x.ms);
    const cpuMs = runs[s.name].map((x) => x.cpuMs);
    return {
      name: s.name,
      medianMs: median(ms),
      minMs: Math.min(...ms),
      maxMs: Math.max(...ms),
      ratioOfMedians: median(ms) / floorMedian,
      pairedRatioMedian: median(ms.map((x, i) => x / floorMs[i])),
      cpuMedianMs: median(cpuMs),
      cpuRatioOfMedians: median(cpuMs) / floorCpuMedian,
      runsMs: ms,
      runsCpuMs: cpuMs,
      output: outputs[s.name],
    };
  });
  const breakdown = PHASES.map((phase) => {
    const row = { phase };
    for (const sc of SCENARIOS) row[sc.name] = median(runs[sc.name].map((x) => x.phases[phase]));
    return row;
  });

  // Cold: each scenario once per round in a fresh process (a CLI user's one run).
  let cold = null;
  if (coldRuns > 0) {
    process.stderr.write(`${m.id}: cold runs x${coldRuns}\n`);
    const coldRunsBy = Object.fromEntries(SCENARIOS.map((s) => [s.name, []]));
    for (let i = 0; i < coldRuns; i++) {
      for (const s of SCENARIOS) {
        const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'lib', 'cold-run.mjs'), s.name, m.path], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`cold run of ${s.name} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
        coldRunsBy[s.name].push(JSON.parse(r.stdout.trim().split('\n').pop()));
      }
    }
    const coldFloor = median(coldRunsBy.floor.map((x) => x.ms));
    const coldFloorCpu = median(coldRunsBy.floor.map((x) => x.cpuMs));
    cold = SCENARIOS.map((s) => {
      const ms = coldRunsBy[s.name].map((x) => x.ms);
      const cpu = coldRunsBy[s.name].map((x) => x.cpuMs);
      const rewrite = coldRunsBy[s.name].map((x) => x.phases[PHASES[3]]);
      return {
        name: s.name,
        medianMs: median(ms),
        ratioOfMedians: median(ms) / coldFloor,
        cpuMedianMs: median(cpu),
        cpuRatioOfMedians: median(cpu) / coldFloorCpu,
        rewriteMedianMs: median(rewrite),
        runsMs: ms,
      };
    });
  }

  let cliResult = null;
  if (cliRuns > 0) {
    process.stderr.write(`${m.id}: wasm-opt CLI x${cliRuns}\n`);
    const plain = [];
    const logged = [];
    for (let i = 0; i < cliRuns; i++) {
      plain.push(cli(m.path, []));
      logged.push(cli(m.path, ['--log-execution']));
    }
    cliResult = {
      command: `node node_modules/binaryen/bin/wasm-opt ${CLI_FLAGS.join(' ')} [--log-execution] in.wasm -o out.wasm`,
      runs: cliRuns,
      plainMs: median(plain),
      logExecutionMs: median(logged),
      ratio: median(logged) / median(plain),
    };
  }
  results.push({
    module: { id: m.id, description: m.description, bytes: m.size, sha256: m.sha256, customSections: m.customSections, hasNameSection: m.hasNameSection },
    instrumentStats: stats,
    exitHookWarnings: exitWarnings,
    scenarios,
    breakdown,
    cold,
    cli: cliResult,
  });
}

// ------------------------------------------------------------ report
const command = `node bench/instrument-time.mjs ${argv.join(' ')}`.trim();
const env = {
  date: new Date().toISOString(),
  node: process.version,
  binaryen: (await import('../node_modules/binaryen/package.json', { with: { type: 'json' } })).default.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  loadavg1m: { before: +loadBefore[0].toFixed(2), after: +os.loadavg()[0].toFixed(2) },
  rounds,
  command,
};

const lines = [];
lines.push('# Instrument time vs binaryen read + write');
lines.push('');
lines.push(`${env.date} · node ${env.node} · binaryen ${env.binaryen} · ${env.cpu} (${env.cores} cores) · ${env.platform} · load average (1 min) ${env.loadavg1m.before} before, ${env.loadavg1m.after} after`);
lines.push('');
lines.push(`Command: \`${command}\` · ${rounds} interleaved rounds after 1 warm-up, GC before each run. Target: instrument ≤ ${TARGET}x floor.`);
lines.push('');
lines.push('Times are wall clock (performance.now) unless marked CPU (process.cpuUsage, user + system, all threads: less sensitive to other load on the machine, but it counts V8 background threads too).');
lines.push('');
lines.push('| module | size | name section | functions (imports) | call sites |');
lines.push('|---|---|---|---|---|');
for (const r of results) {
  const m = r.module;
  const custom = m.customSections.length ? m.customSections.map((c) => c.name).join(', ') : 'no custom sections';
  lines.push(`| ${m.id}: ${m.description} | ${mb(m.bytes)} | ${m.hasNameSection ? 'yes' : `no (${custom})`} | ${r.instrumentStats.functions} (${r.instrumentStats.imports}) | ${r.instrumentStats.callSites} |`);
}
for (const m of modules.filter((m) => m.error)) lines.push(`| ${m.id}: ${m.description} | skipped: ${m.error} | | | |`);
lines.push('');
lines.push('| module | scenario | median ms | min ms | max ms | ratio of medians to floor | median of per-round ratios | process CPU ms (median) | CPU ratio to floor | output |');
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of results) {
  for (const s of r.scenarios) {
    const out = `${mb(s.output.bytes)}${s.output.validates ? '' : ', not valid in this node'}`;
    lines.push(`| ${r.module.id} | ${s.name} | ${fmt(s.medianMs)} | ${fmt(s.minMs)} | ${fmt(s.maxMs)} | ${fmt(s.ratioOfMedians, 2)}x | ${fmt(s.pairedRatioMedian, 2)}x | ${fmt(s.cpuMedianMs)} | ${fmt(s.cpuRatioOfMedians, 2)}x | ${out} |`);
  }
}
if (results.some((r) => r.cold)) {
  lines.push('');
  lines.push(`Cold: each scenario's first run in a fresh process (timed after binaryen.js and dist/ load), medians of ${coldRuns}; what one CLI invocation pays:`);
  lines.push('');
  lines.push('| module | scenario | median ms | ratio to floor | process CPU ms | CPU ratio | rewrite / pass phase ms |');
  lines.push('|---|---|---:|---:|---:|---:|---:|');
  for (const r of results.filter((r) => r.cold)) {
    for (const s of r.cold) {
      lines.push(`| ${r.module.id} | ${s.name} | ${fmt(s.medianMs)} | ${fmt(s.ratioOfMedians, 2)}x | ${fmt(s.cpuMedianMs)} | ${fmt(s.cpuRatioOfMedians, 2)}x | ${fmt(s.rewriteMedianMs)} |`);
    }
  }
}
if (results.some((r) => r.cli)) {
  lines.push('');
  lines.push(`wasm-opt CLI (separate processes, start-up included; \`${results.find((r) => r.cli).cli.command}\`):`);
  lines.push('');
  lines.push('| module | runs | plain wasm-opt ms | --log-execution ms | ratio |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const r of results.filter((r) => r.cli)) {
    lines.push(`| ${r.module.id} | ${r.cli.runs} | ${fmt(r.cli.plainMs)} | ${fmt(r.cli.logExecutionMs)} | ${fmt(r.cli.ratio, 2)}x |`);
  }
}
lines.push('');
lines.push('Where the time goes: median ms per phase (phases split by wrapping binaryen.readBinary, WebAssembly.validate, emitBinary, dispose):');
for (const r of results) {
  const floorMedian = r.scenarios[0].medianMs;
  lines.push('');
  lines.push(`| ${r.module.id} phase | ${SCENARIOS.map((s) => s.name).join(' | ')} | instrument - floor | as share of floor |`);
  lines.push(`|---|${SCENARIOS.map(() => '---:').join('|')}|---:|---:|`);
  for (const row of r.breakdown) {
    const delta = row.instrument - row.floor;
    lines.push(`| ${row.phase} | ${SCENARIOS.map((s) => fmt(row[s.name], 1)).join(' | ')} | ${fmt(delta, 1)} | ${fmt((100 * delta) / floorMedian, 1)}% |`);
  }
}
lines.push('');
// Verdict on the ratio of wall-clock medians. Process CPU time is shown
// beside it but is no better a judge: it counts V8's background threads
// (JIT, concurrent GC, wasm tier-up), which the pass's JS keeps busier than
// the floor does. On an oversubscribed machine (load above the core count)
// wall-clock medians are skewed by bursts of descheduling: say so.
const busy = Math.max(env.loadavg1m.before, env.loadavg1m.after) > env.cores;
lines.push('Verdict on the ratio of wall-clock medians (paired and CPU ratios beside it):');
if (busy) {
  lines.push('');
  lines.push(`**The machine was oversubscribed (load average ${env.loadavg1m.before} / ${env.loadavg1m.after} on ${env.cores} cores): these figures are noisy; re-run on a quiet machine.**`);
}
lines.push('');
for (const r of results) {
  const verdict = (name) => {
    const s = r.scenarios.find((x) => x.name === name);
    const x = s.ratioOfMedians;
    const v = r.module.bytes < 1e6 ? 'below 1 MB, reference only' : x <= TARGET ? 'within target' : 'OVER TARGET';
    return `${fmt(x, 2)}x (${v}; paired ${fmt(s.pairedRatioMedian, 2)}x, CPU ${fmt(s.cpuRatioOfMedians, 2)}x)`;
  };
  const coldRatio = r.cold ? `; cold, fresh process: ${fmt(r.cold.find((x) => x.name === 'instrument').ratioOfMedians, 2)}x` : '';
  lines.push(`- ${r.module.id} (${mb(r.module.bytes)}): instrument / floor = ${verdict('instrument')}; with exit hooks ${verdict('instrument+exit')}${coldRatio}`);
}
const markdown = lines.join('\n') + '\n';
process.stdout.write(markdown);

const outDir = quick ? join(ROOT, 'bench', 'results', 'tmp') : join(ROOT, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const base = quick ? 'instrument-time.quick' : 'instrument-time';
writeFileSync(join(outDir, `${base}.json`), JSON.stringify({ env, target: TARGET, results, skipped: modules.filter((m) => m.error).map(({ id, description, error }) => ({ id, description, error })) }, null, 2) + '\n');
writeFileSync(join(outDir, `${base}.md`), markdown);
process.stderr.write(`wrote ${join(outDir, base)}.{json,md}\n`);
