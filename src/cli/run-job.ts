/**
 * `run`'s program and tracer as a job that crosses a thread boundary
 * (record/program-job.ts): the trace array, the WASI program (or the export
 * --invoke names) and the trace rendered as the user asked. run.ts hands
 * it to a Worker (run-worker.ts), so that Ctrl-C prints the trace so far:
 * the program's next call out of wasm ends the run and renders the ring as
 * it is, newest events kept, as a trap does.
 */
import { formatChromeTrace, formatFolded, formatFtraceText, formatProfileRows } from '../output/index.js';
import { filterTrace } from '../output/filter.js';
import { clockHasTime } from '../ring/event.js';
import { runOptionsForJob, stopCheck, traceArrayForJob, type ProgramJob, type StopControl } from '../record/program-job.js';
import { ProgramError, runModule } from '../runtime/wasi.js';
import type { TraceArray } from '../tracers/trace-array.js';

/** what the trace is rendered as (run.ts's --format) */
export type RunFormat = 'text' | 'chrome' | 'folded' | 'profile';

export interface RunJob extends ProgramJob {
  format: RunFormat;
  /** --time-filter, microseconds */
  timeFilter?: number;
  /** call this export with these arguments instead of running _start */
  invoke?: { name: string; args: string[] };
}

export interface RunJobResult {
  /** the program's exit status; for an interrupted run, 128 + the signal number */
  exitCode: number;
  /** what --invoke's export returned, as printed */
  returned?: string;
  /** the trace, rendered; null when the run ended before its trace could be (a program terminated at a signal) */
  trace: string | null;
  /** events the ring overwrote, and the newest it kept */
  lost: number;
  entries: number;
  /** the program trapped after something was traced: the message (the trace is printed, then this) */
  trapped?: string;
  /** the signal that stopped the program, when one did */
  interrupted?: string;
}

export async function runTraced(job: RunJob, control?: StopControl<RunJobResult>): Promise<RunJobResult> {
  const tr = traceArrayForJob(job);
  const result = (exitCode: number, more: Partial<RunJobResult> = {}): RunJobResult => ({
    exitCode,
    trace: render(tr, job.format, job.timeFilter),
    lost: tr.stats.lost,
    entries: tr.stats.entries,
    ...more,
  });
  const stop = control && {
    cells: control.cells,
    check: stopCheck(control.cells, (signo) => {
      const interrupted = control.signalName(signo);
      return control.stopped(result(128 + signo, { interrupted }));
    }),
  };
  let run;
  try {
    run = await runModule(job.binary, { ...runOptionsForJob(job, tr, stop), ...(job.invoke ? { invoke: job.invoke } : {}) });
  } catch (e) {
    // A trap ends the program, not the trace: print what was traced up to it, then report the trap.
    if (!(e instanceof ProgramError) || tr.stats.written === 0) throw e;
    return result(1, { trapped: e.message });
  }
  return result(run.exitCode, run.returned !== undefined ? { returned: formatValue(run.returned) } : {});
}

function render(tr: TraceArray, format: RunFormat, timeFilter: number | undefined): string {
  const tracer = tr.tracer;
  if (format === 'profile') return formatProfileRows(tracer.stat!(tr), { times: clockHasTime(tr.clock) });
  const data = timeFilter === undefined ? tr.read() : filterTrace(tr.read(), { timeFilter });
  if (format === 'chrome') return formatChromeTrace(data, { calls: tracer.nestsCalls });
  if (format === 'folded') return formatFolded(data, { calls: tracer.nestsCalls });
  return formatFtraceText(data, {}, tracer.printText);
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(formatValue).join(' ');
  return String(v);
}
