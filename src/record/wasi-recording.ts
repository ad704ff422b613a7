/**
 * One `record prog.wasm` run: the trace array, the data file and the WASI
 * program, from a job that crosses a thread boundary as plain data.
 * cli/record-wasi.ts runs it in a Worker (wasi-worker.ts), so the main
 * thread stays free to hear Ctrl-C while the program computes.
 *
 * Stopping a program that is busy in wasm: the main thread writes a signal
 * number into a shared cell; every call the module makes out of wasm (the
 * mcount hooks, WASI, the guest API) looks at the cell first and, when it is
 * set, finishes the data file here (the ring drained, a footer saying
 * `interrupted`) and never returns into the program. A program that calls
 * out of wasm no more is stopped by the main thread after a grace period,
 * which finishes the file from what reached the disk (record/partial.ts).
 */
import type { ClockInfo } from '../clock/worker-clock.js';
import { DataFileError } from '../datafile/format.js';
import type { TraceClock } from '../ring/event.js';
import { runModule } from '../runtime/wasi.js';
import { TraceArray } from '../tracers/trace-array.js';
import { WasmRing } from '../ring/wasm-ring.js';
import type { TracerName } from '../tracers/tracer.js';
import { startRecording, type Recording } from './writer.js';

export interface WasiRecordingJob {
  /** the instrumented module */
  binary: Uint8Array;
  programName: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** guest path -> host path */
  preopens: Record<string, string>;
  moduleHash: string;
  codeLayout?: string;
  tracer: TracerName;
  clock?: TraceClock;
  /** clock 'worker': the running clock's shared cell (its Worker belongs to the caller) and what was measured */
  workerClock?: { buffer: SharedArrayBuffer; info: ClockInfo };
  clockNote?: string;
  /** the trace memory (shared) when the module was instrumented with one: the in-wasm recorder writes there */
  traceMemory?: WebAssembly.Memory;
  bufferKb?: number;
  maxGraphDepth: number;
  filter: string[];
  notrace?: string[];
  graphFunction?: string[];
  /** the data file */
  output: string;
  /** for the header */
  command: string[];
  options: Record<string, unknown>;
}

export interface WasiRecordingResult {
  /** the program's exit status; for an interrupted run, 128 + the signal number */
  exitCode: number;
  /** the signal that stopped the program, when one did */
  interrupted?: string;
  /** events in the data file */
  events: number;
  lost: number;
  /** why the data file is incomplete (a full disk), null when it is whole */
  problem: string | null;
}

/** Cells of the control block shared with the thread that runs a job. */
export const CONTROL = {
  /** the signal number asked to stop the program, 0 while none is */
  SIGNAL: 0,
  /** who ends the recording: RUNNING until the program's thread (FINISHING) or the main thread (KILLING) claims it */
  STATE: 1,
  /** 1 while the program waits in a blocking WASI call (BLOCKING): it cannot stop by itself then */
  BLOCKED: 2,
} as const;
export const RUNNING = 0;
export const FINISHING = 1;
export const KILLING = 2;
export const CONTROL_BYTES = 12;

export interface StopControl {
  /** the shared cells (CONTROL) */
  cells: Int32Array;
  /** signal number -> name */
  signalName(signo: number): string;
  /** called once the data file is finished after a stop; it must not return (the thread is ended by its owner) */
  stopped(result: WasiRecordingResult): never;
}

/** Tells the owner where the data file is written meanwhile, once it exists. */
export type StartedListener = (tempPath: string) => void;

