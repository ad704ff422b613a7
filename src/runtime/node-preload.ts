/**
 * `node --import <this file's URL> script.js`: traces every wasm module a
 * Node program loads (what `wasm-ftrace record -- node script.js` runs).
 *
 * The configuration comes as JSON in WASM_FTRACE_CONFIG (see PreloadConfig).
 * Threads and children: `record -- node` passes this module through
 * NODE_OPTIONS (`--import=<url>`), which Node 20 applies to every
 * worker_threads Worker and every child `node` process (a command-line
 * `--import` reaches child processes forked with the parent's execArgv, not
 * Workers). The variable stays in the environment, marked with the root
 * process's pid (`parent`), so each Worker and child finds it: the root's
 * main thread writes `output`; every other thread writes a data file of its
 * own (record/merge-threads.ts), which the root merges into `output` when it
 * exits (and `record` merges what is left when the program has ended).
 * A Worker or child given an environment of its own (`env: {...}`) without
 * the variable is not traced. Node runs this module, top-level awaits
 * included, before the program's entry point: the interceptor is in place
 * before the program's first WebAssembly call.
 *
 * The trace is written when the process exits: on a normal exit, on
 * process.exit(), on an uncaught exception or unhandled rejection (all of
 * which emit 'exit'), and on SIGINT/SIGTERM/SIGHUP when the program has no
 * handler of its own (the signal is then raised again, so the exit status is
 * the signal's). The program's exit code, stdout and stderr are its own; our
 * messages go to stderr, each line starting with `wasm-ftrace:`.
 */
import { writeSync } from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { collectThreadFiles, mergeThreadFiles, threadFile } from '../record/merge-threads.js';
import { startRecording, type Recording } from '../record/writer.js';
import { instrument } from '../instrument/pass.js';
import type { TraceArray } from '../tracers/trace-array.js';
import { diskInstrumentCache } from './instrument-cache.js';
import { nodeClockOptions } from './node-clock.js';
import { engineHasMultiMemory } from '../abi/trace-memory.js';
import { traceArrayFrom, type TraceOptions } from './trace-options.js';
import { installInterceptor, type InterceptedModule, type Interceptor } from './intercept.js';
import { loadSite } from './load-site.js';

export const CONFIG_ENV = 'WASM_FTRACE_CONFIG';

export interface PreloadConfig extends TraceOptions {
  /** the trace data file to write */
  output: string;
  /** the command line to record in the file (default: process.argv) */
  command?: string[];
  /** no summary line at exit (errors are still reported) */
  quiet?: boolean;
  /** false: do not use the on-disk instrument cache */
  cache?: boolean;
  /** where events are recorded: 'auto' (default: in wasm where the engine has multi-memory), 'wasm', 'js' */
  recorder?: 'auto' | 'wasm' | 'js';
  /** set by the root process for its threads and children: its pid (they write thread files, the root merges them) */
  parent?: number;
}


export function say(message: string): void {
  for (const line of message.split('\n')) {
    try {
      writeSync(2, `wasm-ftrace: ${line}\n`);
    } catch {
      // stderr closed: nothing to tell
    }
  }
}

