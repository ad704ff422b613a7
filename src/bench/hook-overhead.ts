/**
 * The hook-overhead benchmark: how much slower a workload runs under each
 * way of tracing it, against the uninstrumented module, against the raw
 * cost of leaving wasm at every entry (an empty import), and against
 * binaryen's log-execution pass.
 *
 * One process. Each (workload, scenario) pair runs in a worker thread of
 * its own, interleaved round by round with the uninstrumented baseline in
 * the same thread (so machine noise hits both alike), and we report
 * medians. A thread per scenario keeps V8's type feedback apart: a real
 * program traces with one kind of ops, and sharing the dispatcher's code
 * between a dozen kinds in one isolate would make its call sites
 * megamorphic, which no user sees. Workers are set up and warmed up one at
 * a time, then the rounds run in passes over all of them (one worker
 * running at a time), so that a slow spell of a shared machine spreads over
 * the scenarios instead of hitting one.
 *
 * Node-only. Nothing here asserts a time.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { instrument } from '../instrument/pass.js';
import { Ftrace } from '../ftrace/ftrace.js';
import { logExecutionBinary, logExecutionImport } from './build.js';
import { SCENARIOS, SCENARIO_IDS, type Variant } from './scenarios.js';
import { engineHasMultiMemory } from '../abi/trace-memory.js';
import { BenchError, openWorkload, type WorkloadHost, type WorkloadSpec } from './workloads.js';
import type { WorkerCommand, WorkerJob, WorkerMessage, WorkerReady, WorkerTimes } from './worker.js';
import type { NativePeer } from './native-peer.js';
import type { BenchResult, ScenarioResult, WorkloadResult } from './results.js';
import { evaluateTargets } from './targets.js';
import { median, sample, warmUp } from './timing.js';

export { median } from './timing.js';
export type { BenchResult, ScenarioResult, TargetResult, WorkloadResult } from './results.js';

export interface BenchOptions {
  workloads: WorkloadSpec[];
  /** interleaved rounds per scenario (default 15) */
  rounds?: number;
  /** scenario ids (default all); the baseline always runs */
  scenarios?: string[];
  /** each timed sample repeats the run until the baseline takes about this long (default 5 ms) */
  sampleMs?: number;
  /** untimed samples of each instance before the rounds (default 3), for at least warmupMs (default 1000) */
  warmup?: number;
  warmupMs?: number;
  /** workloads that could not be had, reported as skipped */
  skipped?: { id: string; label: string; reason: string }[];
  /** the command line, for the report */
  command?: string;
  /** the worker script (default: worker.js beside this file, in dist/) */
  workerUrl?: URL;
  onProgress?: (text: string) => void;
}

export const METHOD =
  'One process: each scenario runs in a worker thread of its own, interleaved round by round with the uninstrumented baseline in the same thread (order alternating), so machine noise hits both alike; the rounds run in up to 5 passes over all the workers, so that a slow spell of the machine is spread over the scenarios; medians. ' +
  "A thread per scenario keeps V8's type feedback apart: a real program traces with one kind of ops, and sharing the dispatcher between a dozen kinds in one isolate would make its call sites megamorphic.";

function defaultWorkerUrl(): URL {
  // From TypeScript sources (vitest), the worker has to be the built one.
  if (import.meta.url.endsWith('.ts')) return new URL('../../dist/bench/worker.js', import.meta.url);
  return new URL('./worker.js', import.meta.url);
}

