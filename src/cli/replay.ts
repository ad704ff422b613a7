/** `wasm-ftrace replay [file]`: a recorded trace as ftrace prints it (cat trace). */
import type { Command } from 'commander';
import { ftraceTextLines } from '../output/ftrace-text.js';
import { tracerOf } from '../tracers/registry.js';
import { withOutput } from './io.js';
import type { CommandContext } from './context.js';
import { addSharedOptions, type SharedFlags } from './options.js';
import { DEFAULT_DATA_FILE, openTrace } from './trace-file.js';

export function registerReplay(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('replay')
    .description("print a recorded trace in ftrace's text format")
    .argument('[file]', 'the data file', DEFAULT_DATA_FILE);
  addSharedOptions(cmd, 'replay').addHelpText(
    'after',
    `
Filters apply again at read time: -F/-N keep or drop functions, -G keeps the
calls under a function, -D limits the depth, --time-filter drops short calls.

Examples:
  $ wasm-ftrace replay
  $ wasm-ftrace replay -G main -D 3
  $ wasm-ftrace replay --time-filter 100us | less`,
  ).action(async (file: string, flags: SharedFlags) => {
    const trace = await openTrace(file, flags, ctx.io);
    withOutput(ctx.io, undefined, (write) => {
      for (const line of ftraceTextLines(trace, { srcline: flags.srcline === true }, tracerOf(trace)?.printText)) write(`${line}\n`);
    });
  });
}
