/**
 * The wasm-ftrace command line. `main` returns the exit code instead of
 * exiting, so tests run the CLI in-process.
 *
 * Exit codes: 0 success, 1 runtime error (bad input, unwritable output, the
 * traced program failed), 2 usage error. A traced program's own exit code
 * passes through `run` unchanged.
 */
import { Command, CommanderError } from 'commander';
import { CliError } from './errors.js';
import type { CliIO } from './io.js';
import type { CommandContext } from './context.js';

export type { CommandContext } from './context.js';
import { FilterError } from '../ftrace/hash.js';
import { FtraceError } from '../ftrace/ops.js';
import { DataFileError } from '../datafile/format.js';

export const VERSION = '0.1.0';


type Register = (program: Command, ctx: CommandContext) => void;

/**
 * The commands, in help order, each loaded only when it runs: a command
 * starts with its own modules alone, `--version` with none, and only the
 * top-level help (or a mistyped command, for suggestions) loads them all.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  instrument: async () => (await import('./instrument.js')).registerInstrument,
  record: async () => (await import('./record.js')).registerRecord,
  report: async () => (await import('./report.js')).registerReport,
  replay: async () => (await import('./replay.js')).registerReplay,
  graph: async () => (await import('./graph.js')).registerGraph,
  dump: async () => (await import('./dump.js')).registerDump,
  info: async () => (await import('./info.js')).registerInfo,
  list: async () => (await import('./list.js')).registerList,
  run: async () => (await import('./run.js')).registerRun,
  bench: async () => (await import('./bench.js')).registerBench,
};

/** The commands `argv` needs: the one it names, none for --version, all otherwise. */
export function commandsFor(argv: readonly string[]): string[] {
  const all = Object.keys(COMMANDS);
  const first = argv.findIndex((a) => !a.startsWith('-'));
  const name = first >= 0 ? argv[first]! : undefined;
  if (name === undefined) return argv.length > 0 && argv.every((a) => a === '-V' || a === '--version') ? [] : all;
  if (name === 'help') return argv[first + 1] !== undefined && argv[first + 1]! in COMMANDS ? [argv[first + 1]!] : all;
  return name in COMMANDS ? [name] : all;
}

export async function buildProgram(ctx: CommandContext, names: readonly string[] = Object.keys(COMMANDS)): Promise<Command> {
  const registers = await Promise.all(Object.keys(COMMANDS).filter((n) => names.includes(n)).map((n) => COMMANDS[n]!()));
  const program = new Command('wasm-ftrace')
    .description("The Linux kernel's function tracer (ftrace), for WebAssembly.")
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
      outputError: (s, write) => write(`wasm-ftrace: ${s.trimEnd()}\n`),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ wasm-ftrace instrument app.wasm -o app.traced.wasm
  $ wasm-ftrace instrument app.wasm -o app.traced.wasm --notrace 'malloc' --notrace '__*' --stats
  $ wasm-ftrace run prog.wasm arg1 arg2        # a WASI command, printing each function entry
  $ wasm-ftrace run lib.wasm --invoke fib 20   # call one export

Run 'wasm-ftrace <command> --help' for a command's options.`,
    );
  for (const register of registers) register(program, ctx);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
      outputError: (s, write) => write(`wasm-ftrace ${cmd.name()}: ${s.trimEnd()}\n`),
    });
  }
  return program;
}

/**
 * InstrumentError (instrument/pass.ts, which loads binaryen) and ProgramError
 * (runtime/wasi.ts, node:wasi) are told by name: importing them here for
 * `instanceof` would load both for every command, --version included.
 */
function isLazyUserError(e: unknown): e is Error {
  return e instanceof Error && (e.name === 'InstrumentError' || e.name === 'ProgramError');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const ctx: CommandContext = { io, exitCode: 0 };
  const program = await buildProgram(ctx, commandsFor(argv));
  if (argv.length === 0) {
    io.stderr(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exit code 0; everything else commander rejects is usage.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      io.stderr(`wasm-ftrace: error: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof FilterError || e instanceof FtraceError || e instanceof DataFileError || isLazyUserError(e)) {
      io.stderr(`wasm-ftrace: error: ${e.message}\n`);
      return 1;
    }
    // A bug of ours: still one line, but say where to look.
    const err = e as Error;
    io.stderr(`wasm-ftrace: internal error: ${err?.message ?? String(e)} (set WASM_FTRACE_DEBUG=1 for a stack trace)\n`);
    if (typeof process !== 'undefined' && process.env['WASM_FTRACE_DEBUG']) io.stderr(`${err?.stack}\n`);
    return 1;
  }
}
