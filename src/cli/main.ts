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
import { registerInstrument } from './instrument.js';
import { registerRun } from './run.js';
import { registerList } from './list.js';
import { registerRecord } from './record.js';
import { registerReport } from './report.js';
import { registerReplay } from './replay.js';
import { registerDump } from './dump.js';
import { registerInfo } from './info.js';
import { registerBench } from './bench.js';
import { FilterError } from '../ftrace/hash.js';
import { FtraceError } from '../ftrace/ops.js';
import { DataFileError } from '../datafile/format.js';

export const VERSION = '0.1.0';


export function buildProgram(ctx: CommandContext): Command {
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
  registerInstrument(program, ctx);
  registerRecord(program, ctx);
  registerReport(program, ctx);
  registerReplay(program, ctx);
  registerDump(program, ctx);
  registerInfo(program, ctx);
  registerList(program, ctx);
  registerRun(program, ctx);
  registerBench(program, ctx);
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
  const program = buildProgram(ctx);
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