/** Names that a filter can take as they are; others go by line number. */
const PLAIN_NAME = /^[A-Za-z_$][\w$.]*$/;

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.rounds ?? 15;
  const sampleMs = options.sampleMs ?? 5;
  const warmup = options.warmup ?? 3;
  const warmupMs = options.warmupMs ?? 1000;
  if (!Number.isInteger(rounds) || rounds < 1) throw new BenchError('rounds must be a positive whole number');
  const wanted = options.scenarios ?? [...SCENARIO_IDS];
  for (const id of wanted) if (!SCENARIO_IDS.includes(id)) throw new BenchError(`unknown scenario '${id}' (${SCENARIO_IDS.join(', ')})`);
  // In-wasm scenarios need a second memory: engines without multi-memory (Node 20) skip them.
  const inWasmOk = engineHasMultiMemory();
  const scenarios = SCENARIOS.filter((s) => s.id === 'baseline' || (wanted.includes(s.id) && (inWasmOk || !s.variant.startsWith('wasm'))));
  const workerUrl = options.workerUrl ?? defaultWorkerUrl();
  const progress = options.onProgress ?? (() => {});

  const loadBefore = os.loadavg();
  const cpuBefore = cpuTimes();
  const date = new Date().toISOString();
  const workloads: WorkloadResult[] = [];
  for (const spec of options.workloads) {
    progress(`${spec.id}: preparing`);
    const host = await openWorkload(spec);
    const needs = new Set(scenarios.map((s) => s.variant));
    const variants: Partial<Record<Variant, Uint8Array>> = { original: spec.bytes };
    // the traced binary counts entries even when no scenario runs it
    variants.traced = instrument(spec.bytes).binary;
    if (needs.has('exits')) variants.exits = instrument(spec.bytes, { exitHooks: true }).binary;
    if (needs.has('wasm')) variants.wasm = instrument(spec.bytes, { traceMemory: true }).binary;
    if (needs.has('wasm-exits')) variants['wasm-exits'] = instrument(spec.bytes, { exitHooks: true, traceMemory: true }).binary;
    let logImport: { module: string; name: string } | null = null;
    if (needs.has('logexec')) {
      variants.logexec = logExecutionBinary(spec.bytes);
      logImport = logExecutionImport(variants.logexec);
    }

    // Entries per run, per function: one run with an mcount that counts.
    const tracedModule = new WebAssembly.Module(variants.traced as Uint8Array<ArrayBuffer>);
    const ft = Ftrace.forModule(tracedModule);
    const hits = new Float64Array(ft.metadata.functionCount);
    let entries = 0;
    const counting = await host.instantiate(tracedModule, (i) => ({ ...i, ftrace: { mcount: (ip: number) => void (entries++, hits[ip]!++) } }), () => {});
    runOnce(spec, counting);
    if (entries === 0) throw new BenchError(`${spec.id}: the run entered no traced function`);
    let logCalls: number | null = null;
    if (variants.logexec && logImport) {
      let n = 0;
      const at = logImport;
      const run = await host.instantiate(new WebAssembly.Module(variants.logexec as Uint8Array<ArrayBuffer>), (i) => ({ ...i, [at.module]: { ...i[at.module], [at.name]: () => void n++ } }), () => {});
      runOnce(spec, run);
      logCalls = n;
    }
    const found = spec.never !== undefined ? { filter: spec.never, name: spec.never } : findNever(ft, hits);
    const never = found?.filter ?? null;

    // Runs per sample: enough for the baseline to take about sampleMs.
    const repeat = await calibrate(host, spec, sampleMs, warmupMs);

    // Set every scenario's worker up (one at a time: warm-ups must not
    // overlap), then run the rounds in passes over all of them.
    const live: { scenario: (typeof scenarios)[number]; worker: BenchWorker; reply: WorkerReply }[] = [];
    try {
      for (const scenario of scenarios) {
        if (scenario.id === 'filtered' && never === null) {
          progress(`${spec.id}: skipping 'filtered': every traced function is called`);
          continue;
        }
        progress(`${spec.id}: setting up ${scenario.id}`);
        const job: WorkerJob = { spec, scenario: scenario.id, variant: variants[scenario.variant]!, never, logImport, repeat, warmup, warmupMs };
        const worker = new BenchWorker(workerUrl, `${spec.id}, scenario ${scenario.id}`, job);
        live.push({ scenario, worker, reply: { times: [], baseTimes: [], mode: null, results: ['', ''] } });
        const ready = await worker.ready;
        live.at(-1)!.reply.mode = ready.mode;
        live.at(-1)!.reply.results = ready.results;
      }
      const passes = Math.min(rounds, 5);
      for (let p = 0; p < passes; p++) {
        const k = Math.floor((rounds * (p + 1)) / passes) - Math.floor((rounds * p) / passes);
        progress(`${spec.id}: pass ${p + 1}/${passes} (${k} round${k === 1 ? '' : 's'} of each scenario)`);
        for (const x of live) {
          const t = await x.worker.run(k);
          x.reply.times.push(...t.times);
          x.reply.baseTimes.push(...t.baseTimes);
        }
      }
    } finally {
      for (const x of live) x.worker.close();
    }
    const replies = live.map(({ scenario, reply }) => ({ scenario, reply }));

    // Overheads come from each worker's paired ratio to its own baseline, times one
    // baseline time for the workload (the median over every worker's): a
    // slow spell of the machine (CPU steal on a VM) that scales a whole
    // worker then scales both sides of its ratio, and does not leak into the
    // comparison of scenarios from different workers.
    const commonBase = median(replies.map((x) => median(x.reply.baseTimes)));
    const excess = (r: WorkerReply): number => median(r.times.map((t, i) => t / r.baseTimes[i]!)) - 1;
    const floor = replies.find((x) => x.scenario.id === 'floor');
    const floorExcess = floor ? excess(floor.reply) : null;
    const rows: ScenarioResult[] = replies.map(({ scenario, reply }) => {
      const isBase = scenario.id === 'baseline';
      const med = median(reply.times);
      const base = median(reply.baseTimes);
      const over = excess(reply) * commonBase;
      return {
        id: scenario.id,
        label: scenario.label,
        mode: reply.mode,
        medianMs: med,
        minMs: Math.min(...reply.times),
        maxMs: Math.max(...reply.times),
        baselineMedianMs: base,
        ratio: 1 + excess(reply),
        ratioOfMedians: med / base,
        overheadNsPerEntry: (over * 1e6) / entries,
        overheadVsFloor: isBase || floorExcess === null ? null : excess(reply) / floorExcess,
        resultMatches: reply.results[0] === reply.results[1],
        timesMs: reply.times,
        baselineTimesMs: reply.baseTimes,
      };
    });
    workloads.push({
      id: spec.id,
      label: spec.label,
      moduleBytes: spec.bytes.length,
      entriesPerRun: entries,
      logExecutionCallsPerRun: logCalls,
      baselineMs: commonBase,
      baselineNsPerEntry: (commonBase * 1e6) / entries,
      repeat,
      never,
      neverName: found?.name ?? null,
      scenarios: rows,
    });
  }

  const cpus = os.cpus();
  const result: BenchResult = {
    date,
    machine: {
      cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
      cores: cpus.length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
      v8: process.versions.v8,
    },
    load: { before: loadBefore.map((x) => +x.toFixed(2)), after: os.loadavg().map((x) => +x.toFixed(2)), stealPercent: stealPercent(cpuBefore, cpuTimes()) },
    command: options.command ?? null,
    rounds,
    sampleMs,
    warmup,
    warmupMs,
    method: METHOD,
    workloads,
    skipped: options.skipped ?? [],
    targets: [],
  };
  result.targets = evaluateTargets(result);
  return result;
}

