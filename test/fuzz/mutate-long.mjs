#!/usr/bin/env node
// The long mutation fuzz run (npm run fuzz:mutate; run `npm run build` first):
//
//   npm run fuzz:mutate                          # 10000 mutants per target
//   npm run fuzz:mutate -- --cases 500 --from 1  # fewer, from another seed
//   npm run fuzz:mutate -- --target instrument   # one target: instrument | readers
//
// Each target runs in a child process that reports every case; a case that
// does not answer within --timeout seconds (default 30) is a hang: the child
// is killed and the run goes on from the next seed. Prints the counts per
// outcome and mutation kind, the bad cases (replay one with --cases 1 --from
// SEED), and the peak memory of the readers on forged lengths and counts.
// Exit status 1 when any case was bad or hung.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

function parseArgs(argv) {
  const o = { cases: 10000, from: 1, timeout: 30, targets: ['instrument', 'readers'], child: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--cases') o.cases = Number(argv[++i]);
    else if (a === '--from') o.from = Number(argv[++i]);
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a === '--target') o.targets = [argv[++i]];
    else if (a === '--child') o.child = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run fuzz:mutate -- [--cases N (10000)] [--from SEED (1)] [--target instrument|readers] [--timeout S (30)]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

/** Child: runs cases from..from+cases-1 of one target, one message per case. */
async function child(o) {
  const m = await import('./mutate.mjs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-mutate-'));
  try {
    let check;
    let mutate;
    let inputs;
    if (o.child === 'instrument') {
      check = await m.instrumentChecker();
      mutate = m.mutateWasm;
      inputs = m.wasmFixtures();
    } else {
      check = await m.readerChecker(dir);
      mutate = await m.dataFileMutator();
      inputs = [{ name: 'hash.data', bytes: await m.recordedDataFile(dir) }];
    }
    for (let seed = o.from; seed < o.from + o.cases; seed++) {
      const rnd = m.prng(seed);
      const input = rnd.pick(inputs);
      const mut = mutate(input.bytes, rnd);
      process.send({ start: seed });
      const t0 = performance.now();
      const v = await check(mut.bytes);
      const ms = performance.now() - t0;
      const mem = mut.forged ? process.memoryUsage() : null;
      process.send({ seed, input: input.name, kind: mut.kind, forged: !!mut.forged, ms, ...v, ...(mem ? { rss: mem.rss, arrayBuffers: mem.arrayBuffers } : {}) });
    }
    process.send({ done: true, maxRssKb: process.resourceUsage().maxRSS });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runTarget(target, o) {
  return new Promise((resolve) => {
    const stats = { target, cases: 0, outcomes: {}, kinds: {}, bad: [], hangs: [], slowest: { ms: 0 }, forged: { cases: 0, maxRss: 0, maxArrayBuffers: 0 }, maxRssKb: 0 };
    let next = o.from;
    const end = o.from + o.cases;
    const start = () => {
      if (next >= end) return resolve(stats);
      const c = fork(here, ['--child', target, '--cases', String(end - next), '--from', String(next)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let current = null;
      let timer = null;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stats.hangs.push(current);
          c.kill('SIGKILL');
        }, o.timeout * 1000);
      };
      arm();
      c.on('message', (msg) => {
        if (msg.start !== undefined) {
          current = msg.start;
          arm();
          return;
        }
        if (msg.done) {
          stats.maxRssKb = Math.max(stats.maxRssKb, msg.maxRssKb);
          return;
        }
        stats.cases++;
        next = msg.seed + 1;
        const outcome = msg.bad ? 'bad' : msg.outcome;
        stats.outcomes[outcome] = (stats.outcomes[outcome] ?? 0) + 1;
        const k = (stats.kinds[msg.kind] ??= {});
        k[outcome] = (k[outcome] ?? 0) + 1;
        if (msg.bad) stats.bad.push({ seed: msg.seed, input: msg.input, kind: msg.kind, bad: msg.bad });
        if (msg.ms > stats.slowest.ms) stats.slowest = { ms: msg.ms, seed: msg.seed, input: msg.input, kind: msg.kind };
        if (msg.forged) {
          stats.forged.cases++;
          stats.forged.maxRss = Math.max(stats.forged.maxRss, msg.rss);
          stats.forged.maxArrayBuffers = Math.max(stats.forged.maxArrayBuffers, msg.arrayBuffers);
        }
        if (stats.cases % 1000 === 0) process.stderr.write(`${target}: ${stats.cases} cases\n`);
      });
      c.on('exit', () => {
        clearTimeout(timer);
        if (current !== null && next <= current) next = current + 1; // the hung case is skipped
        start();
      });
    };
    start();
  });
}

const o = parseArgs(process.argv.slice(2));
if (o.child) {
  await child(o);
} else {
  let failed = false;
  for (const target of o.targets) {
    const t0 = Date.now();
    const s = await runTarget(target, o);
    const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    console.log(`\n## ${target}: ${s.cases} mutants (seeds ${o.from}..${o.from + o.cases - 1}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    console.log(`outcomes: ${JSON.stringify(s.outcomes)}; hangs (> ${o.timeout} s): ${s.hangs.length}`);
    for (const [k, v] of Object.entries(s.kinds)) console.log(`  ${k.padEnd(16)} ${JSON.stringify(v)}`);
    console.log(`slowest case: ${s.slowest.ms.toFixed(0)} ms (seed ${s.slowest.seed}, ${s.slowest.input}, ${s.slowest.kind}); child peak RSS ${mb(s.maxRssKb * 1024)}`);
    if (s.forged.cases > 0) console.log(`forged lengths/counts: ${s.forged.cases} cases, RSS after a case at most ${mb(s.forged.maxRss)}, array buffers at most ${mb(s.forged.maxArrayBuffers)}`);
    for (const b of s.bad.slice(0, 20)) console.log(`  BAD seed ${b.seed} (${b.input}, ${b.kind}): ${b.bad}`);
    for (const h of s.hangs) console.log(`  HANG seed ${h}`);
    if (s.bad.length > 0 || s.hangs.length > 0) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}