export async function recordWasi(job: WasiRecordingJob, control?: StopControl, onStarted?: StartedListener): Promise<WasiRecordingResult> {
  const workerClock = job.workerClock ? { cell: new Float64Array(job.workerClock.buffer, 0, 1), info: job.workerClock.info, stop: () => {} } : undefined;
  const tr = new TraceArray({
    tracer: job.tracer,
    ...(job.clock !== undefined ? { clock: job.clock } : {}),
    ...(workerClock ? { workerClock } : {}),
    ...(job.clockNote !== undefined ? { clockNote: job.clockNote } : {}),
    ...(job.bufferKb !== undefined ? { bufferKb: job.bufferKb } : {}),
    ...(job.traceMemory ? { wasmRing: WasmRing.over(job.traceMemory) } : {}),
  });
  tr.maxGraphDepth = job.maxGraphDepth;
  let recording: Recording;
  try {
    recording = startRecording(tr, { path: job.output, command: job.command, options: job.options });
  } catch (e) {
    if (e instanceof DataFileError) throw new RecordingError(e.message);
    throw e;
  }
  onStarted?.(recording.tempPath);
  const result = (exitCode: number, interrupted?: string): WasiRecordingResult => ({
    exitCode,
    ...(interrupted !== undefined ? { interrupted } : {}),
    events: recording.events,
    lost: tr.stats.lost,
    problem: recording.problem,
  });
  const close = (interrupted?: string): void => {
    try {
      recording.close(interrupted);
    } catch (e) {
      if (e instanceof DataFileError) throw new RecordingError(e.message);
      throw e;
    }
  };
  const checkStop = control ? stopCheck(control, (signo) => {
    const signal = control.signalName(signo);
    close(signal);
    return control.stopped(result(128 + signo, signal));
  }) : undefined;
  let exitCode = 1;
  try {
    const run = await runModule(job.binary, {
      programName: job.programName,
      args: job.args,
      env: job.env,
      preopens: job.preopens,
      trace: tr,
      moduleHash: job.moduleHash,
      ...(job.codeLayout !== undefined ? { codeLayout: job.codeLayout } : {}),
      beforeInstantiate: () => {
        if (job.filter.length > 0) tr.setFilter(job.filter.join(' '));
        if (job.notrace) tr.setNotrace(job.notrace.join(' '));
        if (job.graphFunction) tr.setGraphFunction(job.graphFunction.join(' '));
      },
      ...(checkStop && control
        ? {
            wrapImports: (imports: WebAssembly.Imports) =>
              checkedImports(imports, checkStop, (blocked) => {
                if (blocked) recording.flush();
                Atomics.store(control.cells, CONTROL.BLOCKED, blocked ? 1 : 0);
              }),
          }
        : {}),
    });
    exitCode = run.exitCode;
  } finally {
    close();
  }
  return result(exitCode);
}

/** A user-facing failure to write the data file (one line, exit 1), as opposed to a bug. */
export class RecordingError extends Error {
  override name = 'RecordingError';
}

/**
 * The check every call out of wasm makes: a plain load while nothing is
 * asked; when a stop is, claims the ending (unless the main thread already
 * did: then it waits to be ended) and calls `stop`.
 */
function stopCheck(control: StopControl, stop: (signo: number) => never): () => void {
  const cells = control.cells;
  return () => {
    if (cells[CONTROL.SIGNAL] === 0) return;
    const signo = Atomics.load(cells, CONTROL.SIGNAL);
    if (Atomics.compareExchange(cells, CONTROL.STATE, RUNNING, FINISHING) !== RUNNING) {
      for (;;) Atomics.wait(cells, CONTROL.STATE, KILLING); // the main thread ends this thread
    }
    stop(signo);
  };
}

/**
 * WASI calls that can wait for as long as someone else likes (stdin, a
 * sleep): the trace so far goes to the disk before them, since a thread
 * blocked in a system call cannot be asked to write it when a signal comes
 * (the main thread then ends it at once, see CONTROL.BLOCKED).
 */
const BLOCKING: Readonly<Record<string, (args: unknown[]) => boolean>> = {
  fd_read: (args) => args[0] === 0,
  poll_oneoff: () => true,
};

/**
 * `imports` with every function looking at the stop cell before it runs
 * (mcount's arguments passed as such: it is the hot one), and the blocking
 * WASI calls flushing the trace first.
 */
function checkedImports(imports: WebAssembly.Imports, check: () => void, blocking: (blocked: boolean) => void): WebAssembly.Imports {
  const out: WebAssembly.Imports = {};
  for (const [moduleName, fields] of Object.entries(imports)) {
    const wrapped: WebAssembly.ModuleImports = {};
    for (const [field, value] of Object.entries(fields)) {
      if (typeof value !== 'function') wrapped[field] = value;
      else if (moduleName === 'ftrace' && field === 'mcount') {
        const mcount = value as (ip: number, parentIp: number) => void;
        wrapped[field] = (ip: number, parentIp: number) => {
          check();
          mcount(ip, parentIp);
        };
      } else if (moduleName === 'ftrace' && field === 'mcount_exit') {
        const mcountExit = value as (ip: number) => void;
        wrapped[field] = (ip: number) => {
          check();
          mcountExit(ip);
        };
      } else {
        const fn = value as (...args: unknown[]) => unknown;
        const blocks = moduleName.startsWith('wasi_') ? BLOCKING[field] : undefined;
        wrapped[field] = !blocks
          ? (...args: unknown[]) => {
              check();
              return fn(...args);
            }
          : (...args: unknown[]) => {
              check();
              if (!blocks(args)) return fn(...args);
              blocking(true);
              try {
                return fn(...args);
              } finally {
                blocking(false);
              }
            };
      }
    }
    out[moduleName] = wrapped;
  }
  return out;
}
