/**
 * `wasm-ftrace run prog.wasm [args...]`: instrument in memory, run, and print
 * every function entry as it happens (a live trace_pipe of the function
 * tracer). The program's stdin, stdout and exit code are its own; the trace
 * goes to stderr or to the file named by -o.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { instrument } from '../instrument/pass.js';
import { HOST_IP } from '../ftrace/metadata.js';
import { runModule } from '../runtime/wasi.js';
import { CliError } from './errors.js';
import { readInputFile } from './io.js';
import type { CommandContext } from './main.js';
import { collectGlobs } from './options.js';

interface RunFlags {
  invoke?: string;
  only?: string[];
  notrace?: string[];
  output?: string;
  dir: string[];
}

export function registerRun(program: Command, ctx: CommandContext): void {
  program
    .command('run')
    .description('instrument a module in memory, run it, and print each function entry')
    .argument('<prog.wasm>', 'a WASI command, or any module with --invoke')
    .argument('[args...]', "the program's arguments (or the export's, with --invoke)")
    .option('--invoke <export>', 'call this export with the arguments instead of running _start')
    .option('--only <glob>', 'trace only functions matching the glob (repeatable)', collectGlobs)
    .option('--notrace <glob>', 'do not trace functions matching the glob (repeatable)', collectGlobs)
    .option('-o, --output <file>', 'write the trace to a file instead of stderr')
    .option('--dir <path>', 'give the program access to this host directory (repeatable; default: the current directory)', (v: string, p: string[]) => [...p, v], [])
    .passThroughOptions()
    .addHelpText(
      'after',
      `
Each line is one function entry, as ftrace's function tracer prints it:
  <seconds since start>: <function> <-<caller>
where the caller is HOST when the call came from outside the module.

Examples:
  $ wasm-ftrace run hello.wasm world
  $ wasm-ftrace run --notrace '__*' prog.wasm -- --flag-for-the-program
  $ wasm-ftrace run --invoke fib lib.wasm 10`,
    )
    .action(async (file: string, args: string[], flags: RunFlags) => {
      const bytes = await readInputFile(file);
      const { binary, metadata, warnings } = instrument(bytes, { only: flags.only ?? [], notrace: flags.notrace ?? [] });
      for (const w of warnings) ctx.io.stderr(`wasm-ftrace: warning: ${w}\n`);

      const sink = flags.output ? fileSink(flags.output) : { write: (s: string) => ctx.io.stderr(s), close: () => {} };
      const names = metadata.names;
      const t0 = performance.now();
      let pending = '';
      const flush = () => {
        if (pending) sink.write(pending);
        pending = '';
      };
      const mcount = (ip: number, parentIp: number) => {
        const t = ((performance.now() - t0) / 1000).toFixed(6).padStart(12);
        const parent = parentIp >>> 0 === HOST_IP ? 'HOST' : (names[parentIp] ?? `func[${parentIp}]`);
        pending += `${t}: ${names[ip] ?? `func[${ip}]`} <-${parent}\n`;
        if (pending.length > 1 << 16) flush();
      };
      const dirs = flags.dir.length > 0 ? flags.dir : ['.'];
      const preopens: Record<string, string> = {};
      for (const d of dirs) preopens[d] = path.resolve(d);
      try {
        const result = await runModule(binary, {
          programName: path.basename(file),
          args,
          env: process.env,
          preopens,
          ftrace: { mcount },
          ...(flags.invoke ? { invoke: { name: flags.invoke, args } } : {}),
        });
        flush();
        if (result.returned !== undefined) ctx.io.stdout(`${formatValue(result.returned)}\n`);
        ctx.exitCode = result.exitCode;
      } finally {
        flush();
        sink.close();
      }
    });
}

function fileSink(file: string): { write: (s: string) => void; close: () => void } {
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (e) {
    throw new CliError(`cannot write '${file}': ${(e as Error).message}`);
  }
  return { write: (s) => void writeSync(fd, s), close: () => closeSync(fd) };
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(formatValue).join(' ');
  return String(v);
}
