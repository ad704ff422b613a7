/** What the hook-overhead benchmark measures and judges: the shapes its report, JSON and targets share. */
import type { NativePeer } from './native-peer.js';

export interface ScenarioResult {
  id: string;
  label: string;
  /** the dispatcher's mode, or null */
  mode: string | null;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** median of the baseline runs interleaved with this scenario */
  baselineMedianMs: number;
  /** the median over the rounds of (this run / the baseline run beside it): pairs run ms apart, so a slow spell of the machine cancels out */
  ratio: number;
  /** medianMs / baselineMedianMs, for comparison */
  ratioOfMedians: number;
  /** (ratio - 1) x the workload's baseline time, per function entry, in ns */
  overheadNsPerEntry: number;
  /** this overhead / the floor scenario's (null without a floor) */
  overheadVsFloor: number | null;
  /** same result as the baseline on the first run */
  resultMatches: boolean;
  timesMs: number[];
  baselineTimesMs: number[];
}

export interface WorkloadResult {
  id: string;
  label: string;
  moduleBytes: number;
  /** function entries per run (mcount calls with every guard on) */
  entriesPerRun: number;
  /** log_execution calls per run (entries, loop iterations, returns) */
  logExecutionCallsPerRun: number | null;
  /** the baseline's time per run: the median of every worker's baseline median */
  baselineMs: number;
  /** the same per function entry (ns): what the per-entry costs compare against */
  baselineNsPerEntry: number;
  /** runs per timed sample */
  repeat: number;
  /** the filter of the `filtered` scenario (a name, or a line number when the name is no plain glob), and the function's name */
  never: string | null;
  neverName: string | null;
  scenarios: ScenarioResult[];
}

export interface BenchResult {
  date: string;
  machine: { cpu: string; cores: number; memoryGb: number; platform: string; node: string; v8: string };
  /** load averages, and the share of CPU time the hypervisor took away during the run (Linux guests; null elsewhere) */
  load: { before: number[]; after: number[]; stealPercent: number | null };
  command: string | null;
  rounds: number;
  sampleMs: number;
  warmup: number;
  warmupMs: number;
  method: string;
  workloads: WorkloadResult[];
  skipped: { id: string; label: string; reason: string }[];
  /** the native peer (uftrace record of workload.c built with clang -pg), when the script measured it */
  native?: NativePeer;
  targets: TargetResult[];
}

export interface TargetResult {
  /** the scenario the target is about */
  scenario: string;
  workload: string;
  /** the target as the issue states it */
  target: string;
  /** measured and allowed, in `unit` */
  measured: number;
  limit: number;
  unit: string;
  met: boolean;
  /** how far from the limit, in words */
  margin: string;
  /** what stands in the way (missed targets), or what the figure means */
  note: string;
}
