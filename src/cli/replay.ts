/** `wasm-ftrace replay [file]`: a recorded trace as ftrace prints it (cat trace). */
import type { Command } from 'commander';
import { ftraceTextLines, graphText, type FtraceTextOptions } from '../output/ftrace-text.js';
import { traceHasExits } from '../ring/event.js';
import { CliError } from './errors.js';
import { tracerOf } from '../tracers/registry.js';
import { withOutput } from './io.js';
import type { CommandContext } from './context.js';
import { addSharedOptions, outputFields, type SharedFlags } from './options.js';

/** uftrace's replay fields that ftrace's graph layout has: DURATION, the abstime (or counter) column, TASK/PID, TID. */
const REPLAY_FIELDS = ['duration', 'time', 'task', 'tid'] as const;
type ReplayField = (typeof REPLAY_FIELDS)[number];
const REPLAY_DEFAULT: readonly ReplayField[] = ['duration', 'tid'];
import { DEFAULT_DATA_FILE, openTrace } from './trace-file.js';

export function registerReplay(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('replay')
    .description("print a recorded trace in ftrace's text format")
    .argument('[file]', 'the data file', DEFAULT_DATA_FILE)
    .option(
      '-f, --output-fields <fields>',
      `function_graph: the columns before FUNCTION CALLS (uftrace's names): duration (none with clock counter), time (absolute time; a counter clock's count), task (TASK/PID), tid; 'none', or '+f' for the default (${REPLAY_DEFAULT.join(',')}) and f. Printed in ftrace's order`,
      outputFields(REPLAY_FIELDS, REPLAY_DEFAULT),
    );
  addSharedOptions(cmd, 'replay').addHelpText(
    'after',
    `
Filters apply again at read time: -F/-N keep or drop functions, -G keeps the
calls under a function, -D limits the depth, --time-filter drops short calls,
-r keeps the calls that ran during a time range.

Examples:
  $ wasm-ftrace replay
  $ wasm-ftrace replay -G main -D 3
  $ wasm-ftrace replay -f time,duration
  $ wasm-ftrace replay --time-filter 100us | less`,
  ).action(async (file: string, flags: SharedFlags & { outputFields?: ReplayField[] }) => {
    const trace = await openTrace(file, flags, ctx.io);
    const printer = tracerOf(trace)?.printText;
    const options: FtraceTextOptions = { srcline: flags.srcline === true };
    const fields = flags.outputFields;
    if (fields) {
      if (!(printer ? printer === graphText : traceHasExits(trace))) {
        throw new CliError(`-f: ${file} is a ${trace.tracer} trace, whose lines have ftrace's fixed context; the fields are function_graph's columns`);
      }
      Object.assign(options, { duration: fields.includes('duration'), abstime: fields.includes('time'), proc: fields.includes('task'), tid: fields.includes('tid') });
    }
    withOutput(ctx.io, undefined, (write) => {
      for (const line of ftraceTextLines(trace, options, printer)) write(`${line}\n`);
    });
  });
}
