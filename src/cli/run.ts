/**
 * `wasm-ftrace run prog.wasm [args...]`: instrument in memory, run with a
 * tracer, and print the trace when the program ends. The program's stdin,
 * stdout and exit code are its own; the trace goes to stderr or to the file
 * named by -o.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { formatChromeTrace, formatFolded, formatFtraceText, formatProfileRows } from '../output/index.js';
import { TRACERS } from '../tracers/registry.js';
import { TraceArray } from '../tracers/trace-array.js';
import { clockHasTime, type TraceClock } from '../ring/event.js';
import { traceArrayFor } from './trace-setup.js';
import { filterTrace } from '../output/filter.js';
import { UsageError } from './errors.js';
import { readInputFile, writeFileAtomic } from './io.js';
import type { CommandContext } from './context.js';
import { instrumentForRun } from './instrument-for-run.js';
import { addSharedOptions, type SharedFlags } from './options.js';

interface RunFlags extends SharedFlags {
  invoke?: string;
  format?: string;
  output?: string;
  dir?: string[];
}

const FORMATS = ['text', 'chrome', 'folded', 'profile'] as const;
type Format = (typeof FORMATS)[number];

export function registerRun(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('run')
    .description('instrument a module in memory, run it with a tracer, and print the trace')
    .argument('<prog.wasm>', 'a WASI command, or any module with --invoke')
    .argument('[args...]', "the program's arguments (or the export's, with --invoke)")
    .option('--invoke <export>', 'call this export with the arguments instead of running _start')
    .option('-f, --format <format>', `output: ${FORMATS.join(', ')} (default: profile for the profiler, else text)`);
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
      const format = (flags.format ?? (tracer.stat ? 'profile' : 'text')) as Format;
      if (!FORMATS.includes(format)) throw new UsageError(`unknown format '${flags.format}' (${FORMATS.join(', ')})`);
      if (format === 'profile' && !tracer.stat) throw new UsageError('--format profile needs the profiler tracer (-t profiler)');
      const bufferKb = flags.bufferSize;

      const bytes = await readInputFile(file);
      // binaryen (10 MB of wasm) and node:wasi load only when a module runs, not for --help
      const { runModule, ProgramError } = await import('../runtime/wasi.js');
      const { binary, options: pass } = await instrumentForRun(bytes, file, flags, tracer.needsExitHooks, ctx.io);

      const setup = traceArrayFor(pass, tracerName, flags.clock as TraceClock, bufferKb, ctx.io);
      const tr = setup.tr;
      tr.maxGraphDepth = flags.depth ?? 0;
      const dirs = flags.dir ?? ['.'];
      const preopens: Record<string, string> = {};
      for (const d of dirs) preopens[d] = path.resolve(d);
      // Filters are checked against the module once it is added: run them
      // through a hook that the runner calls right after addInstance.
      const configure = () => {
        const filter = [...(flags.filter ?? []), ...(flags.trigger ?? [])];
        if (filter.length > 0) tr.setFilter(filter.join(' '));
        if (flags.notrace) tr.setNotrace(flags.notrace.join(' '));
        if (flags.graphFunction) tr.setGraphFunction(flags.graphFunction.join(' '));
      };
      let result: Awaited<ReturnType<typeof runModule>> | null = null;
      // A trap ends the program, not the trace: print what was traced up to it, then report the trap.
      let trapped: unknown = null;
      try {
        result = await runModule(binary, {
          programName: path.basename(file),
          args,
          env: process.env,
          preopens,
          trace: tr,
          beforeInstantiate: configure,
          ...(flags.invoke ? { invoke: { name: flags.invoke, args } } : {}),
        });
      } catch (e) {
        if (!(e instanceof ProgramError) || tr.stats.written === 0) throw e;
        trapped = e;
      } finally {
        setup.stop();
      }
      if (result?.returned !== undefined) ctx.io.stdout(`${formatValue(result.returned)}\n`);

      const text = render(tr, format, flags.timeFilter);
      if (flags.output) await writeFileAtomic(flags.output, text);
      else ctx.io.stderr(text);
      const s = tr.stats;
      if (s.lost > 0) ctx.io.stderr(`wasm-ftrace: ${s.lost} events were overwritten: the buffer kept the newest ${s.entries} (--buffer-size to keep more)\n`);
      if (trapped !== null) throw trapped;
      ctx.exitCode = result!.exitCode;
    });
}

function render(tr: TraceArray, format: Format, timeFilter: number | undefined): string {
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
