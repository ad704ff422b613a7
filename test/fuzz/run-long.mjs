#!/usr/bin/env node
// The long differential fuzz run, started by hand (no vitest needed):
//
//   npm run fuzz                               # seeds 1..5000
//   npm run fuzz -- --seeds 20000 --from 5001  # another range
//   npm run fuzz -- --seeds 500 --jobs 1       # one process
//   npm run fuzz:in-wasm -- --seeds 1000       # the in-wasm recorder against the JS hook
//
// --in-wasm checks test/fuzz/in-wasm.ts's equivalence (test/fuzz-in-wasm.test.ts)
// instead: it needs multi-memory, so when this Node lacks it (Node 20) the
// workers run under Node 24 from the npm registry (scripts/lib/node-versions.mjs;
// --node MAJOR picks another).
//
// Same generator, harness and pass (src/, via ts-loader.mjs) as
// test/fuzz.test.ts. Seeds are dealt to --jobs worker processes (default: one
// per CPU). Modules that disagree are saved to test/fuzz-corpus/seed-N.wasm,
// which the vitest suite then re-checks on every run. Exit status 1 when any
// seed disagreed.
import { fork } from 'node:child_process';
import { register } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

register('./ts-loader.mjs', import.meta.url);

function parseArgs(argv) {
  const opts = { seeds: 5000, from: 1, jobs: Math.max(1, os.availableParallelism?.() ?? os.cpus().length), worker: undefined, save: true, inWasm: false, node: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--seeds') opts.seeds = value();
    else if (a === '--from') opts.from = value();
    else if (a === '--jobs') opts.jobs = Math.max(1, value());
    else if (a === '--no-save') opts.save = false;
    else if (a === '--in-wasm') opts.inWasm = true;
    else if (a === '--node') opts.node = argv[++i];
    else if (a === '--worker') opts.worker = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run fuzz -- [--seeds N (5000)] [--from SEED (1)] [--jobs J (CPUs)] [--no-save] [--in-wasm [--node MAJOR (24)]]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return opts;
}

/** Worker: checks seeds from+k, from+k+jobs, ... and reports each to the parent. */
async function worker(opts) {
  const [k, jobs] = opts.worker.split('/').map(Number);
  const { fuzzSeeds, saveToCorpus } = await import('./run.ts');
  const { ModuleGenerator } = await import('./generate.ts');
  const seeds = [];
  for (let s = opts.from + k; s < opts.from + opts.seeds; s += jobs) seeds.push(s);
  const generator = new ModuleGenerator();
  try {
    if (opts.inWasm) {
      const { checkInWasm, ringRecordsFor } = await import('./in-wasm.ts');
      for (const seed of seeds) {
        let bytes;
        try {
          bytes = await generator.generate(seed);
        } catch (e) {
          process.send({ seed, verdict: { status: 'skip', reason: `generation failed: ${e.message}` } });
          continue;
        }
        const verdict = checkInWasm(bytes, ringRecordsFor(seed));
        const file = verdict.status === 'disagree' && opts.save ? saveToCorpus(seed, bytes) : undefined;
        process.send({ seed, verdict, file });
      }
      return;
    }
    for await (const r of fuzzSeeds(seeds, generator)) {
      const file = r.verdict.status === 'disagree' && r.bytes && opts.save ? saveToCorpus(r.seed, r.bytes) : undefined;
      process.send({ seed: r.seed, verdict: r.verdict, file });
    }
  } finally {
    generator.dispose();
  }
}

async function main(opts) {
  const { Summary } = await import('./run.ts');
  const { InWasmSummary } = await import('./in-wasm.ts');
  const summary = opts.inWasm ? new InWasmSummary() : new Summary();
  const add = opts.inWasm ? (m) => summary.add(m.seed, m.verdict, m.file) : (m) => summary.add(m, m.file);
  let execPath = process.execPath;
  if (opts.inWasm) {
    const { engineHasMultiMemory } = await import('../../src/abi/trace-memory.ts');
    if (opts.node !== undefined || !engineHasMultiMemory()) {
      const { nodeBinary, nodeVersion } = await import('../../scripts/lib/node-versions.mjs');
      execPath = nodeBinary(opts.node ?? '24');
      console.log(`this Node lacks multi-memory or --node was given: workers run under ${execPath} (${nodeVersion(execPath)})`);
    }
  }
  const started = performance.now();
  const last = opts.from + opts.seeds - 1;
  console.log(`wasm-ftrace ${opts.inWasm ? 'in-wasm recorder' : 'differential'} fuzz: seeds ${opts.from}..${last}, ${opts.jobs} process(es)`);
  let lastPrint = 0;
  const progress = (force) => {
    const now = performance.now();
    if (!force && now - lastPrint < 5000) return;
    lastPrint = now;
    const s = (now - started) / 1000;
    console.log(
      `[${summary.seeds}/${opts.seeds}] ${s.toFixed(0)} s, ${(summary.seeds / s).toFixed(1)} seeds/s: ` +
        `${summary.agreed} agreed, ${summary.skippedTotal} skipped, ${summary.disagreements.length} disagreed`,
    );
  };
  const self = fileURLToPath(import.meta.url);
  const base = ['--seeds', String(opts.seeds), '--from', String(opts.from), ...(opts.save ? [] : ['--no-save']), ...(opts.inWasm ? ['--in-wasm'] : [])];
  const children = [];
  for (let k = 0; k < Math.min(opts.jobs, Math.max(1, opts.seeds)); k++) {
    const jobs = Math.min(opts.jobs, Math.max(1, opts.seeds));
    const child = fork(self, [...base, '--worker', `${k}/${jobs}`], { execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => {
      add(m);
      if (m.verdict.status === 'disagree') console.log(`DISAGREE seed ${m.seed}: ${m.verdict.reason}${m.file ? ` (saved to ${m.file})` : ''}`);
      progress(false);
    });
    children.push(new Promise((resolve) => child.on('exit', (code) => resolve(code))));
  }
  const codes = await Promise.all(children);
  progress(true);
  console.log(summary.format());
  console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const crashed = codes.filter((c) => c !== 0).length;
  if (crashed) console.log(`${crashed} worker process(es) exited abnormally`);
  if (summary.seeds < opts.seeds) console.log(`only ${summary.seeds} of ${opts.seeds} seeds were checked`);
  process.exitCode = summary.disagreements.length > 0 || crashed || summary.seeds < opts.seeds ? 1 : 0;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.worker) await worker(opts);
else await main(opts);