/** One run on the main thread; a failure of the workload itself (a trap) is the input's, reported as such. */
function runOnce(spec: WorkloadSpec, run: () => unknown): void {
  try {
    run();
  } catch (e) {
    throw new BenchError(`${spec.id}: the run failed: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** The machine-wide `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal ...), or null. */
function cpuTimes(): number[] | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    return v.length >= 8 && v.every(Number.isFinite) ? v : null;
  } catch {
    return null;
  }
}

function stealPercent(a: number[] | null, b: number[] | null): number | null {
  if (!a || !b) return null;
  const d = b.map((x, i) => x - (a[i] ?? 0));
  const total = d.slice(0, 8).reduce((x, y) => x + y, 0);
  return total > 0 ? +((100 * d[7]!) / total).toFixed(1) : null;
}

/** A traced function that the run never entered, as a filter names it. */
function findNever(ft: Ftrace, hits: Float64Array): { filter: string; name: string } | null {
  for (const f of ft.availableFunctions()) {
    if (hits[f.ip] !== 0) continue;
    return { filter: PLAIN_NAME.test(f.name) ? f.name : String(f.line), name: f.name };
  }
  return null;
}

async function calibrate(host: WorkloadHost, spec: WorkloadSpec, sampleMs: number, warmupMs: number): Promise<number> {
  const run = await host.instantiate(new WebAssembly.Module(spec.bytes as Uint8Array<ArrayBuffer>), (i) => i, () => {});
  warmUp([run], 1, 5, warmupMs);
  const times: number[] = [];
  for (let i = 0; i < 9; i++) times.push(sample(run, 1));
  const perRun = median(times);
  return Math.max(1, Math.min(10_000, Math.ceil(sampleMs / Math.max(perRun, 1e-3))));
}

/** What the main thread keeps of one scenario's worker. */
interface WorkerReply {
  times: number[];
  baseTimes: number[];
  mode: string | null;
  results: [string, string];
}

/** A scenario's worker thread: `ready` once set up and warm, then `run(k)` rounds at a time. */
class BenchWorker {
  readonly ready: Promise<WorkerReady>;
  private readonly worker: Worker;
  private pending: { resolve: (m: WorkerTimes) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(url: URL, private readonly name: string, job: WorkerJob) {
    this.worker = new Worker(url, { workerData: job, stdout: false, stderr: false });
    let onReady!: { resolve: (m: WorkerReady) => void; reject: (e: Error) => void };
    this.ready = new Promise((resolve, reject) => (onReady = { resolve, reject }));
    const failWith = (e: Error): void => {
      this.failure ??= e;
      onReady.reject(e);
      this.pending?.reject(e);
      this.pending = null;
    };
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'ready') onReady.resolve(m);
      else if (m.kind === 'error') failWith(new BenchError(`${this.name}: ${m.error}`));
      else {
        this.pending?.resolve(m);
        this.pending = null;
      }
    });
    this.worker.on('error', (e) => failWith(new BenchError(`${this.name}: the worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => failWith(new BenchError(`${this.name}: the worker exited (${code})`)));
    this.ready.catch(() => {});
  }

  run(rounds: number): Promise<WorkerTimes> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ rounds } satisfies WorkerCommand);
    });
  }

  close(): void {
    this.failure ??= new BenchError(`${this.name}: closed`);
    this.worker.postMessage({ done: true } satisfies WorkerCommand);
    void this.worker.terminate();
  }
}
