/**
 * `wasm-ftrace record prog.wasm [args...]` and `wasm-ftrace record -- node
 * script.js [args...]`: run a program traced, streaming the trace to a data
 * file that report, replay, dump and info read. The program's stdin, stdout,
 * stderr and exit code pass through unchanged; our messages go to stderr.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { jobTracing } from './job-tracing.js';
import { finishPartial, partialsOf } from '../record/partial.js';
import { collectThreadFiles, mergeThreadFiles } from '../record/merge-threads.js';
import { TRACERS } from '../tracers/registry.js';
import { CliError, UsageError } from './errors.js';
import { readInputFile } from './io.js';
import type { CommandContext } from './context.js';
import { instrumentForRun, wantsTraceMemory, type PreparedModule } from './instrument-for-run.js';
import { addSharedOptions, instrumentOnly, type SharedFlags } from './options.js';
import { DEFAULT_DATA_FILE } from './trace-file.js';
import { findCustomSection, readSections } from '../abi/index.js';
import { parseNameSection } from '../instrument/wasm-binary.js';

/** Does the module name its functions (a name section with function names)? Unreadable modules say nothing here. */
function hasFunctionNames(bytes: Uint8Array): boolean {
  try {
    const section = findCustomSection(readSections(bytes), 'name');
    return section !== undefined && parseNameSection(bytes, section).functionNames.size > 0;
  } catch {
    return true; // the pass reports what is wrong with it
  }
}

interface RecordFlags extends SharedFlags {
  output: string;
  dir?: string[];
}

const PRELOAD = fileURLToPath(new URL('../runtime/node-preload.js', import.meta.url));

export function registerRecord(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('record')
    .description('run a program traced and write the trace to a data file')
    .argument('<program>', 'a WASI command (.wasm), or `node` followed by a script')
    .argument('[args...]', "the program's arguments")
    .option('-o, --output <file>', 'the data file to write', DEFAULT_DATA_FILE);
  addSharedOptions(cmd, 'record')
    .option('--dir <path>', 'WASI: give the program access to this host directory (repeatable; default: the current directory)', (v: string, p: string[] = []) => [...p, v])
    .passThroughOptions()
    .addHelpText(
      'after',
      `
The tracer defaults to function_graph: report, replay and dump read
durations and nesting from it. The data file streams to disk while the
program runs (a trace bigger than memory is fine) and appears at --output
only when the recording is complete. Ctrl-C (SIGINT, SIGTERM, SIGHUP) stops
the program and finishes the file with the trace so far (info says so);
the exit status is then 128 + the signal's number.

Examples:
  $ wasm-ftrace record prog.wasm input.txt
  $ wasm-ftrace record -F 'png_*' -o png.data prog.wasm
  $ wasm-ftrace record -- node app.js --port 0     # every module app.js loads
  $ wasm-ftrace report && wasm-ftrace replay -D 3`,
    )
    .action(async (program_: string, args: string[], flags: RecordFlags) => {
      const tracerName = flags.tracer;
      const tracer = TRACERS.get(tracerName)!; // not a stat tracer: the option parser refuses those
      const filter = [...(flags.filter ?? []), ...(flags.trigger ?? [])];
      const argv = [program_, ...args];
      if (path.basename(program_) === 'node' || program_ === process.execPath) {
        ctx.exitCode = await recordNode(args, flags, tracerName, filter, ctx);
        return;
      }

      const bytes = await readInputFile(program_);
      const prepared = await instrumentForRun(bytes, program_, flags, tracer.needsExitHooks, ctx.io);
      if (!hasFunctionNames(bytes)) {
        ctx.io.stderr(
          `wasm-ftrace: warning: ${path.basename(program_)} has no function names (no name section): the trace names exports and func[N]; ` +
            `rebuild keeping names (README, Names), or read it with --symbols and the unstripped build\n`,
        );
      }
      // The trace memory, when the module has one, is made here and shared with the program's thread.
      const tracing = jobTracing(flags, prepared.options.traceMemory === true, ctx.io);
      const preopens: Record<string, string> = {};
      for (const d of flags.dir ?? ['.']) preopens[d] = path.resolve(d);
      // node:wasi loads only here, and the program runs in a Worker (record-wasi.ts)
      const { runWasiRecording, interruptedLine } = await import('./record-wasi.js');
      let r;
      try {
        r = await runWasiRecording(
          {
            binary: prepared.binary,
            programName: path.basename(program_),
            args,
            env: { ...process.env },
            preopens,
            moduleHash: prepared.hash,
            ...(prepared.codeLayout !== undefined ? { codeLayout: prepared.codeLayout } : {}),
            ...tracing.fields,
            output: flags.output,
            command: argv,
            options: { ...recordedOptions(flags, filter), instrument: instrumentedAs(prepared) },
          },
          ctx.io,
        );
      } finally {
        tracing.stopClock();
      }
      if (r.interrupted !== undefined) ctx.io.stderr(interruptedLine(r, flags.output));
      else if (r.problem !== null) ctx.io.stderr(`wasm-ftrace: warning: ${r.problem}\n`);
      else ctx.io.stderr(`wasm-ftrace: recorded ${r.events} events to ${flags.output}${r.lost ? ` (${r.lost} lost)` : ''}\n`);
      ctx.exitCode = r.exitCode;
    });
}