export function parseConfig(text: string): PreloadConfig {
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new Error(`${CONFIG_ENV} is not JSON: ${(e as Error).message}`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new Error(`${CONFIG_ENV} must be a JSON object`);
  const cfg = c as Record<string, unknown>;
  if (typeof cfg['output'] !== 'string' || cfg['output'] === '') throw new Error(`${CONFIG_ENV}: 'output' (the trace file to write) is missing`);
  const check = (key: string, type: string): void => {
    if (cfg[key] !== undefined && typeof cfg[key] !== type) throw new Error(`${CONFIG_ENV}: '${key}' must be a ${type}`);
  };
  for (const k of ['tracer', 'clock', 'filter', 'notrace', 'graphFunction', 'graphNotrace', 'recorder']) check(k, 'string');
  for (const k of ['bufferKb', 'maxGraphDepth', 'parent']) check(k, 'number');
  for (const k of ['overwrite', 'quiet', 'cache']) check(k, 'boolean');
  const strings = (v: unknown, key: string): void => {
    if (v !== undefined && !(Array.isArray(v) && v.every((s) => typeof s === 'string'))) throw new Error(`${CONFIG_ENV}: '${key}' must be an array of strings`);
  };
  strings(cfg['command'], 'command');
  const ins = cfg['instrument'];
  if (ins !== undefined) {
    if (typeof ins !== 'object' || ins === null) throw new Error(`${CONFIG_ENV}: 'instrument' must be an object`);
    const i = ins as Record<string, unknown>;
    strings(i['only'], 'instrument.only');
    strings(i['notrace'], 'instrument.notrace');
    if (i['exitHooks'] !== undefined && typeof i['exitHooks'] !== 'boolean') throw new Error(`${CONFIG_ENV}: 'instrument.exitHooks' must be a boolean`);
  }
  return cfg as unknown as PreloadConfig;
}

export interface PreloadSession {
  tr: TraceArray;
  interceptor: Interceptor;
  recording: Recording;
  /** closes the recording once (idempotent, synchronous) */
  finish(): void;
}

/** Sets up tracing for this process: the trace array, the recording, the interceptor. */
export async function startPreload(config: PreloadConfig): Promise<PreloadSession> {
  // The in-wasm recorder where this engine can run it: modules get a trace
  // memory, and the worker clock runs on its buffer.
  const inWasm = config.recorder !== 'js' && engineHasMultiMemory();
  if (config.recorder === 'wasm' && !inWasm) say(`--recorder wasm needs multi-memory (Node >= 22); Node ${process.versions.node} records through the JS hook`);
  const tr = traceArrayFrom(config, nodeClockOptions(config.clock, inWasm));
  if (tr.clockInfo?.note) say(tr.clockInfo.note);
  tr.onWarning((w) => say(`warning: ${w}`));

  const recording = startRecording(tr, {
    path: config.output,
    command: config.command ?? process.argv,
    options: { ...config, thread: thisThread(), timeOrigin: performance.timeOrigin } as Record<string, unknown>,
  });
  const interceptor = installInterceptor(tr, {
    pass: instrument,
    instrument: {
      ...(config.instrument?.only ? { only: config.instrument.only } : {}),
      ...(config.instrument?.notrace ? { notrace: config.instrument.notrace } : {}),
      ...(inWasm ? { traceMemory: true } : {}),
    },
    exitHooks: config.instrument?.exitHooks ?? tr.tracer.needsExitHooks,
    ...(config.cache !== false ? { cache: diskInstrumentCache() } : {}),
    loadSite,
    onError: (e, m) => say(`${m ? describe(m) : 'a module'}: ${m?.status === 'traced' ? 'instance not traced' : 'left untraced'}: ${e instanceof Error ? e.message : String(e)}`),
  });

  // Workers this thread started (process 'worker'): named when nothing was traced.
  let workers = 0;
  process.on('worker', () => workers++);
  const root = isMainThread && config.parent === undefined;
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    const others = root ? collectThreadFiles(config.output) : [];
    if (tr.instances.length === 0 && others.length === 0) {
      // Nothing was traced: an earlier trace at the output stays where it is.
      recording.abandon();
      if (!config.quiet) {
        const why =
          workers > 0
            ? `; the program started ${workers} worker thread${workers === 1 ? '' : 's'} and none loaded a module (a Worker given its own env: without ${CONFIG_ENV} is not traced)`
            : '';
        say(`no WebAssembly module was loaded: nothing recorded (${recording.path} left as it was)${why}`);
      }
      return;
    }
    try {
      recording.close();
    } catch (e) {
      say(`could not write the trace to ${config.output}: ${(e as Error).message}`);
      return;
    }
    if (recording.problem !== null) say(recording.problem);
    // Filters are set before any module exists: one that matched nothing in
    // every module the program loaded is an error now that none can arrive.
    const unmatched = tr.unmatchedFilters();
    for (const u of unmatched) say(`error: ${u.option} '${u.text}' matches no function in any traced module`);
    let merged: ReturnType<typeof mergeThreadFiles> | null = null;
    if (others.length > 0) {
      try {
        merged = mergeThreadFiles([...(existsSync(recording.path) ? [recording.path] : []), ...others], recording.path);
      } catch (e) {
        say(`could not merge the other threads' traces into ${config.output}: ${(e as Error).message}`);
      }
    }
    if (!config.quiet) {
      const traced = interceptor.modules.filter((m) => m.instances.length > 0);
      const instances = traced.reduce((n, m) => n + m.instances.length, 0);
      const s = tr.stats;
      say(
        `${traced.length} module${traced.length === 1 ? '' : 's'} traced (${instances} instance${instances === 1 ? '' : 's'}), ` +
          `${s.written} events${s.lost > 0 ? ` (${s.lost} lost)` : ''}, written to ${recording.path}`,
      );
      if (merged) {
        say(`threads: ${merged.threads.join(', ')} (pid or pid.threadId): ${merged.instances} instances, ${merged.events} events in all, merged into ${recording.path}`);
      }
    }
  };
  return { tr, interceptor, recording, finish };
}

function describe(m: InterceptedModule): string {
  return `module ${m.name}${m.hash ? ` (sha256 ${m.hash.slice(0, 12)})` : ''}`;
}


/** Closes the recording on every way out of the process. */
function closeOnExit(session: PreloadSession): void {
  process.on('exit', session.finish);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // The program handles it: it decides whether to exit, and 'exit' finishes then.
      if (process.listenerCount(signal) > 1) return;
      session.finish();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** This thread, as the data file names it: `pid` for a process's main thread, `pid.threadId` for a Worker. */
export function thisThread(): string {
  return threadId === 0 ? String(process.pid) : `${process.pid}.${threadId}`;
}

const configText = process.env[CONFIG_ENV];
if (configText !== undefined) {
  let session: PreloadSession;
  let config: PreloadConfig;
  try {
    config = parseConfig(configText);
  } catch (e) {
    say(`cannot start tracing: ${(e as Error).message}`);
    process.exit(1);
  }
  const root = isMainThread && config.parent === undefined;
  // Workers and children started from now on see that they are not the root.
  if (root) process.env[CONFIG_ENV] = JSON.stringify({ ...config, parent: process.pid });
  try {
    session = await startPreload(root ? config : { ...config, output: threadFile(config.output, process.pid, threadId), quiet: true });
  } catch (e) {
    say(`cannot start tracing${root ? '' : ` in thread ${thisThread()}`}: ${(e as Error).message}`);
    process.exit(1);
  }
  if (isMainThread) closeOnExit(session);
  // a Worker's process emits 'exit' when the Worker ends; signals are the main thread's
  else process.on('exit', session.finish);
}
