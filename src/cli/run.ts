/**
 * `wasm-ftrace run prog.wasm [args...]`: instrument in memory, run with a
 * tracer, and print the trace when the program ends. The program's stdin,
 * stdout and exit code are its own; the trace goes to stderr or to the file
 * named by -o. The program runs in a Worker (run-job.ts, run-worker.ts), so
 * Ctrl-C is heard while it computes and prints the trace so far.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { TRACERS } from '../tracers/registry.js';
import { CliError, UsageError } from './errors.js';
import { readInputFile, writeFileAtomic } from './io.js';
import type { CliIO } from './io.js';
import type { CommandContext } from './context.js';
import { instrumentForRun } from './instrument-for-run.js';
import { jobTracing } from './job-tracing.js';
import { addSharedOptions, type SharedFlags } from './options.js';
import { STOP_GRACE_MS, superviseProgramThread } from './program-thread.js';
import type { RunFormat, RunJob, RunJobResult } from './run-job.js';

const WORKER = fileURLToPath(new URL('./run-worker.js', import.meta.url));
const RUN_FORMATS: readonly RunFormat[] = ['text', 'chrome', 'folded', 'profile'];

interface RunFlags extends SharedFlags {
  invoke?: string;
  format?: string;
  output?: string;
  dir?: string[];
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('run')
    .description('instrument a module in memory, run it with a tracer, and print the trace')
    .argument('<prog.wasm>', 'a WASI command, or any module with --invoke')
    .argument('[args...]', "the program's arguments (or the export's, with --invoke)")
    .option('--invoke <export>', 'call this export with the arguments instead of running _start')
    .option('-f, --format <format>', `output: ${RUN_FORMATS.join(', ')} (default: profile for the profiler, else text)`);
  addSharedOptions(cmd, 'run')
    .option('-o, --output <file>', 'write the trace to a file instead of stderr')
    .option('--dir <path>', 'give the program access to this host directory (repeatable; default: the current directory)', (v: string, p: string[] = []) => [...p, v])
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Filters use ftrace's glob syntax: 'name', 'pre*', '*suf', '*mid*', 'a*b',
'!name'. The function tracer prints one line per entry:
  <task>-<id>  [000] .....  <seconds>: <function> <-<caller>
where the caller is HOST when the call came from outside the module.
Ctrl-C prints the trace so far (exit status 130); a trap prints the trace
up to it, then the trap.

Examples:
  $ wasm-ftrace run hello.wasm world
  $ wasm-ftrace run -t function_graph -F 'main' -G main prog.wasm
  $ wasm-ftrace run -t profiler prog.wasm > /dev/null
  $ wasm-ftrace run -t function_graph -f chrome -o trace.json prog.wasm   # open in Perfetto
  $ wasm-ftrace run --invoke fib lib.wasm 10`,
    )
    .action(async (file: string, args: string[], flags: RunFlags) => {
      const tracerName = flags.tracer;
      const tracer = TRACERS.get(tracerName)!;
      const format = (flags.format ?? (tracer.stat ? 'profile' : 'text')) as RunFormat;
      if (!RUN_FORMATS.includes(format)) throw new UsageError(`unknown format '${flags.format}' (${RUN_FORMATS.join(', ')})`);
      if (format === 'profile' && !tracer.stat) throw new UsageError('--format profile needs the profiler tracer (-t profiler)');
      const bytes = await readInputFile(file);
      const { binary, options: pass } = await instrumentForRun(bytes, file, flags, tracer.needsExitHooks, ctx.io);
      // The trace memory, when the module has one, is made here and shared with the program's thread.
      const tracing = jobTracing(flags, pass.traceMemory === true, ctx.io);
      const preopens: Record<string, string> = {};
      for (const d of flags.dir ?? ['.']) preopens[d] = path.resolve(d);
      const job: RunJob = {
        binary,
        programName: path.basename(file),
        args,
        env: { ...process.env },
        preopens,
        ...tracing.fields,
        format,
        ...(flags.timeFilter !== undefined ? { timeFilter: flags.timeFilter } : {}),
        ...(flags.invoke ? { invoke: { name: flags.invoke, args } } : {}),
      };
      let r: RunJobResult;
      try {
        r = await runJob(job, ctx.io);
      } finally {
        tracing.stopClock();
      }
      if (r.returned !== undefined) ctx.io.stdout(`${r.returned}\n`);
      if (r.trace !== null) {
        if (flags.output) await writeFileAtomic(flags.output, r.trace);
        else ctx.io.stderr(r.trace);
      }
      if (r.lost > 0) ctx.io.stderr(`wasm-ftrace: ${r.lost} events were overwritten: the buffer kept the newest ${r.entries} (--buffer-size to keep more)\n`);
      if (r.interrupted !== undefined) {
        ctx.io.stderr(r.trace !== null ? `wasm-ftrace: interrupted by ${r.interrupted}: the trace so far is above${flags.output ? ` (in ${flags.output})` : ''}\n` : traceLostLine(r.interrupted));
      }
      if (r.trapped !== undefined) throw new CliError(r.trapped);
      ctx.exitCode = r.exitCode;
    });
}

/** Runs the job in a Worker this thread supervises; from TypeScript source (the tests' in-process CLI) on this thread, deaf to signals. */
async function runJob(job: RunJob, io: CliIO): Promise<RunJobResult> {
  if (!fs.existsSync(WORKER)) {
    const { runTraced } = await import('./run-job.js');
    return runTraced(job);
  }
  const killed = (signal: NodeJS.Signals): RunJobResult => ({ exitCode: 128 + os.constants.signals[signal], trace: null, lost: 0, entries: 0, interrupted: signal });
  return superviseProgramThread(WORKER, job, io, {
    killedLine: (signal) => `wasm-ftrace: the program did not stop within ${STOP_GRACE_MS / 1000} s of ${signal} (it called nothing traced): stopped it\n`,
    afterKill: killed,
    stuckLine: (r) => traceLostLine(r.interrupted!),
  });
}

/** What run says when the program's thread had to be ended: the ring was in it. */
function traceLostLine(signal: string): string {
  return `wasm-ftrace: interrupted by ${signal}: its trace is lost (the program was ended while it called nothing traced or waited for input; 'wasm-ftrace record' writes the trace to the disk as it goes)\n`;
}