/** What the data file keeps about the pass: what it instrumented, and whether the cache had it. */
function instrumentedAs(p: PreparedModule): Record<string, unknown> {
  return { ...(p.options.only ? { only: p.options.only } : {}), exitHooks: p.options.exitHooks === true, traceMemory: p.options.traceMemory === true, cache: p.cache };
}

function recordedOptions(flags: RecordFlags, filter: string[]): Record<string, unknown> {
  return {
    ...(filter.length ? { filter } : {}),
    ...(flags.notrace ? { notrace: flags.notrace } : {}),
    ...(flags.graphFunction ? { graphFunction: flags.graphFunction } : {}),
    ...(flags.depth ? { depth: flags.depth } : {}),
    ...(flags.timeFilter ? { timeFilter: flags.timeFilter } : {}),
  };
}

/** Runs `node args...` with the preload that traces every module it loads. */
function recordNode(args: string[], flags: RecordFlags, tracer: string, filter: string[], ctx: CommandContext): Promise<number> {
  if (args.length === 0) throw new UsageError('record -- node needs a script to run');
  // the child is this same node: refuse --recorder wasm here rather than in every process
  wantsTraceMemory(flags);
  const only = instrumentOnly(flags);
  const config = {
    output: path.resolve(flags.output),
    tracer,
    clock: flags.clock,
    ...(flags.bufferSize ? { bufferKb: flags.bufferSize } : {}),
    ...(filter.length ? { filter: filter.join(' ') } : {}),
    ...(flags.notrace ? { notrace: flags.notrace.join(' ') } : {}),
    ...(flags.graphFunction ? { graphFunction: flags.graphFunction.join(' ') } : {}),
    ...(flags.depth ? { maxGraphDepth: flags.depth } : {}),
    ...(only ? { instrument: { only } } : {}),
    ...(flags.cache === false ? { cache: false } : {}),
    ...(flags.recorder !== undefined && flags.recorder !== 'auto' ? { recorder: flags.recorder } : {}),
    command: ['node', ...args],
  };
  return new Promise((resolve, reject) => {
    // NODE_OPTIONS, not a command-line --import: Node applies it to every Worker and child `node` too.
    const nodeOptions = [process.env['NODE_OPTIONS'], `--import=${pathToFileURL(PRELOAD).href}`].filter(Boolean).join(' ');
    const started = Date.now();
    const child = spawn(process.execPath, args, {
      stdio: 'inherit',
      env: { ...process.env, NODE_OPTIONS: nodeOptions, WASM_FTRACE_CONFIG: JSON.stringify(config) },
    });
    // Signals for the program go to the program; we wait for it. Its preload
    // writes the trace when the program's event loop hears the signal; one
    // that is busy in wasm does not, so it is stopped after a grace period
    // and the trace it had streamed so far is finished here.
    let killTimer: NodeJS.Timeout | undefined;
    let forwarded: NodeJS.Signals | undefined;
    const forward = (signal: NodeJS.Signals): void => {
      forwarded ??= signal;
      child.kill(signal);
      killTimer ??= setTimeout(() => {
        ctx.io.stderr(`wasm-ftrace: the program did not end within ${SIGNAL_GRACE_MS / 1000} s of ${signal}: killing it\n`);
        child.kill('SIGKILL');
      }, SIGNAL_GRACE_MS);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = (): void => {
      for (const s of FORWARDED) process.removeListener(s, forward);
      if (killTimer) clearTimeout(killTimer);
    };
    child.on('error', (e) => {
      done();
      reject(new CliError(`cannot run node: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      done();
      if (child.pid !== undefined) {
        for (const partial of partialsOf(config.output, child.pid)) {
          const kept = finishPartial(partial, config.output, forwarded ?? signal ?? `exit ${code}`);
          if (kept) ctx.io.stderr(`wasm-ftrace: the trace so far (${kept.events} events) is in ${flags.output}\n`);
        }
      }
      mergeLeftovers(config.output, started, ctx);
      if (signal) {
        // Killed after a signal we forwarded: the status is that signal's, as if it had ended the program.
        const status = signal === 'SIGKILL' && forwarded ? forwarded : signal;
        ctx.io.stderr(`wasm-ftrace: the program was killed by ${status}\n`);
        resolve(128 + (os.constants.signals[status] ?? 1));
      } else resolve(code ?? 1);
    });
  });
}

/**
 * Threads and children the program's own exit did not merge (a child process
 * that outlived it, a program that was killed): merged into the output now.
 */
function mergeLeftovers(output: string, started: number, ctx: CommandContext): void {
  const files = collectThreadFiles(output);
  if (files.length === 0) return;
  let fresh = false;
  try {
    fresh = fs.statSync(output).mtimeMs >= started - 1000;
  } catch {
    // no output yet: the threads' files make it
  }
  try {
    const m = mergeThreadFiles(fresh ? [output, ...files] : files, output);
    ctx.io.stderr(`wasm-ftrace: threads and child processes: ${m.threads.join(', ')} (pid or pid.threadId): ${m.instances} instances, ${m.events} events, merged into ${output}\n`);
  } catch (e) {
    ctx.io.stderr(`wasm-ftrace: could not merge the trace files of other threads and processes (${files.map((f) => path.basename(f)).join(', ')}): ${(e as Error).message}\n`);
  }
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** how long a program has to end after a forwarded signal before it is killed */
const SIGNAL_GRACE_MS = 3000;
