/**
 * A traced WASI program's run as a job that crosses a thread boundary as
 * plain data: `record prog.wasm` (wasi-recording.ts) and `run`
 * (cli/run-job.ts) run theirs in a Worker, so that the main thread stays
 * free to hear Ctrl-C while the program computes (a thread busy in wasm
 * runs no signal handler).
 *
 * Stopping a program that is busy in wasm: the main thread writes a signal
 * number into a shared cell (CONTROL.SIGNAL); every call the module makes
 * out of wasm (the mcount hooks, the trace memory's drain, WASI, the guest
 * API) looks at the cell first and, when it is set, ends the run on the
 * program's thread with what was traced so far, never returning into the
 * program. One that calls out of wasm no more is terminated by the main
 * thread after a grace period (cli/program-thread.ts).
 */
import type { ClockInfo } from '../clock/worker-clock.js';
import type { TraceClock } from '../ring/event.js';
import { WasmRing } from '../ring/wasm-ring.js';
import type { RunOptions } from '../runtime/wasi.js';
import { TraceArray } from '../tracers/trace-array.js';
import type { TracerName } from '../tracers/tracer.js';

export interface ProgramJob {
  /** the instrumented module */
  binary: Uint8Array;
  programName: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** guest path -> host path */
  preopens: Record<string, string>;
  moduleHash?: string;
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
}

/** The trace array a job describes: its tracer, clock, buffer and trace memory. */
export function traceArrayForJob(job: ProgramJob): TraceArray {
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
  return tr;
}

/** runModule's options for a job traced by `tr`; with `stop`, every call out of wasm looks at the stop cell first. */
export function runOptionsForJob(job: ProgramJob, tr: TraceArray, stop?: { cells: Int32Array; check: () => void; beforeBlocking?: () => void }): RunOptions {
  return {
    programName: job.programName,
    args: job.args,
    env: job.env,
    preopens: job.preopens,
    trace: tr,
    ...(job.moduleHash !== undefined ? { moduleHash: job.moduleHash } : {}),
    ...(job.codeLayout !== undefined ? { codeLayout: job.codeLayout } : {}),
    beforeInstantiate: () => {
      if (job.filter.length > 0) tr.setFilter(job.filter.join(' '));
      if (job.notrace) tr.setNotrace(job.notrace.join(' '));
      if (job.graphFunction) tr.setGraphFunction(job.graphFunction.join(' '));
    },
    ...(stop
      ? {
          wrapImports: (imports: WebAssembly.Imports) =>
            checkedImports(imports, stop.check, (blocked) => {
              if (blocked) stop.beforeBlocking?.();
              Atomics.store(stop.cells, CONTROL.BLOCKED, blocked ? 1 : 0);
            }),
        }
      : {}),
  };
}

/** Cells of the control block shared with the thread that runs a job. */
export const CONTROL = {
  /** the signal number asked to stop the program, 0 while none is */
  SIGNAL: 0,
  /** who ends the run: RUNNING until the program's thread (FINISHING) or the main thread (KILLING) claims it */
  STATE: 1,
  /** 1 while the program waits in a blocking WASI call (BLOCKING): it cannot stop by itself then */
  BLOCKED: 2,
} as const;
export const RUNNING = 0;
export const FINISHING = 1;
export const KILLING = 2;
export const CONTROL_BYTES = 12;

export interface StopControl<R = unknown> {
  /** the shared cells (CONTROL) */
  cells: Int32Array;
  /** signal number -> name */
  signalName(signo: number): string;
  /** called once the run's result is made after a stop; it must not return (the thread is ended by its owner) */
  stopped(result: R): never;
}

/**
 * The check every call out of wasm makes: a plain load while nothing is
 * asked; when a stop is, claims the ending (unless the main thread already
 * did: then it waits to be ended) and calls `stop`.
 */
export function stopCheck(cells: Int32Array, stop: (signo: number) => never): () => void {
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
 * sleep): a thread blocked in a system call cannot be asked to end its run
 * when a signal comes, so the main thread ends it at once (CONTROL.BLOCKED);
 * a recording writes the trace so far to the disk before them.
 */
const BLOCKING: Readonly<Record<string, (args: unknown[]) => boolean>> = {
  fd_read: (args) => args[0] === 0,
  poll_oneoff: () => true,
};

/**
 * `imports` with every function looking at the stop cell before it runs
 * (mcount's arguments passed as such: it is the hot one), and the blocking
 * WASI calls announced.
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
