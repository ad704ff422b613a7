/**
 * `wasm-ftrace run prog.wasm [args...]`: instrument in memory, run with a
 * tracer, and print the trace when the program ends. The program's stdin,
 * stdout and exit code are its own; the trace goes to stderr or to the file
 * named by -o.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { instrument } from '../instrument/pass.js';
import { formatChromeTrace, formatFolded, formatFtraceText, formatProfileRows } from '../output/index.js';
import { runModule } from '../runtime/wasi.js';
import { TRACERS } from '../tracers/registry.js';
import { TraceArray } from '../tracers/trace-array.js';
import { profileRows } from '../tracers/profiler.js';
import type { TraceClock } from '../ring/event.js';
import { UsageError } from './errors.js';
import { readInputFile, writeFileAtomic } from './io.js';
import type { CommandContext } from './main.js';
import { collectGlobs } from './options.js';

interface RunFlags {
  invoke?: string;
  tracer: string;
  clock: string;
  format?: string;
  filter?: string[];
  notrace?: string[];
  graphFunction?: string[];
  depth?: string;
  bufferSize?: string;
  output?: string;
  dir: string[];
}

const FORMATS = ['text', 'chrome', 'folded', 'profile'] as const;
type Format = (typeof FORMATS)[number];

export function registerRun(program: Command, ctx: CommandContext): void {
  program
    .command('run')
    .description('instrument a module in memory, run it with a tracer, and print the trace')
    .argument('<prog.wasm>', 'a WASI command, or any module with --invoke')
    .argument('[args...]', "the program's arguments (or the export's, with --invoke)")
    .option('--invoke <export>', 'call this export with the arguments instead of running _start')
    .option('-t, --tracer <name>', `the tracer: ${[...TRACERS.keys()].join(', ')}`, 'function')
    .option('--clock <clock>', "'perf' (microseconds) or 'counter' (order only, cheapest)", 'perf')
    .option('-f, --format <format>', `output: ${FORMATS.join(', ')} (default: profile for the profiler, else text)`)
    .option('-F, --filter <glob>', 'trace only matching functions; also func:traceon, func:traceoff[:n], func:stacktrace[:n] (repeatable)', collectGlobs)
    .option('-N, --notrace <glob>', 'do not trace matching functions (repeatable)', collectGlobs)
    .option('-G, --graph-function <glob>', 'function_graph: record only these functions and their callees (repeatable)', collectGlobs)
    .option('-D, --depth <n>', 'function_graph: max_graph_depth')
    .option('--buffer-size <KiB>', 'ring buffer size (the oldest events are overwritten when it is full)')
    .option('-o, --output <file>', 'write the trace to a file instead of stderr')
    .option('--dir <path>', 'give the program access to this host directory (repeatable; default: the current directory)', (v: string, p: string[]) => [...p, v], [])
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
      const tracer = TRACERS.get(tracerName);
      if (!tracer) throw new UsageError(`unknown tracer '${tracerName}' (${[...TRACERS.keys()].join(', ')})`);
      if (flags.clock !== 'perf' && flags.clock !== 'counter') throw new UsageError(`unknown clock '${flags.clock}' (perf, counter)`);
      const format = (flags.format ?? (tracerName === 'profiler' ? 'profile' : 'text')) as Format;
      if (!FORMATS.includes(format)) throw new UsageError(`unknown format '${flags.format}' (${FORMATS.join(', ')})`);
      if (format === 'profile' && tracerName !== 'profiler') throw new UsageError('--format profile needs the profiler tracer (-t profiler)');
      const depth = flags.depth === undefined ? 0 : positiveInt(flags.depth, '--depth');
      const bufferKb = flags.bufferSize === undefined ? undefined : positiveInt(flags.bufferSize, '--buffer-size');

      const bytes = await readInputFile(file);
      const { binary, warnings } = instrument(bytes, { exitHooks: tracer.needsExitHooks });
      for (const w of warnings) ctx.io.stderr(`wasm-ftrace: warning: ${w}\n`);

      const tr = new TraceArray({ tracer: tracerName, clock: flags.clock as TraceClock, ...(bufferKb ? { bufferKb } : {}) });
      tr.maxGraphDepth = depth;
      const dirs = flags.dir.length > 0 ? flags.dir : ['.'];
      const preopens: Record<string, string> = {};
      for (const d of dirs) preopens[d] = path.resolve(d);
      // Filters are checked against the module once it is added: run them
      // through a hook that the runner calls right after addInstance.
      const configure = () => {
        if (flags.filter) tr.setFilter(flags.filter.join(' '));
        if (flags.notrace) tr.setNotrace(flags.notrace.join(' '));
        if (flags.graphFunction) tr.setGraphFunction(flags.graphFunction.join(' '));
      };
      const result = await runModule(binary, {
        programName: path.basename(file),
        args,
        env: process.env,
        preopens,
        trace: tr,
        beforeInstantiate: configure,
        ...(flags.invoke ? { invoke: { name: flags.invoke, args } } : {}),
      });
      if (result.returned !== undefined) ctx.io.stdout(`${formatValue(result.returned)}\n`);

      const text = render(tr, format);
      if (flags.output) await writeFileAtomic(flags.output, text);
      else ctx.io.stderr(text);
      const s = tr.stats;
      if (s.lost > 0) ctx.io.stderr(`wasm-ftrace: ${s.lost} events were overwritten: the buffer kept the newest ${s.entries} (--buffer-size to keep more)\n`);
      ctx.exitCode = result.exitCode;
    });
}

function render(tr: TraceArray, format: Format): string {
  if (format === 'profile') return formatProfileRows(profileRows(tr), { times: tr.clock === 'perf' });
  const data = tr.read();
  if (format === 'chrome') return formatChromeTrace(data);
  if (format === 'folded') return formatFolded(data);
  return formatFtraceText(data);
}

function positiveInt(v: string, option: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${option} takes a positive whole number, not '${v}'`);
  return n;
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(formatValue).join(' ');
  return String(v);
}
