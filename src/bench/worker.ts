/**
 * One scenario of the hook-overhead benchmark, in a worker thread of its
 * own, interleaved with the uninstrumented baseline of the same workload in
 * the same thread. See hook-overhead.ts for why a thread per scenario.
 *
 * Protocol: the worker sets both instances up, warms them up and posts
 * WorkerReady; then each { rounds } message runs that many interleaved
 * rounds and posts WorkerTimes; { done: true } ends it. The main thread
 * runs the rounds in several passes over all the workers, so that a slow
 * spell of the machine spreads over the scenarios instead of hitting one.
 */
import { parentPort, workerData } from 'node:worker_threads';

// node:wasi warns that it is experimental, once per thread: not news here.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

export interface WorkerJob {
  spec: import('./workloads.js').WorkloadSpec;
  scenario: string;
  /** the binary the scenario runs (the baseline runs spec.bytes) */
  variant: Uint8Array;
  never: string | null;
  logImport: { module: string; name: string } | null;
  /** runs per timed sample */
  repeat: number;
  /** untimed samples of each before the rounds, and at least this long (ms) */
  warmup: number;
  warmupMs: number;
}

export interface WorkerReady {
  kind: 'ready';
  mode: string | null;
  /** the first run's result, baseline and scenario, as strings */
  results: [string, string];
}

export interface WorkerTimes {
  kind: 'times';
  /** ms per run, one per round: the scenario, and the baseline beside it */
  times: number[];
  baseTimes: number[];
}

export interface WorkerFailure {
  kind: 'error';
  error: string;
}

export type WorkerMessage = WorkerReady | WorkerTimes | WorkerFailure;
export type WorkerCommand = { rounds: number } | { done: true };

async function setUp(job: WorkerJob): Promise<{ base: () => unknown; mine: () => unknown; ready: WorkerReady }> {
  const { openWorkload } = await import('./workloads.js');
  const { scenarioById } = await import('./scenarios.js');
  const { warmUp } = await import('./timing.js');
  const host = await openWorkload(job.spec);
  const scenario = scenarioById(job.scenario);
  const base = await host.instantiate(new WebAssembly.Module(job.spec.bytes as Uint8Array<ArrayBuffer>), (i) => i, () => {});
  const module = new WebAssembly.Module(job.variant as Uint8Array<ArrayBuffer>);
  const setup = scenario.setup(module, { never: job.never, logImport: job.logImport });
  const mine = await host.instantiate(module, setup.wrap, setup.attach);
  const results: [string, string] = [show(base()), show(mine())];
  // Warm up: let V8 tier both up (wasm to TurboFan, the dispatcher's JS).
  warmUp([base, mine], job.repeat, job.warmup, job.warmupMs);
  return { base, mine, ready: { kind: 'ready', mode: setup.mode(), results } };
}

function show(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : String(v);
}

const job = workerData as WorkerJob;
const port = parentPort!;
const fail = (e: unknown): void => port.postMessage({ kind: 'error', error: (e as Error)?.message ?? String(e) } satisfies WorkerFailure);
try {
  const { sample } = await import('./timing.js');
  const { base, mine, ready } = await setUp(job);
  const repeat = job.repeat;
  port.on('message', (cmd: WorkerCommand) => {
    if ('done' in cmd) {
      port.close();
      return;
    }
    try {
      // one untimed sample of each: the caches went cold while other workers ran
      sample(base, repeat);
      sample(mine, repeat);
      const times: number[] = [];
      const baseTimes: number[] = [];
      for (let round = 0; round < cmd.rounds; round++) {
        // alternate which goes first, so that an order effect falls on both alike
        if (round % 2 === 0) {
          baseTimes.push(sample(base, repeat));
          times.push(sample(mine, repeat));
        } else {
          times.push(sample(mine, repeat));
          baseTimes.push(sample(base, repeat));
        }
      }
      port.postMessage({ kind: 'times', times, baseTimes } satisfies WorkerTimes);
    } catch (e) {
      fail(e);
    }
  });
  port.postMessage(ready);
} catch (e) {
  fail(e);
}
